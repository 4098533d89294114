// Malformed input as a user (or an attacker) gives it: every case ends with a message and a
// documented exit code, never a signal. The cases of ../shared/tools/crash-smoke.sh and the
// ones found while hardening (docs/reliability.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "server/test_server.h"
#include "support/cli.h"
#include "support/server_fixture.h"

namespace nightjar {
namespace {

using testing::Outcome;

class Robustness : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = testing::start_server();
    ASSERT_NE(server_, nullptr);
    dir_ = std::filesystem::temp_directory_path() /
           ("nightjar-robust-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (server_) server_->stop();
    std::filesystem::remove_all(dir_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }
  std::string file(const std::string& name, const std::string& content) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::unique_ptr<server::TestServer> server_;
  std::filesystem::path dir_;
};

// A usage error: exit 2 and a message naming what was wrong.
void ExpectUsageError(const Outcome& o, const std::string& names) {
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("nightjar: error: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(names), std::string::npos) << o.err;
}

TEST_F(Robustness, OutOfRangeFlagsAreUsageErrorsNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--max-pending", "4000000000000"}, "--max-pending must be from 0 to 1000000"},
      {{"-c", "2000000000"}, "--connections must be from 1 to 100000"},
      {{"-t", "100000"}, "--threads must be from 1 to 256"},
      {{"--rps", "1e15", "--warmup", "1h"}, "--rps must be from 0.001 to 10000000"},
      {{"--rps", "nan"}, "--rps"},
      {{"--rps", "-3"}, "--rps"},
      {{"--max-concurrent-streams", "9999999999"}, "--max-concurrent-streams"},
      {{"--max-concurrent-streams", "0"}, "--max-concurrent-streams must be from 1 to 1000"},
      {{"--timeout", "0s"}, "--timeout must be from 1ms"},
      {{"--warmup", "2h"}, "--warmup must be from"},
      {{"-d", "25h"}, "--duration must be from"},
      {{"-m", "GE T"}, "--method"},
      {{"-H", "X-A: b\rc"}, "-H"},
      {{"--label", "novalue"}, "--label"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"load", url(), "--no-progress"};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto given = [&](const char* flag) { return std::find(flags.begin(), flags.end(), flag) != flags.end(); };
    if (!given("--rps")) args.insert(args.end(), {"--rps", "10"});
    if (!given("-d")) args.insert(args.end(), {"-d", "1s"});
    SCOPED_TRACE(flags.front());
    ExpectUsageError(testing::run_nightjar(args), message);
  }
  EXPECT_EQ(server_->stats().requests, 0) << "a refused run sends nothing";
}

TEST_F(Robustness, InvalidUtf8InNamesLabelsAndHeadersIsWrittenInEveryFormat) {
  for (const std::string format : {"json", "fortio", "smps", "yaml", "csv", "html", "prometheus", "human"}) {
    SCOPED_TRACE(format);
    const std::string out = path("out." + format);
    const Outcome o = testing::run_nightjar({"load", url(), "--rps", "200", "-n", "5", "--no-progress", "--name",
                                             "x\xff\xfe", "--label", "k=\xc3", "-H", "X-A: \xff", "--output-format",
                                             format, "-o", out});
    ASSERT_EQ(o.code, 0) << o.err;
    std::ifstream in(out, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(text.empty());
    if (format == "json" || format == "fortio" || format == "smps") {
      // Valid JSON, and the bytes that were not UTF-8 became U+FFFD.
      const auto doc = nlohmann::json::parse(text, nullptr, false);
      ASSERT_FALSE(doc.is_discarded()) << text.substr(0, 200);
      EXPECT_NE(text.find("x\xef\xbf\xbd\xef\xbf\xbd"), std::string::npos) << text.substr(0, 400);
    }
  }
}

TEST_F(Robustness, AReportThatCannotBeWrittenIsRefusedBeforeTheRun) {
  ExpectUsageError(testing::run_nightjar({"load", url(), "--rps", "10", "-d", "1s", "--no-progress", "-o",
                                          "/nonexistent/dir/r.json"}),
                   "-o: the folder '/nonexistent/dir' does not exist");
  ExpectUsageError(testing::run_nightjar({"load", url(), "--rps", "10", "-d", "1s", "--no-progress", "-o",
                                          dir_.string()}),
                   "is a directory");
  ExpectUsageError(testing::run_nightjar({"load", url(), "--rps", "10", "-d", "1s", "--no-progress", "--hlog", "-"}),
                   "--hlog needs a file name");
  EXPECT_EQ(server_->stats().requests, 0);
}

TEST_F(Robustness, ReportWriteFailureAfterTheRunStillPrintsTheReport) {
  // /dev/full accepts the open and fails the write: a full disk, after the measurement.
  const Outcome o = testing::run_nightjar({"load", url(), "--rps", "200", "-n", "5", "--no-progress",
                                           "--output-format", "json", "-o", "/dev/full"});
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find("cannot write '/dev/full'"), std::string::npos) << o.err;
  EXPECT_NE(o.out.find("requests"), std::string::npos) << "the human report goes to standard output: " << o.out;
}

TEST_F(Robustness, BodyFilesAreBoundedAndMustBeReadable) {
  ExpectUsageError(testing::run_nightjar({"load", url(), "--rps", "10", "-d", "1s", "--body-file", "/nonexistent"}),
                   "--body-file");
  const std::string big = path("big.bin");
  std::filesystem::resize_file(file("big.bin", ""), (64u << 20) + 1);
  ExpectUsageError(testing::run_nightjar({"load", url(), "--rps", "10", "-d", "1s", "--body-file", big}),
                   "larger than 64 MiB");
}

TEST_F(Robustness, MalformedFilesNeverCrashReportOrRun) {
  const std::vector<std::string> files = {
      file("a.json", R"({"tool": 5})"),
      file("b.json", R"({"tool":"nightjar","requests":{"completed":"x"}})"),
      file("c.json", "[1,2,3]"),
      file("d.json", R"({"tool":"nightjar","latency_ns":{"histogram":"!!!notbase64"}})"),
      file("e.json", std::string("\xff\xfe\x00{\"", 5)),
      file("a.yaml", "test:\n  clients:\n    - rps: [oops\n"),
      file("b.yaml", "test: {clients: 5}\n"),
      file("c.yaml", "clients:\n  - endpointUrls: [5]\n    rps: -1\n    connections: 99999999999\n"),
      file("deep.json", std::string(100000, '[') + std::string(100000, ']')),
  };
  for (const std::string& f : files) {
    SCOPED_TRACE(f);
    for (const std::string command : {"report", "run"}) {
      const Outcome o = command == "report" ? testing::run_nightjar({"report", f})
                                            : testing::run_nightjar({"run", "-f", f, "--no-progress"});
      ExpectUsageError(o, std::filesystem::path(f).filename().string());
    }
  }
}

}  // namespace
}  // namespace nightjar
