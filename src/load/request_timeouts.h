// The load worker's time limits, apart from the event loop that enforces them: when a
// request (or a connect attempt) has timed out, how often the worker looks, and when the
// drain at the end of a run gives up. Pure: times come in as arguments, read by the caller
// from its Clock, so the rules are tested in simulated time
// (test/load/request_timeouts_test.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/duration.h"

namespace nightjar::load {

class RequestTimeouts {
 public:
  // `timeout_ns` <= 0: no request times out (the drain still ends at once).
  explicit RequestTimeouts(int64_t timeout_ns) : timeout_ns_(timeout_ns) {}

  int64_t timeout_ns() const { return timeout_ns_; }

  // How often the worker checks (its housekeeping tick): a tenth of the timeout, within
  // 1-100 ms. A timeout is therefore noticed up to one period late; requests never wait
  // for the tick.
  int64_t check_period_ns() const {
    return std::clamp<int64_t>(timeout_ns_ / 10, kNanosPerMilli, 100 * kNanosPerMilli);
  }

  // Whether something started at `started_ns` (a request sent, a connect attempt begun)
  // has timed out at `now_ns`: strictly more than the timeout has passed.
  bool expired(int64_t started_ns, int64_t now_ns) const {
    return timeout_ns_ > 0 && now_ns - started_ns > timeout_ns_;
  }

  // When the initial connections give up, if they began at `now_ns`.
  int64_t connect_deadline_ns(int64_t now_ns) const {
    return saturating_add(now_ns, std::max<int64_t>(timeout_ns_, 0));
  }

  // The drain: once the plan finished at `plan_finished_ns`, in-flight and queued requests
  // get one timeout to complete; whatever is still waiting after that deadline fails as
  // timed out.
  int64_t drain_deadline_ns(int64_t plan_finished_ns) const {
    return saturating_add(plan_finished_ns, std::max<int64_t>(timeout_ns_, 0));
  }
  bool drain_over(int64_t plan_finished_ns, int64_t now_ns) const {
    return now_ns > drain_deadline_ns(plan_finished_ns);
  }

  // A time at which everything in flight at `now_ns` has expired: sessions asked to check
  // their requests at it fail them all (the end of the drain).
  int64_t expire_everything_at(int64_t now_ns) const {
    return saturating_add(now_ns, std::max<int64_t>(timeout_ns_, 0) + 1);
  }

 private:
  static int64_t saturating_add(int64_t a, int64_t b) {  // b >= 0
    return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max()
                                                       : a + b;
  }

  const int64_t timeout_ns_;
};

}  // namespace nightjar::load
