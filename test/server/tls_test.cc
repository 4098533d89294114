// The test server over TLS: ALPN between h2 and http/1.1, client certificates, session
// resumption, given and generated certificates.
#include <gtest/gtest.h>

#include <string>

#include "server/test_server.h"
#include "support/h2_test_client.h"
#include "support/server_fixture.h"
#include "tls/cert_gen.h"

namespace nightjar::server {
namespace {

using testing::H2Client;
using testing::H2Response;
using testing::start_tls_server;
using testing::TestConnection;
using testing::TlsClientConfig;
using testing::trusting;

tls::KeyAndCert make_certificate(const tls::CertSpec& spec = {},
                                 const tls::KeyAndCert* issuer = nullptr) {
  Result<tls::KeyAndCert> made = tls::generate_certificate(spec, issuer);
  EXPECT_TRUE(made.ok()) << made.status().message();
  return made.ok() ? *made : tls::KeyAndCert{};
}

TEST(Tls, NegotiatesH2WithAlpnOnASelfSignedCertificate) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->tls_certificate_fingerprint().size(), 32u * 3 - 1);
  const TlsClientConfig config = trusting(*server, {"h2", "http/1.1"});
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();  // verified against the served certificate
  EXPECT_EQ(connection.alpn(), "h2");
  H2Client client(connection);
  const H2Response response = client.get("/?size=10&status=203");
  EXPECT_EQ(response.status, 203);
  EXPECT_EQ(response.body.size(), 10u);
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.tls_handshakes, 1);
  EXPECT_EQ(stats.tls_resumed_handshakes, 0);
  EXPECT_EQ(stats.http2_requests, 1);
}

TEST(Tls, ServesHttp11WhenTheClientOffersOnlyThatOrNoAlpn) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  for (const std::vector<std::string>& offer :
       {std::vector<std::string>{"http/1.1"}, std::vector<std::string>{}}) {
    const TlsClientConfig config = trusting(*server, offer);
    TestConnection connection(server->port(), &config);
    ASSERT_TRUE(connection.ok()) << connection.error();
    EXPECT_EQ(connection.alpn(), offer.empty() ? "" : "http/1.1");
    const std::string response = connection.http1_get("/?size=5");
    EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
    EXPECT_EQ(response.substr(response.size() - 5), "night");
  }
  EXPECT_EQ(server->stats().http2_requests, 0);
  EXPECT_EQ(server->stats().requests, 2);
}

TEST(Tls, WithoutAlpnTheHttp2PrefaceStillSelectsHttp2) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  const TlsClientConfig config = trusting(*server, {});
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  H2Client client(connection);
  EXPECT_EQ(client.get("/?size=3").body.size(), 3u);
  EXPECT_EQ(server->stats().http2_requests, 1);
}

TEST(Tls, AlpnListRestrictsTheProtocols) {
  tls::ServerTlsOptions http1_only;
  http1_only.alpn = {"http/1.1"};
  auto server = start_tls_server(http1_only);
  ASSERT_TRUE(server);
  // A client that can only do h2 is refused (no_application_protocol) ...
  const TlsClientConfig h2_only = trusting(*server, {"h2"});
  TestConnection refused(server->port(), &h2_only);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no application protocol"), std::string::npos) << refused.error();
  // ... one that also offers http/1.1 falls back to it.
  const TlsClientConfig both = trusting(*server, {"h2", "http/1.1"});
  TestConnection fallback(server->port(), &both);
  ASSERT_TRUE(fallback.ok()) << fallback.error();
  EXPECT_EQ(fallback.alpn(), "http/1.1");
  EXPECT_EQ(fallback.http1_get("/").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(server->stats().tls_handshake_failures, 1);
}

TEST(Tls, PrefersTheServersOrder) {
  tls::ServerTlsOptions prefer_http1;
  prefer_http1.alpn = {"http/1.1", "h2"};
  auto server = start_tls_server(prefer_http1);
  ASSERT_TRUE(server);
  const TlsClientConfig config = trusting(*server, {"h2", "http/1.1"});
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  EXPECT_EQ(connection.alpn(), "http/1.1");
}

TEST(Tls, RequiresAClientCertificateSignedByTheClientCa) {
  tls::CertSpec ca_spec;
  ca_spec.common_name = "nightjar test client CA";
  ca_spec.is_ca = true;
  ca_spec.hosts = {};
  const tls::KeyAndCert ca = make_certificate(ca_spec);
  tls::CertSpec client_spec;
  client_spec.common_name = "nightjar test client";
  client_spec.hosts = {};
  const tls::KeyAndCert client = make_certificate(client_spec, &ca);
  const tls::KeyAndCert stranger = make_certificate(client_spec);  // self-signed, not from the CA

  tls::ServerTlsOptions options;
  options.client_ca_pem = ca.cert_pem;
  auto server = start_tls_server(options);
  ASSERT_TRUE(server);

  TlsClientConfig with_cert = trusting(*server, {"h2"});
  with_cert.cert_pem = client.cert_pem;
  with_cert.key_pem = client.key_pem;
  TestConnection accepted(server->port(), &with_cert);
  ASSERT_TRUE(accepted.ok()) << accepted.error();
  H2Client h2(accepted);
  EXPECT_EQ(h2.get("/?size=1").status, 200);

  // TLS 1.3 clients finish their handshake before the server judges their certificate: the
  // refusal shows as the connection ending without an answer.
  TlsClientConfig without_cert = trusting(*server, {"http/1.1"});
  TestConnection refused(server->port(), &without_cert);
  if (refused.ok()) {
    EXPECT_EQ(refused.http1_get("/"), "");
  }
  TlsClientConfig wrong_cert = without_cert;
  wrong_cert.cert_pem = stranger.cert_pem;
  wrong_cert.key_pem = stranger.key_pem;
  TestConnection refused_too(server->port(), &wrong_cert);
  if (refused_too.ok()) {
    EXPECT_EQ(refused_too.http1_get("/"), "");
  }
  EXPECT_TRUE(refused.wait_for_close());  // the server counts a failure before it closes
  EXPECT_TRUE(refused_too.wait_for_close());

  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.tls_handshakes, 1);
  EXPECT_EQ(stats.tls_handshake_failures, 2);
  EXPECT_EQ(stats.requests, 1);
}

TEST(Tls, ResumesASessionAndCountsIt) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  TlsClientConfig config = trusting(*server, {"h2"});
  SSL_SESSION* session = nullptr;
  {
    TestConnection first(server->port(), &config);
    ASSERT_TRUE(first.ok()) << first.error();
    EXPECT_FALSE(first.resumed());
    H2Client client(first);
    EXPECT_EQ(client.get("/").status, 200);  // the session tickets have arrived by now
    session = first.session();
  }
  ASSERT_NE(session, nullptr);
  config.resume = session;
  TestConnection second(server->port(), &config);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second.resumed());
  H2Client client(second);
  EXPECT_EQ(client.get("/?size=2").body.size(), 2u);
  SSL_SESSION_free(session);
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.tls_handshakes, 2);
  EXPECT_EQ(stats.tls_resumed_handshakes, 1);
}

TEST(Tls, ServesLargeBodiesOnBothProtocols) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  const TlsClientConfig h2_config = trusting(*server, {"h2"});
  TestConnection h2_connection(server->port(), &h2_config);
  H2Client client(h2_connection);
  const int32_t first = client.submit("/?size=2m");
  const int32_t second = client.submit("/?size=300k");
  EXPECT_EQ(client.wait(first).body.size(), 2u * 1024 * 1024);
  EXPECT_EQ(client.wait(second).body.size(), 300u * 1024);

  const TlsClientConfig http1_config = trusting(*server, {"http/1.1"});
  TestConnection http1(server->port(), &http1_config);
  ASSERT_TRUE(
      http1.write_all("GET /?size=3m HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /?size=7&close=1 HTTP/1.1\r\nHost: t\r\n\r\n"));
  bool clean = false;
  const std::string all = http1.read_to_end(&clean);
  EXPECT_TRUE(clean);
  EXPECT_NE(all.find("Content-Length: 3145728\r\n"), std::string::npos);
  EXPECT_NE(all.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_EQ(all.size() - all.rfind("\r\n\r\n") - 4, 7u);
}

TEST(Tls, UsesAGivenCertificateChain) {
  tls::CertSpec ca_spec;
  ca_spec.is_ca = true;
  ca_spec.common_name = "nightjar test CA";
  const tls::KeyAndCert ca = make_certificate(ca_spec);
  const tls::KeyAndCert leaf = make_certificate({}, &ca);
  tls::ServerTlsOptions options;
  options.cert_pem = leaf.cert_pem;
  options.key_pem = leaf.key_pem;
  auto server = start_tls_server(options);
  ASSERT_TRUE(server);
  EXPECT_EQ(server->tls_certificate_fingerprint(),
            *tls::certificate_fingerprint_sha256(leaf.cert_pem));
  TlsClientConfig config;
  config.ca_pem = ca.cert_pem;  // trusts the CA only
  config.alpn = {"h2"};
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  H2Client client(connection);
  EXPECT_EQ(client.get("/").status, 200);
}

TEST(Tls, RejectsBadCertificatesKeysAndAlpnNamingThem) {
  const tls::KeyAndCert one = make_certificate();
  const tls::KeyAndCert other = make_certificate();
  struct Case {
    tls::ServerTlsOptions options;
    std::string says;
  };
  tls::ServerTlsOptions mismatched;
  mismatched.cert_pem = one.cert_pem;
  mismatched.key_pem = other.key_pem;
  mismatched.cert_name = "--tls-cert";
  mismatched.key_name = "--tls-key";
  tls::ServerTlsOptions garbage = mismatched;
  garbage.cert_pem = "not a certificate";
  tls::ServerTlsOptions no_key;
  no_key.cert_pem = one.cert_pem;
  tls::ServerTlsOptions bad_alpn;
  bad_alpn.alpn = {"h2", "h3"};
  tls::ServerTlsOptions bad_ca;
  bad_ca.client_ca_pem = "junk";
  for (const Case& c : {Case{mismatched, "--tls-key does not match --tls-cert"},
                        Case{garbage, "--tls-cert: no valid PEM certificate"},
                        Case{no_key, "the certificate and the private key go together"},
                        Case{bad_alpn, "unknown ALPN protocol 'h3'"},
                        Case{bad_ca, "the client CA: no valid PEM certificate"}}) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.tls = c.options;
    Result<std::unique_ptr<TestServer>> server = TestServer::start(options);
    ASSERT_FALSE(server.ok()) << c.says;
    EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(server.status().message().find(c.says), std::string::npos)
        << server.status().message();
  }
}

TEST(Tls, RefusesPlaintextOnTheTlsPort) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  TestConnection plain(server->port());
  EXPECT_EQ(plain.http1_get("/").find("HTTP/1.1 200"), std::string::npos);
  EXPECT_TRUE(plain.wait_for_close());
  EXPECT_EQ(server->stats().tls_handshake_failures, 1);
  EXPECT_EQ(server->stats().requests, 0);
}

TEST(Tls, StopClosesConnectionsInTheHandshake) {
  auto server = start_tls_server();
  ASSERT_TRUE(server);
  TestConnection silent(server->port());  // connected, never says hello
  const TlsClientConfig config = trusting(*server, {"h2"});
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok());
  server->stop();
  EXPECT_TRUE(silent.wait_for_close());
  EXPECT_TRUE(connection.wait_for_close());
}

}  // namespace
}  // namespace nightjar::server
