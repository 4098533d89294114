// The controller side of a distributed run: `nightjar load ... --workers A,B,C`.
//
// It checks every worker (reachable, authorised, compatible, idle), splits the plan exactly
// (worker k of N takes arrivals k, k+N, ... of one plan; connections and the client-side
// queue are divided), picks a common start a moment ahead on each worker's clock (offsets
// measured from round trips), keeps each worker's lease alive, follows their per-second
// intervals for the progress line, and merges their final histograms exactly. A worker that
// fails mid-run leaves a partial result naming it; the others go on.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "load/load_options.h"
#include "load/runner.h"
#include "model/run_result.h"

namespace nightjar::distributed {

struct ControllerOptions {
  // "host:port", "[v6]:port", or "dns:NAME:PORT" for every address NAME resolves to (what a
  // Kubernetes headless Service gives).
  std::vector<std::string> workers;
  std::string token;        // bearer token the workers require; empty: none
  std::string ca_pem;       // TLS to the workers: trust this CA (empty with cert: system roots)
  std::string cert_pem;     // mutual TLS: the controller's certificate and key
  std::string key_pem;
  bool tls = false;
  int min_workers = 0;      // start with at least this many reachable workers; 0: all of them
  int64_t lease_ns = 5'000'000'000;
};

// One worker to dial.
struct WorkerAddress {
  std::string address;   // "host:port" or "[v6]:port"
  // With TLS, the name the worker's certificate must carry: NAME for a dns:NAME:PORT entry
  // (its pods are dialled by address, but share one certificate for the Service's name);
  // empty: the host dialled.
  std::string tls_name;
};

// Expands dns: entries; errors name the entry that does not resolve.
Result<std::vector<WorkerAddress>> expand_workers(const std::vector<std::string>& entries);

// Runs `options` (the whole test: total rate, total connections) over the workers. Errors:
// no usable workers (Unavailable; the message names each and why); a worker refused the run
// (InvalidArgument: a bad option, naming the field, or a target outside its allowlist; the
// other workers are cancelled before their start). A run that loses a worker mid-run is not
// an error: the result is marked partial. No exception leaves this function or its threads.
Result<model::RunResult> run_distributed(const load::LoadOptions& options, const ControllerOptions& controller,
                                         const load::RunControl& control = {});

}  // namespace nightjar::distributed
