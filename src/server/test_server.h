// The test server behind `nightjar serve` and `nightjar demo`: an HTTP/1.1 keep-alive
// server whose every response is controlled by the request, so load tests and accuracy
// checks are repeatable.
//
// Per-request controls, as query parameters or, with the same syntax, in the request
// header `X-Nightjar-Control: size=100&status=503` (the header wins where both set one):
//   size=N          response body of N bytes (default 0; suffixes k and m: 4k = 4096)
//   status=N        response status code, 100..599 (default 200)
//   delay=D         wait D (a duration: 10ms, 1.5s) before responding
//   header=K:V      add response header K with value V (repeatable)
//   close=1         respond with `Connection: close` and close the connection
// A malformed control gets a 400 response whose body names the bad control.
//
// Every response carries `X-Nightjar-Arrival-Gap-Ns`: nanoseconds between this request's
// arrival and the previous request's arrival at the server (any connection, any thread),
// so a client can check its own pacing. The first request gets 0.
//
// Server-wide stall: with stall_after_ns >= 0, every response that would be sent in
// [first request + stall_after, first request + stall_after + stall_for) is held until the
// end of that window (the clock starts at the first request the server receives), so a
// coordinated-omission demonstration is repeatable.
//
// Thread-safety: start/stop/port/stats may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace nightjar::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one; [::1]:0 for IPv6
  int threads = 1;                        // event-loop threads, each accepting on the listener
  int64_t stall_after_ns = -1;            // < 0: no stall
  int64_t stall_for_ns = 0;
};

struct ServerStats {
  int64_t connections_accepted = 0;  // connections accepted since start
  int64_t requests = 0;              // requests answered since start (all statuses)
  int64_t bad_requests = 0;          // requests answered 400 (unparsable or bad controls)
};

class TestServer {
 public:
  virtual ~TestServer() = default;

  // Binds the listener and starts the threads. Errors: the address does not parse, or
  // cannot be bound (the message names the address and the system's reason).
  static Result<std::unique_ptr<TestServer>> start(const ServerOptions& options);

  // The bound address as "host:port" ("[::1]:port" for IPv6), with the real port.
  virtual std::string listen_address() const = 0;
  virtual uint16_t port() const = 0;
  virtual ServerStats stats() const = 0;

  // Stops accepting, closes every connection, joins the threads. Idempotent; also done
  // by the destructor.
  virtual void stop() = 0;
};

}  // namespace nightjar::server
