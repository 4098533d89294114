// Load over TLS against nginx (started by the test on a free port, with the test CA's
// certificates from test/data/tls): ALPN choosing h2 or falling back to HTTP/1.1,
// verification failures named by reason, --insecure, --sni, client certificates and
// session resumption.
#include <gtest/gtest.h>

#include "common/duration.h"
#include "load/runner.h"
#include "support/load_fixtures.h"
#include "support/nginx.h"

namespace nightjar::load {
namespace {

using testing::Nginx;

std::string tls_file(const std::string& name) { return std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/" + name; }

// nginx serving TLS with `cert` (a name in test/data/tls) plus `extra` http-level lines.
std::string tls_config(const std::string& cert, const std::string& extra = "") {
  return "  ssl_certificate " + tls_file(cert + ".pem") + ";\n  ssl_certificate_key " + tls_file(cert + ".key") +
         ";\n" + extra;
}

// Trusting the test CA; `protocol` as resolve_protocol gives it ("auto", "http/1.1", "h2").
LoadOptions https_options(uint16_t port, int64_t requests, const std::string& protocol = "auto") {
  LoadOptions o = testing::load_options("https://127.0.0.1:" + std::to_string(port) + "/", requests);
  o.run.protocol = protocol;
  o.run.max_concurrent_streams = protocol == "http/1.1" ? 1 : 10;
  o.tls.ca_file = tls_file("ca.pem");
  return o;
}

TEST(TlsLoad, AlpnPicksHttp2WhenTheServerOffersIt) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl http2", tls_config("worker"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  auto r = run_load(https_options(nginx.port(), 300));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->options.protocol, "auto") << "the result echoes what was asked";
  EXPECT_EQ(r->protocol, "h2") << "and says what ALPN chose";
  EXPECT_TRUE(r->tls_version.starts_with("TLSv1.")) << r->tls_version;
  EXPECT_EQ(r->target_addresses, std::vector<std::string>{"127.0.0.1:" + std::to_string(nginx.port())});
  EXPECT_EQ(r->counters.completed, 300);
  EXPECT_EQ(r->counters.errors(), 0);
  EXPECT_EQ(r->status_codes.at(200), 300);
  EXPECT_EQ(r->counters.connections_opened, 2);
  EXPECT_EQ(r->counters.tls_handshakes, 2);
}

TEST(TlsLoad, AlpnFallsBackToHttp1WhenTheServerHasNoHttp2) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl", tls_config("worker"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  auto r = run_load(https_options(nginx.port(), 200));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->protocol, "http/1.1");
  EXPECT_EQ(r->counters.completed, 200);
  EXPECT_EQ(r->counters.errors(), 0);
}

TEST(TlsLoad, ProtocolHttp1IsForcedEvenWhenTheServerOffersHttp2) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl http2", tls_config("worker"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  auto r = run_load(https_options(nginx.port(), 100, "http/1.1"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->options.protocol, "http/1.1");
  EXPECT_EQ(r->protocol, "http/1.1");
  EXPECT_EQ(r->counters.completed, 100);
}

TEST(TlsLoad, ForcingH2AgainstAServerWithoutItNamesTheReason) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl", tls_config("worker"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  auto r = run_load(https_options(nginx.port(), 10, "h2"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 0);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(model::ErrorKind::kTls)], 10);
  ASSERT_TRUE(r->error_details.count("tls"));
  // nginx refuses the handshake (no_application_protocol); a server that completes it
  // without ALPN gets "does not speak HTTP/2 over TLS".
  EXPECT_NE(r->error_details.at("tls").find("ALPN"), std::string::npos)
      << r->error_details.at("tls");
}

TEST(TlsLoad, SessionsAreResumedOnReconnect) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  // nginx closes each connection after 10 requests: 100 requests need about 10 handshakes.
  Nginx nginx("ssl", tls_config("worker", "  keepalive_requests 10;\n"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = https_options(nginx.port(), 100, "http/1.1");
  o.run.connections = 1;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 100);
  EXPECT_GE(r->counters.tls_handshakes, 9);
  // Every handshake after the first can resume the previous connection's session.
  EXPECT_GE(r->counters.tls_resumed, r->counters.tls_handshakes - 2) << r->counters.tls_handshakes << " handshakes";
}

struct VerificationCase {
  const char* cert;
  const char* ca;      // "" for the system store
  const char* sni;
  const char* reason;  // expected in error_details["tls"]
};

class TlsVerification : public ::testing::TestWithParam<VerificationCase> {};

TEST_P(TlsVerification, FailureIsCountedAndNamesItsReason) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  const VerificationCase& c = GetParam();
  Nginx nginx("ssl", tls_config(c.cert));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = https_options(nginx.port(), 20, "http/1.1");
  o.tls.ca_file = *c.ca == 0 ? "" : tls_file(c.ca);
  o.tls.sni = c.sni;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 0);
  EXPECT_EQ(r->counters.errors(), 20);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(model::ErrorKind::kTls)], 20);
  ASSERT_TRUE(r->error_details.count("tls"));
  EXPECT_NE(r->error_details.at("tls").find(c.reason), std::string::npos) << r->error_details.at("tls");
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, TlsVerification,
    ::testing::Values(VerificationCase{"expired", "ca.pem", "", "certificate has expired"},
                      VerificationCase{"other-host", "ca.pem", "", "wrong host"},
                      VerificationCase{"worker", "ca.pem", "other.example", "not valid for 'other.example'"},
                      VerificationCase{"worker", "", "", "unknown issuer"}));

TEST(TlsLoad, SniNamesTheHostToVerify) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl", tls_config("other-host"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = https_options(nginx.port(), 20, "http/1.1");
  o.tls.sni = "other.example";  // the certificate's only name, while the URL says 127.0.0.1
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 20);
}

TEST(TlsLoad, InsecureSkipsVerification) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl", tls_config("expired"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = https_options(nginx.port(), 20, "http/1.1");
  o.tls.ca_file.clear();
  o.tls.insecure = true;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 20);
  EXPECT_TRUE(r->options.tls_insecure);
}

TEST(TlsLoad, ClientCertificateIsPresentedForMutualTls) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("ssl", tls_config("worker", "  ssl_client_certificate " + tls_file("ca.pem") +
                                              ";\n  ssl_verify_client on;\n"));
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = https_options(nginx.port(), 20, "http/1.1");
  o.tls.cert_file = tls_file("client.pem");
  o.tls.key_file = tls_file("client.key");
  auto accepted = run_load(o);
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  EXPECT_EQ(accepted->status_codes.at(200), 20);
  // Without one nginx answers every request 400 ("No required SSL certificate was sent").
  o.tls.cert_file.clear();
  o.tls.key_file.clear();
  auto refused = run_load(o);
  ASSERT_TRUE(refused.ok()) << refused.status().message();
  EXPECT_EQ(refused->status_codes.at(400), 20);
  EXPECT_EQ(refused->status_codes.count(200), 0u);
}

TEST(TlsLoad, ABadCaFileIsAnErrorBeforeTheRun) {
  LoadOptions o = https_options(1, 1);
  o.tls.ca_file = "/nonexistent/ca.pem";
  auto r = run_load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--ca-file: cannot read '/nonexistent/ca.pem'"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace nightjar::load
