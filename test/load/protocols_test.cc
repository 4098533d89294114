// The client's protocols against nightjar's own test server, in process on a free port:
// h2c, HTTPS with ALPN (and its fallback), mutual TLS accepted and refused, gRPC status
// counting and the health check, a server that sends GOAWAY mid-run and one that resets
// streams.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/duration.h"
#include "load/runner.h"
#include "server/test_server.h"
#include "support/load_fixtures.h"
#include "support/server_fixture.h"

namespace nightjar::load {
namespace {

using model::ErrorKind;

std::string read_tls_file(const std::string& name) {
  std::ifstream in(std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

using testing::start_server;

std::string base(const std::string& scheme, const server::TestServer& s) {
  return scheme + "://127.0.0.1:" + std::to_string(s.port());
}

int64_t tls_errors(const model::RunResult& r) { return r.counters.error_counts[static_cast<size_t>(ErrorKind::kTls)]; }

TEST(Protocols, H2cAgainstTheTestServer) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  auto r = run_load(testing::load_options(base("h2c", *server) + "/?size=100", 300));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 300);
  EXPECT_EQ(r->status_codes.at(200), 300);
  EXPECT_EQ(r->counters.connections_opened, 2);
  EXPECT_EQ(server->stats().http2_requests, 300);
}

TEST(Protocols, HttpsAgainstASelfSignedTestServerPicksH2) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("https", *server) + "/", 200);
  o.tls.ca_pem = server->tls_certificate_pem();  // trust exactly the generated certificate
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->protocol, "h2");
  EXPECT_EQ(r->counters.completed, 200);
  EXPECT_EQ(r->counters.tls_handshakes, 2);
  EXPECT_EQ(server->stats().http2_requests, 200);
}

TEST(Protocols, LargeResponsesOverTlsArriveWhole) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  for (const char* protocol : {"http/1.1", "h2"}) {
    // 300 KiB bodies: many TLS records per response, more than one read buffer.
    LoadOptions o = testing::load_options(base("https", *server) + "/?size=300k", 20);
    o.run.protocol = protocol;
    o.tls.ca_pem = server->tls_certificate_pem();
    auto r = run_load(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->counters.completed, 20) << protocol;
    EXPECT_EQ(r->counters.errors(), 0) << protocol;
    EXPECT_GE(r->counters.bytes_received, 20 * 300 * 1024) << protocol;
  }
}

TEST(Protocols, LargeRequestBodiesOverTlsAreSentWhole) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  for (const char* protocol : {"http/1.1", "h2"}) {
    // 2 MiB bodies: more than the socket takes at once, so the rest is written in the background.
    LoadOptions o = testing::load_options(base("https", *server) + "/", 10);
    o.run.protocol = protocol;
    o.request.method = "POST";
    o.request.body.assign(2 << 20, 'x');
    o.tls.ca_pem = server->tls_certificate_pem();
    auto r = run_load(o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->counters.completed, 10) << protocol;
    EXPECT_EQ(r->status_codes.at(200), 10) << protocol;
  }
}

TEST(Protocols, ThreadsShareOneTlsContext) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  so.threads = 2;
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("https", *server) + "/", 400);
  o.run.threads = 2;
  o.run.connections = 4;
  o.tls.ca_pem = server->tls_certificate_pem();
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 400);
  EXPECT_EQ(r->counters.tls_handshakes, 4);
  EXPECT_EQ(r->shards.size(), 2u);
}

TEST(Protocols, HttpsFallsBackToHttp1WhenTheServerRefusesH2) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  so.tls->alpn = {"http/1.1"};
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("https", *server) + "/", 100);
  o.tls.ca_pem = server->tls_certificate_pem();
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->protocol, "http/1.1");
  EXPECT_EQ(r->counters.completed, 100);
  EXPECT_EQ(server->stats().http2_requests, 0);
}

TEST(Protocols, MutualTlsIsAcceptedWithACertificateAndRefusedWithout) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  so.tls->cert_pem = read_tls_file("worker.pem");
  so.tls->key_pem = read_tls_file("worker.key");
  so.tls->client_ca_pem = read_tls_file("ca.pem");
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("https", *server) + "/", 20);
  o.run.protocol = "http/1.1";
  o.tls.ca_file = std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/ca.pem";
  o.tls.cert_file = std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/client.pem";
  o.tls.key_file = std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/client.key";
  auto accepted = run_load(o);
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  EXPECT_EQ(accepted->counters.completed, 20);

  o.tls.cert_file.clear();
  o.tls.key_file.clear();
  auto refused = run_load(o);
  ASSERT_TRUE(refused.ok()) << refused.status().message();
  EXPECT_EQ(refused->counters.completed, 0);
  EXPECT_EQ(refused->counters.errors(), 20);
  // Under TLS 1.3 the client finishes its handshake before the server checks the (missing)
  // certificate; the server's alert then reaches the first read, unless the server's close
  // overtakes it as a reset (its socket still held the request).
  EXPECT_GE(tls_errors(*refused), 1);
  EXPECT_EQ(tls_errors(*refused) + refused->counters.error_counts[static_cast<size_t>(ErrorKind::kReset)], 20);
  ASSERT_TRUE(refused->error_details.count("tls"));
  EXPECT_NE(refused->error_details.at("tls").find("certificate required"), std::string::npos)
      << refused->error_details.at("tls");
  EXPECT_GT(server->stats().tls_handshake_failures, 0);
}

TEST(Protocols, GrpcPingCountsOkStatuses) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("grpc", *server), 200);
  o.run.grpc_method = "/nightjar.test.v1.TestService/Ping";
  o.grpc_health = true;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 200);
  EXPECT_EQ(r->grpc_status_codes.at(0), 200);
  EXPECT_EQ(r->status_codes.at(200), 200);
  EXPECT_EQ(server->stats().grpc_requests, 201);  // the health check too
}

TEST(Protocols, GrpcStatusesAreCountedBesideHttpStatuses) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("grpc", *server), 100);
  o.run.grpc_method = "/nightjar.test.v1.TestService/Ping";
  o.request.headers.emplace_back("x-nightjar-control", "status=14");
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 100);
  EXPECT_EQ(r->counters.errors(), 0);  // a non-OK status is an answer, not a transport error
  EXPECT_EQ(r->grpc_status_codes.at(14), 100);
  EXPECT_EQ(r->grpc_status_codes.count(0), 0u);

  o.run.grpc_method = "/nightjar.test.v1.TestService/NoSuchMethod";
  o.request.headers.clear();
  auto unknown = run_load(o);
  ASSERT_TRUE(unknown.ok()) << unknown.status().message();
  EXPECT_EQ(unknown->grpc_status_codes.at(12), 100);  // UNIMPLEMENTED
}

TEST(Protocols, GrpcOverTls) {
  server::ServerOptions so;
  so.tls = tls::ServerTlsOptions{};
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  LoadOptions o = testing::load_options(base("grpcs", *server), 100);
  o.run.grpc_method = "/nightjar.test.v1.TestService/Ping";
  o.tls.ca_pem = server->tls_certificate_pem();
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->grpc_status_codes.at(0), 100);
  EXPECT_EQ(r->counters.tls_handshakes, 2);
}

TEST(Protocols, GrpcHealthCheckStopsTheRunWhenTheTargetIsDown) {
  LoadOptions o = testing::load_options("grpc://127.0.0.1:1", 10);
  o.run.grpc_method = "/nightjar.test.v1.TestService/Ping";
  o.grpc_health = true;
  auto r = run_load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--grpc-health: 127.0.0.1:1: connect_refused"), std::string::npos)
      << r.status().message();
}

TEST(Protocols, GoawayMidRunLosesNoRequest) {
  server::ServerOptions so;
  so.goaway_after_requests = 25;
  auto server = start_server(so);
  ASSERT_NE(server, nullptr);
  auto r = run_load(testing::load_options(base("h2c", *server) + "/", 400));
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string kinds;
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    if (r->counters.error_counts[static_cast<size_t>(k)] > 0) {
      kinds += std::string(model::error_kind_name(static_cast<ErrorKind>(k))) + " ";
    }
  }
  EXPECT_EQ(r->counters.completed, 400) << kinds << r->counters.sent << " sent " << r->counters.cancelled << " cancelled " << r->counters.dropped << " dropped " << r->counters.queued << " queued " << r->counters.warmup_completed;
  EXPECT_EQ(r->counters.errors(), 0);
  EXPECT_GE(r->counters.connections_opened, 400 / 25);
  EXPECT_GE(r->counters.http2_goaways, 400 / 25 - 1);  // every connection but the last ended with one
}

TEST(Protocols, StreamsTheServerResetsAreCountedAndTheConnectionGoesOn) {
  auto server = start_server();
  ASSERT_NE(server, nullptr);
  // Round robin: every other request is reset by the server.
  const std::string h2c = base("h2c", *server);
  auto r = run_load(testing::load_options({h2c + "/?reset=1", h2c + "/"}, 200));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 100);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(ErrorKind::kReset)], 100);
  EXPECT_EQ(r->counters.connections_opened, 2);  // a reset stream does not cost the connection
}

}  // namespace
}  // namespace nightjar::load
