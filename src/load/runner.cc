#include "load/runner.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <thread>

#include "common/duration.h"
#include "http/grpc.h"
#include "load/load_worker.h"
#include "model/merge.h"
#include "stats/hdr_encoding.h"

namespace nightjar::load {
namespace {

namespace asio = boost::asio;

// The arrival plan of an open-loop run's (validated) options.
std::unique_ptr<ArrivalPlan> make_plan(const model::RunOptions& run) {
  std::vector<model::RateSegment> segments = run.rate_shape;
  if (segments.empty()) {
    if (run.arrival != "poisson") return std::make_unique<ConstantRatePlan>(run.requested_rps);
    segments.push_back({1'000'000'000, run.requested_rps, run.requested_rps});  // then it holds
  }
  auto shape = model::RateShape::create(std::move(segments), limits::kMaxRps);
  if (!shape.ok()) return std::make_unique<ConstantRatePlan>(run.requested_rps);  // validate() refused it
  if (run.arrival == "poisson") return std::make_unique<PoissonPlan>(std::move(*shape), run.seed);
  return std::make_unique<ShapedRatePlan>(std::move(*shape));
}

Result<asio::ip::tcp::endpoint> resolve(const http::Url& url) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec || results.empty()) {
    return Status::unavailable("cannot resolve host '" + url.host + "': " +
                               (ec ? ec.message() : std::string("no addresses")));
  }
  return results.begin()->endpoint();
}

std::string address_text(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(endpoint.port());
}

// Splits `total` into `parts` shares that differ by at most one.
int64_t share(int64_t total, int parts, int index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

// Merges per-worker one-second snapshots into timeline entries.
class TimelineMerger {
 public:
  explicit TimelineMerger(int workers) : workers_(workers) {}

  void add(IntervalSnapshot&& snapshot) {
    Slot& slot = slots_[snapshot.index];
    slot.latency.add(snapshot.latency);
    slot.service_time.add(snapshot.service_time);
    slot.counters.add(snapshot.counters);
    slot.duration_s = std::max(slot.duration_s, snapshot.duration_s);
    ++slot.reported;
    if (slot.reported == workers_) {
      latest_complete_ = std::max(latest_complete_, snapshot.index);
      // Every worker reported this second: keep its summary and encoded histograms only, so
      // memory does not grow by whole histograms per second.
      done_[snapshot.index] = slot.summarize(snapshot.index);
      slots_.erase(snapshot.index);
      newly_completed_.push_back(snapshot.index);
    }
  }

  // Seconds completed since the last call, in order.
  std::vector<const model::TimelineEntry*> take_completed() {
    std::vector<const model::TimelineEntry*> out;
    for (int64_t index : newly_completed_) out.push_back(&done_.at(index));
    newly_completed_.clear();
    return out;
  }

  // The latest second every worker has reported, if any.
  const model::TimelineEntry* latest() const {
    return latest_complete_ < 0 ? nullptr : &done_.at(latest_complete_);
  }

  std::vector<model::TimelineEntry> finish() {
    for (auto& [index, slot] : slots_) done_[index] = slot.summarize(index);
    slots_.clear();
    std::vector<model::TimelineEntry> out;
    for (auto& [index, e] : done_) out.push_back(std::move(e));
    return out;
  }

 private:
  struct Slot : model::SecondAccumulator {
    int reported = 0;
  };

  const int workers_;
  std::map<int64_t, Slot> slots_;              // seconds some workers have not reported yet
  std::map<int64_t, model::TimelineEntry> done_;
  std::vector<int64_t> newly_completed_;
  int64_t latest_complete_ = -1;
};

}  // namespace

namespace {
Result<model::RunResult> run_load_unguarded(const LoadOptions& options, const RunControl& control);
}  // namespace

Result<model::RunResult> run_load(const LoadOptions& options, const RunControl& control) {
  try {
    return run_load_unguarded(options, control);
  } catch (const std::exception& e) {  // out of memory setting up, in practice; the threads catch their own
    return Status::internal(std::string("the run could not be set up: ") + e.what());
  }
}

namespace {

Result<model::RunResult> run_load_unguarded(const LoadOptions& options, const RunControl& control) {
  if (Status s = validate(options); !s.ok()) return s;
  const Clock& clock = control.clock != nullptr ? *control.clock : system_clock();
  Result<asio::ip::tcp::endpoint> endpoint =
      control.endpoints.empty() ? resolve(options.urls.front()) : Result(control.endpoints.front());
  if (!endpoint.ok()) return endpoint.status();

  const model::RunOptions& run = options.run;
  std::string protocol = run.protocol;  // what the run speaks: ALPN decides for "auto"
  const int threads = std::min(run.threads, run.connections);
  const http::Url& target = options.urls.front();
  const bool grpc = protocol == "grpc";
  std::shared_ptr<const tls::ClientContext> tls;
  std::map<std::string, std::string> early_errors;  // what the probe learnt, for the result
  if (run.tls) {
    tls::ClientOptions tls_options = options.tls;
    if (run.protocol == "http/1.1") {
      tls_options.alpn = {"http/1.1"};
    } else if (run.protocol == "auto") {
      tls_options.alpn = {"h2", "http/1.1"};
    } else {
      tls_options.alpn = {"h2"};
    }
    auto context = tls::ClientContext::create(tls_options);
    if (!context.ok()) return context.status();
    tls = *context;
    if (run.protocol == "auto") {
      // One handshake first: ALPN decides which session every connection runs.
      const http::ProbeResult probe = http::probe_connection(*endpoint, tls.get(), target.host, run.timeout_ns);
      protocol = probe.ok && probe.alpn == "h2" ? "h2" : "http/1.1";
      if (!probe.ok && !probe.detail.empty()) early_errors[std::string(model::error_kind_name(probe.kind))] = probe.detail;
    }
  }
  if (grpc && options.grpc_health) {
    auto health = http::grpc_health_check(*endpoint, target, tls.get(), options.request, "", run.timeout_ns);
    if (!health.ok()) return health.status();
    if (*health != "SERVING") {
      return Status::unavailable("--grpc-health: " + target.authority + " answered " + *health + ", not SERVING");
    }
  }
  std::vector<std::string> requests;
  std::vector<http::Http2Request> http2_requests;
  const bool http2 = protocol == "h2c" || protocol == "h2" || grpc;
  for (const http::Url& url : options.urls) {
    requests.push_back(http::serialize_http1_request(options.request, url));
    if (grpc) {
      http2_requests.push_back(http::make_grpc_request(options.request, url, run.grpc_method, options.grpc_message));
    } else if (http2) {
      http2_requests.push_back(http::make_http2_request(options.request, url));
    }
  }
  const bool head_request = options.request.method == "HEAD";

  const bool open_loop = run.requested_rps > 0;
  std::unique_ptr<ArrivalPlan> plan;
  uint64_t max_arrivals = UINT64_MAX;
  if (open_loop) {
    plan = make_plan(run);
    if (run.requests > 0) {
      max_arrivals = plan->arrivals_before(run.warmup_ns) + static_cast<uint64_t>(run.requests);
    }
  }
  const int64_t plan_end = run.duration_ns > 0 ? run.warmup_ns + run.duration_ns : INT64_MAX;

  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (int i = 0; i < threads; ++i) {
    WorkerConfig config;
    config.id = i;
    // Thread i of T in shard k of N takes arrivals k + N*i, k + N*i + N*T, ...: the threads
    // of every shard together walk the plan exactly once.
    config.shard = options.shard_index + options.shard_count * static_cast<uint64_t>(i);
    config.shards = options.shard_count * static_cast<uint64_t>(threads);
    config.connections = static_cast<int>(share(run.connections, threads, i));
    config.plan = plan.get();
    config.plan_end_offset_ns = plan_end;
    config.max_arrivals = max_arrivals;
    config.closed_loop_budget =
        run.requests > 0
            ? share(share(run.requests, static_cast<int>(options.shard_count), static_cast<int>(options.shard_index)),
                    threads, i)
            : -1;
    config.warmup_ns = run.warmup_ns;
    config.timeout_ns = run.timeout_ns;
    config.max_pending = share(run.max_pending, threads, i);
    config.url_count = static_cast<uint32_t>(requests.size());
    config.max_concurrent_streams = http2 ? std::max(1, run.max_concurrent_streams) : 1;
    config.grpc = grpc;
    config.tls = tls.get();
    config.host = target.host;
    config.clock = &clock;
    workers.push_back(std::make_unique<LoadWorker>(config, *endpoint, requests, head_request,
                                                   http2 ? &http2_requests : nullptr));
  }

  // The wall clock is read against the steady one once per run: the start asked for and the
  // start reported are then the same moment, whatever the wall clock does meanwhile.
  const int64_t unix_minus_steady_ns = clock.unix_ns() - clock.steady_ns();
  int64_t start_at_steady = 0;
  if (control.start_at_unix_ns > 0) start_at_steady = control.start_at_unix_ns - unix_minus_steady_ns;
  StartGate gate(threads, start_at_steady, clock);
  std::atomic<int> running{threads};
  std::vector<std::thread> pool;
  // Whatever leaves this function early (a thread that cannot be created, a callback that
  // throws) stops the started threads and joins them: none is left joinable, none waits at
  // the gate for a thread that never came.
  struct JoinOnExit {
    std::vector<std::unique_ptr<LoadWorker>>& workers;
    std::vector<std::thread>& pool;
    StartGate& gate;
    ~JoinOnExit() {
      const bool all_joined = pool.size() == workers.size() &&
                              std::none_of(pool.begin(), pool.end(), [](const std::thread& t) { return t.joinable(); });
      if (all_joined) return;
      for (auto& worker : workers) worker->request_stop();
      for (size_t i = pool.size(); i < workers.size(); ++i) gate.arrive_for_missing();
      for (std::thread& t : pool) {
        if (t.joinable()) t.join();
      }
    }
  } join_on_exit{workers, pool, gate};
  for (auto& worker : workers) {
    pool.emplace_back([&gate, &running, w = worker.get()] {
      w->run(gate);  // noexcept: a failure is kept in its totals
      running.fetch_sub(1);
    });
  }

  TimelineMerger timeline(threads);
  bool stop_sent = false;
  bool interrupted = false;  // stop_sent by control.stop, not by control.end_early
  model::Counters so_far;  // every second taken from the workers, for the progress line
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const bool stop = control.stop != nullptr && control.stop->load();
    if (!stop_sent && (stop || (control.end_early != nullptr && control.end_early->load()))) {
      for (auto& worker : workers) worker->request_stop();
      stop_sent = true;
      interrupted = stop;
    }
    for (auto& worker : workers) {
      for (IntervalSnapshot& s : worker->take_intervals()) {
        so_far.add(s.counters);
        timeline.add(std::move(s));
      }
    }
    for (const model::TimelineEntry* second : timeline.take_completed()) {
      if (control.on_interval) control.on_interval(*second);
    }
    if (control.on_progress && workers.front()->measure_start_ns() > 0) {
      Progress p;
      p.elapsed_ns = clock.steady_ns() - workers.front()->measure_start_ns();
      p.total_ns = run.duration_ns;
      p.completed = so_far.completed;
      p.errors = so_far.errors();
      if (const model::TimelineEntry* last = timeline.latest()) {
        p.current_rps = static_cast<double>(last->counters.completed) / std::max(last->duration_s, 1e-9);
        p.last_p50_ns = last->latency_p50_ns;
        p.last_p99_ns = last->latency_p99_ns;
      }
      control.on_progress(p);
    }
  }
  for (std::thread& t : pool) t.join();

  model::RunResult result;
  result.options = run;
  echo_tls_options(options, result.options);
  result.protocol = protocol;
  result.target_addresses.push_back(address_text(*endpoint));
  result.open_loop = open_loop;
  result.interrupted = interrupted;
  const int64_t measure_start = workers.front()->measure_start_ns();
  result.start_unix_ns = measure_start + unix_minus_steady_ns;
  int64_t last_completion = 0;
  int64_t finished = 0;
  for (auto& worker : workers) {
    for (IntervalSnapshot& s : worker->take_intervals()) timeline.add(std::move(s));
    const WorkerTotals& t = worker->totals();
    result.counters.add(t.counters);
    last_completion = std::max(last_completion, t.last_completion_ns);
    finished = std::max(finished, t.finished_ns);
    for (size_t code = 0; code < t.status_counts.size(); ++code) {
      if (t.status_counts[code] > 0) result.status_codes[static_cast<int>(code)] += t.status_counts[code];
    }
    for (const auto& [code, count] : t.grpc_status_counts) result.grpc_status_codes[code] += count;
    for (const auto& [kind, detail] : t.error_details) result.error_details.emplace(kind, detail);
    if (t.failed) {
      result.interrupted = true;  // ended early, what was measured kept
      stop_sent = true;
      result.error_details.emplace("internal", t.failure.empty() ? "a worker thread failed" : t.failure);
    }
    if (result.tls_version.empty()) result.tls_version = t.tls_version;
    model::ShardResult shard;
    shard.name = "thread-" + std::to_string(result.shards.size());
    shard.counters = t.counters;
    shard.latency = t.latency;
    shard.service_time = t.service_time;
    result.shards.push_back(std::move(shard));
    result.latency.add(t.latency);
    result.service_time.add(t.service_time);
    result.schedule_lag.add(t.schedule_lag);
  }
  // The measurement window spans the plan (so a 10 s run at 10 req/s reports 10 req/s,
  // not 100 responses over the 9.9 s to the last one), or longer if responses came later;
  // an interrupted run ends at its last response, one that got none when it stopped.
  int64_t planned_end = 0;
  if (!stop_sent) {
    if (run.duration_ns > 0) {
      planned_end = measure_start + run.duration_ns;
    } else if (open_loop) {
      planned_end = measure_start + static_cast<int64_t>(static_cast<double>(run.requests) * 1e9 / run.requested_rps);
    }
  }
  const int64_t window_end = result.counters.completed > 0 ? std::max(last_completion, planned_end) : finished;
  result.measured_ns = window_end > measure_start ? window_end - measure_start : 0;
  result.end_unix_ns = result.start_unix_ns + result.measured_ns;
  result.timeline = timeline.finish();
  for (auto& [kind, detail] : early_errors) result.error_details.emplace(kind, detail);
  return result;
}

}  // namespace
}  // namespace nightjar::load
