// The distributed commands as a user meets them: `nightjar certs`, `nightjar worker` and a
// controller (`nightjar load --workers`), all real processes on loopback. The target is a
// test server in this process, so the tests count what reaches it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "server/test_server.h"
#include "support/cli.h"
#include "support/server_fixture.h"
#include "support/worker_process.h"

namespace nightjar {
namespace {

using testing::Outcome;
using testing::WorkerProcess;

Outcome run(std::vector<std::string> args) { return testing::run_nightjar(std::move(args)); }

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class DistributedCli : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef NIGHTJAR_TSAN
    GTEST_SKIP() << "grpc (uninstrumented in Debian) makes TSan report its own internals";
#endif
    target_ = testing::start_server();
    ASSERT_NE(target_, nullptr);
    dir_ = std::filesystem::temp_directory_path() /
           ("nightjar-dist-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    if (target_) target_->stop();
    std::filesystem::remove_all(dir_);
  }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(target_->port()) + "/";
  }
  int64_t target_requests() const { return target_->stats().requests; }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::unique_ptr<server::TestServer> target_;
  std::filesystem::path dir_;
};

TEST_F(DistributedCli, CertsWritesAMutualTlsSetThatAWorkerAndAControllerUse) {
  const std::string out = path("certs");
  Outcome o = run({"certs", "--out", out, "--hosts", "127.0.0.1,localhost"});
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* key : {"ca-key.pem", "worker-key.pem", "controller-key.pem"}) {
    EXPECT_EQ(mode_of(dir_ / "certs" / key), 0600u) << key;
    EXPECT_NE(read_text(dir_ / "certs" / key).find("PRIVATE KEY"), std::string::npos) << key;
  }
  for (const char* cert : {"ca.pem", "worker.pem", "controller.pem"}) {
    EXPECT_EQ(mode_of(dir_ / "certs" / cert), 0644u) << cert;
    EXPECT_NE(read_text(dir_ / "certs" / cert).find("BEGIN CERTIFICATE"), std::string::npos) << cert;
  }
  EXPECT_NE(o.out.find("--tls-cert " + out + "/worker.pem"), std::string::npos) << o.out;

  // Mutual TLS with exactly these files: the controller's certificate is required.
  WorkerProcess worker({"--tls-cert", out + "/worker.pem", "--tls-key", out + "/worker-key.pem", "--client-ca",
                        out + "/ca.pem"});
  ASSERT_FALSE(worker.address().empty());
  o = run({"load", url(), "--rps", "100", "--requests", "20", "-c", "2", "--no-progress", "--workers",
           worker.address(), "--worker-ca", out + "/ca.pem", "--worker-cert", out + "/controller.pem",
           "--worker-key", out + "/controller-key.pem"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("20 completed"), std::string::npos) << o.out;
  EXPECT_EQ(target_requests(), 20);
  o = run({"load", url(), "--rps", "100", "--requests", "20", "-c", "2", "--no-progress", "--workers",
           worker.address(), "--worker-ca", out + "/ca.pem"});
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_NE(o.err.find(worker.address() + ": unreachable"), std::string::npos) << o.err;
  EXPECT_EQ(target_requests(), 20);
}

TEST_F(DistributedCli, CertsRefusesToOverwriteWithoutForce) {
  const std::string out = path("certs");
  ASSERT_EQ(run({"certs", "--out", out, "--hosts", "worker.example"}).code, 0);
  const std::string ca = read_text(dir_ / "certs" / "ca.pem");
  Outcome o = run({"certs", "--out", out, "--hosts", "worker.example"});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("refusing to overwrite '" + out + "/ca.pem'"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("--force"), std::string::npos) << o.err;
  EXPECT_EQ(read_text(dir_ / "certs" / "ca.pem"), ca);
  // One file left over is enough to refuse, and nothing of the set is replaced.
  std::filesystem::remove(dir_ / "certs" / "ca.pem");
  std::filesystem::remove(dir_ / "certs" / "worker.pem");
  const std::string key = read_text(dir_ / "certs" / "controller-key.pem");
  o = run({"certs", "--out", out, "--hosts", "worker.example"});
  EXPECT_EQ(o.code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "certs" / "ca.pem"));
  EXPECT_EQ(read_text(dir_ / "certs" / "controller-key.pem"), key);
  // --force replaces the set, and a key that was readable by others is 0600 again.
  std::filesystem::permissions(dir_ / "certs" / "controller-key.pem", std::filesystem::perms(0644));
  o = run({"certs", "--out", out, "--hosts", "worker.example", "--force"});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(read_text(dir_ / "certs" / "controller-key.pem"), key);
  EXPECT_EQ(mode_of(dir_ / "certs" / "controller-key.pem"), 0600u);
}

TEST_F(DistributedCli, CertsRejectsBadHostsAndDays) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"certs", "--out", path("a"), "--hosts", "bad host"}, "'bad host' is neither an IP address nor a DNS name"},
      {{"certs", "--out", path("a"), "--hosts", "h", "--days", "0"}, "--days must be from 1 to 36500"},
      {{"certs", "--out", path("a")}, "--hosts"},
      {{"certs", "--hosts", "h"}, "--out"},
  };
  for (const auto& [args, says] : cases) {
    const Outcome o = run(args);
    EXPECT_EQ(o.code, 2) << says;
    EXPECT_NE(o.err.find(says), std::string::npos) << o.err;
  }
  EXPECT_FALSE(std::filesystem::exists(path("a")));
  const Outcome help = run({"--help"});
  EXPECT_NE(help.out.find("certs"), std::string::npos) << help.out;
}

// Refused before anything is bound: the test never listens beyond loopback.
TEST_F(DistributedCli, AWorkerRefusesATokenInClearBeyondLoopback) {
  std::filesystem::create_directories(dir_);
  std::ofstream(path("token")) << "secret\n";
  const Outcome o = run({"worker", "--listen", "0.0.0.0:0", "--token-file", path("token")});
  EXPECT_EQ(o.code, 2);
  for (const char* says : {"bearer token over plaintext", "travel in clear", "nightjar certs", "--tls-cert",
                           "--client-ca", "--allow-plaintext-token"}) {
    EXPECT_NE(o.err.find(says), std::string::npos) << says << "\n" << o.err;
  }
  EXPECT_NE(run({"worker", "--help"}).out.find("--allow-plaintext-token"), std::string::npos);
}

// A run a worker refuses: the controller names the worker and the reason, exits 2, and the
// worker runs the next test.
TEST_F(DistributedCli, AControllerPrintsAWorkersRefusalAndExitsTwo) {
  std::filesystem::create_directories(dir_);
  WorkerProcess limited({"--allow-target", "10.0.0.0/8"});
  WorkerProcess open;
  ASSERT_FALSE(limited.address().empty());
  ASSERT_FALSE(open.address().empty());
  Outcome o = run({"load", url(), "--rps", "100", "-d", "1h", "--no-progress", "--workers", limited.address()});
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("worker " + limited.address() + " refused the run: target '127.0.0.1' is not allowed"),
            std::string::npos)
      << o.err;
  // Bad settings the controller can see itself are refused before any worker is asked
  // (the workers check them again: test/distributed, EveryMalformedStartField...).
  std::ofstream(path("bad-ca.pem")) << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  o = run({"load", url("https"), "--requests", "5", "--no-progress", "--workers", open.address(), "--ca-file",
           path("bad-ca.pem")});
  EXPECT_EQ(o.code, 2) << o.err;
  EXPECT_NE(o.err.find("--ca-file"), std::string::npos) << o.err;
  // The brief's crash: refused on the controller's side, the worker never sees it.
  o = run({"load", url(), "--max-pending", "4000000000000", "--no-progress", "--workers", open.address()});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--max-pending must be from 0 to 1000000"), std::string::npos) << o.err;
  o = run({"load", url(), "--lease", "1h", "--no-progress", "--workers", open.address()});
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.err.find("--lease"), std::string::npos) << o.err;
  EXPECT_EQ(target_requests(), 0);
  o = run({"load", url(), "--rps", "100", "--requests", "10", "-c", "2", "--no-progress", "--workers",
           open.address()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(target_requests(), 10);
}

}  // namespace
}  // namespace nightjar
