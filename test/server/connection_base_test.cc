// The timing rules both protocols of the test server share (connection_base.h).
#include "server/connection_base.h"

#include <gtest/gtest.h>

#include <limits>

namespace nightjar::server {
namespace {

constexpr int64_t kMs = 1'000'000;

ConnectionLimits limits() {
  ConnectionLimits limits;
  limits.header_timeout_ns = 100 * kMs;
  limits.idle_timeout_ns = 1000 * kMs;
  return limits;
}

TEST(NextTimeout, TheIdleTimeoutRunsFromTheLatestProgress) {
  const TimeoutCheck next = next_timeout(5000 * kMs, 0, 4500 * kMs, false, limits());
  EXPECT_EQ(next.deadline_ns, 5500 * kMs);
  EXPECT_FALSE(next.header);
}

TEST(NextTimeout, AnAwaitedHeaderDueFirstIsTheHeaderTimeout) {
  const TimeoutCheck next = next_timeout(5000 * kMs, 4950 * kMs, 4900 * kMs, false, limits());
  EXPECT_EQ(next.deadline_ns, 5050 * kMs);
  EXPECT_TRUE(next.header);
}

TEST(NextTimeout, AnIdleDeadlineBeforeTheHeaderDeadlineWins) {
  const TimeoutCheck next = next_timeout(5000 * kMs, 4950 * kMs, 4000 * kMs, false, limits());
  EXPECT_EQ(next.deadline_ns, 5000 * kMs);
  EXPECT_FALSE(next.header);
}

TEST(NextTimeout, AHeldResponseDefersTheIdleTimeout) {
  const TimeoutCheck held = next_timeout(5000 * kMs, 0, 1000 * kMs, true, limits());
  EXPECT_EQ(held.deadline_ns, 6000 * kMs);  // looked at again, not due
  EXPECT_FALSE(held.header);
  // The header timeout still runs.
  const TimeoutCheck header = next_timeout(5000 * kMs, 4990 * kMs, 1000 * kMs, true, limits());
  EXPECT_EQ(header.deadline_ns, 5090 * kMs);
  EXPECT_TRUE(header.header);
}

TEST(ReadyAt, AddsTheDelayAndSaturates) {
  EXPECT_EQ(ready_at_ns(100, 50), 150);
  EXPECT_EQ(ready_at_ns(100, 0), 100);
  EXPECT_EQ(ready_at_ns(100, std::numeric_limits<int64_t>::max()),
            std::numeric_limits<int64_t>::max());
}

TEST(LimitMessages, NameTheLimit) {
  ConnectionLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_header_fields = 8;
  EXPECT_EQ(body_limit_message(1024), "request body larger than the server's limit of 1024 bytes");
  EXPECT_EQ(header_limit_message(false, limits),
            "request header larger than the server's limit of 2048 bytes");
  EXPECT_EQ(header_limit_message(true, limits), "more than 8 request header fields");
}

}  // namespace
}  // namespace nightjar::server
