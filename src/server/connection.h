// What every connection of the test server has in common, whatever its protocol: the
// worker's registry (so stop() can close it) and the per-thread context it works in.
// Internal to the server component.
#pragma once

#include <cstdint>
#include <exception>
#include <unordered_set>

#include "server/server_state.h"

namespace nightjar::server {

// A connection, or a TLS handshake not yet a connection. Registers itself in the worker's
// registry for its lifetime.
class ServerConnection;
using ConnectionSet = std::unordered_set<ServerConnection*>;

// Shared by every connection of one worker thread; outlives them all.
struct ConnectionContext {
  SharedState& shared;
  WorkerCounters& counters;
  ConnectionSet& registry;
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

  // Closes the socket at once and cancels everything pending (server stop). Idempotent.
  virtual void abort() = 0;

 private:
  ConnectionSet& registry_;
};

// Handlers must not let an exception (std::bad_alloc, in practice) escape into the event
// loop: it would stop every connection of the thread. The failing connection is dropped.
template <typename F>
void guarded(ServerConnection& connection, F&& body) {
  try {
    body();
  } catch (const std::exception&) {
    connection.abort();
  }
}

}  // namespace nightjar::server
