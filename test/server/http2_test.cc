// The test server over HTTP/2 with prior knowledge (h2c), on the same port as HTTP/1.1.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/test_server.h"
#include "support/h2_test_client.h"
#include "support/server_fixture.h"

namespace nightjar::server {
namespace {

using Clock = std::chrono::steady_clock;
using testing::H2Client;
using testing::H2Response;
using testing::ServedH2Client;
using testing::start_server;
using testing::TestConnection;

constexpr uint32_t kRefusedStream = 7;  // RST_STREAM / GOAWAY error codes (RFC 9113 section 7)
constexpr uint32_t kInternalError = 2;

TEST(Http2, AnswersWithTheControlsOfTheQuery) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response response = h2.client.get("/any?status=201&size=100&header=X-Foo:bar%20baz");
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.error_code, 0u);
  EXPECT_EQ(response.body.size(), 100u);
  EXPECT_EQ(response.header("content-length"), "100");
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.header("x-foo"), "bar baz");
  EXPECT_EQ(response.header("x-nightjar-arrival-gap-ns"), "0");  // the server's first request
  EXPECT_EQ(h2.client.remote_setting(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), 1000u);
  const ServerStats stats = h2.server->stats();
  EXPECT_EQ(stats.requests, 1);
  EXPECT_EQ(stats.http2_requests, 1);
  EXPECT_EQ(stats.grpc_requests, 0);
}

TEST(Http2, ControlHeaderWinsOverTheQuery) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response response =
      h2.client.get("/?size=5&status=500",
                    {{"x-nightjar-control", "size=7&header=Content-Type:application/json"}});
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.size(), 7u);
  EXPECT_EQ(response.header("content-type"), "application/json");
}

TEST(Http2, SharesThePortWithHttp11) {
  auto server = start_server();
  ASSERT_TRUE(server);
  TestConnection http1(server->port());
  TestConnection http2(server->port());
  H2Client client(http2);
  EXPECT_EQ(client.get("/?size=3").body, "nig");
  const std::string response = http1.http1_get("/?size=4");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_EQ(response.substr(response.size() - 4), "nigh");
  EXPECT_EQ(client.get("/?status=202").status, 202);  // the HTTP/2 connection goes on
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, 2);
  EXPECT_EQ(stats.requests, 3);
  EXPECT_EQ(stats.http2_requests, 2);
}

TEST(Http2, MalformedControlsGet400NamingTheControl) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  for (const char* bad : {"size=abc", "status=600", "delay=soon", "goaway=maybe", "reset=2"}) {
    const H2Response response = h2.client.get(std::string("/?") + bad);
    EXPECT_EQ(response.status, 400) << bad;
    EXPECT_NE(response.body.find(std::string("'") + bad + "'"), std::string::npos) << response.body;
  }
  // A final 1xx does not exist in HTTP/2.
  const H2Response informational = h2.client.get("/?status=101");
  EXPECT_EQ(informational.status, 400);
  EXPECT_NE(informational.body.find("status=101"), std::string::npos) << informational.body;
  EXPECT_EQ(h2.client.get("/?size=2").body.size(), 2u);
  EXPECT_EQ(h2.server->stats().bad_requests, 6);
}

TEST(Http2, AnswersHeadAndBodilessStatusesWithoutABody) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response head = h2.client.wait(h2.client.submit("/?size=100", {}, "HEAD"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "100");
  EXPECT_EQ(head.body, "");
  const H2Response no_content = h2.client.get("/?status=204&size=10");
  EXPECT_EQ(no_content.status, 204);
  EXPECT_EQ(no_content.header("content-length"), "");
  EXPECT_EQ(no_content.body, "");
}

TEST(Http2, DiscardsRequestBodies) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response response =
      h2.client.wait(h2.client.submit("/?size=3", {}, "POST", std::string(300000, 'b')));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 3u);
}

TEST(Http2, SendsLargeBodiesWithinTheClientsFlowControlWindow) {
  // nghttp2's default 64 KiB windows: the server must wait for updates
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const int32_t first = h2.client.submit("/?size=3m");
  const int32_t second = h2.client.submit("/?size=1m&status=201");
  const H2Response a = h2.client.wait(first);
  const H2Response b = h2.client.wait(second);
  EXPECT_EQ(a.body.size(), 3u * 1024 * 1024);
  EXPECT_EQ(b.body.size(), 1024u * 1024);
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(a.body.find('\0'), std::string::npos);
}

TEST(Http2, ADelayedStreamDoesNotHoldUpTheOthers) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const int32_t slow = h2.client.submit("/?delay=10m");
  const int32_t fast = h2.client.submit("/?size=1");
  EXPECT_EQ(h2.client.wait(fast).body.size(), 1u);
  EXPECT_FALSE(h2.client.peek(slow).closed);
  EXPECT_EQ(h2.server->stats().requests, 1);
}

TEST(Http2, DelayControlWaitsAtLeastTheDelay) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const auto start = Clock::now();
  const int32_t later = h2.client.submit("/?delay=150ms&size=1");
  const int32_t sooner = h2.client.submit("/", {{"x-nightjar-control", "delay=50ms"}});
  EXPECT_EQ(h2.client.wait(sooner).status, 200);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(h2.client.wait(later).body.size(), 1u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150));
}

TEST(Http2, StallHoldsStreams) {
  ServedH2Client h2({.stall_after_ns = 0, .stall_for_ns = 200'000'000});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const auto start = Clock::now();
  EXPECT_EQ(h2.client.get("/").status, 200);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(200));
}

TEST(Http2, ResetControlAnswersWithRstStream) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response reset = h2.client.get("/?reset=1&size=10");
  EXPECT_TRUE(reset.closed);
  EXPECT_EQ(reset.error_code, kInternalError);
  EXPECT_EQ(reset.status, 0);                         // no response at all
  EXPECT_EQ(h2.client.get("/?size=1").body.size(), 1u);  // the h2.connection goes on
  EXPECT_EQ(h2.server->stats().requests, 2);
}

TEST(Http2, GoawayControlSendsGoawayAfterTheResponseThenCloses) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  EXPECT_EQ(h2.client.get("/?size=1").status, 200);
  const int32_t last = h2.client.submit("/?goaway=1&size=5");
  const H2Response response = h2.client.wait(last);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 5u);
  EXPECT_TRUE(h2.client.wait_closed());
  EXPECT_TRUE(h2.client.goaway_received());
  EXPECT_EQ(h2.client.goaway_last_stream_id(), last);
  EXPECT_EQ(h2.client.goaway_error_code(), 0u);  // NO_ERROR
}

TEST(Http2, GoawayWaitsForEarlierStreamsAndRefusesLaterOnes) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const int32_t earlier = h2.client.submit("/?delay=100ms&size=1");
  const int32_t going = h2.client.submit("/?goaway=1");
  const int32_t later = h2.client.submit("/?size=3");
  EXPECT_EQ(h2.client.wait(going).status, 200);
  EXPECT_EQ(h2.client.wait(later).error_code, kRefusedStream);  // never processed: safe to retry
  EXPECT_EQ(h2.client.wait(earlier).body.size(), 1u);
  EXPECT_TRUE(h2.client.wait_closed());
  EXPECT_EQ(h2.client.goaway_last_stream_id(), going);
}

TEST(Http2, GoawayAfterNRequestsPerConnection) {
  ServedH2Client h2({.goaway_after_requests = 3});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  std::vector<int32_t> streams;
  for (int i = 0; i < 5; ++i) streams.push_back(h2.client.submit("/?size=1"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h2.client.wait(streams[i]).status, 200) << i;
  for (int i = 3; i < 5; ++i) EXPECT_EQ(h2.client.wait(streams[i]).error_code, kRefusedStream) << i;
  EXPECT_TRUE(h2.client.wait_closed());
  EXPECT_EQ(h2.client.goaway_last_stream_id(), streams[2]);
  EXPECT_EQ(h2.server->stats().http2_requests, 3);

  // Every h2.connection gets its own count.
  TestConnection next(h2.server->port());
  H2Client again(next);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(again.get("/").status, 200);
  EXPECT_TRUE(again.wait_closed());
  EXPECT_TRUE(again.goaway_received());
}

TEST(Http2, ReportsTheArrivalGapAcrossProtocols) {
  auto server = start_server();
  ASSERT_TRUE(server);
  TestConnection http1(server->port());
  TestConnection http2(server->port());
  H2Client client(http2);
  EXPECT_NE(http1.http1_get("/").find("X-Nightjar-Arrival-Gap-Ns: 0\r\n"), std::string::npos);
  const auto before = Clock::now();
  const H2Response second = client.get("/");
  const auto after = Clock::now();
  const int64_t gap = std::stoll(second.header("x-nightjar-arrival-gap-ns"));
  EXPECT_GT(gap, 0);
  EXPECT_LE(gap, std::chrono::nanoseconds(after - before).count() + 1'000'000'000);
}

TEST(Http2, ManyConcurrentStreamsOnSeveralThreads) {
  auto server = start_server({.threads = 2});
  ASSERT_TRUE(server);
  TestConnection first(server->port());
  TestConnection second(server->port());
  H2Client a(first);
  H2Client b(second);
  std::vector<int32_t> streams_a;
  std::vector<int32_t> streams_b;
  for (int i = 0; i < 200; ++i) {
    streams_a.push_back(a.submit("/?size=" + std::to_string(i)));
    streams_b.push_back(b.submit("/?size=" + std::to_string(i)));
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(a.wait(streams_a[i]).body.size(), static_cast<size_t>(i));
    EXPECT_EQ(b.wait(streams_b[i]).body.size(), static_cast<size_t>(i));
  }
  EXPECT_EQ(server->stats().http2_requests, 400);
}

TEST(Http2, AcceptsThePrefaceInPieces) {
  auto server = start_server();
  ASSERT_TRUE(server);
  TestConnection connection(server->port());
  connection.split_next_write(5);  // "PRI *", then the rest
  H2Client client(connection);
  EXPECT_EQ(client.get("/?size=4").body.size(), 4u);
  // A request that merely starts like the preface is HTTP/1.1.
  TestConnection http1(server->port());
  http1.split_next_write(4);  // "PRI ", then "/ HTTP/1.1..."
  const std::string response = http1.http1_exchange("PRI /?size=1 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK", 0), 0u) << response;
}

TEST(Http2, GarbageAfterThePrefaceEndsOnlyThatConnection) {
  auto server = start_server();
  ASSERT_TRUE(server);
  TestConnection garbage(server->port());
  ASSERT_TRUE(
      garbage.write_all(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string(64, '\xff')));
  garbage.read_to_end();  // a GOAWAY, then the close; it must end
  TestConnection connection(server->port());
  H2Client client(connection);
  EXPECT_EQ(client.get("/?size=2").body.size(), 2u);
}

TEST(Http2, StopClosesHttp2Connections) {
  ServedH2Client h2;
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const int32_t waiting = h2.client.submit("/?delay=10m");  // must not hold stop() up
  EXPECT_EQ(h2.client.get("/").status, 200);
  h2.server->stop();
  h2.client.wait_closed();
  EXPECT_EQ(h2.client.peek(waiting).status, 0);  // never answered
  EXPECT_FALSE(h2.client.pump());
}

}  // namespace
}  // namespace nightjar::server
