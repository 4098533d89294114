// A connection's guard deadline (header, idle and handshake timeouts), cheap to move later:
// the timer waits for the earliest time asked, and its owner, woken then, works out the
// deadline that holds now and either acts or waits again. Only an earlier deadline re-arms
// the timer, so the per-request path costs a comparison. Internal to the server component;
// on one event-loop thread.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>

#include "common/clock.h"
#include "server/connection.h"
#include "server/handler_memory.h"

namespace nightjar::server {

class Deadline {
 public:
  // `clock` (outlives the deadline) is the one its deadlines are on.
  template <typename Executor>
  Deadline(const Executor& executor, const Clock& clock) : timer_(executor), clock_(clock) {}

  // True when the timer already fires at or before `deadline_ns` (nothing to do).
  bool fires_by(int64_t deadline_ns) const { return armed_ns_ != 0 && armed_ns_ <= deadline_ns; }

  // Makes the timer fire at `deadline_ns` (the clock's steady time) and call `handler(error_code)`.
  // A wait it replaces completes with operation_aborted: handlers must ignore that.
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
