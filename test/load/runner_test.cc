// End-to-end runs of the load engine against the in-process test server and against
// servers that misbehave on purpose. No assertion depends on the machine's speed: counts
// are exact, and latencies are only compared with delays the server was told to add.
#include "load/runner.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/duration.h"
#include "server/test_server.h"
#include "support/load_fixtures.h"
#include "support/scripted_server.h"
#include "support/server_fixture.h"

namespace nightjar::load {
namespace {

using model::ErrorKind;
using testing::load_options;
using testing::ScriptedServer;

class RunnerTest : public testing::ServedTest {
 protected:
  std::string url(const std::string& path_and_query = "/") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path_and_query;
  }

  static model::RunResult run(const LoadOptions& o) {
    auto result = run_load(o);
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? std::move(*result) : model::RunResult{};
  }
};

TEST_F(RunnerTest, OpenLoopCountBoundRunCompletesEveryRequest) {
  LoadOptions o = load_options({url("/?status=201")});
  o.run.requested_rps = 2000;
  o.run.requests = 300;
  const model::RunResult r = run(o);
  EXPECT_TRUE(r.open_loop);
  EXPECT_EQ(r.counters.sent, 300);
  EXPECT_EQ(r.counters.completed, 300);
  EXPECT_EQ(r.counters.errors(), 0);
  EXPECT_EQ(r.status_codes.at(201), 300);
  EXPECT_EQ(r.latency.total_count(), 300);
  EXPECT_EQ(r.service_time.total_count(), 300);
  EXPECT_EQ(r.schedule_lag.total_count(), 300);
  // Latency counts from the intended start, so it is never shorter than the service time.
  EXPECT_GE(r.latency.max(), r.service_time.max());
  EXPECT_EQ(server_->stats().requests, 300);
}

TEST_F(RunnerTest, ClosedLoopSendsExactlyTheRequestedCount) {
  LoadOptions o = load_options({url()});
  o.run.requests = 1000;
  o.run.connections = 4;
  o.run.threads = 2;
  const model::RunResult r = run(o);
  EXPECT_FALSE(r.open_loop);
  EXPECT_EQ(r.counters.completed, 1000);
  EXPECT_EQ(r.status_codes.at(200), 1000);
  EXPECT_EQ(r.options.threads, 2);
  EXPECT_EQ(server_->stats().requests, 1000);
}

TEST_F(RunnerTest, ThreadsSplitTheOpenLoopPlanExactly) {
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 3000;
  o.run.requests = 999;
  o.run.connections = 6;
  o.run.threads = 3;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.counters.completed, 999);
  EXPECT_EQ(r.counters.sent, 999);
}

TEST_F(RunnerTest, ShardsOfOnePlanTogetherSendItExactlyOnce) {
  // Worker k of N takes arrivals k, k+N, ...: three shards of 300 requests send 100 each.
  int64_t total = 0;
  for (uint64_t shard = 0; shard < 3; ++shard) {
    LoadOptions o = load_options({url()});
    o.run.requested_rps = 3000;
    o.run.requests = 300;
    o.run.threads = 2;
    o.shard_index = shard;
    o.shard_count = 3;
    const model::RunResult r = run(o);
    EXPECT_EQ(r.counters.completed, 100) << "shard " << shard;
    total += r.counters.completed;
  }
  EXPECT_EQ(total, 300);
  EXPECT_EQ(server_->stats().requests, 300);
}

TEST_F(RunnerTest, ClosedLoopShardsSplitTheRequestCount) {
  LoadOptions o = load_options({url()});
  o.run.requests = 10;
  o.shard_index = 2;
  o.shard_count = 3;
  EXPECT_EQ(run(o).counters.completed, 3);  // 10 = 4 + 3 + 3
}

TEST_F(RunnerTest, AStartTimeInTheFutureIsWaitedFor) {
  LoadOptions o = load_options({url()});
  o.run.requests = 5;
  RunControl control;
  control.start_at_unix_ns = unix_now_ns() + 300 * kNanosPerMilli;
  auto r = run_load(o, control);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->counters.completed, 5);
  // No tolerance: the run reads the wall clock against the steady one once.
  EXPECT_GE(r->start_unix_ns, control.start_at_unix_ns);
}

TEST_F(RunnerTest, IntervalsAreReportedAsSecondsComplete) {
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 200;
  o.run.duration_ns = 1500 * kNanosPerMilli;
  RunControl control;
  std::vector<int64_t> seconds;
  int64_t completed = 0;
  control.on_interval = [&](const model::TimelineEntry& e) {
    seconds.push_back(e.second);
    completed += e.counters.completed;
  };
  auto r = run_load(o, control);
  ASSERT_TRUE(r.ok());
  // Seconds arrive in order, as a prefix of the result's timeline, and the timeline accounts
  // for every completion (exact counts: nothing here depends on the machine's speed).
  ASSERT_GE(seconds.size(), 1u);
  ASSERT_LE(seconds.size(), r->timeline.size());
  for (size_t i = 0; i < seconds.size(); ++i) EXPECT_EQ(seconds[i], static_cast<int64_t>(i));
  int64_t timeline_completed = 0;
  int64_t prefix_completed = 0;
  for (size_t i = 0; i < r->timeline.size(); ++i) {
    timeline_completed += r->timeline[i].counters.completed;
    if (i < seconds.size()) prefix_completed += r->timeline[i].counters.completed;
  }
  EXPECT_EQ(timeline_completed, r->counters.completed);
  EXPECT_EQ(completed, prefix_completed);
}

TEST_F(RunnerTest, LatencyIncludesTheServersDelay) {
  LoadOptions o = load_options({url("/?delay=50ms")});
  o.run.requested_rps = 100;
  o.run.requests = 10;
  o.run.connections = 10;
  const model::RunResult r = run(o);
  ASSERT_EQ(r.counters.completed, 10);
  EXPECT_GE(r.latency.min(), 50 * kNanosPerMilli * 999 / 1000);
  EXPECT_GE(r.service_time.min(), 50 * kNanosPerMilli * 999 / 1000);
}

TEST_F(RunnerTest, QueueingBehindABusyConnectionCountsFromTheIntendedStart) {
  // One connection, each response takes 30 ms, arrivals every 5 ms: requests queue, and
  // their latency (from the intended start) grows beyond their service time.
  LoadOptions o = load_options({url("/?delay=30ms")});
  o.run.requested_rps = 200;
  o.run.requests = 10;
  o.run.connections = 1;
  const model::RunResult r = run(o);
  ASSERT_EQ(r.counters.completed, 10);
  EXPECT_GT(r.counters.queued, 0);
  // The tenth request was intended at 45 ms and cannot finish before 10 x 30 ms.
  EXPECT_GE(r.latency.max(), (300 - 45) * kNanosPerMilli * 999 / 1000);
  EXPECT_LT(r.service_time.max(), r.latency.max());
  EXPECT_GE(r.schedule_lag.max(), 200 * kNanosPerMilli);
}

TEST_F(RunnerTest, ArrivalsBeyondMaxPendingAreDroppedAndCounted) {
  LoadOptions o = load_options({url("/?delay=200ms")});
  o.run.requested_rps = 1000;
  o.run.requests = 50;
  o.run.connections = 1;
  o.run.max_pending = 5;
  const model::RunResult r = run(o);
  // At most the one in flight plus five queued can be served while the first waits 200 ms.
  EXPECT_GT(r.counters.dropped, 0);
  EXPECT_EQ(r.counters.completed + r.counters.dropped, 50);
}

TEST_F(RunnerTest, RoundRobinsOverSeveralUrls) {
  LoadOptions o = load_options({url("/?status=200"), url("/?status=202")});
  o.run.requested_rps = 1000;
  o.run.requests = 100;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.status_codes.at(200), 50);
  EXPECT_EQ(r.status_codes.at(202), 50);
}

TEST_F(RunnerTest, ReconnectsWhenTheServerClosesEveryConnection) {
  LoadOptions o = load_options({url("/?close=1")});
  o.run.requests = 50;
  o.run.connections = 2;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.counters.completed, 50);
  EXPECT_EQ(r.counters.errors(), 0);
  EXPECT_GE(r.counters.connections_opened, 50);
}

TEST_F(RunnerTest, WarmupIsExcludedFromStatistics) {
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 1000;
  o.run.warmup_ns = 100 * kNanosPerMilli;
  o.run.requests = 50;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.counters.completed, 50);
  EXPECT_EQ(r.counters.warmup_completed, 100);
  EXPECT_EQ(r.latency.total_count(), 50);
  EXPECT_EQ(server_->stats().requests, 150);
}

TEST_F(RunnerTest, DurationBoundOpenLoopSendsThePlannedArrivals) {
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 200;
  o.run.duration_ns = 500 * kNanosPerMilli;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.counters.sent, 100);  // arrivals at 0, 5 ms, ... 495 ms
  EXPECT_EQ(r.counters.completed, 100);
  EXPECT_DOUBLE_EQ(r.achieved_rps(), 200.0 * 500'000'000 / static_cast<double>(r.measured_ns));
  ASSERT_FALSE(r.timeline.empty());
  int64_t timeline_total = 0;
  for (const auto& e : r.timeline) timeline_total += e.counters.completed;
  EXPECT_EQ(timeline_total, 100);
}

TEST_F(RunnerTest, TimeoutsAreCountedAndTheRunEnds) {
  LoadOptions o = load_options({url("/?delay=3s")});
  o.run.requested_rps = 100;
  o.run.requests = 3;
  o.run.connections = 3;
  o.run.timeout_ns = 100 * kNanosPerMilli;
  const model::RunResult r = run(o);
  EXPECT_EQ(r.counters.completed, 0);
  EXPECT_EQ(r.counters.error_counts[static_cast<size_t>(ErrorKind::kTimeout)], 3);
  EXPECT_EQ(r.counters.errors(), 3);
}

TEST_F(RunnerTest, StopFlagEndsTheRunAndKeepsWhatWasMeasured) {
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 500;
  o.run.duration_ns = 3600 * kNanosPerSecond;
  std::atomic<bool> stop{false};
  RunControl control;
  control.stop = &stop;
  int64_t seen = 0;
  control.on_progress = [&](const Progress& p) {
    seen = p.completed;
    if (p.completed >= 5) stop.store(true);  // stop once a full second was measured
  };
  auto r = run_load(o, control);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->interrupted);
  EXPECT_GE(r->counters.completed, 5);
  EXPECT_GE(r->counters.completed, seen);
}

TEST_F(RunnerTest, ACallbackThatThrowsEndsTheRunWithAnErrorNotATerminate) {
  // The exception leaves run_load as a Status; the worker threads are stopped and joined
  // on the way out (a joinable std::thread left behind would terminate the process).
  LoadOptions o = load_options({url()});
  o.run.requested_rps = 200;
  o.run.duration_ns = 5 * kNanosPerSecond;
  o.run.threads = 2;
  RunControl control;
  control.on_interval = [](const model::TimelineEntry&) { throw std::runtime_error("callback failed"); };
  auto r = run_load(o, control);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("callback failed"), std::string::npos) << r.status().message();
}

TEST(RunnerErrors, RefusedConnectionsAreCountedPerRequest) {
  const testing::RefusingPort refusing;
  LoadOptions o = load_options(refusing.url(), 20);
  o.run.requested_rps = 1000;
  o.run.timeout_ns = kNanosPerSecond;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 0);
  EXPECT_EQ(r->counters.errors(), 20);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(ErrorKind::kConnectRefused)], 20);
}

TEST(RunnerErrors, BytesAfterAResponseCloseTheConnectionAndTheRunGoesOn) {
  // The response is counted; the junk behind it ends that connection (a new one carries the
  // next request), and the run ends instead of waiting on the old socket.
  ScriptedServer server(ScriptedServer::Behaviour::kAnswerThenJunk);
  LoadOptions o = load_options(server.url(), 5);
  o.run.connections = 1;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 5);
  EXPECT_EQ(r->status_codes.at(200), 5);
  EXPECT_GE(r->counters.connections_opened, 5);
  EXPECT_LT(r->counters.bytes_received, 5 * 100);  // the junk is not counted as response bytes
  server.stop();
}

TEST(RunnerErrors, AClosedLoopCountAgainstADeadTargetFailsFast) {
  const testing::RefusingPort refusing;
  LoadOptions o = load_options(refusing.url(), 50);
  o.run.timeout_ns = kNanosPerSecond;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->counters.errors(), 50);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(ErrorKind::kConnectRefused)], 50);
}

struct FaultCase {
  ScriptedServer::Behaviour behaviour;
  ErrorKind expected;
};

class RunnerFaults : public ::testing::TestWithParam<FaultCase> {};

TEST_P(RunnerFaults, EachFaultIsCountedByKindWithoutStoppingTheRun) {
  ScriptedServer server(GetParam().behaviour);
  LoadOptions o = load_options(server.url(), 10);
  o.run.requested_rps = 1000;
  o.run.timeout_ns = 300 * kNanosPerMilli;
  auto r = run_load(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 0);
  EXPECT_EQ(r->counters.errors(), 10);
  EXPECT_EQ(r->counters.error_counts[static_cast<size_t>(GetParam().expected)], 10)
      << "got " << r->counters.error_counts[static_cast<size_t>(ErrorKind::kBadResponse)] << " bad, "
      << r->counters.error_counts[static_cast<size_t>(ErrorKind::kClosedMidResponse)] << " closed, "
      << r->counters.error_counts[static_cast<size_t>(ErrorKind::kReset)] << " reset, "
      << r->counters.error_counts[static_cast<size_t>(ErrorKind::kTimeout)] << " timeout, " << r->counters.dropped
      << " dropped, " << r->counters.cancelled << " cancelled, " << r->counters.sent << " sent";
  server.stop();
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RunnerFaults,
    ::testing::Values(FaultCase{ScriptedServer::Behaviour::kGarbage, ErrorKind::kBadResponse},
                      FaultCase{ScriptedServer::Behaviour::kCloseMidBody, ErrorKind::kClosedMidResponse},
                      FaultCase{ScriptedServer::Behaviour::kCloseAfterRead, ErrorKind::kClosedMidResponse},
                      FaultCase{ScriptedServer::Behaviour::kReset, ErrorKind::kReset},
                      FaultCase{ScriptedServer::Behaviour::kNeverAnswer, ErrorKind::kTimeout},
                      FaultCase{ScriptedServer::Behaviour::kEndlessHeaders, ErrorKind::kBadResponse},
                      FaultCase{ScriptedServer::Behaviour::kEndlessBody, ErrorKind::kTimeout}));

}  // namespace
}  // namespace nightjar::load
