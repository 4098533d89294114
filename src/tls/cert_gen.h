// Certificates made with OpenSSL: self-signed or CA-signed EC P-256 certificates for
// `nightjar serve --tls`, for tests that need a CA, an expired certificate or one for the
// wrong host, and the CA and certificates of `nightjar certs` (mutual TLS between a
// controller and its workers). Keys are unencrypted PEM: whoever stores them protects them
// (file modes, Kubernetes Secrets).
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace nightjar::tls {

struct KeyAndCert {
  std::string key_pem;   // PKCS#8 private key, unencrypted
  std::string cert_pem;  // X.509 certificate
};

struct CertSpec {
  std::string common_name = "nightjar test server";
  std::vector<std::string> hosts = {"127.0.0.1", "::1",
                                    "localhost"};  // SANs: IPs as IP, others as DNS
  int64_t not_before_s = -3600;                    // validity start, seconds from now
  int64_t not_after_s = 365 * 86400;  // validity end, seconds from now (negative: already expired)
  bool is_ca = false;                 // basicConstraints CA:TRUE, keyCertSign
};

// Makes a new EC P-256 key and a certificate for it (SHA-256 signature, random serial).
// Signs with `issuer` (a CA made by this function), or self-signed when issuer is null.
// A leaf has extendedKeyUsage serverAuth and clientAuth, so it serves either side.
// Errors: InvalidArgument when the issuer's PEM does not parse or a host is empty;
// Internal when OpenSSL fails (the message carries OpenSSL's reason).
Result<KeyAndCert> generate_certificate(const CertSpec& spec, const KeyAndCert* issuer = nullptr);

// What mutual TLS between a controller and its workers needs: a CA, a certificate for the
// workers (serverAuth; SANs: the hosts the controller dials, or the name it verifies) and one
// for the controller (clientAuth), both signed by the CA.
struct MutualTlsSet {
  KeyAndCert ca;
  KeyAndCert worker;
  KeyAndCert controller;
};

// Makes a new MutualTlsSet valid for `valid_days` from now (the CA as long). Errors:
// InvalidArgument for no hosts, a bad host or days outside 1..36500; Internal when OpenSSL
// fails.
Result<MutualTlsSet> generate_mutual_tls_set(const std::vector<std::string>& worker_hosts, int64_t valid_days);

// "AB:CD:..." SHA-256 of the DER certificate (the first one in `cert_pem`).
// Errors: InvalidArgument when `cert_pem` holds no PEM certificate.
Result<std::string> certificate_fingerprint_sha256(const std::string& cert_pem);

}  // namespace nightjar::tls
