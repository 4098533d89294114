// State of one test server shared by all its event-loop threads. Internal to the server
// component.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>

namespace nightjar::server {

// Arrival bookkeeping, the stall window and the capacity queue. Thread-safe, lock-free: one
// atomic exchange per request, plus a compare-exchange for the very first one when a stall
// is configured, and a compare-exchange loop per request when a capacity is.
class SharedState {
 public:
  // `service_interval_ns` > 0: the server answers as one queue served every that many
  // nanoseconds (see capacity_release_ns); 0: no capacity limit.
  SharedState(int64_t stall_after_ns, int64_t stall_for_ns, int64_t service_interval_ns = 0)
      : stall_after_ns_(stall_after_ns),
        stall_for_ns_(stall_for_ns),
        service_interval_ns_(service_interval_ns) {}

  // Records a request that arrived at `arrival_ns`, on any thread. Starts the stall clock
  // at the first one. Returns the gap to the previous arrival: 0 for the first, and never
  // negative (two threads may publish their arrivals in the opposite order).
  int64_t record_arrival(int64_t arrival_ns) {
    if (stall_after_ns_ >= 0 && first_arrival_ns_.load(std::memory_order_relaxed) == kNone) {
      int64_t expected = kNone;
      first_arrival_ns_.compare_exchange_strong(expected, arrival_ns, std::memory_order_relaxed);
    }
    const int64_t previous = last_arrival_ns_.exchange(arrival_ns, std::memory_order_relaxed);
    if (previous == kNone || previous > arrival_ns) return 0;
    return arrival_ns - previous;
  }

  // With a capacity: the time a request that arrived at `arrival_ns` leaves the one
  // deterministic single-server queue shared by every connection and thread,
  // max(arrival, previous release) + service interval, and reserves it. Without one:
  // `arrival_ns`. Requests are served in the order they reach this call.
  int64_t capacity_release_ns(int64_t arrival_ns) {
    if (service_interval_ns_ <= 0) return arrival_ns;
    int64_t previous = next_free_ns_.load(std::memory_order_relaxed);
    int64_t release = 0;
    do {
      release = (previous > arrival_ns ? previous : arrival_ns) + service_interval_ns_;
    } while (!next_free_ns_.compare_exchange_weak(previous, release, std::memory_order_relaxed));
    return release;
  }

  bool stall_configured() const { return stall_after_ns_ >= 0 && stall_for_ns_ > 0; }

  // When a response sent at `at_ns` would fall inside the stall window, the end of the
  // window (when it may go); otherwise 0.
  int64_t stall_end_if_held(int64_t at_ns) const {
    if (!stall_configured()) return 0;
    const int64_t first = first_arrival_ns_.load(std::memory_order_relaxed);
    if (first == kNone) return 0;
    const int64_t start = first + stall_after_ns_;
    const int64_t end = start + stall_for_ns_;
    return at_ns >= start && at_ns < end ? end : 0;
  }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();

  // Constant after construction.
  const int64_t stall_after_ns_;
  const int64_t stall_for_ns_;
  const int64_t service_interval_ns_;

  // Written by every thread; on their own cache lines so the per-request exchange does not
  // also invalidate the read-mostly first arrival.
  alignas(64) std::atomic<int64_t> last_arrival_ns_{kNone};
  alignas(64) std::atomic<int64_t> first_arrival_ns_{kNone};
  // When the capacity queue's server is next free (the last release reserved).
  alignas(64) std::atomic<int64_t> next_free_ns_{std::numeric_limits<int64_t>::min() / 2};
};

// The connections open at once, against the server's maximum; shared by every worker.
// Thread-safe, lock-free.
class ConnectionLimit {
 public:
  explicit ConnectionLimit(int64_t max_open) : max_open_(max_open) {}

  // Takes a place for a new connection; false when max_open are already open.
  bool try_acquire() {
    if (open_.fetch_add(1, std::memory_order_relaxed) >= max_open_) {
      open_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void release() { open_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t open() const { return open_.load(std::memory_order_relaxed); }

 private:
  const int64_t max_open_;
  std::atomic<int64_t> open_{0};
};

// One connection's place in a ConnectionLimit, given back when this is destroyed or
// released. Travels with the socket (inside its transport), so the hand-overs of a
// connection (TLS handshake to HTTP, HTTP/1.1 to h2c) do not count it twice.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(ConnectionLimit& limit) : limit_(&limit) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept : limit_(std::exchange(other.limit_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      release();
      limit_ = std::exchange(other.limit_, nullptr);
    }
    return *this;
  }
  ~ConnectionSlot() { release(); }

  void release() {
    if (limit_ != nullptr) std::exchange(limit_, nullptr)->release();
  }

 private:
  ConnectionLimit* limit_ = nullptr;
};

// Counters of one event-loop thread; written only by that thread, read by stats() from
// any thread. On their own cache line so threads do not share one.
struct alignas(64) WorkerCounters {
  std::atomic<int64_t> connections_accepted{0};  // connections accepted by this thread
  std::atomic<int64_t> requests{0};              // responses serialized (all statuses), resets
  std::atomic<int64_t> bad_requests{0};    // 400s for garbage or bad controls, gRPC bad controls
  std::atomic<int64_t> http2_requests{0};  // of requests, those on HTTP/2
  std::atomic<int64_t> grpc_requests{0};   // of http2_requests, gRPC calls
  std::atomic<int64_t> tls_handshakes{0};  // TLS handshakes completed
  std::atomic<int64_t> tls_resumed_handshakes{0};  // of tls_handshakes, resuming a session
  std::atomic<int64_t> tls_handshake_failures{0};  // TLS handshakes refused, abandoned, timed out
  std::atomic<int64_t> tls_handshake_timeouts{0};  // of tls_handshake_failures, timed out
  std::atomic<int64_t> connections_rejected{0};    // closed at accept: the maximum were open
  std::atomic<int64_t> accept_backoffs{0};  // accept failed (out of descriptors, ...): waited
  std::atomic<int64_t> header_timeouts{0};  // closed: a request's header (HTTP/2: the preface
                                            // and SETTINGS, a header block) came too slowly
  std::atomic<int64_t> idle_timeouts{0};    // closed: nothing in flight for the idle timeout
  std::atomic<int64_t> bodies_too_large{0};   // requests refused for their body (413,
                                              // RESOURCE_EXHAUSTED)
  std::atomic<int64_t> headers_too_large{0};  // requests refused for their header (431)

  // Single writer, so a plain load and store is enough and avoids a locked instruction.
  static void bump(std::atomic<int64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

}  // namespace nightjar::server
