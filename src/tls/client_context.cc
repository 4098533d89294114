#include "tls/client_context.h"
#include "tls/openssl_util.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace nightjar::tls {
namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

Status readable(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::invalid_argument(flag + ": cannot read '" + path + "': " + std::strerror(errno));
  return Status();
}

std::string asn1_time(const ASN1_TIME* t) {
  if (t == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  ASN1_TIME_print(bio.get(), t);
  return bio_text(bio.get());
}

std::string subject_of(X509* cert) {
  if (cert == nullptr) return "";
  char name[256];
  X509_NAME_oneline(X509_get_issuer_name(cert), name, sizeof name);
  return name;
}

// Keeps the newest session of a connection in its SessionSlot (TLS 1.3 sends tickets after
// the handshake, so this runs on the first reads too).
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<SessionSlot*>(SSL_get_app_data(ssl));
  if (slot == nullptr) return 0;
  slot->reset();
  slot->session = session;
  return 1;  // we own it now
}

// Trusts every certificate in `pem`.
Status add_pem_certificates(SSL_CTX* ctx, const std::string& pem) {
  auto certs = read_pem_certificates(pem, "TLS: the CA certificates given");
  if (!certs.ok()) return certs.status();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& cert : *certs) X509_STORE_add_cert(store, cert.get());  // the store takes a reference
  return Status();
}

}  // namespace

Result<std::shared_ptr<const ClientContext>> ClientContext::create(const ClientOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::internal("TLS: cannot create a context: " + take_openssl_errors());
  auto context = std::shared_ptr<ClientContext>(new ClientContext(ctx, options));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Sessions are kept per connection slot by the transport (for resumption on reconnect),
  // not in the context's cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
  // A server that closes without close_notify ends the stream like TCP's end (HTTP/1.1
  // bodies delimited by the close are common); truncation is caught by HTTP framing.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (options.insecure) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!options.ca_file.empty()) {
      if (Status s = readable("--ca-file", options.ca_file); !s.ok()) return s;
      if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
        return Status::invalid_argument("--ca-file: '" + options.ca_file +
                                        "' holds no usable PEM certificate: " + take_openssl_errors());
      }
    } else if (!options.ca_pem.empty()) {
      if (Status s = add_pem_certificates(ctx, options.ca_pem); !s.ok()) return s;
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return Status::internal("TLS: cannot load the system's trusted certificates: " + take_openssl_errors());
    }
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return Status::invalid_argument(options.cert_file.empty() ? "--key needs --cert" : "--cert needs --key");
  }
  if (!options.cert_file.empty()) {
    if (Status s = readable("--cert", options.cert_file); !s.ok()) return s;
    if (Status s = readable("--key", options.key_file); !s.ok()) return s;
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      return Status::invalid_argument("--cert: '" + options.cert_file +
                                      "' is not a PEM certificate: " + take_openssl_errors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      const std::string why = take_openssl_errors();
      if (why.find("key values mismatch") != std::string::npos) {
        return Status::invalid_argument("--key '" + options.key_file + "' does not match --cert '" +
                                        options.cert_file + "'");
      }
      return Status::invalid_argument("--key: '" + options.key_file + "' is not a PEM private key: " + why);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      take_openssl_errors();
      return Status::invalid_argument("--key '" + options.key_file + "' does not match --cert '" +
                                      options.cert_file + "'");
    }
  }
  if (!options.alpn.empty()) {
    const std::string wire = alpn_wire(options.alpn);
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  return std::shared_ptr<const ClientContext>(std::move(context));
}

ClientContext::~ClientContext() { SSL_CTX_free(ctx_); }

SSL* ClientContext::new_connection(const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  const std::string& name = options_.sni.empty() ? host : options_.sni;
  const bool ip = is_ip_address(name);
  if (!ip) {  // RFC 6066: no SNI for addresses (SSL_set_tlsext_host_name, without its C cast)
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  }
  if (!options_.insecure) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) {
      SSL_free(ssl);
      return nullptr;
    }
  }
  return ssl;
}

std::string take_openssl_errors() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    // "error:0A000086:SSL routines::certificate verify failed": keep the reason.
    std::string line = buf;
    const size_t colon = line.rfind(':');
    if (colon != std::string::npos) line = line.substr(colon + 1);
    if (text.find(line) != std::string::npos) continue;
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

std::string describe_handshake_failure(SSL* ssl, const std::string& host) {
  const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  std::string queue = take_openssl_errors();
  if (verify == X509_V_OK) {
    if (queue.find("no application protocol") != std::string::npos) {
      return "handshake failed: the server agrees to none of the protocols offered by ALPN (" + queue +
             "); --protocol http1 or h2 changes the offer";
    }
    return queue.empty() ? "handshake failed" : "handshake failed: " + queue;
  }
  X509* cert = SSL_get0_peer_certificate(ssl);
  std::string why = "certificate verify failed: ";
  switch (verify) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      why += "certificate has expired";
      if (cert != nullptr) why += " (notAfter " + asn1_time(X509_get0_notAfter(cert)) + ")";
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      why += "certificate is not yet valid";
      if (cert != nullptr) why += " (notBefore " + asn1_time(X509_get0_notBefore(cert)) + ")";
      break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      why += "wrong host: the certificate is not valid for '" + host + "'";
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      why += std::string("unknown issuer (") + X509_verify_cert_error_string(verify);
      if (cert != nullptr) why += "; issuer " + subject_of(cert);
      why += "); trust it with --ca-file, or skip verification with --insecure";
      break;
    default:
      why += X509_verify_cert_error_string(verify);
  }
  return why;
}

}  // namespace nightjar::tls
