// Translating a local run's options to the worker API's LoadSpec and back.
#pragma once

#include <cstdint>
#include <string>

#include "common/duration.h"
#include "common/status.h"
#include "load/load_options.h"
#include "nightjar/v1/worker.pb.h"

namespace nightjar::distributed {

// Limits a worker puts on the parts of a Start that are not load options (those are
// load::validate's). The controller checks its --lease against the same range.
inline constexpr int64_t kMinLeaseNs = 100 * kNanosPerMilli;
inline constexpr int64_t kMaxLeaseNs = 600 * kNanosPerSecond;
inline constexpr int64_t kDefaultLeaseNs = 5 * kNanosPerSecond;
// A start further ahead than this (on the worker's clock) is refused: the worker would sit
// busy, connected and unable to be cancelled until then.
inline constexpr int64_t kMaxStartAheadNs = 60 * kNanosPerSecond;
inline constexpr size_t kMaxRunIdBytes = 64;
// The largest Start a worker reads (gRPC's default limit, set explicitly); the controller
// refuses a larger one itself, naming what makes it large (the request body travels).
inline constexpr size_t kMaxStartBytes = 4u << 20;
// The largest message a controller reads from a worker: a Final holds every second's
// histograms, about 2 KB a second, so a 24-hour run's is a few hundred MiB at most.
inline constexpr int kMaxWorkerMessageBytes = 1 << 30;

// The spec a controller sends: the whole test's rate and count, this worker's connections
// and threads.
nightjar::v1::LoadSpec to_spec(const load::LoadOptions& options);

// One run as a worker understood its Start.
struct WorkerRun {
  load::LoadOptions options;       // URLs parsed, shard set, validated
  std::string run_id;              // "unnamed" when the controller gave none
  int64_t start_unix_ns = 0;       // on this worker's clock; 0: at once
  int64_t lease_ns = kDefaultLeaseNs;
};

// What a worker runs for `start`, every field checked. `now_unix_ns` is the worker's clock
// (for the start time's range). Errors are InvalidArgument and name the field: the Start
// field for the worker's own limits ("Start.lease_ns ..."), the load option for the load
// options (load::validate's messages, e.g. "--max-pending ...").
Result<WorkerRun> from_start(const nightjar::v1::Start& start, int64_t now_unix_ns);

}  // namespace nightjar::distributed
