// The test server behind `nightjar serve` and `nightjar demo`: a keep-alive server whose
// every response is controlled by the request, so load tests and accuracy checks are
// repeatable. It speaks HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one port (a
// connection opening with the HTTP/2 preface is HTTP/2), or, with TLS, HTTP/1.1 and HTTP/2
// chosen by ALPN. Over HTTP/2 it also serves gRPC: nightjar.test.v1.TestService (Ping,
// Echo) and grpc.health.v1.Health/Check (see grpc_service.h).
//
// Per-request controls, as query parameters or, with the same syntax, in the request
// header `X-Nightjar-Control: size=100&status=503` (the header wins where both set one):
//   size=N          response body of N bytes (default 0; suffixes k and m: 4k = 4096; at
//                   most 1 TiB)
//   status=N        response status code, 100..599 (default 200; HTTP/2: 200..599)
//   delay=D         wait D (a duration: 10ms, 1.5s) before responding; at most 10m
//   header=K:V      add response header K with value V (repeatable: at most 64, 8 KiB)
//   close=1         respond with `Connection: close` and close the connection
//                   (HTTP/2: as goaway=1)
//   reset=1         HTTP/2: answer with RST_STREAM (INTERNAL_ERROR) instead of a response
//   goaway=1        HTTP/2: send GOAWAY (NO_ERROR, last stream = this one) with this
//                   response; later streams are refused, the connection closes once the
//                   others are answered
// reset and goaway are accepted and ignored on HTTP/1.1. A malformed control gets a 400
// response whose body names the bad control.
//
// Every response carries `X-Nightjar-Arrival-Gap-Ns`: nanoseconds between this request's
// arrival and the previous request's arrival at the server (any connection, any thread,
// any protocol), so a client can check its own pacing. The first request gets 0.
//
// Server-wide stall: with stall_after_ns >= 0, every response that would be sent in
// [first request + stall_after, first request + stall_after + stall_for) is held until the
// end of that window (the clock starts at the first request the server receives), so a
// coordinated-omission demonstration is repeatable. It holds HTTP/2 streams and gRPC calls
// alike.
//
// Capacity: with capacity_rps > 0, the server answers as ONE queue served at capacity_rps
// requests per second, shared by every connection, thread and protocol: a request's
// response is released at max(its arrival, the previous release) + 1/capacity_rps (a
// deterministic single server; M/D/1 when arrivals are Poisson), then its delay= is added.
// Latency stays flat below the capacity and grows without bound past it, so a search for
// the highest rate meeting an SLO has a knee to find. Requests refused for a limit or
// malformed framing do not queue.
//
// Limits (ServerOptions), so that no client can make the server hold unbounded memory or
// connections:
//   - A request's header must arrive within header_timeout_ns of its first byte (of the
//     accept, or of the TLS handshake's end, for a connection's first request). HTTP/2: the
//     client preface and SETTINGS within it of the connection's start, and each header block
//     (HEADERS and its CONTINUATIONs) within it of its first frame. Else the connection is
//     closed.
//   - A connection on which the server owes nothing (no response delayed, stalled or being
//     written) and the client sends nothing (HTTP/2: no HEADERS or DATA) for idle_timeout_ns
//     is closed (HTTP/2: after a GOAWAY). A response the client does not read for that long
//     closes the connection as well.
//   - A TLS handshake must complete within tls_handshake_timeout_ns of the accept.
//   - At most max_connections are open at once; beyond, a new connection is accepted and
//     closed at once. Out of descriptors, the server waits a little before accepting again.
//   - A request body over max_body_bytes is refused: HTTP/1.1 413, and the connection
//     closes; HTTP/2 413 (gRPC: RESOURCE_EXHAUSTED) at once, then RST_STREAM (NO_ERROR) if
//     the client is still sending. The gRPC request messages one HTTP/2 connection holds in
//     memory, over all its streams, never exceed max_body_bytes either.
//   - A request header over max_header_bytes (HTTP/1.1: request line and fields as sent;
//     HTTP/2: the header list size, name + value + 32 per field) or with more than
//     max_header_fields fields is refused with 431 (HTTP/1.1 then closes).
//   - Controls have maxima (control.h); a value over one is a 400 naming the control.
//
// Thread-safety: start/stop/port/stats may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "tls/server_context.h"

namespace nightjar::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one; [::1]:0 for IPv6
  int threads = 1;                        // event-loop threads, each accepting on the listener
  int64_t stall_after_ns = -1;            // < 0: no stall
  int64_t stall_for_ns = 0;
  int64_t capacity_rps = 0;               // > 0: one queue served at this rate (see above)
  int64_t goaway_after_requests =
      0;  // HTTP/2: GOAWAY after this many requests per connection; 0 never
  // Set: the listener speaks TLS only (ALPN h2 or http/1.1; an empty certificate and key
  // make a self-signed one). Unset: plaintext HTTP/1.1 and h2c.
  std::optional<tls::ServerTlsOptions> tls = std::nullopt;

  // Limits (see above); each must be positive, a timeout at most kMaxTimeoutNs.
  int64_t header_timeout_ns = kDefaultHeaderTimeoutNs;
  int64_t idle_timeout_ns = kDefaultIdleTimeoutNs;
  int64_t tls_handshake_timeout_ns = kDefaultTlsHandshakeTimeoutNs;
  int64_t max_connections = kDefaultMaxConnections;
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  uint32_t max_header_bytes = kDefaultMaxHeaderBytes;  // kMinHeaderBytes..kMaxHeaderBytes
  uint32_t max_header_fields = kDefaultMaxHeaderFields;

  static constexpr int64_t kMaxCapacityRps = 10'000'000;
  static constexpr int64_t kMaxTimeoutNs = int64_t{24} * 3600 * 1'000'000'000;
  static constexpr int64_t kDefaultHeaderTimeoutNs = int64_t{10'000'000'000};
  static constexpr int64_t kDefaultIdleTimeoutNs = int64_t{60'000'000'000};
  static constexpr int64_t kDefaultTlsHandshakeTimeoutNs = int64_t{10'000'000'000};
  static constexpr int64_t kDefaultMaxConnections = 10'000;
  static constexpr uint64_t kDefaultMaxBodyBytes = uint64_t{16} * 1024 * 1024;
  static constexpr uint32_t kDefaultMaxHeaderBytes = 16 * 1024;
  static constexpr uint32_t kMinHeaderBytes = 1024;
  static constexpr uint32_t kMaxHeaderBytes = 1024 * 1024;
  static constexpr uint32_t kDefaultMaxHeaderFields = 100;
};

struct ServerStats {
  int64_t connections_accepted = 0;  // connections accepted since start
  int64_t requests = 0;  // requests answered since start (all statuses, resets included)
  int64_t bad_requests =
      0;  // requests answered 400 (unparsable or bad controls), gRPC bad controls
  int64_t http2_requests = 0;          // of requests, those over HTTP/2 (h2c or TLS), gRPC included
  int64_t grpc_requests = 0;           // of http2_requests, gRPC calls (any gRPC status)
  int64_t tls_handshakes = 0;          // TLS handshakes completed
  int64_t tls_resumed_handshakes = 0;  // of tls_handshakes, those that resumed an earlier session
  int64_t tls_handshake_failures = 0;  // TLS handshakes refused (no client certificate, no common
                                       // ALPN protocol, ...), abandoned by the client or timed out
  int64_t tls_handshake_timeouts = 0;  // of tls_handshake_failures, those that timed out
  int64_t open_connections = 0;        // connections open now (TLS handshakes included)
  int64_t connections_rejected = 0;    // closed at once: max_connections were open
  int64_t accept_backoffs = 0;  // accepts that failed (out of descriptors or memory) and waited
  int64_t header_timeouts = 0;  // connections closed: a request header came too slowly
  int64_t idle_timeouts = 0;    // connections closed: idle for idle_timeout_ns
  int64_t bodies_too_large = 0;   // requests refused: body over max_body_bytes (413 or gRPC
                                  // RESOURCE_EXHAUSTED); not in bad_requests
  int64_t headers_too_large = 0;  // requests refused with 431; not in bad_requests
};

class TestServer {
 public:
  virtual ~TestServer() = default;

  // Binds the listener and starts the threads. Errors: the address does not parse, or
  // cannot be bound (the message names the address and the system's reason); the TLS
  // options are invalid (InvalidArgument naming the input, see tls::ServerContext).
  static Result<std::unique_ptr<TestServer>> start(const ServerOptions& options);

  // The bound address as "host:port" ("[::1]:port" for IPv6), with the real port.
  virtual std::string listen_address() const = 0;
  virtual uint16_t port() const = 0;
  virtual ServerStats stats() const = 0;
  // With TLS: the certificate served (PEM; the generated one when none was given) and its
  // SHA-256 fingerprint "AB:CD:...". Empty without TLS.
  virtual std::string tls_certificate_pem() const = 0;
  virtual std::string tls_certificate_fingerprint() const = 0;

  // Stops accepting, closes every connection, joins the threads. Idempotent; also done
  // by the destructor.
  virtual void stop() = 0;
};

}  // namespace nightjar::server
