// The worker's lease watch in simulated time (a ManualClock): the lapse and the grace are
// exact, with no waiting.
#include "distributed/lease_watch.h"

#include <gtest/gtest.h>

namespace nightjar::distributed {
namespace {

using State = LeaseWatch::State;

TEST(LeaseWatch, HoldsUntilMoreThanALeasePassesWithoutAHeartbeat) {
  ManualClock clock(7 * kNanosPerSecond);
  LeaseWatch lease(clock, 500 * kNanosPerMilli);
  clock.advance(500 * kNanosPerMilli);
  EXPECT_EQ(lease.check(), State::kHeld);  // exactly a lease: still held
  clock.advance(1);
  EXPECT_EQ(lease.check(), State::kLapsed);
}

TEST(LeaseWatch, EachHeartbeatStartsTheLeaseAgain) {
  ManualClock clock;
  LeaseWatch lease(clock, kNanosPerSecond);
  for (int i = 0; i < 10; ++i) {  // ten seconds in all, a heartbeat every 0.9 s
    clock.advance(900 * kNanosPerMilli);
    lease.heartbeat();
    EXPECT_EQ(lease.check(), State::kHeld) << i;
  }
  clock.advance(kNanosPerSecond + 1);
  EXPECT_EQ(lease.check(), State::kLapsed);
}

TEST(LeaseWatch, ALapseIsFinalEvenIfAHeartbeatFollows) {
  ManualClock clock;
  LeaseWatch lease(clock, kNanosPerSecond);
  clock.advance(2 * kNanosPerSecond);
  EXPECT_EQ(lease.check(), State::kLapsed);
  lease.heartbeat();
  EXPECT_EQ(lease.check(), State::kLapsed);
}

TEST(LeaseWatch, TheCallIsAbandonedOnlyAfterTheGraceThatFollowsTheLapse) {
  ManualClock clock;
  LeaseWatch lease(clock, 3 * kNanosPerSecond);  // grace: the lease, 3 s
  ASSERT_EQ(lease.grace_ns(), 3 * kNanosPerSecond);
  clock.advance(3 * kNanosPerSecond + 1);
  ASSERT_EQ(lease.check(), State::kLapsed);  // the grace counts from here
  clock.advance(3 * kNanosPerSecond);
  EXPECT_EQ(lease.check(), State::kLapsed);
  clock.advance(1);
  EXPECT_EQ(lease.check(), State::kAbandoned);
}

TEST(LeaseWatch, TheGraceIsTheLeaseWithinTwoToFiveSeconds) {
  ManualClock clock;
  EXPECT_EQ(LeaseWatch(clock, 500 * kNanosPerMilli).grace_ns(), 2 * kNanosPerSecond);
  EXPECT_EQ(LeaseWatch(clock, 4 * kNanosPerSecond).grace_ns(), 4 * kNanosPerSecond);
  EXPECT_EQ(LeaseWatch(clock, 60 * kNanosPerSecond).grace_ns(), 5 * kNanosPerSecond);
}

TEST(LeaseWatch, ChecksATenthOfTheLeaseWithinOneToAHundredMilliseconds) {
  ManualClock clock;
  EXPECT_EQ(LeaseWatch(clock, 500 * kNanosPerMilli).check_period_ns(), 50 * kNanosPerMilli);
  EXPECT_EQ(LeaseWatch(clock, 5 * kNanosPerMilli).check_period_ns(), kNanosPerMilli);
  EXPECT_EQ(LeaseWatch(clock, 30 * kNanosPerSecond).check_period_ns(), 100 * kNanosPerMilli);
}

}  // namespace
}  // namespace nightjar::distributed
