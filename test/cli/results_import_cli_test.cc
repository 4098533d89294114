// `nightjar results import`: fortio's and Meshery's files and nightjar's own exports saved into a
// database of the test's own, listed with where they came from, shown again in fortio's format
// with fortio's counts, and exported unchanged. The real binary and a real SQLite file.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "support/cli_fixture.h"

namespace nightjar::testing {
namespace {

using nlohmann::json;

const std::string kFortioFile = std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/fortio_reference.json";
const std::string kMesheryFile = std::string(NIGHTJAR_TEST_DATA_DIR) + "/import/meshery_stored_results.json";

class ResultsImportCliTest : public CliTest {
 protected:
  std::string db() const { return path("results.db"); }
  Outcome import(const std::vector<std::string>& files, const std::string& db_file) {
    std::vector<std::string> args = {"results", "import"};
    args.insert(args.end(), files.begin(), files.end());
    args.insert(args.end(), {"--db", db_file});
    return run_nightjar(args);
  }
  // The run IDs of "imported FILE[#i] as run ID (format)" lines, in order.
  static std::vector<std::string> imported_ids(const std::string& out) {
    std::vector<std::string> ids;
    const std::regex line(R"(imported \S+ as run ([0-9A-Z]{12}) \((nightjar|fortio|meshery)\))");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) ids.push_back((*it)[1]);
    return ids;
  }
  json list(const std::string& db_file) {
    const Outcome o = run_nightjar({"results", "list", "--db", db_file, "--output-format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    return json::parse(o.out, nullptr, false);
  }
  std::string export_all(const std::string& db_file) {
    std::vector<std::string> args = {"results", "export", "--db", db_file};
    for (const json& run : list(db_file)) args.push_back(run["id"]);
    const Outcome o = run_nightjar(args);
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }
};

TEST_F(ResultsImportCliTest, FortioAndMesheryFilesAreSavedAndListedWithTheirSource) {
  const Outcome o = import({kFortioFile, kMesheryFile}, db());
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  const std::vector<std::string> ids = imported_ids(o.out);
  ASSERT_EQ(ids.size(), 4u) << o.out;
  EXPECT_NE(o.out.find("imported " + kFortioFile + " as run " + ids[0] + " (fortio)\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("imported " + kMesheryFile + "#2 as run " + ids[3] + " (meshery)\n"), std::string::npos)
      << o.out;

  const json runs = list(db());
  ASSERT_EQ(runs.size(), 4u);
  int fortio = 0;
  int meshery = 0;
  for (const json& run : runs) {
    fortio += run["source"] == "import:fortio" ? 1 : 0;
    meshery += run["source"] == "import:meshery" ? 1 : 0;
    if (run["id"] == ids[0]) {
      EXPECT_EQ(run["name"], "test");
      EXPECT_EQ(run["completed"], 306);
      EXPECT_EQ(run["duration_ns"], 5'101'701'580);
    }
  }
  EXPECT_EQ(fortio, 1);
  EXPECT_EQ(meshery, 3);
  EXPECT_EQ(list(db())[0]["started"], "2022-05-12T18:17:05.183424Z") << "newest first, by fortio's StartTime";
  const Outcome human = run_nightjar({"results", "list", "--db", db(), "--label", "mesh=linkerd"});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("(import:meshery)"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("meshery.profile=73e94919-1692-41e8-8bc6-ab0ac0e505e9"), std::string::npos) << human.out;
}

TEST_F(ResultsImportCliTest, AnImportedFortioResultShowsAsFortiosCountsAndSaysWhatIsApproximate) {
  const Outcome o = import({kFortioFile}, db());
  ASSERT_EQ(o.code, 0) << o.err;
  const std::vector<std::string> ids = imported_ids(o.out);
  ASSERT_EQ(ids.size(), 1u) << o.out;
  const Outcome shown = run_nightjar({"results", "show", ids[0], "--db", db(), "--output-format", "fortio"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  const json back = json::parse(shown.out);
  std::ifstream in(kFortioFile);
  const json original = json::parse(in);
  EXPECT_EQ(back["DurationHistogram"]["Count"], original["DurationHistogram"]["Count"]);
  EXPECT_EQ(back["RetCodes"], original["RetCodes"]);
  EXPECT_EQ(back["ActualDuration"], original["ActualDuration"]);
  EXPECT_EQ(back["RequestedQPS"], original["RequestedQPS"]);

  const Outcome human = run_nightjar({"results", "show", ids[0], "--db", db()});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("imported from fortio 1.6.8: exact: count, min, max"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("fortio's own"), std::string::npos) << human.out;
  const Outcome as_json = run_nightjar({"results", "show", ids[0], "--db", db(), "--output-format", "json"});
  ASSERT_EQ(as_json.code, 0) << as_json.err;
  EXPECT_EQ(json::parse(as_json.out)["provenance"]["approximate"], json({"percentiles", "mean", "stdev"}));
}

TEST_F(ResultsImportCliTest, AnExportImportedIntoAnotherDatabaseExportsTheSameJson) {
  const Outcome loaded = run_nightjar({"load", url(), "-n", "20", "-c", "2", "--no-progress", "--db", db(),
                                       "--name", "round-trip", "--label", "mesh=none"});
  ASSERT_EQ(loaded.code, 0) << loaded.err;
  ASSERT_EQ(import({kFortioFile}, db()).code, 0);
  const std::string first = export_all(db());
  { std::ofstream(path("export.json")) << first; }
  const Outcome o = import({path("export.json")}, path("other.db"));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(imported_ids(o.out).size(), 2u) << o.out;
  EXPECT_NE(o.out.find("export.json#1 as run "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("(nightjar)"), std::string::npos) << o.out;
  EXPECT_EQ(export_all(path("other.db")), first);
  for (const json& run : list(path("other.db"))) EXPECT_EQ(run["source"], "import:nightjar");
}

TEST_F(ResultsImportCliTest, AFileThatFailsKeepsNothingOfItAndTheOtherFilesAreImported) {
  std::ifstream in(kMesheryFile);
  json broken = json::parse(in);
  broken[2]["runner_results"][0]["DurationHistogram"]["Data"][3]["Count"] = -1;
  { std::ofstream(path("broken.json")) << broken.dump(); }
  const Outcome o = import({path("broken.json"), path("missing.json"), kFortioFile}, db());
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("nightjar: error: " + path("broken.json") +
                       ": [2].runner_results[0].DurationHistogram.Data[3].Count must not be negative"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("cannot read '" + path("missing.json") + "'"), std::string::npos) << o.err;
  EXPECT_EQ(imported_ids(o.out).size(), 1u) << o.out;
  const json runs = list(db());
  ASSERT_EQ(runs.size(), 1u) << "the broken file's first two results are not kept";
  EXPECT_EQ(runs[0]["source"], "import:fortio");
}

TEST_F(ResultsImportCliTest, ImportingAFileAgainAddsNewRuns) {
  const Outcome first = import({kFortioFile}, db());
  const Outcome second = import({kFortioFile}, db());
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_NE(imported_ids(first.out), imported_ids(second.out));
  EXPECT_EQ(list(db()).size(), 2u);
}

TEST_F(ResultsImportCliTest, UsageErrorsExit2AndHelpDescribesTheFormats) {
  expect_usage_errors({"results", "import"}, {{{"--db", db()}, "file is required"},
                                              {{kFortioFile, "--bogus"}, "--bogus"}});
  const Outcome help = run_nightjar({"results", "import", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* expected : {"fortio", "Meshery", "runner_results", "upper bounds", "Exit codes"}) {
    EXPECT_NE(help.out.find(expected), std::string::npos) << expected << "\n" << help.out;
  }
  const Outcome via_parent = run_nightjar({"results", "--db", db(), "import", kFortioFile});
  EXPECT_EQ(via_parent.code, 0) << via_parent.err;
  EXPECT_EQ(list(db()).size(), 1u) << "results --db reaches import";
}

}  // namespace
}  // namespace nightjar::testing
