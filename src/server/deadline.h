// A connection's guard deadline (header, idle and handshake timeouts), cheap to move later:
// the timer waits for the earliest time asked, and its owner, woken then, works out the
// deadline that holds now (judge_guard) and either acts or waits again. Only an earlier
// deadline re-arms the timer, so the per-request path costs a comparison. Times are on the
// connection's Clock, so the rules are tested in simulated time
// (test/server/deadline_test.cc). Internal to the server component; on one event-loop
// thread.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <limits>

#include "common/clock.h"
#include "server/connection.h"
#include "server/handler_memory.h"

namespace nightjar::server {

// What a connection's header and idle timeouts depend on, at one moment.
struct GuardState {
  // A header is incomplete while the connection waits for the client's bytes (HTTP/1.1: a
  // request's header; HTTP/2: the preface and SETTINGS, or a header block), since then.
  bool header_pending = false;
  int64_t header_since_ns = 0;
  // The server holds a response back (a delay, the stall): the connection is not idle.
  bool response_held = false;
  // The latest progress (bytes read, a response written): the idle timeout counts from it.
  int64_t last_progress_ns = 0;
};

struct GuardVerdict {
  enum class Kind {
    kWait,           // nothing has passed: look again at deadline_ns
    kHeaderTimeout,  // the header timeout passed: close
    kIdleTimeout,    // the idle timeout passed: close
  };
  Kind kind;
  int64_t deadline_ns;  // the deadline that holds
};

// The header timeout runs while a header is pending; the idle timeout whenever no response
// is held (while one is, the guard looks again an idle timeout later). The earlier one
// holds; it has passed when it is not after `now_ns`.
inline GuardVerdict judge_guard(const GuardState& state, const ConnectionLimits& limits, int64_t now_ns) {
  int64_t deadline_ns = std::numeric_limits<int64_t>::max();
  bool header = false;
  if (state.header_pending) {
    deadline_ns = state.header_since_ns + limits.header_timeout_ns;
    header = true;
  }
  if (!state.response_held) {
    const int64_t idle_ns = state.last_progress_ns + limits.idle_timeout_ns;
    if (idle_ns < deadline_ns) {
      deadline_ns = idle_ns;
      header = false;
    }
  } else if (!header) {
    deadline_ns = now_ns + limits.idle_timeout_ns;  // look again once the response is out
  }
  if (deadline_ns > now_ns) return {GuardVerdict::Kind::kWait, deadline_ns};
  return {header ? GuardVerdict::Kind::kHeaderTimeout : GuardVerdict::Kind::kIdleTimeout, deadline_ns};
}

class Deadline {
 public:
  // `clock` (outlives the deadline) is the one its deadlines are on.
  template <typename Executor>
  Deadline(const Executor& executor, const Clock& clock) : timer_(executor), clock_(clock) {}

  // True when the timer already fires at or before `deadline_ns` (nothing to do).
  bool fires_by(int64_t deadline_ns) const { return armed_ns_ != 0 && armed_ns_ <= deadline_ns; }

  // Makes the timer fire at `deadline_ns` (on the clock's steady timeline) and call
  // `handler(error_code)`. A wait it replaces completes with operation_aborted: handlers
  // must ignore that.
  template <typename Handler>
  void arm(int64_t deadline_ns, Handler handler) {
    armed_ns_ = deadline_ns;
    timer_.expires_at(clock_.timer_time(deadline_ns));
    timer_.async_wait(bind_memory(memory_, std::move(handler)));
  }

  // The timer fired (call from the handler, on success): it is no longer armed.
  void fired() { armed_ns_ = 0; }

  void cancel() noexcept {
    armed_ns_ = 0;
    cancel_waits(timer_);
  }

 private:
  boost::asio::steady_timer timer_;
  const Clock& clock_;
  HandlerMemory memory_;
  int64_t armed_ns_ = 0;  // when the pending wait ends; 0: none
};

}  // namespace nightjar::server
