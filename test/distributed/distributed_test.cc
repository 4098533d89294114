// Distributed runs on loopback: in-process workers where the test needs only the API, real
// `nightjar worker` and `nightjar load` processes where one must be killed. Every process
// started is stopped; waits are on conditions with deadlines, never on sleeps.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/duration.h"
#include "distributed/controller.h"
#include "distributed/worker_server.h"
#include "nightjar/v1/worker.grpc.pb.h"
#include "server/test_server.h"
#include "support/subprocess.h"

namespace nightjar::distributed {
namespace {

using testing::Subprocess;

const std::string kBinary = NIGHTJAR_BINARY;

std::string tls_file(const std::string& name) {
  std::ifstream in(std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for a condition, polling; false when the deadline passed first.
template <typename F>
bool wait_for(F condition, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval, not synchronisation
  }
  return true;
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
    ASSERT_TRUE(server.ok());
    target_ = std::move(*server);
  }
  void TearDown() override {
    for (auto& w : workers_) w->stop();
    target_->stop();
  }

  std::string add_worker(WorkerServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    auto worker = WorkerServer::start(options);
    EXPECT_TRUE(worker.ok()) << worker.status().message();
    workers_.push_back(std::move(*worker));
    return workers_.back()->listen_address();
  }

  load::LoadOptions options(double rps, int64_t requests, int64_t duration_ns = 0) const {
    load::LoadOptions o;
    const std::string url = "http://" + target_->listen_address() + "/";
    o.urls.push_back(*http::parse_url(url));
    o.run.urls = {url};
    o.run.requested_rps = rps;
    o.run.requests = requests;
    o.run.duration_ns = duration_ns;
    o.run.connections = 6;
    o.run.threads = 1;
    o.run.timeout_ns = 5 * kNanosPerSecond;
    o.run.max_pending = 1000;
    return o;
  }

  std::unique_ptr<server::TestServer> target_;
  std::vector<std::unique_ptr<WorkerServer>> workers_;
};

TEST_F(DistributedTest, ThreeWorkersSplitThePlanAndMergeExactly) {
  ControllerOptions c;
  for (int i = 0; i < 3; ++i) c.workers.push_back(add_worker());
  auto r = run_distributed(options(900, 300), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->completed, 300);
  EXPECT_EQ(target_->stats().requests, 300);
  ASSERT_EQ(r->shards.size(), 3u);
  ASSERT_EQ(r->workers.size(), 3u);
  stats::HdrHistogram all;
  int64_t sum = 0;
  for (const model::ShardResult& s : r->shards) {
    EXPECT_EQ(s.completed, 100) << s.name;
    sum += s.completed;
    all.add(s.latency);
  }
  EXPECT_EQ(sum, r->completed);
  EXPECT_TRUE(all == r->latency);
  for (double q : {50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(r->latency.value_at_percentile(q), all.value_at_percentile(q));
  }
  for (const model::WorkerStatus& w : r->workers) {
    EXPECT_FALSE(w.failed);
    EXPECT_GT(w.round_trip_ns, 0);
  }
}

TEST_F(DistributedTest, HttpsAndGrpcRunsCarryTheirTlsAndGrpcSettingsToEveryWorker) {
  server::ServerOptions tls_server{"127.0.0.1:0", 1, -1, 0};
  tls_server.tls = tls::ServerTlsOptions{};  // self-signed
  auto target = server::TestServer::start(tls_server);
  ASSERT_TRUE(target.ok()) << target.status().message();
  // The CA travels as text: the workers never see the controller's file.
  const std::string ca_file = ::testing::TempDir() + "/distributed-ca.pem";
  std::ofstream(ca_file) << (*target)->tls_certificate_pem();
  ControllerOptions c;
  for (int i = 0; i < 2; ++i) c.workers.push_back(add_worker());

  load::LoadOptions https = options(0, 100);
  const std::string url = "https://" + (*target)->listen_address() + "/";
  https.urls = {*http::parse_url(url)};
  https.run.urls = {url};
  https.run.protocol = "auto";
  https.run.tls = true;
  https.tls.ca_file = ca_file;
  auto r = run_distributed(https, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->completed, 100);
  EXPECT_EQ(r->tls_handshakes, 6);  // 3 connections on each worker
  EXPECT_EQ(r->options.protocol, "h2");  // what ALPN chose on the workers
  EXPECT_EQ((*target)->stats().http2_requests, 100);

  load::LoadOptions grpc = options(0, 100);
  const std::string grpc_url = "grpcs://" + (*target)->listen_address();
  grpc.urls = {*http::parse_url(grpc_url)};
  grpc.run.urls = {grpc_url};
  grpc.run.protocol = "grpc";
  grpc.run.tls = true;
  grpc.run.grpc_method = "/nightjar.test.v1.TestService/Ping";
  grpc.tls.ca_file = ca_file;
  grpc.request.headers = {{"x-nightjar-control", "status=14"}};
  auto g = run_distributed(grpc, c);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_EQ(g->completed, 100);
  EXPECT_EQ(g->grpc_status_codes.at(14), 100);

  https.tls.cert_file = tls_file("client.pem");
  https.tls.key_file = tls_file("client.key");
  auto refused = run_distributed(https, c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--cert"), std::string::npos) << refused.status().message();
}

TEST_F(DistributedTest, StoppingTheControllerCancelsEveryWorkerAndStillReports) {
  ControllerOptions c;
  c.workers = {add_worker(), add_worker()};
  std::atomic<bool> stop{false};
  load::RunControl control;
  control.stop = &stop;
  Result<model::RunResult> result = Status::internal("not run");
  std::thread controller([&] { result = run_distributed(options(200, 0, 3600 * kNanosPerSecond), c, control); });
  ASSERT_TRUE(wait_for([&] { return target_->stats().requests >= 50; }));
  stop.store(true);
  controller.join();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->interrupted);
  EXPECT_FALSE(result->partial);
  EXPECT_EQ(result->shards.size(), 2u);
  EXPECT_GE(result->completed, 40);
}

TEST_F(DistributedTest, AWrongTokenIsRefused) {
  WorkerServerOptions secured;
  secured.token = "right-token";
  ControllerOptions c;
  c.workers = {add_worker(secured)};
  c.token = "wrong-token";
  auto r = run_distributed(options(100, 10), c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("refused the token"), std::string::npos) << r.status().message();
  c.token = "right-token";
  auto ok = run_distributed(options(100, 10), c);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->completed, 10);
}

TEST_F(DistributedTest, MutualTlsRefusesAControllerWithoutACertificate) {
  WorkerServerOptions secured;
  secured.tls_cert_pem = tls_file("worker.pem");
  secured.tls_key_pem = tls_file("worker.key");
  secured.client_ca_pem = tls_file("ca.pem");
  ControllerOptions c;
  c.workers = {add_worker(secured)};
  c.tls = true;
  c.ca_pem = tls_file("ca.pem");
  auto refused = run_distributed(options(100, 10), c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("unreachable"), std::string::npos) << refused.status().message();
  c.cert_pem = tls_file("client.pem");
  c.key_pem = tls_file("client.key");
  auto accepted = run_distributed(options(100, 10), c);
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  EXPECT_EQ(accepted->completed, 10);
}

TEST_F(DistributedTest, ASecondConcurrentRunIsRefused) {
  ControllerOptions c;
  c.workers = {add_worker()};
  std::atomic<bool> stop{false};
  load::RunControl control;
  control.stop = &stop;
  std::thread first([&] { (void)run_distributed(options(100, 0, 3600 * kNanosPerSecond), c, control); });
  ASSERT_TRUE(wait_for([&] { return target_->stats().requests > 0; }));
  auto second = run_distributed(options(100, 10), c);
  stop.store(true);
  first.join();
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("busy"), std::string::npos) << second.status().message();
}

TEST_F(DistributedTest, TargetsOutsideTheAllowlistAreRefused) {
  WorkerServerOptions limited;
  limited.allow_targets = {"10.0.0.0/8"};
  ControllerOptions c;
  c.workers = {add_worker(limited)};
  auto r = run_distributed(options(100, 10), c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->partial);
  ASSERT_EQ(r->workers.size(), 1u);
  EXPECT_TRUE(r->workers[0].failed);
  EXPECT_NE(r->workers[0].failure.find("not allowed"), std::string::npos) << r->workers[0].failure;
  EXPECT_EQ(target_->stats().requests, 0);
}

TEST_F(DistributedTest, MissingWorkersStopTheStartUnlessMinWorkersAllowsIt) {
  ControllerOptions c;
  c.workers = {add_worker(), "127.0.0.1:1"};
  auto r = run_distributed(options(100, 10), c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("127.0.0.1:1: unreachable"), std::string::npos) << r.status().message();
  c.min_workers = 1;
  auto partial = run_distributed(options(100, 10), c);
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_EQ(partial->completed, 10);
  EXPECT_TRUE(partial->partial);
}

TEST_F(DistributedTest, AKilledWorkerLeavesAPartialResultNamingIt) {
  std::vector<std::unique_ptr<Subprocess>> processes;
  ControllerOptions c;
  for (int i = 0; i < 3; ++i) {
    processes.push_back(std::make_unique<Subprocess>(std::vector<std::string>{kBinary, "worker", "--listen", "127.0.0.1:0"}));
    const std::string line = processes.back()->read_line();
    ASSERT_EQ(line.rfind("listening on ", 0), 0u) << line;
    c.workers.push_back(line.substr(13));
  }
  Result<model::RunResult> result = Status::internal("not run");
  std::thread controller([&] { result = run_distributed(options(300, 0, 4 * kNanosPerSecond), c); });
  // Kill one after its first full second was streamed (300 req/s: 450 is 1.5 s in).
  ASSERT_TRUE(wait_for([&] { return target_->stats().requests >= 450; }));
  processes[1]->signal(SIGKILL);
  controller.join();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->partial);
  int failed = 0;
  for (const model::WorkerStatus& w : result->workers) {
    if (w.failed) {
      ++failed;
      EXPECT_EQ(w.name, c.workers[1]);
    }
  }
  EXPECT_EQ(failed, 1);
  // The two survivors' results, and what the failed one streamed before it died.
  ASSERT_EQ(result->shards.size(), 3u);
  const auto dead = std::find_if(result->shards.begin(), result->shards.end(), [&](const model::ShardResult& s) {
    return s.name == c.workers[1] + " (until it failed)";
  });
  ASSERT_NE(dead, result->shards.end());
  EXPECT_GT(dead->completed, 0);
  EXPECT_GT(result->completed, 0);
}

TEST_F(DistributedTest, AKilledControllerLeavesTheWorkerIdleWithinItsLease) {
  const std::string address = add_worker();
  Subprocess controller({kBinary, "load", "http://" + target_->listen_address() + "/", "--rps", "200", "-d", "1h",
                         "--workers", address, "--lease", "1s", "--no-progress"});
  ASSERT_TRUE(wait_for([&] { return target_->stats().requests >= 50; }));
  controller.signal(SIGKILL);
  controller.wait();
  auto stub = nightjar::v1::Worker::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto idle = [&] {
    grpc::ClientContext context;
    nightjar::v1::WorkerInfo info;
    return stub->Info(&context, nightjar::v1::InfoRequest(), &info).ok() && info.current_run_id().empty();
  };
  ASSERT_TRUE(wait_for(idle, std::chrono::seconds(15)));
  // Idle means no run: the target sees no more requests from it.
  const int64_t after = target_->stats().requests;
  ASSERT_TRUE(idle());
  EXPECT_EQ(target_->stats().requests, after);
}

TEST(WorkerServer, RefusesToListenBeyondLoopbackWithoutAuthentication) {
  WorkerServerOptions o;
  o.listen = "0.0.0.0:0";
  auto w = WorkerServer::start(o);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("beyond loopback"), std::string::npos);
  o.token = "t";
  auto with_token = WorkerServer::start(o);
  ASSERT_TRUE(with_token.ok()) << with_token.status().message();
  (*with_token)->stop();
}

TEST(WorkerServer, TokensCompareExactly) {
  EXPECT_TRUE(token_matches("Bearer abc", "Bearer abc"));
  EXPECT_FALSE(token_matches("Bearer abd", "Bearer abc"));
  EXPECT_FALSE(token_matches("Bearer ab", "Bearer abc"));
  EXPECT_FALSE(token_matches("Bearer abcd", "Bearer abc"));
  EXPECT_FALSE(token_matches("", ""));
}

TEST(WorkerServer, AllowlistMatchesHostsAndCidrs) {
  EXPECT_TRUE(target_allowed("any", {"1.2.3.4"}, {}));
  EXPECT_TRUE(target_allowed("svc.local", {"10.1.2.3"}, {"svc.local"}));
  EXPECT_TRUE(target_allowed("h", {"10.1.2.3"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(target_allowed("h", {"11.1.2.3"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(target_allowed("h", {"10.1.2.3", "11.0.0.1"}, {"10.0.0.0/8"}));  // every address must be allowed
  EXPECT_TRUE(target_allowed("h", {"127.0.0.1"}, {"127.0.0.1"}));
  EXPECT_TRUE(target_allowed("h", {"fd00::1"}, {"fd00::/8"}));
  EXPECT_FALSE(target_allowed("h", {"fe80::1"}, {"fd00::/8"}));
  EXPECT_FALSE(target_allowed("h", {}, {"10.0.0.0/8"}));
}

TEST(Controller, ExpandsDnsNamesToEveryAddress) {
  auto expanded = expand_workers({"dns:localhost:7070", "127.0.0.1:7071"});
  ASSERT_TRUE(expanded.ok()) << expanded.status().message();
  EXPECT_GE(expanded->size(), 2u);
  EXPECT_EQ(expanded->back(), "127.0.0.1:7071");
  EXPECT_FALSE(expand_workers({"nohostport"}).ok());
  EXPECT_FALSE(expand_workers({"dns:nameonly"}).ok());
}

}  // namespace
}  // namespace nightjar::distributed

namespace nightjar::distributed {
namespace {

TEST(WorkerLease, AControllerThatGoesSilentLosesItsRunWithinTheLease) {
  auto target = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
  ASSERT_TRUE(target.ok());
  auto worker = WorkerServer::start(WorkerServerOptions{});
  ASSERT_TRUE(worker.ok());
  auto stub = nightjar::v1::Worker::NewStub(
      grpc::CreateChannel((*worker)->listen_address(), grpc::InsecureChannelCredentials()));
  // A controller that starts an hour-long run, keeps the stream open and never heartbeats.
  grpc::ClientContext context;
  auto stream = stub->Run(&context);
  nightjar::v1::ControllerMessage start;
  start.mutable_start()->set_run_id("silent");
  start.mutable_start()->set_shard_count(1);
  start.mutable_start()->set_lease_ns(500 * kNanosPerMilli);
  nightjar::v1::LoadSpec* spec = start.mutable_start()->mutable_spec();
  spec->add_urls("http://" + (*target)->listen_address() + "/");
  spec->set_total_rps(100);
  spec->set_duration_ns(3600 * kNanosPerSecond);
  spec->set_connections(1);
  spec->set_threads(1);
  spec->set_timeout_ns(kNanosPerSecond);
  spec->set_max_pending(10);
  ASSERT_TRUE(stream->Write(start));
  nightjar::v1::WorkerMessage message;
  bool final_seen = false;
  while (stream->Read(&message)) {
    if (message.has_final()) {
      final_seen = true;
      EXPECT_TRUE(message.final().result().interrupted());
      break;
    }
  }
  EXPECT_TRUE(final_seen) << "the worker should end the run itself when the lease lapses";
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_GT((*target)->stats().requests, 0);
  (*worker)->stop();
  (*target)->stop();
}

}  // namespace
}  // namespace nightjar::distributed
