// HTTP/2 (h2c, prior knowledge) load against nginx, started by the test on a free port.
#include <gtest/gtest.h>

#include "common/duration.h"
#include "load/runner.h"
#include "support/load_fixtures.h"
#include "support/nginx.h"

namespace nightjar::load {
namespace {

using testing::Nginx;

// 10 streams in flight on each of 2 connections.
LoadOptions h2c_options(uint16_t port) {
  LoadOptions o = testing::load_options("h2c://127.0.0.1:" + std::to_string(port) + "/");
  o.run.max_concurrent_streams = 10;
  return o;
}

TEST(Http2Load, ClosedLoopMultiplexesStreamsOnFewConnections) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("http2");
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = h2c_options(nginx.port());
  o.run.requests = 500;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 500);
  EXPECT_EQ(r->counters.errors(), 0);
  EXPECT_EQ(r->status_codes.at(200), 500);
  EXPECT_EQ(r->counters.connections_opened, 2);  // twenty streams in flight on two connections
}

TEST(Http2Load, OpenLoopTimesEveryStream) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  Nginx nginx("http2");
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = h2c_options(nginx.port());
  o.run.requested_rps = 1000;
  o.run.requests = 200;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 200);
  EXPECT_EQ(r->latency.total_count(), 200);
  EXPECT_GE(r->latency.max(), r->service_time.max());
}

TEST(Http2Load, RequestBodiesWaitForTheServersFlowControlWindowAndAreCounted) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  // nginx opens a 64 KiB window for a request body and widens it as it reads: a 1 MiB body
  // has to wait for WINDOW_UPDATEs.
  Nginx nginx("http2");
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = h2c_options(nginx.port());
  o.run.requests = 20;
  o.request.method = "POST";
  o.request.body.assign(1 << 20, 'x');
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 20);
  EXPECT_EQ(r->counters.errors(), 0);
  EXPECT_GT(r->counters.http2_flow_control_stalls, 0);
  EXPECT_LE(r->counters.http2_flow_control_stalls, 20);  // at most once per request
}

TEST(Http2Load, GoawayMidRunMovesToANewConnectionWithoutErrors) {
  if (!Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  // nginx ends each connection with GOAWAY after 50 requests.
  Nginx nginx("http2", "  keepalive_requests 50;");
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  LoadOptions o = h2c_options(nginx.port());
  o.run.requests = 400;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed + r->counters.errors(), 400);
  EXPECT_EQ(r->counters.completed, 400) << "reset: " << r->counters.error_counts[static_cast<size_t>(model::ErrorKind::kReset)];
  EXPECT_GE(r->counters.connections_opened, 8);
}

TEST(Http2Load, ARefusedPortIsCountedPerRequest) {
  const testing::RefusingPort refusing;
  LoadOptions o = h2c_options(refusing.port());
  o.run.requested_rps = 1000;
  o.run.requests = 20;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->counters.completed, 0);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(model::ErrorKind::kConnectRefused)], 20);
}

}  // namespace
}  // namespace nightjar::load
