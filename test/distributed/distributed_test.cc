// Distributed runs on loopback: in-process workers where the test needs only the API, real
// `nightjar worker` and `nightjar load` processes where one must be killed or frozen.
//
// Every thread a test starts is joined on every way out of it (BackgroundRun), every
// process started is stopped (Subprocess), ports are bound at 127.0.0.1:0 and read back,
// and waits are on conditions with deadlines. The only waits that are not for a condition
// are the observation windows of stays_flat_for, which check that nothing happens over a
// span of time.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/duration.h"
#include "distributed/controller.h"
#include "distributed/worker_server.h"
#include "nightjar/v1/worker.grpc.pb.h"
#include "model/result_proto.h"
#include "server/test_server.h"
#include "stats/hdr_encoding.h"
#include "support/scripted_server.h"
#include "support/server_fixture.h"
#include "support/subprocess.h"
#include "support/worker_process.h"
#include "tls/cert_gen.h"

namespace nightjar::distributed {
namespace {

using testing::Subprocess;
using testing::WorkerProcess;
namespace v1 = nightjar::v1;

const std::string kBinary = NIGHTJAR_BINARY;

std::string tls_file(const std::string& name) {
  std::ifstream in(std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for a condition, polling; false when the deadline passed first.
template <typename F>
bool wait_for(F condition, std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval, not synchronisation
  }
  return true;
}

// Watches `counter` for `window`: true when it never changed. This is an observation over
// a span of time (the claim is "nothing happens"), so it always takes the whole window.
bool stays_flat_for(const std::function<int64_t()>& counter, std::chrono::milliseconds window) {
  const int64_t before = counter();
  return !wait_for([&] { return counter() != before; }, window);
}

// A controller run on its own thread. Leaving scope (also through a failed assertion) asks
// the run to stop and joins the thread, so no test can end with a joinable std::thread.
class BackgroundRun {
 public:
  BackgroundRun(load::LoadOptions options, ControllerOptions controller) {
    control_.stop = &stop_;
    thread_ = std::jthread([this, options = std::move(options), controller = std::move(controller)] {
      result_ = run_distributed(options, controller, control_);
    });
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;
  ~BackgroundRun() { stop(); }  // then thread_ (the last member) joins

  void stop() { stop_.store(true); }
  // Waits for the run to end by itself (or after stop()) and returns what it returned.
  Result<model::RunResult> join() {
    thread_.join();
    return std::move(result_);
  }

 private:
  std::atomic<bool> stop_{false};
  load::RunControl control_;
  Result<model::RunResult> result_ = Status::internal("not run");
  std::jthread thread_;
};

std::unique_ptr<v1::Worker::Stub> stub_for(const std::string& address) {
  return v1::Worker::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

// Whether the worker answers Info and is idle.
bool worker_idle(v1::Worker::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::WorkerInfo info;
  return stub.Info(&context, v1::InfoRequest(), &info).ok() && info.current_run_id().empty();
}

// What one raw Run call (a Start written by hand) came to.
struct RawRun {
  grpc::Status status;
  bool accepted = false;
  bool final_seen = false;
  int64_t completed = 0;
};

// Sends `first`, reads until the Final or the end, closes and collects the status.
RawRun run_raw(v1::Worker::Stub& stub, const v1::ControllerMessage& first) {
  RawRun out;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto stream = stub.Run(&context);
  stream->Write(first);
  v1::WorkerMessage message;
  while (stream->Read(&message)) {
    if (message.has_accepted()) out.accepted = true;
    if (message.has_final()) {
      out.final_seen = true;
      out.completed = message.final().result().requests().completed();
      break;
    }
    if (message.has_failed()) break;  // the status follows once this side is closed
  }
  stream->WritesDone();
  out.status = stream->Finish();
  return out;
}

// A Start a worker runs: 5 requests, closed loop, one connection.
v1::ControllerMessage valid_start(const std::string& url) {
  v1::ControllerMessage message;
  v1::Start* start = message.mutable_start();
  start->set_run_id("table-1");
  start->set_shard_index(0);
  start->set_shard_count(1);
  v1::LoadSpec* spec = start->mutable_spec();
  spec->add_urls(url);
  spec->set_total_requests(5);
  spec->set_connections(1);
  spec->set_threads(1);
  spec->set_timeout_ns(5 * kNanosPerSecond);
  spec->set_max_pending(10);
  return message;
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = testing::start_server();
    ASSERT_NE(target_, nullptr);
  }
  void TearDown() override {
    for (auto& w : workers_) w->stop();
    target_->stop();
  }

  std::string add_worker(WorkerServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    auto worker = WorkerServer::start(options);
    EXPECT_TRUE(worker.ok()) << worker.status().message();
    if (!worker.ok()) return "127.0.0.1:0";
    workers_.push_back(std::move(*worker));
    return workers_.back()->listen_address();
  }

  std::string target_url() const { return "http://" + target_->listen_address() + "/"; }
  int64_t target_requests() const { return target_->stats().requests; }

  load::LoadOptions options(double rps, int64_t requests, int64_t duration_ns = 0) const {
    load::LoadOptions o;
    const std::string url = target_url();
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
  EXPECT_EQ(r->counters.completed, 300);
  EXPECT_EQ(target_requests(), 300);
  ASSERT_EQ(r->shards.size(), 3u);
  ASSERT_EQ(r->workers.size(), 3u);
  stats::HdrHistogram all;
  int64_t sum = 0;
  for (const model::ShardResult& s : r->shards) {
    EXPECT_EQ(s.counters.completed, 100) << s.name;
    sum += s.counters.completed;
    all.add(s.latency);
  }
  EXPECT_EQ(sum, r->counters.completed);
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
  EXPECT_EQ(r->counters.completed, 100);
  EXPECT_EQ(r->counters.tls_handshakes, 6);  // 3 connections on each worker
  EXPECT_EQ(r->options.protocol, "auto");  // what was asked
  EXPECT_EQ(r->protocol, "h2");           // what ALPN chose on the workers
  EXPECT_EQ(r->target_addresses.size(), 1u) << "both workers connected to the one target";
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
  EXPECT_EQ(g->counters.completed, 100);
  EXPECT_EQ(g->grpc_status_codes.at(14), 100);

  https.tls.cert_file = tls_file("client.pem");
  https.tls.key_file = tls_file("client.key");
  auto refused = run_distributed(https, c);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--cert"), std::string::npos) << refused.status().message();
  (*target)->stop();
}

TEST_F(DistributedTest, StoppingTheControllerCancelsEveryWorkerAndStillReports) {
  ControllerOptions c;
  c.workers = {add_worker(), add_worker()};
  BackgroundRun run(options(200, 0, 3600 * kNanosPerSecond), c);
  ASSERT_TRUE(wait_for([&] { return target_requests() >= 50; }));
  run.stop();
  auto result = run.join();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->interrupted);
  EXPECT_FALSE(result->partial);
  EXPECT_EQ(result->shards.size(), 2u);
  EXPECT_GE(result->counters.completed, 40);
}

TEST_F(DistributedTest, AWrongTokenIsRefused) {
  WorkerServerOptions secured;
  secured.token = "right-token";
  ControllerOptions c;
  c.workers = {add_worker(secured)};
  c.token = "wrong-token";
  auto r = run_distributed(options(100, 10), c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("refused the token"), std::string::npos) << r.status().message();
  EXPECT_EQ(target_requests(), 0);
  c.token = "right-token";
  auto ok = run_distributed(options(100, 10), c);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->counters.completed, 10);
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
  EXPECT_EQ(accepted->counters.completed, 10);
}

// Workers found through dns:NAME:PORT are dialled by address but verified against NAME, so
// one certificate for a Kubernetes Service's name serves every pod behind it.
TEST_F(DistributedTest, DnsWorkersAreVerifiedAgainstTheNameNotTheAddress) {
  auto set = tls::generate_mutual_tls_set({"localhost"}, 1);  // no IP SAN at all
  ASSERT_TRUE(set.ok()) << set.status().message();
  WorkerServerOptions secured;
  secured.tls_cert_pem = set->worker.cert_pem;
  secured.tls_key_pem = set->worker.key_pem;
  secured.client_ca_pem = set->ca.cert_pem;
  const std::string address = add_worker(secured);
  const std::string port = address.substr(address.rfind(':') + 1);
  ControllerOptions c;
  c.ca_pem = set->ca.cert_pem;
  c.cert_pem = set->controller.cert_pem;
  c.key_pem = set->controller.key_pem;
  c.workers = {address};  // 127.0.0.1:PORT: the certificate does not name 127.0.0.1
  auto by_address = run_distributed(options(100, 10), c);
  ASSERT_FALSE(by_address.ok());
  EXPECT_NE(by_address.status().message().find("unreachable"), std::string::npos) << by_address.status().message();
  c.workers = {"dns:localhost:" + port};
  c.min_workers = 1;  // where localhost also resolves to ::1, nothing listens there
  auto by_name = run_distributed(options(100, 10), c);
  ASSERT_TRUE(by_name.ok()) << by_name.status().message();
  EXPECT_EQ(by_name->counters.completed, 10);
}

TEST_F(DistributedTest, ASecondConcurrentRunIsRefused) {
  ControllerOptions c;
  c.workers = {add_worker()};
  BackgroundRun first(options(100, 0, 3600 * kNanosPerSecond), c);
  ASSERT_TRUE(wait_for([&] { return target_requests() > 0; }));
  auto second = run_distributed(options(100, 10), c);
  first.stop();
  ASSERT_TRUE(first.join().ok());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("busy"), std::string::npos) << second.status().message();
}

// A refusal by one worker ends the whole run before its start: the other workers, which
// accepted, are cancelled while they wait for the common start, so no request is sent.
TEST_F(DistributedTest, ATargetOutsideOneWorkersAllowlistStopsTheWholeRunBeforeAnyRequest) {
  WorkerServerOptions limited;
  limited.allow_targets = {"10.0.0.0/8"};
  ControllerOptions c;
  const std::string open = add_worker();
  c.workers = {open, add_worker(limited)};
  auto r = run_distributed(options(200, 0, 3600 * kNanosPerSecond), c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("refused the run: target '127.0.0.1' is not allowed"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(target_requests(), 0);
  // Both are ready for the next run.
  auto stub = stub_for(open);
  ASSERT_TRUE(wait_for([&] { return worker_idle(*stub); }, std::chrono::seconds(15)));
  c.workers = {open};
  auto next = run_distributed(options(100, 10), c);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->counters.completed, 10);
}

// The brief's crash: a Start asking for a 4e12-entry queue. The CLI refuses it before
// sending; a controller that does not (an older or hostile one) gets InvalidArgument naming
// the option, and the worker runs the next run.
TEST_F(DistributedTest, AnOptionAWorkerRefusesEndsTheRunWithInvalidArgumentNamingIt) {
  ControllerOptions c;
  const std::string address = add_worker();
  c.workers = {address};
  load::LoadOptions huge = options(100, 10);
  huge.run.max_pending = 4'000'000'000'000;
  auto r = run_distributed(huge, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("worker " + address + " refused the run: --max-pending"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(target_requests(), 0);
  auto next = run_distributed(options(100, 10), c);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->counters.completed, 10);
}

// The request body travels to every worker inside the Start. One beyond what a worker
// reads is refused by the controller itself, naming the flags; one just under it runs.
TEST_F(DistributedTest, ARunTooLargeToSendIsRefusedByTheControllerNamingTheBody) {
  ControllerOptions c;
  c.workers = {add_worker()};
  load::LoadOptions big = options(0, 2);
  big.request.method = "POST";
  big.request.body.assign(5u << 20, 'x');
  auto refused = run_distributed(big, c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("--body"), std::string::npos) << refused.status().message();
  EXPECT_EQ(target_requests(), 0);
  big.request.body.assign(3u << 20, 'x');
  auto fits = run_distributed(big, c);
  ASSERT_TRUE(fits.ok()) << fits.status().message();
  EXPECT_FALSE(fits->partial) << (fits->workers.empty() ? "" : fits->workers[0].failure);
  EXPECT_EQ(fits->counters.completed + fits->counters.errors(), 2);
}

// A worker that answers like a real one, with the Final of a long run: one histogram per
// second, together larger than gRPC's default 4 MiB message limit (a real worker's Final
// passes it after about 35 minutes).
class LongRunWorker final : public v1::Worker::Service {
 public:
  explicit LongRunWorker(std::string final_bytes) : final_bytes_(std::move(final_bytes)) {}
  grpc::Status Info(grpc::ServerContext*, const v1::InfoRequest*, v1::WorkerInfo* reply) override {
    reply->set_version("0.1.0");
    reply->set_unix_ns(unix_now_ns());
    return grpc::Status::OK;
  }
  grpc::Status Run(grpc::ServerContext*,
                   grpc::ServerReaderWriter<v1::WorkerMessage, v1::ControllerMessage>* stream) override {
    v1::ControllerMessage start;
    if (!stream->Read(&start)) return {grpc::StatusCode::CANCELLED, "no Start"};
    v1::WorkerMessage message;
    message.mutable_accepted()->set_unix_ns(unix_now_ns());
    stream->Write(message);
    message.mutable_final()->mutable_result()->ParseFromString(final_bytes_);
    stream->Write(message);
    while (stream->Read(&start)) {
    }
    return grpc::Status::OK;
  }

 private:
  const std::string final_bytes_;
};

TEST(ControllerLimits, ALongRunsFinalLargerThanFourMebibytesReachesTheController) {
  model::RunResult long_run;
  long_run.counters.completed = 0;
  uint64_t seed = 1;
  auto next = [&seed] { return (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
  for (int64_t second = 0; second < 2400; ++second) {  // 40 minutes of 1500 responses a second
    stats::HdrHistogram h;
    for (int i = 0; i < 1500; ++i) h.record(static_cast<int64_t>(50'000 + next() % 20'000'000));  // 50us..20ms
    model::TimelineEntry e;
    e.second = second;
    e.counters.completed = 1500;
    e.latency_histogram = stats::encode_base64(h);
    e.service_time_histogram = e.latency_histogram;
    long_run.timeline.push_back(std::move(e));
    long_run.latency.add(h);
    long_run.service_time.add(h);
    long_run.counters.completed += 1500;
  }
  long_run.counters.sent = long_run.counters.completed;
  long_run.measured_ns = 2400 * kNanosPerSecond;
  const v1::RunResult message = model::to_proto(long_run);
  ASSERT_GT(message.ByteSizeLong(), 4u << 20) << "the Final must be beyond gRPC's default limit";
  LongRunWorker service(message.SerializeAsString());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ControllerOptions c;
  c.workers = {"127.0.0.1:" + std::to_string(port)};
  load::LoadOptions o;
  o.urls = {*http::parse_url("http://127.0.0.1:9/")};  // the fake worker sends nothing
  o.run.urls = {"http://127.0.0.1:9/"};
  o.run.requests = 1;
  o.run.connections = 1;
  o.run.threads = 1;
  o.run.timeout_ns = kNanosPerSecond;
  auto r = run_distributed(o, c);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->partial) << (r->workers.empty() ? "" : r->workers[0].failure);
  EXPECT_EQ(r->counters.completed, long_run.counters.completed);
  EXPECT_EQ(r->timeline.size(), 2400u);
}

TEST_F(DistributedTest, MissingWorkersStopTheStartUnlessMinWorkersAllowsIt) {
  testing::RefusingPort nobody;
  const std::string missing = "127.0.0.1:" + std::to_string(nobody.port());
  ControllerOptions c;
  c.workers = {add_worker(), missing};
  auto r = run_distributed(options(100, 10), c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(missing + ": unreachable"), std::string::npos) << r.status().message();
  EXPECT_EQ(target_requests(), 0);
  c.min_workers = 1;
  auto partial = run_distributed(options(100, 10), c);
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_EQ(partial->counters.completed, 10);
  EXPECT_TRUE(partial->partial);
}

TEST_F(DistributedTest, ALeaseOutsideItsRangeIsRefusedBeforeAnyWorkerIsAsked) {
  ControllerOptions c;
  c.workers = {add_worker()};
  c.lease_ns = 3600 * kNanosPerSecond;
  auto r = run_distributed(options(100, 10), c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--lease"), std::string::npos) << r.status().message();
}

TEST_F(DistributedTest, AKilledWorkerLeavesAPartialResultNamingIt) {
  std::vector<std::unique_ptr<WorkerProcess>> processes;
  ControllerOptions c;
  for (int i = 0; i < 3; ++i) {
    processes.push_back(std::make_unique<WorkerProcess>());
    ASSERT_FALSE(processes.back()->address().empty());
    c.workers.push_back(processes.back()->address());
  }
  BackgroundRun run(options(300, 0, 4 * kNanosPerSecond), c);
  // Kill one after its first full second was streamed (300 req/s: 450 is 1.5 s in).
  ASSERT_TRUE(wait_for([&] { return target_requests() >= 450; }));
  processes[1]->kill();
  auto result = run.join();
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->partial);
  int failed = 0;
  for (const model::WorkerStatus& w : result->workers) {
    if (w.failed) {
      ++failed;
      EXPECT_EQ(w.name, c.workers[1]);
      EXPECT_FALSE(w.failure.empty());
    }
  }
  EXPECT_EQ(failed, 1);
  // The two survivors' results, and what the failed one streamed before it died.
  ASSERT_EQ(result->shards.size(), 3u);
  const auto dead = std::find_if(result->shards.begin(), result->shards.end(), [&](const model::ShardResult& s) {
    return s.name == c.workers[1] + " (until it failed)";
  });
  ASSERT_NE(dead, result->shards.end());
  EXPECT_GT(dead->counters.completed, 0);
  EXPECT_GT(result->counters.completed, 0);
  EXPECT_EQ(processes[0]->stop(), 0);
  EXPECT_EQ(processes[2]->stop(), 0);
}

// The worker's counter check: while a run is on, the target's request count moves within a
// window; once the controller is gone (killed, or frozen so its stream stays open) and the
// worker says it is idle, the count stays flat for twice the lease. A worker that kept an
// hour-long run at 200 req/s going would add about 400 requests in that window.
class OrphanedLoadTest : public DistributedTest {
 protected:
  static constexpr auto kLease = std::chrono::seconds(1);
  static constexpr auto kWindow = 2 * kLease;

  void expect_load_stops_after(int signal) {
    const std::string address = add_worker();
    auto stub = stub_for(address);
    Subprocess controller({kBinary, "load", target_url(), "--rps", "200", "-d", "1h", "--workers", address,
                           "--lease", "1s", "--no-progress"});
    ASSERT_TRUE(wait_for([&] { return target_requests() >= 50; })) << controller.err();
    // Control: with the run on, the counter does move within the window.
    ASSERT_FALSE(stays_flat_for([&] { return target_requests(); }, kWindow));
    controller.signal(signal);
    // The worker ends the run (stream broken, or lease lapsed) and is free again.
    ASSERT_TRUE(wait_for([&] { return worker_idle(*stub); }, std::chrono::seconds(15)));
    EXPECT_TRUE(stays_flat_for([&] { return target_requests(); }, kWindow))
        << "load still arrives after the controller is gone";
    controller.signal(SIGKILL);  // a frozen one too (SIGKILL needs no SIGCONT)
    controller.wait();
    // The worker is ready for the next controller.
    ControllerOptions c;
    c.workers = {address};
    auto next = run_distributed(options(100, 10), c);
    ASSERT_TRUE(next.ok()) << next.status().message();
    EXPECT_EQ(next->counters.completed, 10);
  }
};

TEST_F(OrphanedLoadTest, AKilledControllerLeavesNoLoadBehind) { expect_load_stops_after(SIGKILL); }

TEST_F(OrphanedLoadTest, AFrozenControllerLosesItsRunWhenTheLeaseLapses) { expect_load_stops_after(SIGSTOP); }

// Table-driven: every Start field set out of range or malformed. Each is refused with
// INVALID_ARGUMENT naming the field (the Start field for the worker's own limits, the load
// option for load::validate's), nothing reaches the target, and the same worker then runs a
// valid Start. Fields without a malformed value (the booleans; body and gRPC message, whose
// size gRPC's 4 MiB message limit bounds first) are not in the table.
TEST_F(DistributedTest, EveryMalformedStartFieldIsRefusedByNameAndTheWorkerRunsTheNextStart) {
  struct Case {
    const char* what;
    std::function<void(v1::ControllerMessage&)> spoil;
    const char* names;  // the message must contain this
  };
  const std::string url = target_url();
  auto start = [](v1::ControllerMessage& m) { return m.mutable_start(); };
  auto spec = [](v1::ControllerMessage& m) { return m.mutable_start()->mutable_spec(); };
  auto add_header = [&](v1::ControllerMessage& m, const std::string& name, const std::string& value) {
    v1::Header* h = spec(m)->add_headers();
    h->set_name(name);
    h->set_value(value);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int64_t hour = 3600 * kNanosPerSecond;
  const std::vector<Case> cases = {
      {"no Start first", [](auto& m) { m.mutable_heartbeat(); }, "a run starts with a Start message"},
      {"run_id too long", [&](auto& m) { start(m)->set_run_id(std::string(65, 'a')); }, "Start.run_id"},
      {"run_id with a line break", [&](auto& m) { start(m)->set_run_id("a\nb"); }, "Start.run_id"},
      {"lease_ns negative", [&](auto& m) { start(m)->set_lease_ns(-1); }, "Start.lease_ns"},
      {"lease_ns an hour", [&](auto& m) { start(m)->set_lease_ns(hour); }, "Start.lease_ns"},
      {"start_unix_ns negative", [&](auto& m) { start(m)->set_start_unix_ns(-1); }, "Start.start_unix_ns"},
      {"start_unix_ns an hour ahead", [&](auto& m) { start(m)->set_start_unix_ns(unix_now_ns() + hour); },
       "Start.start_unix_ns"},
      {"shard_count 0", [&](auto& m) { start(m)->set_shard_count(0); }, "shard 0 of 0"},
      {"shard_count 20000", [&](auto& m) { start(m)->set_shard_count(20000); }, "shard 0 of 20000"},
      {"shard_index past the count", [&](auto& m) { start(m)->set_shard_index(1); }, "shard 1 of 1"},
      {"no URL", [&](auto& m) { spec(m)->clear_urls(); }, "at least one URL"},
      {"URL malformed", [&](auto& m) { spec(m)->set_urls(0, "not a url"); }, "LoadSpec.urls"},
      {"URLs of two hosts", [&](auto& m) { spec(m)->add_urls("http://10.1.1.1:80/"); }, "share host and port"},
      {"101 URLs",
       [&](auto& m) {
         for (int i = 0; i < 100; ++i) spec(m)->add_urls(url);
       },
       "at most 100 URLs"},
      {"method with a request line inside", [&](auto& m) { spec(m)->set_method("GET / HTTP/1.1\r\nX: y"); },
       "--method"},
      {"method too long", [&](auto& m) { spec(m)->set_method(std::string(33, 'G')); }, "--method"},
      {"header name with a space", [&](auto& m) { add_header(m, "Bad Name", "x"); }, "LoadSpec.headers"},
      {"header value with a line break", [&](auto& m) { add_header(m, "X-A", "a\r\nInjected: yes"); },
       "LoadSpec.headers"},
      {"101 headers",
       [&](auto& m) {
         for (int i = 0; i < 101; ++i) add_header(m, "X-" + std::to_string(i), "v");
       },
       "-H"},
      {"total_rps NaN", [&](auto& m) { spec(m)->set_total_rps(nan); }, "--rps"},
      {"total_rps negative", [&](auto& m) { spec(m)->set_total_rps(-1); }, "--rps"},
      {"total_rps too small", [&](auto& m) { spec(m)->set_total_rps(1e-9); }, "--rps"},
      {"total_rps too large", [&](auto& m) { spec(m)->set_total_rps(1e12); }, "--rps"},
      {"duration_ns negative", [&](auto& m) { spec(m)->set_duration_ns(-1); }, "--duration"},
      {"duration_ns two days", [&](auto& m) { spec(m)->set_duration_ns(48 * hour); }, "--duration"},
      {"neither duration nor count", [&](auto& m) { spec(m)->set_total_requests(0); }, "--duration above 0"},
      {"total_requests negative", [&](auto& m) { spec(m)->set_total_requests(-1); }, "--requests"},
      {"total_requests 2e12", [&](auto& m) { spec(m)->set_total_requests(2'000'000'000'000); }, "--requests"},
      {"warmup_ns negative", [&](auto& m) { spec(m)->set_warmup_ns(-1); }, "--warmup"},
      {"warmup_ns two hours", [&](auto& m) { spec(m)->set_warmup_ns(2 * hour); }, "--warmup"},
      {"timeout_ns 0", [&](auto& m) { spec(m)->set_timeout_ns(0); }, "--timeout"},
      {"timeout_ns two hours", [&](auto& m) { spec(m)->set_timeout_ns(2 * hour); }, "--timeout"},
      {"connections 0", [&](auto& m) { spec(m)->set_connections(0); }, "--connections"},
      {"connections 200000", [&](auto& m) { spec(m)->set_connections(200000); }, "--connections"},
      {"threads 0", [&](auto& m) { spec(m)->set_threads(0); }, "--threads"},
      {"threads 1000", [&](auto& m) { spec(m)->set_threads(1000); }, "--threads"},
      {"max_pending negative", [&](auto& m) { spec(m)->set_max_pending(-1); }, "--max-pending"},
      {"max_pending 4e12 (was bad_alloc)", [&](auto& m) { spec(m)->set_max_pending(4'000'000'000'000); },
       "--max-pending"},
      {"max_concurrent_streams negative", [&](auto& m) { spec(m)->set_max_concurrent_streams(-1); },
       "--max-concurrent-streams"},
      {"max_concurrent_streams 5000", [&](auto& m) { spec(m)->set_max_concurrent_streams(5000); },
       "--max-concurrent-streams"},
      {"protocol unknown", [&](auto& m) { spec(m)->set_protocol("spdy/3"); }, "protocol 'spdy/3'"},
      {"grpc_method malformed",
       [&](auto& m) {
         spec(m)->set_protocol("grpc");
         spec(m)->set_grpc_method("nope");
       },
       "--grpc-method"},
      {"test_name too long", [&](auto& m) { spec(m)->set_test_name(std::string(2000, 'n')); }, "--name"},
      {"65 labels",
       [&](auto& m) {
         for (int i = 0; i < 65; ++i) (*spec(m)->mutable_labels())["k" + std::to_string(i)] = "v";
       },
       "--label"},
      {"label with an empty key", [&](auto& m) { (*spec(m)->mutable_labels())[""] = "v"; }, "--label"},
      {"tls_sni with a space", [&](auto& m) { spec(m)->set_tls_sni("bad host"); }, "LoadSpec.tls_sni"},
      {"tls_ca_pem not PEM",
       [&](auto& m) {
         spec(m)->set_urls(0, "https://" + target_->listen_address() + "/");
         spec(m)->set_protocol("auto");
         spec(m)->set_tls_ca_pem("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
       },
       "CA certificates"},
  };
  const std::string address = add_worker();
  auto stub = stub_for(address);
  int64_t expected_requests = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::ControllerMessage bad = valid_start(url);
    c.spoil(bad);
    const RawRun refused = run_raw(*stub, bad);
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.status.error_message();
    EXPECT_NE(refused.status.error_message().find(c.names), std::string::npos) << refused.status.error_message();
    EXPECT_FALSE(refused.final_seen);
    EXPECT_EQ(target_requests(), expected_requests) << "a refused Start sent load";
    const RawRun next = run_raw(*stub, valid_start(url));
    EXPECT_TRUE(next.status.ok()) << next.status.error_message();
    EXPECT_EQ(next.completed, 5);
    expected_requests += 5;
    EXPECT_EQ(target_requests(), expected_requests);
  }
}

// The worker pins what it approved: the target is resolved once, checked, and the run
// connects to those addresses. A resolver that answers differently the second time (DNS
// rebinding) is never asked again, and the run reaches the approved address although the URL
// names a host that does not resolve at all.
TEST_F(DistributedTest, TheAllowlistPinsTheAddressesItApproved) {
  std::atomic<int> lookups{0};
  WorkerServerOptions pinned;
  pinned.allow_targets = {"127.0.0.1"};
  pinned.resolve = [&](const std::string& host) -> std::vector<std::string> {
    if (host != "rebinding.invalid") return {};
    return {lookups.fetch_add(1) == 0 ? "127.0.0.1" : "10.255.255.1"};
  };
  ControllerOptions c;
  c.workers = {add_worker(pinned)};
  load::LoadOptions o = options(0, 20);
  const std::string url = "http://rebinding.invalid:" + std::to_string(target_->port()) + "/";
  o.urls = {*http::parse_url(url)};
  o.run.urls = {url};
  auto r = run_distributed(o, c);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->partial) << (r->workers.empty() ? "" : r->workers[0].failure);
  EXPECT_EQ(r->counters.completed, 20);
  EXPECT_EQ(target_requests(), 20);
  EXPECT_EQ(lookups.load(), 1);
}

// An exception inside a run (here from the resolver) becomes an INTERNAL status for that
// run; the worker process lives on, is idle, and runs the next Start.
TEST_F(DistributedTest, AnExceptionInARunEndsThatRunOnlyAndFreesTheWorker) {
  std::atomic<int> calls{0};
  WorkerServerOptions fragile;
  fragile.resolve = [&](const std::string&) -> std::vector<std::string> {
    if (calls.fetch_add(1) == 0) throw std::runtime_error("resolver exploded");
    return {"127.0.0.1"};
  };
  const std::string address = add_worker(fragile);
  auto stub = stub_for(address);
  const RawRun failed = run_raw(*stub, valid_start(target_url()));
  EXPECT_EQ(failed.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(failed.status.error_message().find("resolver exploded"), std::string::npos)
      << failed.status.error_message();
  EXPECT_TRUE(worker_idle(*stub));
  const RawRun next = run_raw(*stub, valid_start(target_url()));
  EXPECT_TRUE(next.status.ok()) << next.status.error_message();
  EXPECT_EQ(next.completed, 5);
}

TEST(WorkerServer, ListensBeyondLoopbackOnlyWithTlsProtectedAuthentication) {
  struct Case {
    const char* what;
    std::string listen;
    bool token;
    bool tls;
    bool client_ca;
    bool allow_plaintext_token;
    const char* refusal;  // nullptr: accepted
  };
  const std::vector<Case> cases = {
      {"loopback, nothing", "127.0.0.1:7070", false, false, false, false, nullptr},
      {"loopback v6, token in clear", "[::1]:7070", true, false, false, false, nullptr},
      {"localhost, token in clear", "localhost:7070", true, false, false, false, nullptr},
      {"beyond, nothing", "0.0.0.0:7070", false, false, false, false, "without --token-file or mutual TLS"},
      {"beyond, TLS without token or client CA", "0.0.0.0:7070", false, true, false, false,
       "without --token-file or mutual TLS"},
      {"beyond, token in clear", "0.0.0.0:7070", true, false, false, false, "would travel in clear"},
      {"beyond v6, token in clear", "[::]:7070", true, false, false, false, "would travel in clear"},
      {"beyond, token in clear, accepted risk", "0.0.0.0:7070", true, false, false, true, nullptr},
      {"beyond, token over TLS", "0.0.0.0:7070", true, true, false, false, nullptr},
      {"beyond, mutual TLS", "0.0.0.0:7070", false, true, true, false, nullptr},
      {"beyond, mutual TLS and token", "10.1.2.3:7070", true, true, true, false, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    WorkerServerOptions o;
    o.listen = c.listen;
    if (c.token) o.token = "t";
    if (c.tls) {
      o.tls_cert_pem = "cert";
      o.tls_key_pem = "key";
    }
    if (c.client_ca) o.client_ca_pem = "ca";
    o.allow_plaintext_token = c.allow_plaintext_token;
    const Status s = check_listen_policy(o);
    if (c.refusal == nullptr) {
      EXPECT_TRUE(s.ok()) << s.message();
    } else {
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(s.message().find(c.refusal), std::string::npos) << s.message();
      EXPECT_NE(s.message().find("nightjar certs"), std::string::npos) << s.message();
    }
  }
  // The refusal comes before anything is bound.
  WorkerServerOptions clear;
  clear.listen = "0.0.0.0:0";
  clear.token = "t";
  auto refused = WorkerServer::start(clear);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--allow-plaintext-token"), std::string::npos);
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
  EXPECT_EQ(expanded->front().tls_name, "localhost");  // its certificate is checked for the name
  EXPECT_EQ(expanded->back().address, "127.0.0.1:7071");
  EXPECT_EQ(expanded->back().tls_name, "");
  EXPECT_FALSE(expand_workers({"nohostport"}).ok());
  EXPECT_FALSE(expand_workers({"dns:nameonly"}).ok());
}

// A controller that keeps its stream open but never heartbeats: the worker ends the run
// itself when the lease lapses, sends its Final, and is idle again. The lease is watched on
// a ManualClock, so it lapses when the test says so, not when the machine has been slow
// enough (the lapse and the grace themselves: lease_watch_test.cc).
TEST(WorkerLease, AControllerThatGoesSilentLosesItsRunWhenTheLeaseLapses) {
  auto target = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
  ASSERT_TRUE(target.ok());
  ManualClock lease_clock;
  WorkerServerOptions on_loopback;
  on_loopback.listen = "127.0.0.1:0";
  on_loopback.lease_clock = &lease_clock;
  auto worker = WorkerServer::start(on_loopback);
  ASSERT_TRUE(worker.ok());
  auto stub = stub_for((*worker)->listen_address());
  v1::ControllerMessage start = valid_start("http://" + (*target)->listen_address() + "/");
  start.mutable_start()->set_run_id("silent");
  start.mutable_start()->set_lease_ns(500 * kNanosPerMilli);
  v1::LoadSpec* spec = start.mutable_start()->mutable_spec();
  spec->set_total_requests(0);
  spec->set_total_rps(100);
  spec->set_duration_ns(3600 * kNanosPerSecond);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto stream = stub->Run(&context);
  ASSERT_TRUE(stream->Write(start));
  v1::WorkerMessage message;
  ASSERT_TRUE(stream->Read(&message));
  ASSERT_TRUE(message.has_accepted());
  // The run sends load while its lease holds; then the controller's silence outlasts it.
  ASSERT_TRUE(wait_for([&] { return (*target)->stats().requests > 0; }));
  lease_clock.advance(500 * kNanosPerMilli + 1);
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
  EXPECT_TRUE(wait_for([&] { return worker_idle(*stub); }, std::chrono::seconds(10)));
  (*worker)->stop();
  (*target)->stop();
}

}  // namespace
}  // namespace nightjar::distributed
