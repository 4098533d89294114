// `nightjar results compare` and `nightjar results baseline`: the real binary on a database
// of the test's own, into which the test saves results with known latencies (through the
// store's API), so that gates pass and fail for certain.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "output/sample_result.h"
#include "store/store.h"
#include "support/cli.h"

namespace nightjar::testing {
namespace {

using nlohmann::json;

class ResultsCompareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = per_test_dir("nightjar-compare-");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string db() const { return (dir_ / "results.db").string(); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Saves the sample run (1000 responses, latencies 1..1000 us) with every latency times
  // `slower` and the name given; returns its ID.
  std::string save(const std::string& name, double slower, double requested_rps = 500) {
    model::RunResult r = output::sample_result(true);
    r.options.test_name = name;
    r.options.requested_rps = requested_rps;
    r.latency.reset();
    for (int64_t us = 1; us <= 1000; ++us) {
      r.latency.record(static_cast<int64_t>(static_cast<double>(us * 1000) * slower));
    }
    auto store = store::Store::open(db());
    EXPECT_TRUE(store.ok()) << store.status().message();
    auto id = (*store)->save(r);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : "";
  }

  // The shortest prefix of `id` that names it alone among `ids`.
  static std::string unique_prefix(const std::string& id, const std::vector<std::string>& ids) {
    size_t length = 1;
    for (const std::string& other : ids) {
      if (other == id) continue;
      size_t same = 0;
      while (same < id.size() && id[same] == other[same]) ++same;
      length = std::max(length, same + 1);
    }
    return id.substr(0, length);
  }

  Outcome compare(std::vector<std::string> args) {
    args.insert(args.begin(), {"results", "compare"});
    args.insert(args.end(), {"--db", db()});
    return run_nightjar(args);
  }

  std::filesystem::path dir_;
};

TEST_F(ResultsCompareCliTest, ComparesTwoRunsAsATable) {
  const std::string base = save("before", 1.0);
  const std::string slow = save("after", 1.2);
  const Outcome o = compare({base, unique_prefix(slow, {base, slow})});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_NE(o.out.find("2 runs against the first; changes beyond 5% are marked"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("baseline  " + base + "  before"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("#2        " + slow + "  after"), std::string::npos) << o.out;
  // p99: 990.5 us against 1.19 ms, 20% up: worse.
  EXPECT_NE(o.out.find("(+20.0%)  worse"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("p99.99"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("gates:"), std::string::npos) << "no gates asked, none shown";

  const Outcome wide = compare({base, slow, "--threshold", "25%"});
  ASSERT_EQ(wide.code, 0) << wide.err;
  EXPECT_NE(wide.out.find("changes beyond 25% are marked"), std::string::npos) << wide.out;
  EXPECT_EQ(wide.out.find("worse"), std::string::npos) << "nothing moved by more than 25%";
}

TEST_F(ResultsCompareCliTest, WritesJsonAndHtml) {
  const std::string base = save("before", 1.0);
  const std::string slow = save("after", 1.2);
  const Outcome o = compare({base, slow, "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const json j = json::parse(o.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << o.out;
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["id"], base);
  EXPECT_EQ(j["runs"][1]["name"], "after");
  EXPECT_EQ(j["runs"][1]["source"], "run");
  bool found_p99 = false;
  for (const json& m : j["metrics"]) {
    if (m["name"] != "p99") continue;
    found_p99 = true;
    EXPECT_EQ(m["deltas"][0]["run"], slow);
    EXPECT_EQ(m["deltas"][0]["direction"], "worse");
    EXPECT_EQ(m["deltas"][0]["moved"], true);
  }
  EXPECT_TRUE(found_p99);
  EXPECT_TRUE(j["gates"].empty());
  EXPECT_EQ(j["pass"], true);

  const Outcome html = compare({base, slow, "--output-format", "html", "-o", path("c.html")});
  ASSERT_EQ(html.code, 0) << html.err;
  EXPECT_EQ(html.out, "");
  const std::string page = output::read_text_file(path("c.html"));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"chart-compare-spectrum", "chart-compare-throughput", "chart-compare-p99"}) {
    const size_t at = page.find(std::string("<svg id=\"") + id + "\"");
    ASSERT_NE(at, std::string::npos) << id;
    const std::string svg = page.substr(at, page.find("</svg>", at) - at);
    EXPECT_NE(svg.find("<path class=\"series r0\""), std::string::npos) << id;
    EXPECT_NE(svg.find("<path class=\"series r1\""), std::string::npos) << id;
    EXPECT_EQ(svg.find("<path class=\"series r2\""), std::string::npos) << id;
  }
}

TEST_F(ResultsCompareCliTest, AGateThatHoldsExits0AndOneThatFailsExits3) {
  const std::string base = save("before", 1.0);
  const std::string slow = save("after", 1.2);  // every latency 20% up
  const Outcome pass = compare({base, slow, "--fail-if", "p99>+25%", "--fail-if", "errors>+0"});
  EXPECT_EQ(pass.code, 0) << pass.err;
  EXPECT_NE(pass.out.find("PASS p99>+25%"), std::string::npos) << pass.out;
  EXPECT_NE(pass.out.find("every gate passed"), std::string::npos) << pass.out;

  const Outcome fail = compare({base, slow, "--fail-if", "p99>+10%", "--fail-if", "mean>+1ms"});
  EXPECT_EQ(fail.code, 3) << fail.err;
  EXPECT_NE(fail.out.find("p99.9"), std::string::npos) << "the report still prints:\n" << fail.out;
  EXPECT_NE(fail.out.find("FAIL p99>+10%: run " + slow + ": p99 1.19 ms vs 990 us (+199 us, +20.1%)"),
            std::string::npos)
      << fail.out;
  EXPECT_NE(fail.out.find("PASS mean>+1ms"), std::string::npos) << fail.out;
  EXPECT_NE(fail.out.find("1 of 2 gates failed"), std::string::npos) << fail.out;

  // Machine-readable output stays clean; the failures go to standard error as well.
  const Outcome json_fail = compare({base, slow, "--fail-if", "p99>+10%", "--output-format", "json"});
  EXPECT_EQ(json_fail.code, 3);
  const json j = json::parse(json_fail.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json_fail.out;
  EXPECT_EQ(j["pass"], false);
  EXPECT_EQ(j["gates"][0]["failures"][0]["run"], slow);
  EXPECT_NE(json_fail.err.find("nightjar: FAIL p99>+10%: run " + slow), std::string::npos)
      << json_fail.err;

  // A gate before the runs takes one value: the runs stay runs.
  EXPECT_EQ(compare({"--fail-if", "p99>+10%", base, "--fail-if", "p50>+50%", slow}).code, 3);

  // Every later run is checked: the slow run fails wherever it stands.
  const Outcome three = compare({base, base, slow, "--fail-if", "p99>+10%"});
  EXPECT_EQ(three.code, 3);
  // Against itself nothing changed, so a gate that allows no rise holds.
  EXPECT_EQ(compare({slow, slow, "--fail-if", "p99>+0%"}).code, 0);
  // A faster run against a slower baseline: latency down is no failure, and a gate asking for
  // a 10% improvement holds.
  EXPECT_EQ(compare({slow, base, "--fail-if", "p99>-10%"}).code, 0);
}

TEST_F(ResultsCompareCliTest, BadUsageIsRefusedBeforeTheStoreIsOpened) {
  const std::string missing = path("never-created.db");
  expect_usage_errors(
      {"results", "compare", "--db", missing},
      {
          {{"0KZ3M7Q4A1BC"}, "needs two runs or more"},
          {{"A", "B", "--fail-if", "p99>10%"},
           "--fail-if 'p99>10%': the value needs a sign (p99>+10% or p99<-10%)"},
          {{"A", "B", "--fail-if", "latency>+1%"}, "--fail-if 'latency>+1%': unknown metric"},
          {{"A", "B", "--fail-if", "p99>+5"}, "needs a unit"},
          {{"A", "B", "--fail-if", "error_rate>+1ms"}, "percentage points"},
          {{"A", "B", "--fail-if", "p99>=+1%"}, "the operator must be > or <"},
          {{"A", "B", "--threshold", "five"}, "--threshold 'five' is not a percentage"},
          {{"A", "B", "--threshold", "-1%"}, "--threshold '-1%'"},
          {{"A", "B", "--output-format", "csv"}, "must be human, json or html"},
          {{"A", "B", "-o", path("no-such-folder/c.html")}, "-o: the folder"},
      });
  EXPECT_FALSE(std::filesystem::exists(missing)) << "nothing was opened or created";
  expect_usage_errors({"results", "compare"}, {{{}, "runs is required"}});
}

TEST_F(ResultsCompareCliTest, ARunOrBaselineThatIsNotThereExits1) {
  const Outcome no_db = compare({"0KZ3M7Q4A1BC", "0KZ3M7Q4A1BD"});
  EXPECT_EQ(no_db.code, 1);
  EXPECT_NE(no_db.err.find("no results database"), std::string::npos) << no_db.err;

  const std::string base = save("before", 1.0);
  const Outcome no_run = compare({base, "0KZ3M7Q4A1BD"});
  EXPECT_EQ(no_run.code, 1);
  EXPECT_NE(no_run.err.find("0KZ3M7Q4A1BD"), std::string::npos) << no_run.err;

  const Outcome none_set = compare({"baseline:main", base});
  EXPECT_EQ(none_set.code, 1);
  EXPECT_NE(none_set.err.find("no baseline 'main'"), std::string::npos) << none_set.err;
  EXPECT_NE(none_set.err.find("(there are none)"), std::string::npos) << none_set.err;

  ASSERT_EQ(run_nightjar({"results", "baseline", "set", "release-1", base, "--db", db()}).code, 0);
  const Outcome unknown = compare({"baseline:main", base});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("no baseline 'main'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("(there are: release-1)"), std::string::npos) << unknown.err;
}

TEST_F(ResultsCompareCliTest, WarnsThatRunsAskedForDifferentRatesAreDifferentTests) {
  const std::string base = save("before", 1.0, 500);
  const std::string other = save("after", 1.0, 1000);
  const Outcome o = compare({base, other});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("warning: the runs differ in requested rate: 500 req/s (" + base +
                       "); 1,000 req/s (" + other + "); they are different tests"),
            std::string::npos)
      << o.out;
}

TEST_F(ResultsCompareCliTest, BaselinesAreSetListedComparedAndRemoved) {
  const std::string base = save("before", 1.0);
  const std::string slow = save("after", 1.2);
  auto baseline = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"results", "baseline"});
    args.insert(args.end(), {"--db", db()});
    return run_nightjar(args);
  };
  const Outcome empty = baseline({"list"});
  EXPECT_EQ(empty.code, 0) << empty.err;
  EXPECT_EQ(empty.out, "");

  const Outcome set = baseline({"set", "main", unique_prefix(base, {base, slow})});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out, "baseline main is run " + base + "\n");

  const Outcome listed = baseline({"list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("NAME"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("main"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(base), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("2025-11-26T16:00:00Z  before"), std::string::npos)
      << "the run's start and name:\n" << listed.out;
  const Outcome as_json = baseline({"list", "--output-format", "json"});
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  const json j = json::parse(as_json.out, nullptr, false);
  ASSERT_EQ(j.size(), 1u) << as_json.out;
  EXPECT_EQ(j[0]["name"], "main");
  EXPECT_EQ(j[0]["run"], base);
  EXPECT_EQ(j[0]["run_name"], "before");
  EXPECT_EQ(j[0]["run_started"], "2025-11-26T16:00:00.123456Z");
  EXPECT_TRUE(j[0]["set"].is_string());

  // compare baseline:NAME ID: the pinned run is the first, the baseline of the comparison.
  const Outcome compared = compare({"baseline:main", slow, "--fail-if", "p99>+10%"});
  EXPECT_EQ(compared.code, 3) << compared.err;
  EXPECT_NE(compared.out.find("baseline  " + base), std::string::npos) << compared.out;

  // Setting it again moves it.
  ASSERT_EQ(baseline({"set", "main", slow}).code, 0);
  EXPECT_EQ(compare({"baseline:main", slow, "--fail-if", "p99>+0%"}).code, 0);

  const Outcome removed = baseline({"rm", "main"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed baseline main\n");
  EXPECT_EQ(baseline({"list"}).out, "");
  const Outcome again = baseline({"rm", "main"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("no baseline 'main'"), std::string::npos) << again.err;
  // The run itself stays.
  EXPECT_EQ(run_nightjar({"results", "show", base, "--db", db()}).code, 0);

  const Outcome no_run = baseline({"set", "main", "0KZ3M7Q4A1BD"});
  EXPECT_EQ(no_run.code, 1);
  EXPECT_NE(no_run.err.find("0KZ3M7Q4A1BD"), std::string::npos) << no_run.err;
  expect_usage_errors({"results", "baseline", "--db", db()},
                      {{{"set", "main"}, "id is required"},
                       {{"list", "--output-format", "csv"}, "must be human or json"},
                       {{}, "A subcommand is required"}});
}

TEST_F(ResultsCompareCliTest, BaselineListOfADatabaseNeverWrittenIsEmptyAndCreatesNothing) {
  const Outcome o = run_nightjar({"results", "baseline", "list", "--db", db(),
                                  "--output-format", "json"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "[]\n");
  EXPECT_FALSE(std::filesystem::exists(db()));
}

}  // namespace
}  // namespace nightjar::testing
