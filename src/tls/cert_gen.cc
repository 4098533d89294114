#include "tls/cert_gen.h"
#include "tls/openssl_util.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <memory>

namespace nightjar::tls {
namespace {

using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

Status openssl_failure(const std::string& step) {
  return Status::internal("certificate generation: " + step + ": " + openssl_reason());
}

// "IP:127.0.0.1,IP:::1,DNS:localhost" for X509V3_EXT_conf_nid.
Result<std::string> subject_alt_names(const std::vector<std::string>& hosts) {
  std::string names;
  for (const std::string& host : hosts) {
    if (host.empty())
      return Status::invalid_argument("certificate generation: empty host name in the SANs");
    if (host.find(',') != std::string::npos) {
      return Status::invalid_argument("certificate generation: bad host name '" + host + "'");
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    if (!names.empty()) names.push_back(',');
    names.append(ec ? "DNS:" : "IP:").append(host);
  }
  return names;
}

Status add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!extension) return openssl_failure(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  if (X509_add_ext(cert, extension.get(), -1) != 1) return openssl_failure("adding an extension");
  return Status::ok_status();
}

Status set_serial_and_validity(X509* cert, const CertSpec& spec) {
  // 127 random bits: positive, unique enough that no two test certificates collide.
  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return openssl_failure("serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(spec.not_before_s)) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(spec.not_after_s)) == nullptr) {
    return openssl_failure("validity");
  }
  return Status::ok_status();
}

Status add_extensions(X509* cert, X509* issuer_cert, const CertSpec& spec) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
  struct Extension {
    int nid;
    std::string value;
  };
  std::vector<Extension> extensions;
  if (spec.is_ca) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"}};
  } else {
    extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                  {NID_key_usage, "critical,digitalSignature"},
                  {NID_ext_key_usage, "serverAuth,clientAuth"}};
  }
  extensions.push_back({NID_subject_key_identifier, "hash"});
  if (issuer_cert != cert) extensions.push_back({NID_authority_key_identifier, "keyid:always"});
  if (!spec.hosts.empty()) {
    Result<std::string> names = subject_alt_names(spec.hosts);
    if (!names.ok()) return names.status();
    extensions.push_back({NID_subject_alt_name, *names});
  }
  for (const Extension& extension : extensions) {
    if (Status status = add_extension(cert, &ctx, extension.nid, extension.value); !status.ok())
      return status;
  }
  return Status::ok_status();
}

Result<KeyAndCert> to_pem(X509* cert, EVP_PKEY* key) {
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), cert) != 1) {
    return openssl_failure("writing PEM");
  }
  return KeyAndCert{bio_text(key_bio.get()), bio_text(cert_bio.get())};
}

}  // namespace

Result<KeyAndCert> generate_certificate(const CertSpec& spec, const KeyAndCert* issuer) {
  X509Ptr issuer_cert;
  KeyPtr issuer_key;
  if (issuer != nullptr) {
    BioPtr cert_bio = memory_bio(issuer->cert_pem);
    BioPtr key_bio = memory_bio(issuer->key_pem);
    issuer_cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    issuer_key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!issuer_cert || !issuer_key) {
      return Status::invalid_argument("certificate generation: the issuer's PEM does not parse: " +
                                      openssl_reason());
    }
  }

  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("EC P-256 key");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return openssl_failure("new certificate");
  if (Status status = set_serial_and_validity(cert.get(), spec); !status.ok()) return status;

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                                 -1, -1, 0) != 1) {
    return openssl_failure("common name '" + spec.common_name + "'");
  }
  X509* const signer_cert = issuer_cert ? issuer_cert.get() : cert.get();
  EVP_PKEY* const signer_key = issuer_key ? issuer_key.get() : key.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer_cert)) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return openssl_failure("issuer and public key");
  }
  if (Status status = add_extensions(cert.get(), signer_cert, spec); !status.ok()) return status;
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) <= 0) return openssl_failure("signing");
  return to_pem(cert.get(), key.get());
}

Result<MutualTlsSet> generate_mutual_tls_set(const std::vector<std::string>& worker_hosts, int64_t valid_days) {
  if (worker_hosts.empty()) return Status::invalid_argument("--hosts: name at least one host the workers are dialled by");
  if (valid_days < 1 || valid_days > 36500) {
    return Status::invalid_argument("--days must be from 1 to 36500 (got " + std::to_string(valid_days) + ")");
  }
  for (const std::string& host : worker_hosts) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    const bool dns_name = !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '*';
    });
    if (ec && !dns_name) {
      return Status::invalid_argument("--hosts: '" + host + "' is neither an IP address nor a DNS name");
    }
  }
  const int64_t not_after_s = valid_days * 86400;
  CertSpec ca_spec;
  ca_spec.common_name = "nightjar CA";
  ca_spec.hosts = {};
  ca_spec.is_ca = true;
  ca_spec.not_after_s = not_after_s;
  Result<KeyAndCert> ca = generate_certificate(ca_spec);
  if (!ca.ok()) return ca.status();
  CertSpec worker_spec;
  worker_spec.common_name = "nightjar worker";
  worker_spec.hosts = worker_hosts;
  worker_spec.not_after_s = not_after_s;
  Result<KeyAndCert> worker = generate_certificate(worker_spec, &*ca);
  if (!worker.ok()) return worker.status();
  CertSpec controller_spec;
  controller_spec.common_name = "nightjar controller";
  controller_spec.hosts = {};
  controller_spec.not_after_s = not_after_s;
  Result<KeyAndCert> controller = generate_certificate(controller_spec, &*ca);
  if (!controller.ok()) return controller.status();
  return MutualTlsSet{std::move(*ca), std::move(*worker), std::move(*controller)};
}

Result<std::string> certificate_fingerprint_sha256(const std::string& cert_pem) {
  BioPtr bio = memory_bio(cert_pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert)
    return Status::invalid_argument("no PEM certificate to fingerprint: " + openssl_reason());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1) {
    return Status::internal("certificate fingerprint: " + openssl_reason());
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  text.reserve(length * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text.push_back(':');
    text.push_back(kHex[digest[i] >> 4]);
    text.push_back(kHex[digest[i] & 0xf]);
  }
  return text;
}

}  // namespace nightjar::tls
