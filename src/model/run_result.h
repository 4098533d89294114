// The result of a load run: what every formatter (human, JSON, ...) renders.
//
// One model feeds every output. A local run fills it from its worker threads; the
// distributed controller will fill it from remote workers. Histograms are kept whole so
// percentiles are exact to the histogram's precision and parts merge exactly.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/counters.h"
#include "model/rate_shape.h"
#include "stats/hdr_histogram.h"

namespace nightjar::model {

// Stable snake_case names used in every output format.
std::string_view error_kind_name(ErrorKind kind);

// One second of the run (by completion time, from the start of measurement).
struct TimelineEntry {
  int64_t second = 0;             // 0 is the first second after warm-up
  // What happened in this second: responses and failures by when they came, requests by
  // when they were sent. The results carry sent, completed, errors and dropped per second.
  Counters counters;
  int64_t latency_p50_ns = 0;
  int64_t latency_p90_ns = 0;
  int64_t latency_p99_ns = 0;
  int64_t latency_max_ns = 0;
  int64_t service_time_p50_ns = 0;
  int64_t service_time_p99_ns = 0;
  double duration_s = 1.0;        // the last entry may cover less than a second
  // This second's histograms, HdrHistogram V2 compressed base64 (what .hlog lines carry).
  std::string latency_histogram;
  std::string service_time_histogram;
};

// One part of a run: a worker thread now, a remote worker in a distributed run.
struct ShardResult {
  std::string name;               // "thread-0", or a worker's address
  Counters counters;
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
};

// One remote worker of a distributed run, as the controller saw it.
struct WorkerStatus {
  std::string name;               // its address
  int64_t clock_offset_ns = 0;    // its clock minus the controller's (estimated)
  int64_t round_trip_ns = 0;      // of the check before the run
  bool failed = false;            // stopped before sending its final result
  std::string failure;            // why, when failed
  int64_t failed_after_ns = 0;    // when it failed, from the start of the run
  int64_t stream_bytes = 0;       // protobuf bytes it streamed back (intervals and final)
};

// The verdict of one SLO (--slo, an SMPS file's slos:), judged by src/slo/ (docs/slo.md).
// Values are in the metric's unit: nanoseconds for times, a fraction (0.001 = 0.1%) for
// rates, a count for dropped, requests per second for rps.
struct SloVerdict {
  std::string expr;               // as written: "p99<20ms"
  std::string metric;             // its metric, spelt one way: "latency.p99", "error_rate"
  std::string op;                 // "<", "<=", ">" or ">="
  double threshold = 0;
  bool has_measured = false;      // false: no sample to measure (the SLO then fails)
  double measured = 0;            // over the whole run
  bool pass = false;              // the whole run and every window met it
  // With a window (--slo-window): every window of window_s seconds was judged too.
  double window_s = 0;            // 0: the whole run only
  int64_t windows = 0;            // windows judged
  int64_t failed_windows = 0;
  bool has_worst_window = false;  // the window furthest on the wrong side of the threshold
  double worst_start_s = 0;       // from the start of measurement
  double worst_end_s = 0;
  bool worst_has_measured = false;
  double worst_measured = 0;
};

// A run stopped by --abort-on-slo: which SLO failed in which window.
struct SloAbort {
  bool aborted = false;
  std::string expr;
  double window_start_s = 0;      // the failing window, from the start of measurement
  double window_end_s = 0;
  bool has_measured = false;
  double measured = 0;
};

// The options the run was made with, echoed in every output.
struct RunOptions {
  std::string test_name;          // free text; "" when not given
  std::map<std::string, std::string> labels;  // e.g. mesh=istio, mesh_version=1.22
  std::vector<std::string> urls;
  std::string method = "GET";
  double requested_rps = 0;       // 0: closed loop at maximum throughput
  int64_t duration_ns = 0;        // 0 when only a request count bounds the run
  int64_t requests = 0;           // 0: bounded by duration only
  int64_t warmup_ns = 0;
  int64_t timeout_ns = 0;
  int connections = 0;
  int threads = 0;
  int64_t max_pending = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
  int64_t body_bytes = 0;
  // "http/1.1", "h2c" (HTTP/2 with prior knowledge), "h2" (HTTP/2 over TLS), "auto" (https://:
  // ALPN chooses; RunResult::protocol says what it chose) or "grpc".
  std::string protocol = "http/1.1";
  int max_concurrent_streams = 1;     // HTTP/2: requests in flight per connection
  // TLS (https://, grpcs://).
  bool tls = false;
  // Filled by the runner from LoadOptions::tls, for the report:
  bool tls_insecure = false;          // certificates not verified (--insecure)
  std::string tls_sni;                // --sni, when given
  std::string tls_ca_file;            // --ca-file, when given
  std::string tls_client_cert;        // --cert, when given
  std::string grpc_method;            // gRPC: /package.Service/Method
  // Open loop: how arrivals are spaced, "uniform" or "poisson" (--arrival; with `seed`), and
  // the rate over time when it changes (--stages, --pace-file; offsets from the start of the
  // run, warm-up included): empty for a constant requested_rps, which is then the mean
  // rate over the measured window.
  std::string arrival = "uniform";
  uint64_t seed = 0;
  std::vector<RateSegment> rate_shape;
  bool operator==(const RunOptions&) const = default;
};

// What a run asked for over any stretch of its measured window (offsets from the end of the
// warm-up): the integral of its rate shape, or requested_rps times the length; 0 for a
// closed loop. Built once per report (the shape is checked and indexed then).
class RequestedRate {
 public:
  explicit RequestedRate(const RunOptions& options);
  double arrivals(int64_t from_ns, int64_t to_ns) const;
  // arrivals() over the second starting at `second`, lasting `duration_s`, per second.
  double rps_in_second(int64_t second, double duration_s) const;
  bool shaped() const { return shape_.has_value(); }

 private:
  double constant_rps_ = 0;
  int64_t warmup_ns_ = 0;
  std::optional<RateShape> shape_;
};

// A latency summary as another tool reported it, in nanoseconds: what an imported result
// shows beside the figures nightjar rebuilt from that tool's buckets.
struct LatencySummary {
  int64_t count = 0;
  int64_t min_ns = 0;
  int64_t max_ns = 0;
  double mean_ns = 0;
  double stdev_ns = 0;
  std::map<double, int64_t> percentiles_ns;  // percentile (50, 99.9) -> value

  friend bool operator==(const LatencySummary&, const LatencySummary&) = default;
};

// Where a result's figures come from when nightjar did not measure the run itself (a result
// imported from fortio, docs/results.md#importing). Such a result has no full histogram, so
// it says which figures are exact and which were rebuilt, and keeps the tool's own figures.
// Empty (source "") for nightjar's own runs.
struct Provenance {
  std::string source;                    // the tool that measured the run: "fortio"
  std::string source_version;            // its version as it wrote it ("1.6.8"); "" when unsaid
  std::vector<std::string> exact;        // figures taken as the tool wrote them: "count", "min"
  std::vector<std::string> approximate;  // figures rebuilt from its buckets: "percentiles"
  std::vector<std::string> notes;        // how they were rebuilt, and what else differs
  LatencySummary source_latency;         // the tool's own latency figures

  bool imported() const { return !source.empty(); }
  friend bool operator==(const Provenance&, const Provenance&) = default;
};

// A percentile as a key of the JSON and binary forms: the shortest text that reads back
// exactly (50 -> "50", 99.9 -> "99.9"); and back, nullopt for text that is not a number in
// [0, 100].
std::string percentile_name(double percentile);
std::optional<double> percentile_from_name(std::string_view name);

struct RunResult {
  RunOptions options;
  bool open_loop = false;
  bool interrupted = false;       // stopped early by Ctrl-C / SIGTERM
  int64_t start_unix_ns = 0;      // wall clock at the start of measurement
  int64_t end_unix_ns = 0;        // wall clock at the end of the measurement window
  int64_t measured_ns = 0;        // from the start of measurement to the last completion

  Counters counters;
  std::map<int, int64_t> status_codes;
  std::map<int, int64_t> grpc_status_codes;  // gRPC runs: responses by grpc-status (0 = OK)
  // The first message seen for each error kind (e.g. why a TLS handshake failed), by the
  // kind's name.
  std::map<std::string, std::string> error_details;

  // What the run found out, as opposed to what it was asked (options):
  // the protocol spoken ("http/1.1", "h2c", "h2", "grpc"): for https:// with protocol "auto",
  // what ALPN chose;
  std::string protocol;
  // the TLS version of the first connection ("TLSv1.3"), "" without TLS;
  std::string tls_version;
  // the addresses connected to ("127.0.0.1:8080", "[::1]:8443"), one per process that ran.
  std::vector<std::string> target_addresses;

  // Latency from each request's intended start (open loop) or its send (closed loop);
  // service time from the actual send; schedule lag = actual send - intended start.
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
  stats::HdrHistogram schedule_lag;

  std::vector<TimelineEntry> timeline;
  std::vector<ShardResult> shards;  // per-thread (later per-worker) parts; they sum to the whole
  // Distributed runs: every worker's status; partial when any failed (its statistics up to
  // its failure are in the whole only as far as its intervals reached the controller).
  std::vector<WorkerStatus> workers;
  bool partial = false;
  // Imported results: where the figures come from (empty for nightjar's own runs).
  Provenance provenance;
  // SLOs: one verdict per SLO, in the order given; set when the run was stopped by one.
  std::vector<SloVerdict> slos;
  SloAbort slo_abort;

  double achieved_rps() const {
    return measured_ns > 0 ? static_cast<double>(counters.completed) * 1e9 / static_cast<double>(measured_ns) : 0;
  }
  int64_t non_2xx() const;
  // `protocol`, or for a result made without it, options.protocol.
  const std::string& protocol_spoken() const { return protocol.empty() ? options.protocol : protocol; }
};

// gRPC's status code names ("OK", "UNAVAILABLE", ...); "CODE_<n>" outside 0..16.
std::string grpc_status_name(int code);
// The code of such a name; -1 for a name that is neither.
int grpc_status_code(std::string_view name);
// The kind of error_kind_name(kind); nullopt for a name this build does not know.
std::optional<ErrorKind> error_kind_from_name(std::string_view name);

// The version of the result model this build writes (JSON "schema", proto `schema`), and the
// newest it reads: it reads every older one. Bumped when a field is removed or changes
// meaning; adding one does not (docs/output.md#schema-versions).
inline constexpr int kResultSchema = 1;

// The encoded histograms of one result together may hold 2^25 buckets (256 MiB of counts):
// what a reader of either form decodes at most.
inline constexpr int64_t kMaxResultHistogramBuckets = int64_t{1} << 25;

// The quantiles every report lists.
inline constexpr double kReportPercentiles[] = {50, 75, 90, 95, 99, 99.9, 99.99};

}  // namespace nightjar::model
