// tls::generate_certificate and tls::certificate_fingerprint_sha256, checked with OpenSSL's
// own verification. (Here with the server, its first user, until src/tls has a test folder.)
#include "tls/cert_gen.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <regex>

namespace nightjar::tls {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// X509_V_OK, or why `leaf` does not verify against `roots` (for `host`, when not empty).
int verify(const std::string& leaf_pem, const std::vector<std::string>& root_pems,
           const std::string& host = "") {
  X509Ptr leaf = parse(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  for (const std::string& pem : root_pems) X509_STORE_add_cert(store, parse(pem).get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  if (!host.empty()) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    if (host.find_first_not_of("0123456789.:") == std::string::npos) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
  }
  const int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

TEST(CertGen, SelfSignedCertificateCoversTheLoopbackNames) {
  const Result<KeyAndCert> made = generate_certificate(CertSpec{});
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_NE(made->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  X509Ptr cert = parse(made->cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  // Trusted as its own CA file, the way `serve --tls-cert-out` is used.
  EXPECT_EQ(verify(made->cert_pem, {made->cert_pem}, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(verify(made->cert_pem, {made->cert_pem}, "localhost"), X509_V_OK);
}

TEST(CertGen, CaSignsLeavesThatVerifyAgainstIt) {
  CertSpec ca_spec;
  ca_spec.is_ca = true;
  ca_spec.common_name = "test CA";
  const Result<KeyAndCert> ca = generate_certificate(ca_spec);
  ASSERT_TRUE(ca.ok()) << ca.status().message();
  EXPECT_EQ(X509_check_ca(parse(ca->cert_pem).get()), 1);
  const Result<KeyAndCert> leaf = generate_certificate(CertSpec{}, &*ca);
  ASSERT_TRUE(leaf.ok()) << leaf.status().message();
  EXPECT_EQ(verify(leaf->cert_pem, {ca->cert_pem}, "127.0.0.1"), X509_V_OK);
  // Not against another CA.
  const Result<KeyAndCert> other_ca = generate_certificate(ca_spec);
  EXPECT_NE(verify(leaf->cert_pem, {other_ca->cert_pem}), X509_V_OK);
}

TEST(CertGen, MakesExpiredAndWrongHostCertificatesOnRequest) {
  CertSpec expired;
  expired.not_before_s = -2 * 86400;
  expired.not_after_s = -86400;
  const Result<KeyAndCert> old = generate_certificate(expired);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(verify(old->cert_pem, {old->cert_pem}), X509_V_ERR_CERT_HAS_EXPIRED);

  CertSpec elsewhere;
  elsewhere.hosts = {"example.com", "10.1.2.3"};
  const Result<KeyAndCert> wrong = generate_certificate(elsewhere);
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(verify(wrong->cert_pem, {wrong->cert_pem}, "example.com"), X509_V_OK);
  EXPECT_EQ(verify(wrong->cert_pem, {wrong->cert_pem}, "10.1.2.3"), X509_V_OK);
  EXPECT_EQ(verify(wrong->cert_pem, {wrong->cert_pem}, "localhost"), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verify(wrong->cert_pem, {wrong->cert_pem}, "127.0.0.1"),
            X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST(CertGen, RejectsABadIssuerAndAnEmptyHost) {
  const KeyAndCert junk{"not a key", "not a cert"};
  const Result<KeyAndCert> unsigned_leaf = generate_certificate(CertSpec{}, &junk);
  ASSERT_FALSE(unsigned_leaf.ok());
  EXPECT_EQ(unsigned_leaf.status().code(), StatusCode::kInvalidArgument);
  CertSpec empty_host;
  empty_host.hosts = {"localhost", ""};
  EXPECT_EQ(generate_certificate(empty_host).status().code(), StatusCode::kInvalidArgument);
}

TEST(CertGen, FingerprintIsTheSha256OfTheDerCertificate) {
  const Result<KeyAndCert> made = generate_certificate(CertSpec{});
  ASSERT_TRUE(made.ok());
  const Result<std::string> fingerprint = certificate_fingerprint_sha256(made->cert_pem);
  ASSERT_TRUE(fingerprint.ok()) << fingerprint.status().message();
  EXPECT_TRUE(std::regex_match(*fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
      << *fingerprint;
  unsigned char digest[32];
  unsigned int length = 0;
  ASSERT_EQ(X509_digest(parse(made->cert_pem).get(), EVP_sha256(), digest, &length), 1);
  char first[3];
  std::snprintf(first, sizeof first, "%02X", digest[0]);
  EXPECT_EQ(fingerprint->substr(0, 2), first);
  // Two certificates, two fingerprints.
  EXPECT_NE(*certificate_fingerprint_sha256(generate_certificate(CertSpec{})->cert_pem),
            *fingerprint);
  EXPECT_EQ(certificate_fingerprint_sha256("no certificate here").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nightjar::tls
