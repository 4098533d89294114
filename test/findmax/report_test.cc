// find-max's report: a trial's record from its run, the reason of the first failure, and
// the three renderings (JSON keys, the human table, a self-contained HTML page).
#include "findmax/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nightjar::findmax {
namespace {

model::SloVerdict verdict(bool pass, double measured_ns) {
  model::SloVerdict v;
  v.expr = "p99<50ms";
  v.metric = "latency.p99";
  v.op = "<";
  v.threshold = 50e6;
  v.has_measured = true;
  v.measured = measured_ns;
  v.pass = pass;
  return v;
}

model::RunResult run_with(int64_t latency_ns, int64_t completed, int64_t timeouts, bool pass) {
  model::RunResult r;
  for (int64_t i = 0; i < completed; ++i) r.latency.record(latency_ns);
  r.counters.completed = completed;
  r.counters.errors_of(model::ErrorKind::kTimeout) = timeouts;
  r.measured_ns = 1'000'000'000;
  r.slos = {verdict(pass, static_cast<double>(latency_ns))};
  return r;
}

Report sample_report() {
  Report r;
  r.urls = {"http://127.0.0.1:8080/"};
  r.slos = {"p99<50ms"};
  r.steps = {trial_record(run_with(3'000'000, 100, 0, true), 100, 1),
             trial_record(run_with(900'000'000, 400, 0, false), 800, 1),
             trial_record(run_with(4'000'000, 400, 0, true), 400, 1)};
  r.max_rps = 400;
  r.first_failing_rps = 800;
  r.complete = true;
  return r;
}

TEST(TrialRecord, TakesThePercentilesRatesAndVerdictsOfItsRun) {
  const TrialRecord t = trial_record(run_with(3'000'000, 90, 10, true), 100, 2);
  EXPECT_EQ(t.rps, 100);
  EXPECT_EQ(t.trial, 2);
  EXPECT_TRUE(t.pass);
  EXPECT_NEAR(static_cast<double>(t.p99_ns), 3e6, 3e6 * 0.001);
  EXPECT_DOUBLE_EQ(t.error_rate, 0.1);  // 10 timeouts of 100 ended
  EXPECT_DOUBLE_EQ(t.achieved_rps, 90);
  // No SLO verdict at all passes nothing.
  model::RunResult unjudged = run_with(1, 1, 0, true);
  unjudged.slos.clear();
  EXPECT_FALSE(trial_record(unjudged, 1, 1).pass);
}

TEST(FindMaxReport, JsonCarriesTheAnswerTheReasonAndEveryTrial) {
  const auto j = nlohmann::json::parse(render_json(sample_report()));
  EXPECT_EQ(j["max_rps"], 400);
  EXPECT_EQ(j["first_failing_rps"], 800);
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["first_failure"]["rps"], 800);
  EXPECT_EQ(j["first_failure"]["failed_slos"][0]["expr"], "p99<50ms");
  EXPECT_EQ(j["first_failure"]["failed_slos"][0]["measured"], 900'000'000.0);
  ASSERT_EQ(j["steps"].size(), 3u);
  EXPECT_EQ(j["steps"][1]["rps"], 800);
  EXPECT_EQ(j["steps"][1]["pass"], false);
  EXPECT_EQ(j["steps"][1]["slos"][0]["pass"], false);
  for (const char* p : {"50", "90", "99", "99.9"}) {
    EXPECT_TRUE(j["steps"][0]["percentiles_ns"][p].is_number()) << p;
  }
  EXPECT_TRUE(j["experiment_id"].is_null());
  EXPECT_TRUE(j["closed_loop_rps"].is_null());
}

TEST(FindMaxReport, NoStepPassedIsANullMaximum) {
  Report r;
  r.slos = {"p99<50ms"};
  r.steps = {trial_record(run_with(900'000'000, 10, 0, false), 100, 1)};
  r.first_failing_rps = 100;
  r.complete = true;
  const auto j = nlohmann::json::parse(render_json(r));
  EXPECT_TRUE(j["max_rps"].is_null());
  EXPECT_NE(render_human(r).find("none (even the start rate failed)"), std::string::npos);
}

TEST(FindMaxReport, HumanTableHasOneLinePerTrialAndTheAnswer) {
  const std::string text = render_human(sample_report());
  EXPECT_NE(text.find("max rps meeting every SLO: 400"), std::string::npos) << text;
  EXPECT_NE(text.find("first failing rps: 800 (p99<50ms"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL"), std::string::npos);
  EXPECT_EQ(text.find("INCOMPLETE"), std::string::npos);
  Report stopped = sample_report();
  stopped.complete = false;
  stopped.out_of_time = true;
  EXPECT_NE(render_human(stopped).find("INCOMPLETE: --max-time reached"), std::string::npos);
}

TEST(FindMaxReport, HtmlIsSelfContainedWithBothCharts) {
  const std::string page = render_html(sample_report());
  EXPECT_NE(page.find("id=\"chart-findmax-latency\""), std::string::npos);
  EXPECT_NE(page.find("id=\"chart-findmax-achieved\""), std::string::npos);
  EXPECT_NE(page.find("findmax-data"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace nightjar::findmax
