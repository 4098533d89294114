// What every connection of the test server has in common, whatever its protocol: the
// worker's registry (so stop() can close it) and the per-thread context it works in.
// Internal to the server component.
#pragma once

#include <cstdint>
#include <exception>
#include <unordered_set>

#include "common/clock.h"
#include "server/server_state.h"

namespace nightjar::server {

// A connection, or a TLS handshake not yet a connection. Registers itself in the worker's
// registry for its lifetime.
class ServerConnection;
using ConnectionSet = std::unordered_set<ServerConnection*>;

// What a client may make one connection wait for or hold (see ServerOptions).
struct ConnectionLimits {
  int64_t header_timeout_ns = 0;
  int64_t idle_timeout_ns = 0;
  int64_t tls_handshake_timeout_ns = 0;
  uint64_t max_body_bytes = 0;
  uint32_t max_header_bytes = 0;
  uint32_t max_header_fields = 0;
};

// Shared by every connection of one worker thread; outlives them all.
struct ConnectionContext {
  SharedState& shared;
  WorkerCounters& counters;
  ConnectionSet& registry;
  const Clock& clock;  // every time in the server is on its steady timeline
  ConnectionLimits limits;
  int64_t goaway_after_requests = 0;  // HTTP/2: GOAWAY after this many requests; 0 never
  bool http2_without_alpn = true;     // TLS without ALPN: detect the HTTP/2 preface
};

class ServerConnection {
 public:
  explicit ServerConnection(ConnectionSet& registry) : registry_(registry) {
    registry_.insert(this);
  }
  virtual ~ServerConnection() { registry_.erase(this); }
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Closes the socket at once and cancels everything pending (server stop, a limit, a
  // failure). Idempotent; never throws.
  virtual void abort() noexcept = 0;

 private:
  ConnectionSet& registry_;
};

// Cancels `timer`'s waits. asio reports a failure to cancel by exception (its reactor never
// fails to); swallowed so that closing a connection cannot throw.
template <typename Timer>
void cancel_waits(Timer& timer) noexcept {
  try {
    timer.cancel();
  } catch (...) {
  }
}

// Handlers must not let an exception (std::bad_alloc, in practice) escape into the event
// loop: it would stop every connection of the thread. The failing connection is dropped.
template <typename F>
void guarded(ServerConnection& connection, F&& body) {
  try {
    body();
  } catch (...) {
    connection.abort();
  }
}

}  // namespace nightjar::server
