// `nightjar find-max` end to end against `nightjar serve --capacity`: it finds the knee of a
// server that saturates on purpose, reports the curve in JSON, keeps its trials under one
// experiment, and refuses bad usage with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/store.h"
#include "support/cli.h"
#include "support/worker_process.h"

namespace nightjar {
namespace {

using testing::ListeningChild;
using testing::Outcome;

Outcome run(std::vector<std::string> args) { return testing::run_nightjar(std::move(args)); }

TEST(FindMaxCli, FindsTheCapacityOfAServerThatSaturates) {
  // One queue served at 400/s: below it p99 is a few ms; above it the queue grows by
  // (rate - 400) requests a second, so over a 1 s trial p99 is about (rate - 400) / 400 s:
  // past 100 ms from about 440/s. 100 ms leaves room for a busy machine's noise below it.
  ListeningChild server("serve", {"--capacity", "400"});
  const Outcome o = run({"find-max", server.url(), "--slo", "p99<100ms", "--start-rps", "100",
                         "--max-rps", "1600", "--step-duration", "1s", "--trials", "1",
                         "--cool-down", "0s", "--precision", "10%", "--no-save",
                         "--no-progress", "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  ASSERT_TRUE(j["max_rps"].is_number()) << o.out;
  const double max_rps = j["max_rps"];
  EXPECT_GE(max_rps, 200);
  EXPECT_LE(max_rps, 480);
  ASSERT_TRUE(j["first_failing_rps"].is_number());
  const double failing = j["first_failing_rps"];
  EXPECT_LE((failing - max_rps) / max_rps, 0.10);
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_EQ(j["slos"], nlohmann::json::array({"p99<100ms"}));
  EXPECT_EQ(j["first_failure"]["rps"], failing);
  EXPECT_EQ(j["first_failure"]["failed_slos"][0]["expr"], "p99<100ms");
  ASSERT_GE(j["steps"].size(), 4u);
  const auto& first = j["steps"][0];
  EXPECT_EQ(first["rps"], 100);
  EXPECT_EQ(first["trial"], 1);
  EXPECT_TRUE(first["pass"].get<bool>());
  EXPECT_EQ(first["slos"][0]["expr"], "p99<100ms");
  for (const char* p : {"50", "90", "99", "99.9"}) EXPECT_TRUE(first["percentiles_ns"][p].is_number()) << p;
  EXPECT_TRUE(first["error_rate"].is_number());
  EXPECT_GT(first["achieved_rps"].get<double>(), 50);
  EXPECT_TRUE(j["experiment_id"].is_null());
}

TEST(FindMaxCli, AStartRateThatFailsExitsThreeAndKeepsItsTrialInAnExperiment) {
  ListeningChild server("serve");
  const auto dir = testing::per_test_dir("nightjar_findmax_cli");
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "results.db").string();
  const std::string html = (dir / "report.html").string();
  const Outcome o = run({"find-max", server.url("/?delay=30ms"), "--slo", "p99<10ms",
                         "--start-rps", "50", "--step-duration", "300ms", "--trials", "1",
                         "--cool-down", "0s", "--db", db, "--no-progress", "--output-format",
                         "html", "-o", html});
  EXPECT_EQ(o.code, 3) << o.err;
  std::ifstream in(html);
  std::stringstream page;
  page << in.rdbuf();
  EXPECT_NE(page.str().find("<svg"), std::string::npos);
  EXPECT_EQ(page.str().find("src=\"http"), std::string::npos);  // self-contained
  // "nightjar: experiment ID" on standard error (the report went to a file).
  const size_t at = o.err.find("experiment ");
  ASSERT_NE(at, std::string::npos) << o.err;
  std::string id = o.err.substr(at + 11);
  id = id.substr(0, id.find('\n'));
  auto store = store::Store::open_read_only(db);
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto experiment = (*store)->experiment(id);
  ASSERT_TRUE(experiment.ok()) << experiment.status().message();
  EXPECT_EQ(experiment->kind, "find-max");
  const auto summary = nlohmann::json::parse(experiment->summary);
  EXPECT_TRUE(summary["max_rps"].is_null());
  EXPECT_EQ(summary["first_failing_rps"], 50);
  EXPECT_EQ(summary["experiment_id"], id);
  store::ListFilter filter;
  filter.experiment = id;
  auto trials = (*store)->list(filter);
  ASSERT_TRUE(trials.ok());
  ASSERT_EQ(trials->size(), 1u);  // the start rate's one trial
  EXPECT_EQ(summary["steps"][0]["run_id"], trials->front().id);
  std::filesystem::remove_all(dir);
}

TEST(FindMaxCli, StopsIncompleteAtTheBudgetAndAddsTheClosedLoopRate) {
  ListeningChild server("serve");
  // Trials of 300 ms: 100/s and 200/s fit in 700 ms; a third would end at 900 ms.
  const Outcome o = run({"find-max", server.url(), "--slo", "p99<1s", "--start-rps", "100",
                         "--step-duration", "300ms", "--trials", "1", "--cool-down", "0s",
                         "--max-time", "700ms", "--also-closed-loop", "-c", "2", "--no-save",
                         "--no-progress", "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_TRUE(j["out_of_time"].get<bool>());
  EXPECT_EQ(j["max_rps"], 200);
  EXPECT_TRUE(j["first_failing_rps"].is_null());
  EXPECT_EQ(j["steps"].size(), 2u);
  ASSERT_TRUE(j["closed_loop_rps"].is_number()) << o.out;
  EXPECT_GT(j["closed_loop_rps"].get<double>(), 0);
}

TEST(FindMaxCli, ATargetThatAnswersNothingIsAFailureToRunNotAVerdict) {
  const Outcome o = run({"find-max", "http://127.0.0.1:1/", "--slo", "p99<1s",
                         "--step-duration", "200ms", "--trials", "1", "--no-save",
                         "--no-progress"});
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("no request succeeded at the start rate"), std::string::npos) << o.err;
}

TEST(FindMaxCli, RunsItsTrialsOnWorkers) {
#ifdef NIGHTJAR_TSAN
  GTEST_SKIP() << "grpc (uninstrumented in Debian) makes TSan report its own internals";
#endif
  ListeningChild server("serve");
  testing::WorkerProcess a;
  testing::WorkerProcess b;
  ASSERT_FALSE(a.address().empty());
  ASSERT_FALSE(b.address().empty());
  const Outcome o = run({"find-max", server.url(), "--slo", "p99<1s", "--start-rps", "50",
                         "--max-rps", "100", "--step-duration", "1s", "--trials", "1",
                         "--cool-down", "0s", "-c", "2", "--workers",
                         a.address() + "," + b.address(), "--no-save", "--no-progress",
                         "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const auto j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["max_rps"], 100);  // 50, then the maximum itself
  EXPECT_TRUE(j["complete"].get<bool>());
  EXPECT_GT(j["steps"][1]["achieved_rps"].get<double>(), 50);
}

TEST(FindMaxCli, RefusesBadUsage) {
  testing::expect_usage_errors(
      {"find-max", "http://127.0.0.1:1/"},
      {{{"--start-rps", "10"}, "find-max needs at least one --slo"},
       {{"--slo", "p99<1ms", "--start-rps", "200", "--max-rps", "100"}, "--max-rps"},
       {{"--slo", "p99<1ms", "--precision", "0%"}, "--precision"},
       {{"--slo", "p99<1ms", "--precision", "100%"}, "--precision"},
       {{"--slo", "p99<1ms", "--trials", "0"}, "--trials"},
       {{"--slo", "p99<1ms", "--output-format", "csv"}, "--output-format"},
       {{"--slo", "p99<1ms", "--step-duration", "10s", "--max-time", "5s"}, "--max-time"},
       {{"--slo", "p99<zz"}, "SLO"}});
}

TEST(FindMaxCli, HelpDocumentsTheSearch) {
  const Outcome o = run({"find-max", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* flag : {"--slo", "--start-rps", "--max-rps", "--step-duration", "--precision",
                           "--trials", "--cool-down", "--max-time", "--also-closed-loop",
                           "--output-format", "--db", "--no-save", "--connections", "--workers"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(o.out.find("--stages"), std::string::npos);
}

}  // namespace
}  // namespace nightjar
