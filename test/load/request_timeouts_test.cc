// The worker's time limits in simulated time (a ManualClock): exact to the nanosecond.
#include "load/request_timeouts.h"

#include <gtest/gtest.h>

#include <limits>

#include "common/clock.h"

namespace nightjar::load {
namespace {

TEST(RequestTimeouts, ARequestExpiresOnlyWhenMoreThanTheTimeoutHasPassed) {
  const RequestTimeouts timeouts(100 * kNanosPerMilli);
  ManualClock clock(5 * kNanosPerSecond);
  const int64_t sent = clock.steady_ns();
  clock.advance(100 * kNanosPerMilli);
  EXPECT_FALSE(timeouts.expired(sent, clock.steady_ns()));  // exactly the timeout: not yet
  clock.advance(1);
  EXPECT_TRUE(timeouts.expired(sent, clock.steady_ns()));
}

TEST(RequestTimeouts, OfSeveralInFlightOnlyTheOldOnesHaveExpired) {
  const RequestTimeouts timeouts(kNanosPerSecond);
  ManualClock clock;
  const int64_t first = clock.steady_ns();
  clock.advance(600 * kNanosPerMilli);
  const int64_t second = clock.steady_ns();
  clock.advance(500 * kNanosPerMilli);  // 1.1 s after the first, 0.5 s after the second
  EXPECT_TRUE(timeouts.expired(first, clock.steady_ns()));
  EXPECT_FALSE(timeouts.expired(second, clock.steady_ns()));
}

TEST(RequestTimeouts, NoTimeoutMeansNothingExpires) {
  const RequestTimeouts timeouts(0);
  EXPECT_FALSE(timeouts.expired(0, std::numeric_limits<int64_t>::max()));
}

TEST(RequestTimeouts, TheWorkerChecksATenthOfTheTimeoutWithinOneToAHundredMilliseconds) {
  EXPECT_EQ(RequestTimeouts(50 * kNanosPerMilli).check_period_ns(), 5 * kNanosPerMilli);
  EXPECT_EQ(RequestTimeouts(5 * kNanosPerMilli).check_period_ns(), kNanosPerMilli);
  EXPECT_EQ(RequestTimeouts(60 * kNanosPerSecond).check_period_ns(), 100 * kNanosPerMilli);
}

TEST(RequestTimeouts, TheDrainEndsOneTimeoutAfterThePlanFinished) {
  const RequestTimeouts timeouts(2 * kNanosPerSecond);
  ManualClock clock(kNanosPerSecond);
  const int64_t finished = clock.steady_ns();
  EXPECT_EQ(timeouts.drain_deadline_ns(finished), 3 * kNanosPerSecond);
  clock.advance_to(timeouts.drain_deadline_ns(finished));
  EXPECT_FALSE(timeouts.drain_over(finished, clock.steady_ns()));
  clock.advance(1);
  EXPECT_TRUE(timeouts.drain_over(finished, clock.steady_ns()));
}

TEST(RequestTimeouts, AtTheDrainsEndEverythingStillInFlightHasExpired) {
  const RequestTimeouts timeouts(kNanosPerSecond);
  ManualClock clock(10 * kNanosPerSecond);
  const int64_t just_sent = clock.steady_ns();
  EXPECT_TRUE(timeouts.expired(just_sent, timeouts.expire_everything_at(clock.steady_ns())));
}

TEST(RequestTimeouts, DeadlinesSaturateInsteadOfOverflowing) {
  const RequestTimeouts timeouts(kNanosPerSecond);
  const int64_t late = std::numeric_limits<int64_t>::max() - 10;
  EXPECT_EQ(timeouts.drain_deadline_ns(late), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(timeouts.connect_deadline_ns(late), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(timeouts.expire_everything_at(late), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace nightjar::load
