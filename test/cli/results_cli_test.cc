// Every run kept: `load` saves into the results database (--db), says where, and `results`
// lists, shows, exports and removes what was saved. The real binary and a real SQLite file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "support/cli_fixture.h"

namespace nightjar::testing {
namespace {

using nlohmann::json;

class ResultsCliTest : public CliTest {
 protected:
  // `nightjar load` of `requests` requests into the test's database; returns the run's ID.
  std::string load(int requests, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"load", url(), "-n", std::to_string(requests), "-c", "2",
                                     "--no-progress", "--db", db()};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome o = run_nightjar(args);
    EXPECT_EQ(o.code, 0) << o.err;
    const std::string marker = "saved as run ";
    const size_t at = o.out.rfind(marker);
    EXPECT_NE(at, std::string::npos) << "the report ends with the run's ID:\n" << o.out;
    if (at == std::string::npos) return "";
    std::string id = o.out.substr(at + marker.size());
    return id.substr(0, id.find('\n'));
  }
  std::string db() const { return path("results.db"); }
  json list(const std::vector<std::string>& filters = {}) {
    std::vector<std::string> args = {"results", "list", "--db", db(), "--output-format", "json"};
    args.insert(args.end(), filters.begin(), filters.end());
    const Outcome o = run_nightjar(args);
    EXPECT_EQ(o.code, 0) << o.err;
    return json::parse(o.out, nullptr, false);
  }
};

TEST_F(ResultsCliTest, ALoadIsSavedAndListedShownExportedAndRemoved) {
  const std::string id = load(20, {"--name", "checkout", "--label", "mesh=none"});
  ASSERT_EQ(id.size(), 12u) << id;
  const json runs = list();
  ASSERT_TRUE(runs.is_array()) << runs;
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["id"], id);
  EXPECT_EQ(runs[0]["name"], "checkout");
  EXPECT_EQ(runs[0]["labels"]["mesh"], "none");
  EXPECT_EQ(runs[0]["completed"], 20);
  EXPECT_EQ(runs[0]["protocol"], "http/1.1");

  // show: any report format, from a unique prefix, as `report` renders it
  const Outcome shown = run_nightjar({"results", "show", id.substr(0, 8), "--db", db(),
                                      "--output-format", "json"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  const json result = json::parse(shown.out, nullptr, false);
  EXPECT_EQ(result["requests"]["completed"], 20);
  EXPECT_EQ(result["test_name"], "checkout");

  // export, then the exported file reads back with `nightjar report`
  const Outcome exported = run_nightjar({"results", "export", id, "--db", db(), "-o",
                                         path("run.json")});
  ASSERT_EQ(exported.code, 0) << exported.err;
  const Outcome again = run_nightjar({"report", path("run.json"), "--output-format", "json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, shown.out) << "show and report render the same result";

  const Outcome removed = run_nightjar({"results", "rm", id, "--db", db()});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_TRUE(list().empty());
  const Outcome gone = run_nightjar({"results", "show", id, "--db", db()});
  EXPECT_NE(gone.code, 0);
  EXPECT_NE(gone.err.find(id), std::string::npos) << gone.err;
}

TEST_F(ResultsCliTest, ListFiltersByNameLabelAndLimit) {
  load(5, {"--name", "alpha", "--label", "mesh=istio"});
  load(5, {"--name", "beta", "--label", "mesh=linkerd"});
  const std::string newest = load(5, {"--name", "alpha-2", "--label", "mesh=istio"});
  EXPECT_EQ(list().size(), 3u);
  EXPECT_EQ(list({"--name", "alpha*"}).size(), 2u);
  EXPECT_EQ(list({"--label", "mesh=linkerd"}).size(), 1u);
  const json one = list({"--limit", "1"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["id"], newest) << "newest first";
  EXPECT_EQ(list({"--since", "1h"}).size(), 3u);
  const Outcome bad = run_nightjar({"results", "list", "--db", db(), "--since", "yesterday"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--since"), std::string::npos) << bad.err;
  const Outcome human = run_nightjar({"results", "list", "--db", db()});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find(newest), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("mesh=linkerd"), std::string::npos) << human.out;
}

TEST_F(ResultsCliTest, LoadedRunsCompareAgainstABaseline) {
  const std::string before = load(40, {"--name", "before"});
  const std::string after = load(40, {"--name", "after"});
  ASSERT_EQ(run_nightjar({"results", "baseline", "set", "main", before, "--db", db()}).code, 0);
  const Outcome human = run_nightjar({"results", "compare", "baseline:main", after, "--db", db(),
                                      "--fail-if", "errors>+0", "--fail-if", "error_rate>+0%"});
  ASSERT_EQ(human.code, 0) << human.err << human.out;
  EXPECT_NE(human.out.find("baseline  " + before + "  before"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("#2        " + after + "  after"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("every gate passed"), std::string::npos) << human.out;
  const Outcome html = run_nightjar({"results", "compare", before, after, "--db", db(),
                                     "--output-format", "html", "-o", path("compare.html")});
  ASSERT_EQ(html.code, 0) << html.err;
  std::ifstream in(path("compare.html"));
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(page.find("<svg id=\"chart-compare-spectrum\""), std::string::npos);
  EXPECT_NE(page.find("<path class=\"series r1\""), std::string::npos);
}

TEST_F(ResultsCliTest, AMachineReadableReportStaysCleanAndTheIdGoesToStandardError) {
  const Outcome o = run_nightjar({"load", url(), "-n", "5", "--no-progress", "--db", db(),
                                  "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_FALSE(json::parse(o.out, nullptr, false).is_discarded()) << "stdout is the JSON alone";
  EXPECT_NE(o.err.find("nightjar: saved as run "), std::string::npos) << o.err;
}

TEST_F(ResultsCliTest, NoSaveKeepsNothing) {
  const Outcome o = run_nightjar({"load", url(), "-n", "5", "--no-progress", "--db", db(),
                                  "--no-save"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out.find("saved as"), std::string::npos) << o.out;
  EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(ResultsCliTest, ARunThatCannotBeSavedStillReportsAndExits1) {
  // The database's folder is a regular file: nothing can be created under it.
  { std::ofstream(path("not-a-folder")) << "x"; }
  const Outcome o = run_nightjar({"load", url(), "-n", "5", "--no-progress", "--db",
                                  path("not-a-folder") + "/results.db"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("latency"), std::string::npos) << "the report is still printed:\n" << o.out;
  EXPECT_NE(o.err.find("the run was not saved"), std::string::npos) << o.err;
  EXPECT_EQ(target_requests(), 5) << "the run itself went ahead";
}

}  // namespace
}  // namespace nightjar::testing
