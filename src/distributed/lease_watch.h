// A worker's lease on its controller: the run holds while heartbeats keep coming, stops
// when none came for a lease, and, if the controller then does not collect the Final within
// a grace, the call is abandoned (cancelled). Pure apart from its Clock, so the lapse and
// the grace are tested in simulated time (test/distributed/lease_watch_test.cc).
//
// Thread-safety: heartbeat() from any thread (the stream reader); check() from one thread
// (the watch).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "common/clock.h"
#include "common/duration.h"

namespace nightjar::distributed {

class LeaseWatch {
 public:
  enum class State {
    kHeld,       // a heartbeat came within the lease
    kLapsed,     // none did: the run must stop (and the Final go out)
    kAbandoned,  // the grace after the lapse is over too: cancel the call
  };

  // The lease starts now, as if a heartbeat had just come. `clock` outlives the watch.
  LeaseWatch(const Clock& clock, int64_t lease_ns)
      : clock_(clock), lease_ns_(lease_ns), last_heartbeat_ns_(clock.steady_ns()) {}

  // A heartbeat came: the lease starts again (unless it already lapsed: that is final).
  void heartbeat() { last_heartbeat_ns_.store(clock_.steady_ns(), std::memory_order_relaxed); }

  // The state at the clock's now. A lapse is final and its time remembered: the grace
  // counts from the first check() that saw it.
  State check() {
    const int64_t now = clock_.steady_ns();
    if (!lapsed_ && now - last_heartbeat_ns_.load(std::memory_order_relaxed) > lease_ns_) {
      lapsed_ = true;
      lapsed_at_ns_ = now;
    }
    if (!lapsed_) return State::kHeld;
    return now - lapsed_at_ns_ > grace_ns() ? State::kAbandoned : State::kLapsed;
  }

  // How often the watch should check: a tenth of the lease, within 1-100 ms.
  int64_t check_period_ns() const {
    return std::clamp<int64_t>(lease_ns_ / 10, kNanosPerMilli, 100 * kNanosPerMilli);
  }
  // How long the controller has to collect the Final after the lapse: the lease, within 2-5 s.
  int64_t grace_ns() const {
    return std::clamp<int64_t>(lease_ns_, 2 * kNanosPerSecond, 5 * kNanosPerSecond);
  }

 private:
  const Clock& clock_;
  const int64_t lease_ns_;
  std::atomic<int64_t> last_heartbeat_ns_;
  // The watching thread's own.
  bool lapsed_ = false;
  int64_t lapsed_at_ns_ = 0;
};

}  // namespace nightjar::distributed
