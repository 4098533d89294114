// What a run counts: one type for a worker thread, one second of the timeline, one shard,
// a remote worker's part and the whole run, added up with one add().
//
// Adding a counter: a field here (with its comment), its line in add(), its proto field and
// conversion (src/model/result_proto.cc), and the formatters that show it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

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

using ErrorCounts = std::array<int64_t, kErrorKindCount>;

// Request counters cover the measurement window only (warm-up arrivals are counted in
// warmup_completed and nowhere else); connection and protocol counters include warm-up.
struct Counters {
  int64_t sent = 0;                       // requests written to a connection
  int64_t completed = 0;                  // responses received, any status
  int64_t non_2xx = 0;                    // of which had a status outside 200-299
  int64_t dropped = 0;                    // arrivals refused because --max-pending was full
  int64_t queued = 0;                     // arrivals that waited for a free connection
  int64_t cancelled = 0;                  // in flight or pending when the run was interrupted
  int64_t warmup_completed = 0;           // responses to warm-up arrivals (in no statistic)
  int64_t bytes_received = 0;             // response header and body bytes
  int64_t connections_opened = 0;         // connections established
  int64_t connect_failures = 0;           // failed connection attempts
  int64_t tls_handshakes = 0;             // TLS connections established
  int64_t tls_resumed = 0;                // of which resumed an earlier session
  int64_t http2_goaways = 0;              // HTTP/2 GOAWAY frames received
  int64_t http2_refused_streams = 0;      // requests the server refused unprocessed (each sent again)
  int64_t http2_flow_control_stalls = 0;  // times a request body waited for the flow-control window
  ErrorCounts error_counts{};             // requests that got no response, by why (index: ErrorKind)

  // Requests that got no response, of every kind.
  int64_t errors() const {
    int64_t n = 0;
    for (int64_t e : error_counts) n += e;
    return n;
  }
  // Requests that came to an end, with a response or without: what an error rate is a
  // fraction of (SLOs and comparisons alike). Not `sent`: an arrival whose connection never
  // opened fails without being sent.
  int64_t ended() const { return completed + errors(); }
  int64_t& errors_of(ErrorKind kind) { return error_counts[static_cast<size_t>(kind)]; }
  int64_t errors_of(ErrorKind kind) const { return error_counts[static_cast<size_t>(kind)]; }

  void add(const Counters& o) {
    sent += o.sent;
    completed += o.completed;
    non_2xx += o.non_2xx;
    dropped += o.dropped;
    queued += o.queued;
    cancelled += o.cancelled;
    warmup_completed += o.warmup_completed;
    bytes_received += o.bytes_received;
    connections_opened += o.connections_opened;
    connect_failures += o.connect_failures;
    tls_handshakes += o.tls_handshakes;
    tls_resumed += o.tls_resumed;
    http2_goaways += o.http2_goaways;
    http2_refused_streams += o.http2_refused_streams;
    http2_flow_control_stalls += o.http2_flow_control_stalls;
    for (size_t k = 0; k < error_counts.size(); ++k) error_counts[k] += o.error_counts[k];
  }

  friend bool operator==(const Counters&, const Counters&) = default;
};

}  // namespace nightjar::model
