#include "tls/server_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tls/cert_gen.h"
#include "tls/openssl_util.h"

namespace nightjar::tls {
namespace {

constexpr unsigned char kSessionIdContext[] = "nightjar serve";

Result<std::string> alpn_wire_format(const std::vector<std::string>& protocols) {
  if (protocols.empty())
    return Status::invalid_argument("the ALPN list is empty (use h2, http/1.1 or both)");
  for (const std::string& protocol : protocols) {
    if (protocol != "h2" && protocol != "http/1.1") {
      return Status::invalid_argument("unknown ALPN protocol '" + protocol +
                                      "' (use h2, http/1.1 or both)");
    }
  }
  return alpn_wire(protocols);
}

// Server preference: the first of our protocols the client offers. A client that offers
// only protocols we do not serve is refused with no_application_protocol (RFC 7301).
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                const unsigned char* in, unsigned int in_length, void* arg) {
  const auto* context = static_cast<const ServerContext*>(arg);
  const std::string& ours = context->alpn_wire();
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(
          &selected, out_length, reinterpret_cast<const unsigned char*>(ours.data()),
          static_cast<unsigned int>(ours.size()), in, in_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

Status use_certificate_and_key(SSL_CTX* ctx, const ServerTlsOptions& options) {
  Result<std::vector<X509Ptr>> chain = read_pem_certificates(options.cert_pem, options.cert_name);
  if (!chain.ok()) return chain.status();
  if (SSL_CTX_use_certificate(ctx, (*chain)[0].get()) != 1) {
    return Status::invalid_argument(options.cert_name +
                                    ": certificate not usable: " + openssl_reason());
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1) {
      return Status::invalid_argument(options.cert_name +
                                      ": chain certificate not usable: " + openssl_reason());
    }
  }
  BioPtr key_bio = memory_bio(options.key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return Status::invalid_argument(options.key_name +
                                    ": no valid PEM private key: " + openssl_reason());
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::invalid_argument(options.key_name + " does not match " + options.cert_name);
  }
  return Status::ok_status();
}

Status require_client_certificates(SSL_CTX* ctx, const ServerTlsOptions& options) {
  Result<std::vector<X509Ptr>> cas =
      read_pem_certificates(options.client_ca_pem, options.client_ca_name);
  if (!cas.ok()) return cas.status();
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& ca : *cas) {
    // The store and the list of names sent in the CertificateRequest each keep a reference.
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
      return Status::invalid_argument(options.client_ca_name +
                                      ": CA certificate not usable: " + openssl_reason());
    }
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return Status::ok_status();
}

}  // namespace

Result<std::unique_ptr<ServerContext>> ServerContext::create(const ServerTlsOptions& options) {
  ERR_clear_error();
  Result<std::string> alpn = alpn_wire_format(options.alpn);
  if (!alpn.ok()) return alpn.status();
  std::unique_ptr<ServerContext> context(new ServerContext());
  context->alpn_wire_ = std::move(alpn).value();
  context->ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX* ctx = context->ctx_;
  if (ctx == nullptr) return Status::internal("cannot create the TLS context: " + openssl_reason());

  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Without renegotiation a write never needs a read; an EOF without close_notify is an
  // ordinary end of stream for a test server.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Resumption: tickets (on by default) for TLS 1.3 and 1.2, the server session cache for
  // TLS 1.2 session ids. The id context must be set for either to work with client
  // certificates.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);

  ServerTlsOptions with_certificate;
  const ServerTlsOptions* effective = &options;
  if (options.cert_pem.empty() && options.key_pem.empty()) {
    Result<KeyAndCert> generated = generate_certificate(CertSpec{});
    if (!generated.ok()) return generated.status();
    with_certificate = options;
    with_certificate.cert_pem = generated->cert_pem;
    with_certificate.key_pem = generated->key_pem;
    effective = &with_certificate;
    context->self_signed_ = true;
  } else if (options.cert_pem.empty() || options.key_pem.empty()) {
    return Status::invalid_argument(options.cert_name + " and " + options.key_name +
                                    " go together");
  }
  if (Status status = use_certificate_and_key(ctx, *effective); !status.ok()) return status;
  Result<std::string> fingerprint = certificate_fingerprint_sha256(effective->cert_pem);
  if (!fingerprint.ok()) return fingerprint.status();
  context->certificate_pem_ = effective->cert_pem;
  context->fingerprint_sha256_ = std::move(fingerprint).value();
  if (!options.client_ca_pem.empty()) {
    if (Status status = require_client_certificates(ctx, options); !status.ok()) return status;
  }
  SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, context.get());
  return context;
}

ServerContext::~ServerContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

}  // namespace nightjar::tls
