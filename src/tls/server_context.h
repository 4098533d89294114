// The OpenSSL server context of `nightjar serve --tls`: certificate and key, ALPN choice
// between h2 and http/1.1, optional client-certificate verification, session resumption
// (tickets, and a session cache for TLS 1.2 session ids).
//
// Thread-safety: after create() the context is read-only for nightjar and OpenSSL makes an
// SSL_CTX safe to share by every thread's connections (its session cache locks itself).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace nightjar::tls {

struct ServerTlsOptions {
  // The server certificate, then any intermediates, and its private key, PEM. Both empty:
  // a self-signed certificate is generated (generate_certificate's defaults: EC P-256, for
  // 127.0.0.1, ::1 and localhost).
  std::string cert_pem;
  std::string key_pem;
  std::string client_ca_pem;  // non-empty: require client certificates signed by one of these
  // Application protocols the server agrees to, in its order of preference: "h2",
  // "http/1.1". A client offering none of them is refused (no_application_protocol); a
  // client offering no ALPN at all is served.
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  // How error messages name the inputs (the command line passes its flag names).
  std::string cert_name = "the certificate";
  std::string key_name = "the private key";
  std::string client_ca_name = "the client CA";
};

class ServerContext {
 public:
  // Errors (InvalidArgument, naming the input by its *_name): a PEM that does not parse, a
  // key that does not match the certificate, a certificate without its key, an unknown or
  // empty ALPN list. Internal: generating the self-signed certificate failed.
  static Result<std::unique_ptr<ServerContext>> create(const ServerTlsOptions& options);

  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  // The certificate (chain) served, PEM: the one given, or the generated one.
  const std::string& certificate_pem() const { return certificate_pem_; }
  // SHA-256 fingerprint of the leaf certificate, "AB:CD:...".
  const std::string& fingerprint_sha256() const { return fingerprint_sha256_; }
  bool self_signed() const { return self_signed_; }
  // The ALPN protocols accepted, in wire format (length-prefixed), in preference order.
  const std::string& alpn_wire() const { return alpn_wire_; }

 private:
  ServerContext() = default;

  SSL_CTX* ctx_ = nullptr;
  std::string alpn_wire_;
  std::string certificate_pem_;
  std::string fingerprint_sha256_;
  bool self_signed_ = false;
};

}  // namespace nightjar::tls
