// Runs one load test on this machine: resolves the target, starts one LoadWorker thread
// per --threads, merges their statistics into a RunResult.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "load/load_options.h"
#include "model/run_result.h"

namespace nightjar::load {

// What the caller sees while the run goes on (called about every 200 ms on the calling
// thread).
struct Progress {
  int64_t elapsed_ns = 0;          // since the start of measurement (negative during warm-up)
  int64_t total_ns = 0;            // planned measurement length (0 if bounded by count)
  int64_t completed = 0;           // so far
  int64_t errors = 0;
  double current_rps = 0;          // completions in the last full second
  int64_t last_p50_ns = 0;         // latency of the last full second
  int64_t last_p99_ns = 0;
};

struct RunControl {
  // Set to true (from any thread, e.g. a signal handler's helper) to stop the run early;
  // what was measured so far is still returned.
  const std::atomic<bool>* stop = nullptr;
  // Set to true to end the run early the same way, but not as an interruption: the result
  // is not flagged `interrupted` (an SLO stopped it: --abort-on-slo).
  const std::atomic<bool>* end_early = nullptr;
  std::function<void(const Progress&)> on_progress;
  // Called on the calling thread with each second every worker thread has finished, in
  // order (a remote worker streams these to its controller).
  std::function<void(const model::TimelineEntry&)> on_interval;
  // Start the plan at this wall-clock time (connections are opened before it) instead of
  // as soon as the connections are up; 0 or a past time: at once. Distributed runs start
  // every worker at one moment this way.
  int64_t start_at_unix_ns = 0;
  // The target's addresses, already resolved (and checked) by the caller: the run connects
  // to the first of them and never resolves the URLs' host itself. Empty: the runner
  // resolves the host. A worker with an allowlist pins the addresses it approved this way,
  // so no second DNS answer can move the load elsewhere.
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  // The run's time (outlives the run): the start, the workers' decisions, the report's
  // timestamps. See WorkerConfig::clock.
  const Clock* clock = &system_clock();
};

// Errors: the options are invalid, or the host cannot be resolved (when no endpoints are
// given). A target that refuses
// or misbehaves is not an error here: its failures are counted in the result.
Result<model::RunResult> run_load(const LoadOptions& options, const RunControl& control = {});

}  // namespace nightjar::load
