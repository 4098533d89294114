// The reconnect back-off in simulated time (a ManualClock).
#include "load/reconnect_backoff.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace nightjar::load {
namespace {

TEST(ReconnectBackoff, ANewSessionMayConnectAtOnce) {
  const ReconnectBackoff backoff(2);
  EXPECT_TRUE(backoff.may_retry(0, 0));
  EXPECT_EQ(backoff.retry_at_ns(1), 0);
}

TEST(ReconnectBackoff, AFailedAttemptWaitsTenMillisecondsThenDoublingUpToOneSecond) {
  ReconnectBackoff backoff(1);
  ManualClock clock(kNanosPerSecond);
  const int64_t expected_ms[] = {10, 20, 40, 80, 160, 320, 640, 1000, 1000};
  for (const int64_t wait_ms : expected_ms) {
    backoff.failed(0, clock.steady_ns());
    clock.advance(wait_ms * kNanosPerMilli - 1);
    EXPECT_FALSE(backoff.may_retry(0, clock.steady_ns())) << wait_ms << " ms";
    clock.advance(1);
    EXPECT_TRUE(backoff.may_retry(0, clock.steady_ns())) << wait_ms << " ms";
  }
}

TEST(ReconnectBackoff, ASuccessfulConnectResetsIt) {
  ReconnectBackoff backoff(1);
  ManualClock clock;
  for (int i = 0; i < 5; ++i) backoff.failed(0, clock.steady_ns());  // next wait: 320 ms
  backoff.connected(0);
  backoff.failed(0, clock.steady_ns());
  EXPECT_EQ(backoff.retry_at_ns(0), clock.steady_ns() + ReconnectBackoff::kFirstBackoffNs);
}

TEST(ReconnectBackoff, AConnectionThatEndedWithoutAFailedAttemptMayReconnectAtOnce) {
  ReconnectBackoff backoff(1);
  ManualClock clock;
  backoff.failed(0, clock.steady_ns());
  backoff.closed(0);
  EXPECT_TRUE(backoff.may_retry(0, clock.steady_ns()));
  // The doubling is kept: only a successful connect resets it.
  backoff.failed(0, clock.steady_ns());
  EXPECT_EQ(backoff.retry_at_ns(0), clock.steady_ns() + 2 * ReconnectBackoff::kFirstBackoffNs);
}

TEST(ReconnectBackoff, SessionsBackOffIndependently) {
  ReconnectBackoff backoff(2);
  ManualClock clock;
  backoff.failed(0, clock.steady_ns());
  EXPECT_FALSE(backoff.may_retry(0, clock.steady_ns()));
  EXPECT_TRUE(backoff.may_retry(1, clock.steady_ns()));
}

}  // namespace
}  // namespace nightjar::load
