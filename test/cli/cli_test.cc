// The command line as a user meets it: the real binary, run as a child process.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <thread>

#include "support/nginx.h"
#include "support/scripted_server.h"
#include "support/cli.h"
#include "support/subprocess.h"
#include "support/server_fixture.h"
#include "support/worker_process.h"

namespace nightjar {
namespace {

using testing::ListeningChild;
using testing::Subprocess;

const std::string kBinary = NIGHTJAR_BINARY;

std::string tls_file(const std::string& name) { return std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/" + name; }

using testing::Outcome;

Outcome run(std::vector<std::string> args) { return testing::run_nightjar(std::move(args)); }

TEST(Cli, HelpListsTheCommands) {
  const Outcome o = run({"--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* command : {"load", "serve", "demo"}) EXPECT_NE(o.out.find(command), std::string::npos);
}

TEST(Cli, LoadHelpDocumentsTheContractFlags) {
  const Outcome o = run({"load", "--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* flag : {"--rps", "--duration", "--connections", "--threads", "--requests", "--warmup",
                           "--timeout", "--max-pending", "--method", "--header", "--body", "--body-file",
                           "--output-format", "--output", "--protocol", "--max-concurrent-streams", "--ca-file",
                           "--insecure", "--sni", "--cert", "--key", "--grpc-method", "--grpc-data-file",
                           "--grpc-health"}) {
    EXPECT_NE(o.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, BadInputGetsAClearMessageAndExitCodeTwo) {
  testing::expect_usage_errors({}, {
      {{"load", "not-a-url"}, "invalid URL 'not-a-url'"},
      {{"load", "http://127.0.0.1:1/", "--rps", "-5"}, "--rps"},
      {{"load", "http://127.0.0.1:1/", "--bogus"}, "--bogus"},
      {{"load", "http://127.0.0.1:1/", "--duration", "10"}, "needs a unit"},
      {{"load", "http://127.0.0.1:1/", "--connections", "0"}, "--connections"},
      {{"load", "http://127.0.0.1:1/", "--output-format", "xml"}, "unknown output format 'xml'"},
      {{"load", "http://127.0.0.1:1/", "--body-file", "/nonexistent/body"}, "/nonexistent/body"},
      {{"load", "http://127.0.0.1:1/", "-H", "no colon"}, "Name: value"},
      {{"load"}, "url"},
      {{"frobnicate"}, "frobnicate"},
      {{"load", "http://127.0.0.1:1/", "--insecure"}, "apply to https:// and grpcs:// URLs"},
      {{"load", "https://127.0.0.1:1/", "--ca-file", "/nonexistent/ca.pem"}, "--ca-file: cannot read '/nonexistent/ca.pem'"},
      {{"load", "https://127.0.0.1:1/", "--ca-file", tls_file("ca.key")}, "--ca-file: '"},
      {{"load", "https://127.0.0.1:1/", "--insecure", "--ca-file", tls_file("ca.pem")}, "cannot be used together"},
      {{"load", "https://127.0.0.1:1/", "--cert", tls_file("client.pem")}, "--cert needs --key"},
      {{"load", "https://127.0.0.1:1/", "--cert", tls_file("client.pem"), "--key", tls_file("worker.key")},
       "does not match --cert"},
      {{"load", "https://127.0.0.1:1/", "--protocol", "h3"}, "--protocol 'h3' is not known"},
      {{"load", "grpc://127.0.0.1:1", "--protocol", "http1"}, "gRPC runs over HTTP/2"},
      {{"load", "grpc://127.0.0.1:1", "--grpc-method", "Ping"}, "must look like /package.Service/Method"},
      {{"load", "http://127.0.0.1:1/", "--grpc-method", "/a.B/C"}, "apply to grpc:// and grpcs:// URLs"},
      {{"load", "grpc://127.0.0.1:1", "--grpc-data-file", "/nonexistent"}, "--grpc-data-file needs --grpc-method"},
      {{"load", "grpc://127.0.0.1:1", "--grpc-method", "/a.B/C", "--grpc-data-file", "/nonexistent/m.bin"},
       "--grpc-data-file: "},
      {{"load", "grpc://127.0.0.1:1/a.B/C"}, "give the call with --grpc-method"},
      {{"load", "grpc://127.0.0.1:1", "--body", "x"}, "--grpc-data-file, not --body"},
  });
}

TEST(Cli, UnreachablePortPrintsTheReportWithConnectionErrorsAndFails) {
  const testing::RefusingPort refusing;
  const std::string url = refusing.url();
  const Outcome o = run({"load", url, "--rps", "100", "--requests", "10", "--no-progress"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("connect_refused: 10"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("no request succeeded"), std::string::npos) << o.out;
}

TEST(Cli, ATlsVerificationFailureIsNamedAndFailsTheRun) {
  if (!testing::Nginx::available()) GTEST_SKIP() << "nginx is not installed";
  testing::Nginx nginx("ssl", "  ssl_certificate " + tls_file("expired.pem") + ";\n  ssl_certificate_key " +
                                  tls_file("expired.key") + ";\n");
  ASSERT_TRUE(nginx.up()) << nginx.error_log();
  const std::string url = "https://127.0.0.1:" + std::to_string(nginx.port()) + "/";
  const Outcome human = run({"load", url, "--ca-file", tls_file("ca.pem"), "-n", "5", "--no-progress"});
  EXPECT_EQ(human.code, 1);
  EXPECT_NE(human.out.find("tls: 5"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("no request succeeded: TLS: certificate verify failed: certificate has expired"),
            std::string::npos)
      << human.out;
  const Outcome json = run({"load", url, "--ca-file", tls_file("ca.pem"), "-n", "5", "--output-format", "json"});
  EXPECT_EQ(json.code, 1);
  EXPECT_NE(json.err.find("no request succeeded; tls: certificate verify failed: certificate has expired"),
            std::string::npos)
      << json.err;
  // --insecure gets through, and the report says verification was off.
  const Outcome insecure = run({"load", url, "--insecure", "-n", "5", "--no-progress"});
  EXPECT_EQ(insecure.code, 0) << insecure.out;
  EXPECT_NE(insecure.out.find("TLS NOT VERIFIED (--insecure)"), std::string::npos) << insecure.out;
  EXPECT_NE(insecure.out.find("warning: TLS certificates were not verified"), std::string::npos) << insecure.out;
}

TEST(Cli, JsonOutputMeetsTheContract) {
  const ListeningChild server("serve");
  const Outcome o = run({"load", server.url("/?size=64"), "--rps", "200", "--requests", "40", "-c", "4",
                         "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_TRUE(j["achieved_rps"].is_number());
  EXPECT_GT(j["achieved_rps"].get<double>(), 0);
  EXPECT_EQ(j["requests"]["completed"].get<int64_t>(), 40);
  EXPECT_EQ(j["requests"]["errors"].get<int64_t>(), 0);
  EXPECT_EQ(j["status_codes"]["200"].get<int64_t>(), 40);
  for (const char* hist : {"latency_ns", "service_time_ns"}) {
    for (const char* field : {"min", "mean", "max"}) EXPECT_TRUE(j[hist][field].is_number()) << hist << field;
    for (const char* p : {"50", "90", "99", "99.9"}) {
      EXPECT_TRUE(j[hist]["percentiles"][p].is_number_integer()) << hist << " " << p;
    }
    EXPECT_LE(j[hist]["percentiles"]["50"].get<int64_t>(), j[hist]["percentiles"]["99"].get<int64_t>());
  }
  ASSERT_TRUE(j["timeline"].is_array());
  EXPECT_FALSE(j["timeline"].empty());
}

TEST(Cli, OutputFileReceivesTheReport) {
  const ListeningChild server("serve");
  const std::string path = ::testing::TempDir() + "/nightjar_cli_report.json";
  const Outcome o = run({"load", server.url(), "--requests", "20", "--output-format", "json", "-o", path});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(o.out.empty());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(nlohmann::json::parse(text.str())["requests"]["completed"].get<int64_t>(), 20);
  std::remove(path.c_str());
}

TEST(Cli, HumanReportShowsRatesCodesAndPercentiles) {
  const ListeningChild server("serve");
  const Outcome o = run({"load", server.url("/?status=503"), "--rps", "100", "--requests", "20"});
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* text : {"open loop at 100 req/s", "20 completed", "503: 20", "p50", "p99.9", "p99.99",
                           "max", "latency", "service time", "schedule lag"}) {
    EXPECT_NE(o.out.find(text), std::string::npos) << text << "\n" << o.out;
  }
}

TEST(Cli, InterruptStillPrintsTheReport) {
  const auto server = testing::start_server();
  ASSERT_NE(server, nullptr);
  const std::string url = "http://" + server->listen_address() + "/";
  Subprocess load({kBinary, "load", url, "--rps", "200", "--duration", "1h", "--output-format", "json"});
  // Interrupt only once the run is underway (its signal handler is installed before the
  // first request goes out).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server->stats().requests < 10 && std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  ASSERT_GE(server->stats().requests, 10);
  load.signal(SIGINT);
  EXPECT_EQ(load.wait(), 130);
  const nlohmann::json j = nlohmann::json::parse(load.all_out());
  EXPECT_TRUE(j["interrupted"].get<bool>());
  EXPECT_GE(j["requests"]["completed"].get<int64_t>(), 10);
  server->stop();
}

TEST(Cli, ReportReRendersASavedResult) {
  const ListeningChild server("serve");
  const std::string path = ::testing::TempDir() + "/nightjar_cli_saved.json";
  ASSERT_EQ(run({"load", server.url(), "--requests", "30", "--name", "saved", "--label", "mesh=none",
                 "--output-format", "json", "-o", path})
                .code,
            0);
  const Outcome json = run({"report", path, "--output-format", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  std::ifstream in(path);
  std::stringstream saved;
  saved << in.rdbuf();
  EXPECT_EQ(json.out, saved.str());
  const Outcome human = run({"report", path});
  EXPECT_EQ(human.code, 0);
  EXPECT_NE(human.out.find("30 completed"), std::string::npos) << human.out;
  std::remove(path.c_str());
}

TEST(Cli, HlogFlagWritesOneIntervalPerSecondAndKind) {
  const ListeningChild server("serve");
  const std::string hlog = ::testing::TempDir() + "/nightjar_cli.hlog";
  const Outcome o = run({"load", server.url(), "--rps", "100", "--requests", "150", "--hlog", hlog,
                         "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const size_t seconds = nlohmann::json::parse(o.out)["timeline"].size();
  std::ifstream in(hlog);
  std::string line;
  size_t latency_lines = 0;
  size_t service_lines = 0;
  bool header = false;
  while (std::getline(in, line)) {
    if (line.rfind("#[Histogram log format version 1.3]", 0) == 0) header = true;
    if (line.rfind("Tag=latency,", 0) == 0) ++latency_lines;
    if (line.rfind("Tag=service_time,", 0) == 0) ++service_lines;
  }
  EXPECT_TRUE(header);
  EXPECT_GE(seconds, 1u);
  EXPECT_EQ(latency_lines, seconds);
  EXPECT_EQ(service_lines, seconds);
  std::remove(hlog.c_str());
}

TEST(Cli, ReportNamesAnUnreadableOrWrongFile) {
  Outcome o = run({"report", "/nonexistent/result.json"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("/nonexistent/result.json"), std::string::npos) << o.err;
  const std::string path = ::testing::TempDir() + "/nightjar_cli_bad.json";
  std::ofstream(path) << "{\"tool\": \"nightjar\", \"options\": {}}";
  o = run({"report", path});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("options.urls is missing"), std::string::npos) << o.err;
  std::remove(path.c_str());
}

TEST(Cli, RunExecutesAnSmpsTestWithSeveralClientsAndCombinesThem) {
  const ListeningChild server("serve");
  const std::string base = server.url();
  const std::string path = ::testing::TempDir() + "/nightjar_cli_test.yaml";
  std::ofstream(path) << "test:\n"
                         "  name: two clients\n"
                         "  duration: 1s\n"
                         "  clients:\n"
                         "    - protocol: 0\n"
                         "      connections: 2\n"
                         "      rps: 50\n"
                         "      endpoint_urls: ['" << base << "?status=200']\n"
                         "    - connections: 1\n"
                         "      rps: 30\n"
                         "      endpoint_urls: ['" << base << "?status=202']\n"
                         "mesh:\n"
                         "  type: 3\n";
  const Outcome o = run({"run", "-f", path, "--output-format", "json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const nlohmann::json j = nlohmann::json::parse(o.out);
  EXPECT_EQ(j["test_name"], "two clients");
  EXPECT_EQ(j["labels"]["mesh.type"], "3");
  EXPECT_EQ(j["status_codes"]["200"].get<int64_t>(), 50);
  EXPECT_EQ(j["status_codes"]["202"].get<int64_t>(), 30);
  EXPECT_EQ(j["requests"]["completed"].get<int64_t>(), 80);
  EXPECT_DOUBLE_EQ(j["requested_rps"].get<double>(), 80);
  ASSERT_EQ(j["shards"].size(), 2u);
  EXPECT_EQ(j["shards"][1]["completed"].get<int64_t>(), 30);

  const Outcome human = run({"run", "-f", path});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("== client-0"), std::string::npos);
  EXPECT_NE(human.out.find("== client-1"), std::string::npos);
  EXPECT_NE(human.out.find("== combined: 2 clients"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Cli, RunNamesTheBadFieldOfATestFile) {
  const std::string path = ::testing::TempDir() + "/nightjar_cli_bad_test.yaml";
  std::ofstream(path) << "duration: 1s\nclients:\n  - rps: fast\n    endpoint_urls: ['http://127.0.0.1:1/']\n";
  const Outcome o = run({"run", "-f", path});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find(path + ":3:10: clients[0].rps"), std::string::npos) << o.err;
  std::remove(path.c_str());
}

TEST(Cli, WorkerAndControllerRunATestTogether) {
#ifdef NIGHTJAR_TSAN
  GTEST_SKIP() << "grpc (uninstrumented in Debian) makes TSan report its own internals";
#endif
  const ListeningChild server("serve");
  testing::WorkerProcess worker;
  ASSERT_FALSE(worker.address().empty());
  const Outcome o = run({"load", server.url(), "--rps", "100", "--requests", "20", "-c", "2", "--workers",
                         worker.address(), "--no-progress"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("20 completed"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("Workers     1 worker"), std::string::npos) << o.out;
  EXPECT_EQ(worker.stop(), 0);
}

TEST(Cli, DistributedOptionsAreChecked) {
#ifdef NIGHTJAR_TSAN
  GTEST_SKIP() << "grpc (uninstrumented in Debian) makes TSan report its own internals";
#endif
  Outcome o = run({"worker", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("beyond loopback without --token-file"), std::string::npos) << o.err;
  o = run({"load", "http://127.0.0.1:1/", "--workers", "nohostport"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("'nohostport' needs a port"), std::string::npos) << o.err;
  o = run({"load", "http://127.0.0.1:1/", "--min-workers", "2"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("need --workers"), std::string::npos) << o.err;
  o = run({"load", "http://127.0.0.1:1/", "--workers", "127.0.0.1:1", "--worker-token-file", "/nonexistent/token"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("/nonexistent/token"), std::string::npos) << o.err;
  o = run({"load", "http://127.0.0.1:1/", "--workers", "127.0.0.1:1"});
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("127.0.0.1:1: unreachable"), std::string::npos) << o.err;
}

TEST(Cli, ServeRejectsABadListenAddress) {
  const Outcome o = run({"serve", "--listen", "nonsense"});
  EXPECT_NE(o.code, 0);
  EXPECT_NE(o.err.find("nonsense"), std::string::npos) << o.err;
}

TEST(Cli, DemoRunsAShortTestAgainstItsOwnServer) {
  const std::string html = ::testing::TempDir() + "/nightjar_demo.html";
  const Outcome o = run({"demo", "--duration", "1s", "--rps", "200", "--html", html});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("HTML report: " + html), std::string::npos) << o.out;
  std::ifstream in(html);
  std::stringstream page;
  page << in.rdbuf();
  EXPECT_NE(page.str().find("<svg"), std::string::npos);
  std::remove(html.c_str());
  EXPECT_NE(o.out.find("listening on 127.0.0.1:"), std::string::npos);
  EXPECT_NE(o.out.find("200 req/s achieved"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("200: 200"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace nightjar
