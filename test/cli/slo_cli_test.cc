// SLOs end to end: `nightjar load` and `nightjar run` against `nightjar serve`, their exit
// codes (3 failed, 4 aborted, 2 a bad expression), every output carrying the verdicts,
// and --abort-on-slo ending a long run early.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/cli.h"
#include "support/shell.h"
#include "support/subprocess.h"
#include "support/worker_process.h"

namespace nightjar {
namespace {

using testing::ListeningChild;
using testing::Outcome;

Outcome run(std::vector<std::string> args) { return testing::run_nightjar(std::move(args)); }

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SloCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::per_test_dir("nightjar_slo_cli");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  // A short open-loop run against the server, every response delayed by 1ms.
  std::vector<std::string> load(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"load", server_.url("/?delay=1ms"), "--rps", "100", "-n", "40",
                                     "--no-progress", "--no-save"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  const ListeningChild server_{"serve"};
  std::filesystem::path dir_;
};

TEST_F(SloCli, AFailedSloExitsThreeAndAMetOneZero) {
  const Outcome pass = run(load({"--slo", "p50<10s", "--slo", "error_rate<1%"}));
  EXPECT_EQ(pass.code, 0) << pass.out << pass.err;
  EXPECT_NE(pass.out.find("PASS  p50<10s: latency.p50 "), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find("(must be < 10s)"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find("PASS  error_rate<1%: error_rate 0%"), std::string::npos) << pass.out;

  const Outcome fail = run(load({"--slo", "p50<10s", "--slo", "p50<1us"}));
  EXPECT_EQ(fail.code, 3) << fail.out << fail.err;
  EXPECT_NE(fail.out.find("FAIL  p50<1us: latency.p50 "), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("PASS  p50<10s"), std::string::npos) << fail.out;

  // Not on the terminal: standard error names the failed SLO.
  const Outcome json = run(load({"--slo", "p50<1us", "--output-format", "json"}));
  EXPECT_EQ(json.code, 3);
  EXPECT_NE(json.err.find("nightjar: SLO failed: p50<1us: latency.p50"), std::string::npos) << json.err;
}

TEST_F(SloCli, ABadExpressionIsAUsageErrorThatPointsAtTheCharacter) {
  const Outcome o = run(load({"--slo", "p99<2x0ms"}));
  EXPECT_EQ(o.code, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find("--slo: SLO 'p99<2x0ms' at character 6: unknown time unit 'x0ms'"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("\n  p99<2x0ms\n       ^"), std::string::npos) << o.err;

  testing::expect_usage_errors(
      {"load", "http://127.0.0.1:1/", "--no-save"},
      {
          {{"--slo", "achieved_rate>=99%"}, "closed loop"},
          {{"--rps", "10", "--slo", "p99<1s", "--slo-window", "1500ms"}, "--slo-window must be a whole number"},
          {{"--rps", "10", "--slo-window", "2s"}, "--slo-window needs at least one --slo"},
          {{"--rps", "10", "--abort-on-slo"}, "--abort-on-slo needs at least one --slo"},
          {{"--rps", "10", "--slo", "p99<1s", "--abort-grace", "2s"}, "--abort-grace applies with --abort-on-slo"},
          {{"--rps", "10", "--slo", "p99<1s", "--abort-on-slo", "--abort-grace", "soon"}, "--abort-grace"},
      });
}

TEST_F(SloCli, JsonJunitHtmlAndReportCarryTheVerdicts) {
  const std::string json_path = file("result.json");
  const Outcome o = run(load({"--slo", "p50<10s", "--slo", "p50<1us", "--slo", "rps>0", "--slo-window", "1s",
                              "--output-format", "json", "-o", json_path}));
  ASSERT_EQ(o.code, 3) << o.err;
  const nlohmann::json j = nlohmann::json::parse(slurp(json_path));
  ASSERT_EQ(j["slos"].size(), 3u);
  const nlohmann::json& failed = j["slos"][1];
  EXPECT_EQ(failed["expr"], "p50<1us");
  EXPECT_EQ(failed["metric"], "latency.p50");
  EXPECT_EQ(failed["op"], "<");
  EXPECT_EQ(failed["unit"], "ns");
  EXPECT_DOUBLE_EQ(failed["threshold"].get<double>(), 1000);
  EXPECT_GE(failed["measured"].get<double>(), 1e6);  // the server delays each response 1ms
  EXPECT_EQ(failed["pass"], false);
  EXPECT_DOUBLE_EQ(failed["window_s"].get<double>(), 1);
  EXPECT_GE(failed["windows"].get<int64_t>(), 1);
  EXPECT_EQ(failed["failed_windows"], failed["windows"]);
  EXPECT_TRUE(failed["worst_window"].contains("start_s"));
  EXPECT_EQ(j["slos"][0]["pass"], true);
  EXPECT_FALSE(j.contains("aborted_by_slo"));

  // `report` renders the saved verdicts in every format, without judging again.
  const Outcome human = run({"report", json_path});
  EXPECT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("FAIL  p50<1us"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("PASS  rps>0"), std::string::npos) << human.out;
  const Outcome again = run({"report", json_path, "--output-format", "json"});
  EXPECT_EQ(again.out, slurp(json_path));
  const Outcome html = run({"report", json_path, "--output-format", "html"});
  EXPECT_NE(html.out.find("<code>p50&lt;1us</code>"), std::string::npos);

  const std::string junit_path = file("slos.xml");
  ASSERT_EQ(run({"report", json_path, "--output-format", "junit", "-o", junit_path}).code, 0);
  const std::string junit = slurp(junit_path);
  EXPECT_NE(junit.find("<testsuites name=\"nightjar\" tests=\"3\" failures=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<testcase classname=\"nightjar.slo\" name=\"p50&lt;1us\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<failure type=\"slo\" message=\"p50&lt;1us: latency.p50"), std::string::npos) << junit;
  if (auto python = testing::find_executable("python3")) {
    const auto parsed = testing::run_command(*python + " -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
                                             "print(len(d.getElementsByTagName(\"testcase\")), "
                                             "len(d.getElementsByTagName(\"failure\")))' " +
                                             testing::shell_quote(junit_path));
    EXPECT_EQ(parsed.exit_code, 0) << parsed.output;
    EXPECT_EQ(parsed.output, "3 1\n");
  }
}

TEST_F(SloCli, AbortOnSloStopsALongRunEarlyAndKeepsTheResult) {
  const std::string json_path = file("aborted.json");
  const auto start = std::chrono::steady_clock::now();
  // Saved in the tests' database (NIGHTJAR_DB): an aborted run is kept like any other.
  testing::Subprocess p({NIGHTJAR_BINARY, "load", server_.url(), "--rps", "50", "-d", "60s", "--no-progress",
                         "--slo", "p50<1us", "--abort-on-slo", "--abort-grace", "1s", "--output-format", "json", "-o",
                         json_path});
  const int code = p.wait(std::chrono::seconds(90));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(code, 4) << p.err();
  EXPECT_LT(took, std::chrono::seconds(30)) << "the run was not stopped early";
  EXPECT_NE(p.err().find("nightjar: the run was stopped by SLO 'p50<1us'"), std::string::npos) << p.err();
  EXPECT_NE(p.err().find("saved as run"), std::string::npos) << p.err();
  const nlohmann::json j = nlohmann::json::parse(slurp(json_path));
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_EQ(j["aborted_by_slo"]["expr"], "p50<1us");
  EXPECT_GE(j["aborted_by_slo"]["window"]["start_s"].get<double>(), 1);  // the grace
  EXPECT_GE(j["aborted_by_slo"]["window"]["measured"].get<double>(), 1000);
  EXPECT_LT(j["duration_ns"].get<double>(), 30e9);
  EXPECT_GT(j["requests"]["completed"].get<int64_t>(), 0);
  EXPECT_EQ(j["slos"][0]["pass"], false);
  EXPECT_DOUBLE_EQ(j["slos"][0]["window_s"].get<double>(), 1);  // --abort-on-slo judges 1s windows

  const Outcome human = run({"report", json_path});
  EXPECT_NE(human.out.find("ABORTED  stopped early by SLO 'p50<1us': the window "), std::string::npos) << human.out;
}

TEST_F(SloCli, AMetSloDoesNotAbort) {
  const Outcome o = run(load({"--slo", "p50<10s", "--abort-on-slo"}));
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(o.out.find("ABORTED"), std::string::npos) << o.out;
}

TEST_F(SloCli, AnSmpsTestFileCarriesItsSlos) {
  const std::string path = file("test.yaml");
  std::ofstream(path) << "name: with slos\n"
                         "duration: 1s\n"
                         "slos: ['p50<10s', 'p50<1us']\n"
                         "clients:\n"
                         "  - rps: 40\n"
                         "    endpoint_urls: ['" << server_.url() << "']\n";
  const Outcome o = run({"run", "-f", path, "--no-progress", "--no-save", "--slo", "rps>0"});
  EXPECT_EQ(o.code, 3) << o.out << o.err;
  EXPECT_NE(o.out.find("PASS  p50<10s"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("FAIL  p50<1us"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("PASS  rps>0"), std::string::npos) << o.out;

  const std::string bad = file("bad.yaml");
  std::ofstream(bad) << "duration: 1s\n"
                        "slos:\n"
                        "  - p99<20qs\n"
                        "clients:\n"
                        "  - rps: 40\n"
                        "    endpoint_urls: ['" << server_.url() << "']\n";
  const Outcome refused = run({"run", "-f", bad, "--no-save"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find(bad + ":3:5: slos[0]: SLO 'p99<20qs' at character 7"), std::string::npos) << refused.err;
}

TEST_F(SloCli, ADistributedRunIsJudgedOnTheMergedResultAndStopsOnEveryWorker) {
#ifdef NIGHTJAR_TSAN
  GTEST_SKIP() << "grpc (uninstrumented in Debian) makes TSan report its own internals";
#endif
  testing::WorkerProcess a;
  testing::WorkerProcess b;
  ASSERT_FALSE(a.address().empty());
  ASSERT_FALSE(b.address().empty());
  const std::string workers = a.address() + "," + b.address();

  const std::string merged = file("merged.json");
  const Outcome met = run({"load", server_.url(), "--rps", "40", "-d", "2s", "-c", "2", "--workers", workers,
                           "--no-progress", "--no-save", "--slo", "p50<10s", "--slo", "rps>0", "--slo-window", "1s",
                           "--output-format", "json", "-o", merged});
  EXPECT_EQ(met.code, 0) << met.err;
  const nlohmann::json j = nlohmann::json::parse(slurp(merged));
  EXPECT_EQ(j["shards"].size(), 2u);
  EXPECT_EQ(j["slos"][0]["pass"], true);
  EXPECT_GE(j["slos"][0]["windows"].get<int64_t>(), 2);  // the merged timeline's windows

  const std::string aborted = file("aborted.json");
  const auto start = std::chrono::steady_clock::now();
  testing::Subprocess p({NIGHTJAR_BINARY, "load", server_.url(), "--rps", "40", "-d", "60s", "-c", "2", "--workers",
                         workers, "--no-progress", "--no-save", "--slo", "p50<1us", "--abort-on-slo", "--abort-grace",
                         "1s", "--output-format", "json", "-o", aborted});
  const int code = p.wait(std::chrono::seconds(90));
  EXPECT_EQ(code, 4) << p.err();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30)) << "the run was not stopped early";
  const nlohmann::json k = nlohmann::json::parse(slurp(aborted));
  EXPECT_EQ(k["interrupted"], false);
  EXPECT_EQ(k["partial"], false);
  EXPECT_EQ(k["aborted_by_slo"]["expr"], "p50<1us");
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

}  // namespace
}  // namespace nightjar
