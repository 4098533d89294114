// Every run kept: `load` saves into the results database (--db), says where, and `results`
// lists, shows, exports and removes what was saved. The real binary and a real SQLite file.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

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

TEST_F(ResultsCliTest, AnInterruptedRunIsSavedAndFlagged) {
  Subprocess run({NIGHTJAR_BINARY, "load", url(), "--rps", "200", "--duration", "1h",
                  "--no-progress", "--db", db()});
  // Interrupt once the run is underway (its signal handler is installed before the first
  // request goes out).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (target_requests() < 10 && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  ASSERT_GE(target_requests(), 10);
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 130);
  EXPECT_NE(run.all_out().find("saved as run "), std::string::npos) << run.all_out();
  const json runs = list();
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_TRUE(runs[0]["interrupted"].get<bool>());
  EXPECT_GE(runs[0]["completed"].get<int64_t>(), 10);
  const Outcome human = run_nightjar({"results", "list", "--db", db()});
  EXPECT_NE(human.out.find("(interrupted)"), std::string::npos) << human.out;
}

// `args` run as a user who may not write `db()`: as root, through setpriv as nobody (the
// test's folder is root's, mode 0755); otherwise with the file and its folder made read-only.
Outcome run_without_write_access(const std::vector<std::string>& args, const std::string& db,
                                 const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::vector<std::string> command = args;
  if (geteuid() == 0) {
    command.insert(command.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups", "--", NIGHTJAR_BINARY});
    Subprocess p(command);
    EXPECT_TRUE(p.started());
    const int code = p.wait();
    return {code, p.all_out(), p.err()};
  }
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read |
                              fs::perms::others_exec);
  Outcome o = run_nightjar(command);
  fs::permissions(folder, fs::perms::owner_all, fs::perm_options::add);
  fs::permissions(db, fs::perms::owner_write, fs::perm_options::add);
  return o;
}

TEST_F(ResultsCliTest, AReadOnlyDatabaseIsStillReadAndARunInItStillReports) {
  const std::string kept = load(3);
  ASSERT_FALSE(kept.empty());
  // Nobody else may write the folder either: a report file goes to a world-writable one.
  const std::string report = (std::filesystem::temp_directory_path() /
                              ("nightjar-readonly-report-" + std::to_string(getpid()) + ".txt"))
                                 .string();
  std::filesystem::remove(report);
  const Outcome run = run_without_write_access(
      {"load", url(), "-n", "4", "--no-progress", "--db", db(), "-o", report}, db(), dir_);
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_NE(run.err.find("the run was not saved"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("readonly"), std::string::npos) << run.err;
  std::ifstream in(report);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("latency"), std::string::npos) << "the report is still written";
  std::filesystem::remove(report);
  EXPECT_EQ(target_requests(), 7) << "the run itself went ahead";

  const Outcome listed = run_without_write_access(
      {"results", "list", "--db", db(), "--output-format", "csv"}, db(), dir_);
  EXPECT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find(kept), std::string::npos) << listed.out;
  const Outcome shown = run_without_write_access({"results", "show", kept, "--db", db()}, db(), dir_);
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_NE(shown.out.find("latency"), std::string::npos) << shown.out;
}

TEST_F(ResultsCliTest, ADiskThatFillsDuringTheSaveKeepsTheReportAndEveryEarlierRun) {
  const std::string kept = load(3);
  ASSERT_FALSE(kept.empty());
  // A file-size limit fails the save's writes as a full disk does (EFBIG where a full disk
  // gives ENOSPC; making a full filesystem needs root). The report (a human one, about 2 KB)
  // fits under it; the run's frames in the write-ahead log do not. SIGXFSZ would kill the
  // process at the limit: ignored here, and so in the child.
  struct sigaction ignore {};
  struct sigaction before {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGXFSZ, &ignore, &before);
  Subprocess p({"/usr/bin/prlimit", "--fsize=4096", "--", NIGHTJAR_BINARY, "load", url(), "-n",
                "4", "--no-progress", "--db", db(), "-o", path("report.txt")});
  EXPECT_TRUE(p.started());
  const int code = p.wait();
  sigaction(SIGXFSZ, &before, nullptr);
  EXPECT_EQ(code, 1) << p.err();
  EXPECT_NE(p.err().find("the run was not saved"), std::string::npos) << p.err();
  std::ifstream in(path("report.txt"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("latency"), std::string::npos) << "the report is still written";

  // The database is whole, with the run saved before and nothing of the failed one.
  const json runs = list();
  ASSERT_TRUE(runs.is_array());
  ASSERT_EQ(runs.size(), 1u) << runs.dump();
  EXPECT_EQ(runs[0]["id"], kept);
  const Outcome shown = run_nightjar({"results", "show", kept, "--db", db()});
  EXPECT_EQ(shown.code, 0) << shown.err;
  EXPECT_EQ(load(2).size(), kept.size()) << "and it takes new runs once there is room";
}

}  // namespace
}  // namespace nightjar::testing
