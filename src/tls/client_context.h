// The client side of TLS for load sessions: one OpenSSL context per run (certificates
// verified by default against the system store or --ca-file, --insecure, a client
// certificate for mutual TLS, ALPN, client-side session caching for resumption), and the
// words for a failed handshake.
//
// The context is built before the run and shared read-only by every worker thread
// (OpenSSL's SSL_CTX is safe to share once configured).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace nightjar::tls {

struct ClientOptions {
  std::string ca_file;             // PEM bundle to trust; empty: ca_pem, else the system store
  std::string ca_pem;              // PEM text to trust (a distributed worker gets the controller's)
  bool insecure = false;           // skip verification (the report says so)
  std::string sni;                 // server name to send and verify; empty: the URL's host
  std::string cert_file;           // client certificate (PEM) for mutual TLS
  std::string key_file;            // its key
  std::vector<std::string> alpn;   // offered in order, e.g. {"h2", "http/1.1"}; empty: none
  bool operator==(const ClientOptions&) const = default;
};

// Where a connection keeps the TLS session to resume on its next connect: set it as the
// SSL object's app data and the context's new-session callback fills it.
struct SessionSlot {
  SSL_SESSION* session = nullptr;
  SessionSlot() = default;
  SessionSlot(const SessionSlot&) = delete;
  SessionSlot& operator=(const SessionSlot&) = delete;
  ~SessionSlot() { reset(); }
  void reset() {
    if (session != nullptr) SSL_SESSION_free(session);
    session = nullptr;
  }
};

class ClientContext {
 public:
  // Loads the trust store and client certificate; errors name the flag and file.
  static Result<std::shared_ptr<const ClientContext>> create(const ClientOptions& options);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  const ClientOptions& options() const { return options_; }

  // A new connection's SSL object, set up for `host` (the URL's host; --sni overrides):
  // SNI (for names, not addresses), host name or IP verification, ALPN. Null on failure.
  SSL* new_connection(const std::string& host) const;

 private:
  ClientContext(SSL_CTX* ctx, ClientOptions options) : ctx_(ctx), options_(std::move(options)) {}
  SSL_CTX* ctx_;
  ClientOptions options_;
};

// Why a handshake failed, for the report: "certificate verify failed: certificate has
// expired (notAfter ...)", "... certificate is not valid for 'example.com'", "...
// unknown issuer (...)", or OpenSSL's error queue ("tlsv13 alert certificate required").
// Takes and clears the thread's OpenSSL error queue.
std::string describe_handshake_failure(SSL* ssl, const std::string& host);

// The thread's OpenSSL error queue as text ("" when empty), cleared.
std::string take_openssl_errors();

}  // namespace nightjar::tls
