// Running an SMPS test plan in the library: every client at once against the in-process
// test server, merged exactly. Counts are exact (a duration-bound open-loop run sends its
// planned arrivals, rate x duration); no assertion depends on the machine's speed.
#include "config/test_plan_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "config/smps_test.h"
#include "support/server_fixture.h"

namespace nightjar::config {
namespace {

class TestPlanRunner : public testing::ServedTest {
 protected:
  // A plan of one client per rate, each against the test server for `duration`.
  TestPlan plan(const std::vector<int>& rates, const std::string& duration = "200ms") const {
    std::string yaml =
        "name: two clients\nlabels: {mesh: none}\nduration: " + duration + "\nclients:\n";
    for (int rps : rates) {
      yaml += "  - rps: " + std::to_string(rps) +
              "\n    connections: 2\n    endpoint_urls: ['http://127.0.0.1:" +
              std::to_string(server_->port()) + "/?size=16']\n";
    }
    auto parsed = parse_smps_test(yaml, "plan.yaml");
    EXPECT_TRUE(parsed.ok()) << parsed.status().message();
    return parsed.ok() ? std::move(*parsed) : TestPlan{};
  }
};

TEST_F(TestPlanRunner, SeveralClientsRunAtOnceAndMergeExactly) {
  const TestPlan p = plan({100, 50});
  // Each client waits until the other has started too: run one after the other, they
  // would not both arrive (and the wait would give up).
  std::mutex mutex;
  std::condition_variable arrived;
  int started = 0;
  bool together = true;
  const ClientRunner run_together = [&](const load::LoadOptions& options,
                                        const load::RunControl& control) {
    {
      std::unique_lock lock(mutex);
      ++started;
      arrived.notify_all();
      together &= arrived.wait_for(lock, std::chrono::seconds(20), [&] { return started == 2; });
    }
    return load::run_load(options, control);
  };
  auto r = run_test_plan(p, {}, run_together);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(together);
  ASSERT_EQ(r->clients.size(), 2u);
  EXPECT_EQ(r->clients[0].counters.completed, 20);  // 100/s for 200 ms
  EXPECT_EQ(r->clients[1].counters.completed, 10);  // 50/s for 200 ms
  const model::RunResult& combined = r->combined;
  EXPECT_EQ(combined.counters.completed, 30);
  EXPECT_EQ(combined.counters.errors(), 0);
  EXPECT_EQ(combined.latency.total_count(), 30);
  EXPECT_EQ(server_->stats().requests, 30);
  EXPECT_FALSE(combined.interrupted);
  EXPECT_EQ(combined.options.test_name, "two clients");
  EXPECT_EQ(combined.options.labels, p.labels);
  ASSERT_EQ(combined.shards.size(), 2u);
  EXPECT_EQ(combined.shards[0].name, client_label(p.clients[0]));
  EXPECT_EQ(combined.shards[1].name, client_label(p.clients[1]));
  EXPECT_EQ(combined.shards[1].counters.completed, 10);
}

TEST_F(TestPlanRunner, AClientIsLabelledByItsNameAndFirstUrl) {
  const TestPlan p = plan({10});
  EXPECT_EQ(client_label(p.clients[0]),
            "client-0 http://127.0.0.1:" + std::to_string(server_->port()) + "/?size=16");
}

TEST_F(TestPlanRunner, OneClientRunsOnTheCallingThreadWithTheControlAsGiven) {
  const TestPlan p = plan({100});
  std::atomic<bool> stop{false};
  load::RunControl control;
  control.stop = &stop;
  int progress_calls = 0;
  control.on_progress = [&](const load::Progress&) { ++progress_calls; };
  std::thread::id ran_on;
  bool same_control = false;
  auto r = run_test_plan(p, control,
                         [&](const load::LoadOptions& options, const load::RunControl& given) {
                           ran_on = std::this_thread::get_id();
                           same_control = &given == &control;
                           return load::run_load(options, given);
                         });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(same_control);
  ASSERT_EQ(r->clients.size(), 1u);
  EXPECT_EQ(r->clients[0].counters.completed, 20);
  // Not merged: the client's own result, its per-thread shards included.
  EXPECT_EQ(r->combined.counters.completed, 20);
  EXPECT_EQ(r->combined.shards.size(), r->clients[0].shards.size());
  EXPECT_EQ(r->combined.options.test_name, r->clients[0].options.test_name);
}

TEST_F(TestPlanRunner, SeveralClientsShareOnlyTheStopFlag) {
  const TestPlan p = plan({10, 10, 10});
  std::atomic<bool> stop{false};
  load::RunControl control;
  control.stop = &stop;
  control.on_progress = [](const load::Progress&) {};
  control.on_interval = [](const model::TimelineEntry&) {};
  std::mutex mutex;
  int shared_stop = 0;
  int callbacks = 0;
  auto r = run_test_plan(p, control, [&](const load::LoadOptions&, const load::RunControl& given) {
    std::lock_guard lock(mutex);
    shared_stop += given.stop == &stop ? 1 : 0;
    callbacks += (given.on_progress ? 1 : 0) + (given.on_interval ? 1 : 0);
    return Result<model::RunResult>(model::RunResult{});
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(shared_stop, 3);
  EXPECT_EQ(callbacks, 0);
  EXPECT_EQ(r->clients.size(), 3u);
}

TEST_F(TestPlanRunner, TheStopFlagEndsEveryClientAndTheResultSaysInterrupted) {
  const TestPlan p = plan({100, 100}, "1h");
  std::atomic<bool> stop{true};  // Ctrl-C before the start: each run ends at once
  load::RunControl control;
  control.stop = &stop;
  auto r = run_test_plan(p, control);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->clients[0].interrupted);
  EXPECT_TRUE(r->clients[1].interrupted);
  EXPECT_TRUE(r->combined.interrupted);
}

TEST_F(TestPlanRunner, TheFirstFailingClientFailsThePlanNamedAndWithItsCode) {
  const TestPlan p = plan({10, 10, 10});
  auto r = run_test_plan(p, {}, [&](const load::LoadOptions& options, const load::RunControl&) {
    if (&options == &p.clients[0].options) return Result<model::RunResult>(model::RunResult{});
    return Result<model::RunResult>(&options == &p.clients[1].options
                                        ? Status::invalid_argument("bad option")
                                        : Status::unavailable("no route"));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "client-1: bad option");
}

TEST_F(TestPlanRunner, OneClientsErrorComesBackUnchanged) {
  auto r = run_test_plan(plan({10}), {}, [](const load::LoadOptions&, const load::RunControl&) {
    return Result<model::RunResult>(Status::unavailable("cannot resolve"));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "cannot resolve");
}

TEST_F(TestPlanRunner, AClientThatThrowsIsAnErrorNotATerminate) {
  auto r = run_test_plan(
      plan({10, 10}), {},
      [](const load::LoadOptions&, const load::RunControl&) -> Result<model::RunResult> {
        throw std::runtime_error("boom");
      });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "client-0: the client's thread failed: boom");
}

TEST(TestPlanRunnerErrors, APlanWithoutClientsIsRefused) {
  auto r = run_test_plan(TestPlan{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nightjar::config
