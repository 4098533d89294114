// The result of a load run: what every formatter (human, JSON, ...) renders.
//
// One model feeds every output. A local run fills it from its worker threads; the
// distributed controller will fill it from remote workers. Histograms are kept whole so
// percentiles are exact to the histogram's precision and parts merge exactly.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stats/hdr_histogram.h"

namespace nightjar::model {

// Why a request got no response. Counted per kind; never fatal to the run.
enum class ErrorKind : int {
  kConnectRefused = 0,  // the target refused the connection (nothing listening)
  kConnectTimeout,      // the connection was not established within --timeout
  kConnectFailed,       // any other connection failure (unreachable, name resolution)
  kReset,               // the peer reset the connection (ECONNRESET, EPIPE)
  kTimeout,             // no complete response within --timeout (or before the run's drain ended)
  kBadResponse,         // bytes that are not a valid HTTP response
  kClosedMidResponse,   // the peer closed the connection before the response was complete
  kTls,                 // the TLS handshake failed (certificate not verified, alert) or a TLS record was bad
  kOther,               // any other socket error
};
inline constexpr int kErrorKindCount = 9;

// Stable snake_case names used in every output format.
std::string_view error_kind_name(ErrorKind kind);

using ErrorCounts = std::array<int64_t, kErrorKindCount>;

// One second of the run (by completion time, from the start of measurement).
struct TimelineEntry {
  int64_t second = 0;             // 0 is the first second after warm-up
  int64_t completed = 0;          // responses completed in this second
  int64_t errors = 0;             // requests that failed in this second
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
  int64_t sent = 0;
  int64_t completed = 0;
  int64_t errors = 0;
  int64_t dropped = 0;
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
  // "http/1.1", "h2c" (HTTP/2 with prior knowledge), "h2" (HTTP/2 over TLS), "grpc"
  // (gRPC over h2c) or "grpcs" (gRPC over TLS); for https:// what ALPN chose.
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
};

struct RunResult {
  RunOptions options;
  bool open_loop = false;
  bool interrupted = false;       // stopped early by Ctrl-C / SIGTERM
  int64_t start_unix_ns = 0;      // wall clock at the start of measurement
  int64_t end_unix_ns = 0;        // wall clock at the end of the measurement window
  int64_t measured_ns = 0;        // from the start of measurement to the last completion

  // Counters (measurement window only; warm-up is counted separately).
  int64_t sent = 0;               // requests written to a connection
  int64_t completed = 0;          // responses received, any status
  int64_t errors = 0;             // requests that got no response (sum of error_counts)
  int64_t dropped = 0;            // arrivals refused because --max-pending was full
  int64_t queued = 0;             // arrivals that waited for a free connection
  int64_t cancelled = 0;          // in flight or pending when the run was interrupted
  int64_t warmup_completed = 0;   // responses to warm-up arrivals (not in any statistic)
  int64_t connections_opened = 0;
  int64_t connect_failures = 0;   // failed connection attempts (warm-up included)
  int64_t bytes_received = 0;     // response header and body bytes
  ErrorCounts error_counts{};
  std::map<int, int64_t> status_codes;
  std::map<int, int64_t> grpc_status_codes;  // gRPC runs: responses by grpc-status (0 = OK)
  // The first message seen for each error kind (e.g. why a TLS handshake failed), by the
  // kind's name.
  std::map<std::string, std::string> error_details;
  int64_t tls_handshakes = 0;     // TLS connections established (warm-up included)
  int64_t tls_resumed = 0;        // of which resumed an earlier session
  // HTTP/2 (warm-up included): GOAWAY frames received, requests the server refused unprocessed
  // (REFUSED_STREAM or above a GOAWAY's last stream; each was sent again), and times a
  // request body waited for the server's flow-control window.
  int64_t http2_goaways = 0;
  int64_t http2_refused_streams = 0;
  int64_t http2_flow_control_stalls = 0;

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

  double achieved_rps() const {
    return measured_ns > 0 ? static_cast<double>(completed) * 1e9 / static_cast<double>(measured_ns) : 0;
  }
  int64_t non_2xx() const;
};

// gRPC's status code names ("OK", "UNAVAILABLE", ...); "CODE_<n>" outside 0..16.
std::string grpc_status_name(int code);

// The quantiles every report lists.
inline constexpr double kReportPercentiles[] = {50, 75, 90, 95, 99, 99.9, 99.99};

}  // namespace nightjar::model
