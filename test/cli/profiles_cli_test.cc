// Profiles as a user meets them: `nightjar profiles save|list|show|rm|export|import` and
// `nightjar run --profile` with the real binary, a real SQLite file in the test's own folder
// (--db) and a real `nightjar serve` on 127.0.0.1:0 as the target.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/cli.h"
#include "support/data_files.h"

namespace nightjar::testing {
namespace {

using nlohmann::json;

// Not listened on: profiles that are saved, never run, name it.
const std::string kNowhere = "http://127.0.0.1:1/";

class ProfilesCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = per_test_dir("nightjar-profiles-");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string db() const { return path("results.db"); }
  // A file in the test's folder holding `text`.
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }

  // `nightjar profiles ARGS... --db DB`.
  Outcome profiles(std::vector<std::string> args) const {
    args.insert(args.begin(), "profiles");
    args.insert(args.end(), {"--db", db()});
    return run_nightjar(args);
  }
  // `profiles list --output-format json`, parsed.
  json list() const {
    const Outcome o = profiles({"list", "--output-format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    return json::parse(o.out, nullptr, false);
  }
  // `nightjar run --profile NAME --db DB` with a JSON report; returns the saved run's ID.
  std::string run_profile(const std::string& name) const {
    const Outcome o = run_nightjar(
        {"run", "--profile", name, "--db", db(), "--no-progress", "--output-format", "json"});
    EXPECT_EQ(o.code, 0) << o.err;
    const json report = json::parse(o.out, nullptr, false);
    EXPECT_EQ(report["test_name"], name) << o.out;
    const std::string marker = "nightjar: saved as run ";
    const size_t at = o.err.find(marker);
    EXPECT_NE(at, std::string::npos) << o.err;
    if (at == std::string::npos) return "";
    std::string id = o.err.substr(at + marker.size());
    return id.substr(0, id.find('\n'));
  }

  std::filesystem::path dir_;
};

TEST_F(ProfilesCli, ASaveFromFlagsIsListedShownReplacedAndRemoved) {
  const Outcome saved = profiles({"save", "checkout", kNowhere, "--rps", "2.5", "-n", "20", "-c",
                                  "3", "-H", "X-Team: payments", "--label", "mesh=istio"});
  ASSERT_EQ(saved.code, 0) << saved.err;
  EXPECT_EQ(saved.out, "saved profile checkout\n");

  const Outcome shown = profiles({"show", "checkout"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  for (const char* part :
       {"name: checkout\n", "endpointUrls:", "connections: 3", "X-Team: payments", "duration: 0s",
        "nightjar:\n", "rps: 2.5", "requests: 20"}) {
    EXPECT_NE(shown.out.find(part), std::string::npos) << part << " in\n" << shown.out;
  }

  json all = list();
  ASSERT_EQ(all.size(), 1u) << all;
  EXPECT_EQ(all[0]["name"], "checkout");
  EXPECT_EQ(all[0]["urls"], json::array({kNowhere}));
  EXPECT_EQ(all[0]["rps"], 2.5);
  EXPECT_EQ(all[0]["requests"], 20);
  EXPECT_EQ(all[0]["connections"], 3);
  EXPECT_EQ(all[0]["protocol"], "http/1.1");
  EXPECT_EQ(all[0]["runs"], 0);
  EXPECT_TRUE(all[0]["last_run"].is_null());
  const Outcome human = profiles({"list"});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("checkout"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find(kNowhere), std::string::npos) << human.out;

  const Outcome again = profiles({"save", "checkout", kNowhere});
  EXPECT_EQ(again.code, 2) << "an existing profile is kept unless --force";
  EXPECT_NE(again.err.find("profile 'checkout' already exists"), std::string::npos) << again.err;
  ASSERT_EQ(profiles({"save", "checkout", kNowhere, "--rps", "7", "--force"}).code, 0);
  EXPECT_EQ(list()[0]["rps"], 7);

  ASSERT_EQ(profiles({"save", "browse", kNowhere}).code, 0);
  const Outcome missing = profiles({"rm", "browse", "nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no profile 'nope'"), std::string::npos) << missing.err;
  EXPECT_EQ(list().size(), 2u) << "all or none";
  const Outcome removed = profiles({"rm", "browse", "checkout"});
  ASSERT_EQ(removed.code, 0) << removed.err;
  EXPECT_EQ(removed.out, "removed 2 profiles\n");
  EXPECT_TRUE(list().empty());
  const Outcome gone = profiles({"show", "checkout"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("no profile 'checkout'"), std::string::npos) << gone.err;
}

TEST_F(ProfilesCli, ASaveFromATestFileIsCheckedAsRunChecksIt) {
  const std::string good = file("good.yaml",
                                "name: from-file\nduration: 5s\nclients:\n"
                                "  - {endpointUrls: ['" +
                                    kNowhere +
                                    "'], rps: 10}\n"
                                    "nightjar: {threads: 2}\n");
  const Outcome saved = profiles({"save", "ff", "-f", good});
  ASSERT_EQ(saved.code, 0) << saved.err;
  const Outcome shown = profiles({"show", "ff"});
  EXPECT_NE(shown.out.find("name: from-file"), std::string::npos) << "the test keeps its name";
  EXPECT_NE(shown.out.find("threads: 2"), std::string::npos) << shown.out;

  const std::string broken = file("broken.yaml",
                                  "duration: 5s\nclients:\n  - rps: lots\n"
                                  "    endpointUrls: ['" +
                                      kNowhere + "']\n");
  expect_usage_errors(
      {"profiles", "--db", db(), "save", "x"},
      {
          {{"-f", broken}, broken + ":3:10: clients[0].rps: must be a whole number"},
          {{"-f", path("missing.yaml")}, "missing.yaml"},
          {{"-f", good, kNowhere}, "give either -f TEST.yaml or the test's URLs"},
          {{"-f", good, "--rps", "5"}, "not both"},
          {{}, "give the test, as -f TEST.yaml or as the URLs and flags"},
          {{kNowhere, "--rps", "-5"}, "--rps"},
          {{kNowhere, "-o", "out.json"}, "-o"},
          {{kNowhere, "--workers", "127.0.0.1:1"}, "--workers"},
      });
  expect_usage_errors(
      {"profiles", "--db", db(), "save"},
      {{{"bad\tname", kNowhere}, "profile name 'bad\tname' has a control character"}});
}

TEST_F(ProfilesCli, ImportReadsTheLegacyShapeAndNamesTheProfileAfterItsTest) {
  const std::string legacy = test_data_path("config/smp-test-legacy.yaml");
  const Outcome imported = profiles({"import", legacy});
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_EQ(imported.out, "saved profile Load Test\n");
  const Outcome shown = profiles({"show", "Load Test"});
  ASSERT_EQ(shown.code, 0) << shown.err;
  for (const char* part : {"name: \"Load Test\"", "mesh.type: \"3\"", "connections: 2", "rps: 10",
                           "- \"https://smp-spec.io/\"", "duration: 1m\n"}) {
    EXPECT_NE(shown.out.find(part), std::string::npos) << part << " in\n" << shown.out;
  }
  EXPECT_EQ(shown.out.find("smp_version"), std::string::npos) << "kept in the current shape";

  EXPECT_EQ(profiles({"import", legacy}).code, 2) << "exists";
  ASSERT_EQ(profiles({"import", legacy, "--force"}).code, 0);
  ASSERT_EQ(profiles({"import", legacy, "--name", "smp"}).code, 0);
  EXPECT_EQ(list().size(), 2u);

  const std::string nameless = file("nameless.json",
                                    "{\"duration\": \"1s\", \"clients\": "
                                    "[{\"endpointUrls\": [\"" +
                                        kNowhere + "\"]}]}");
  expect_usage_errors({"profiles", "--db", db(), "import"},
                      {{{nameless}, "has no test name: name the profile with --name"}});
  ASSERT_EQ(profiles({"import", nameless, "--name", "json-one"}).code, 0);
  EXPECT_NE(profiles({"show", "json-one"}).out.find("name: json-one"), std::string::npos)
      << "a test without a name takes the profile's";
}

TEST_F(ProfilesCli, AnExportedProfileRunsWithRunFAndMesherysFormHasNoNightjarSection) {
  ListeningChild server("serve");
  ASSERT_FALSE(server.address().empty());
  ASSERT_EQ(profiles({"save", "hit", server.url(), "-n", "20", "-c", "2"}).code, 0);
  const Outcome exported = profiles({"export", "hit", "-o", path("hit.yaml")});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_EQ(exported.out, "");
  const Outcome ran = run_nightjar(
      {"run", "-f", path("hit.yaml"), "--no-save", "--no-progress", "--output-format", "json"});
  ASSERT_EQ(ran.code, 0) << ran.err;
  EXPECT_EQ(json::parse(ran.out, nullptr, false)["requests"]["completed"], 20) << ran.out;

  ASSERT_EQ(profiles({"save", "timed", server.url(), "-d", "2s", "--rps", "1.5", "-t", "2"}).code,
            0);
  const Outcome meshery = profiles({"export", "timed", "--meshery"});
  ASSERT_EQ(meshery.code, 0) << meshery.err;
  EXPECT_EQ(meshery.out.find("nightjar"), std::string::npos) << meshery.out;
  EXPECT_NE(meshery.out.find("rps: 2"), std::string::npos) << meshery.out;
  EXPECT_NE(meshery.err.find("leaves out what only nightjar runs: nightjar.rps, nightjar.threads"),
            std::string::npos)
      << meshery.err;
  const Outcome count_only = profiles({"export", "hit", "--meshery"});
  EXPECT_EQ(count_only.code, 2);
  EXPECT_NE(count_only.err.find("Meshery needs a duration"), std::string::npos) << count_only.err;
}

TEST_F(ProfilesCli, RunProfileLinksItsRunsAndResultsListShowsTheHistory) {
  ListeningChild server("serve");
  ASSERT_FALSE(server.address().empty());
  ASSERT_EQ(profiles({"save", "smoke", server.url("/?size=16"), "-n", "10", "-c", "2"}).code, 0);
  const std::string first = run_profile("smoke");
  const std::string second = run_profile("smoke");
  ASSERT_EQ(second.size(), 12u) << second;

  const Outcome history = run_nightjar(
      {"results", "list", "--profile", "smoke", "--db", db(), "--output-format", "json"});
  ASSERT_EQ(history.code, 0) << history.err;
  const json runs = json::parse(history.out, nullptr, false);
  ASSERT_EQ(runs.size(), 2u) << history.out;
  EXPECT_EQ(runs[0]["id"], second) << "newest first";
  EXPECT_EQ(runs[1]["id"], first);
  for (const json& run : runs) {
    EXPECT_EQ(run["profile"], "smoke");
    EXPECT_EQ(run["completed"], 10);
    EXPECT_EQ(run["name"], "smoke");
  }
  const json all = list();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["runs"], 2);
  EXPECT_EQ(all[0]["last_run"]["id"], second);

  // A plain `run -f` of the same test is no run of the profile.
  ASSERT_EQ(profiles({"export", "smoke", "-o", path("smoke.yaml")}).code, 0);
  ASSERT_EQ(run_nightjar({"run", "-f", path("smoke.yaml"), "--db", db(), "--no-progress"}).code, 0);
  EXPECT_EQ(list()[0]["runs"], 2);
}

TEST_F(ProfilesCli, AProfileKeepsItsSlosAndItsRunsAreJudgedByThem) {
  ListeningChild server("serve");
  ASSERT_FALSE(server.address().empty());
  // p50 under a microsecond is never met over loopback; p50 under 10 s always is.
  ASSERT_EQ(profiles({"save", "strict", server.url("/"), "-n", "5", "--slo", "p50<1us", "--slo",
                      "p50<10s"})
                .code,
            0);
  const Outcome shown = profiles({"show", "strict"});
  EXPECT_NE(shown.out.find("slos:"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("p50<1us"), std::string::npos) << shown.out;
  const Outcome judged = run_nightjar({"run", "--profile", "strict", "--db", db(), "--no-progress",
                                       "--output-format", "json"});
  EXPECT_EQ(judged.code, 3) << judged.err;
  const json result = json::parse(judged.out, nullptr, false);
  ASSERT_TRUE(result.contains("slos")) << judged.out;
  ASSERT_EQ(result["slos"].size(), 2u);
  EXPECT_FALSE(result["slos"][0]["pass"].get<bool>());
  EXPECT_TRUE(result["slos"][1]["pass"].get<bool>());
  const Outcome bad = profiles({"save", "broken", server.url("/"), "--slo", "p99<<2ms"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--slo"), std::string::npos) << bad.err;
}

TEST_F(ProfilesCli, BadRunInputsGetMessagesAndTheDocumentedExitCodes) {
  const Outcome no_database = run_nightjar({"run", "--profile", "nope", "--db", db()});
  EXPECT_EQ(no_database.code, 1);
  EXPECT_NE(no_database.err.find("no profile 'nope': no results database at"), std::string::npos)
      << no_database.err;
  ASSERT_EQ(profiles({"save", "known", kNowhere}).code, 0);
  const Outcome unknown = run_nightjar({"run", "--profile", "nope", "--db", db()});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("no profile 'nope' in " + db() + " (there are: known)"),
            std::string::npos)
      << unknown.err;
  const std::string test =
      file("t.yaml", "duration: 1s\nclients: [{endpointUrls: ['" + kNowhere + "']}]\n");
  expect_usage_errors({"run", "--db", db()}, {
                                                 {{"-f", test, "--profile", "known"},
                                                  "-f and --profile cannot be used together"},
                                                 {{}, "run needs -f TEST.yaml or --profile NAME"},
                                             });
}

TEST(ProfilesCliHelp, TheCommandIsListed) {
  const Outcome help = run_nightjar({"--help"});
  EXPECT_NE(help.out.find("profiles"), std::string::npos) << help.out;
  const Outcome unknown = run_nightjar({"profile"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("results, profiles"), std::string::npos) << unknown.err;
  const Outcome save_help = run_nightjar({"profiles", "save", "--help"});
  EXPECT_EQ(save_help.code, 0);
  for (const char* flag : {"--file", "--force", "--rps", "--duration", "--grpc-method", "--db"}) {
    EXPECT_NE(save_help.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(save_help.out.find("--output-format"), std::string::npos)
      << "a run's flag, not a test's";
}

}  // namespace
}  // namespace nightjar::testing
