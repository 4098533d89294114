// When each of a worker's sessions may try to connect again. After a failed attempt it
// waits a back-off: 10 ms, doubling on each further failure up to 1 s; a successful connect
// resets it. A connection that ended any other way (a request failed, the server closed)
// may reconnect at once. Pure: times come in as arguments, read by the caller from its
// Clock (test/load/reconnect_backoff_test.cc). Sized once; not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/duration.h"

namespace nightjar::load {

class ReconnectBackoff {
 public:
  static constexpr int64_t kFirstBackoffNs = 10 * kNanosPerMilli;
  static constexpr int64_t kMaxBackoffNs = kNanosPerSecond;

  explicit ReconnectBackoff(size_t sessions)
      : retry_at_ns_(sessions, 0), backoff_ns_(sessions, kFirstBackoffNs) {}

  // Session `session` connected: its next failure waits the first back-off again.
  void connected(size_t session) { backoff_ns_[session] = kFirstBackoffNs; }
  // Its connect attempt failed at `now_ns`: no retry before the back-off has passed, and
  // the next back-off is twice as long (at most kMaxBackoffNs).
  void failed(size_t session, int64_t now_ns) {
    retry_at_ns_[session] = now_ns + backoff_ns_[session];
    backoff_ns_[session] = std::min(backoff_ns_[session] * 2, kMaxBackoffNs);
  }
  // Its connection ended without a failed attempt: it may reconnect at once.
  void closed(size_t session) { retry_at_ns_[session] = 0; }

  // Whether it may try to connect at `now_ns`.
  bool may_retry(size_t session, int64_t now_ns) const { return retry_at_ns_[session] <= now_ns; }
  // The earliest time it may (0: any time).
  int64_t retry_at_ns(size_t session) const { return retry_at_ns_[session]; }

 private:
  std::vector<int64_t> retry_at_ns_;  // per session: earliest reconnect (0: any time)
  std::vector<int64_t> backoff_ns_;   // per session: the wait after its next failed connect
};

}  // namespace nightjar::load
