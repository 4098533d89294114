// The test server's shared arrival bookkeeping and stall window in simulated time (a
// ManualClock): exact, with no socket and no waiting.
#include "server/server_state.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace nightjar::server {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(StallWindow, OpensAfterTheFirstArrivalAndHoldsResponsesUntilItCloses) {
  ManualClock clock(10 * kMs);
  SharedState state(200 * kMs, 300 * kMs);  // window: [first + 200 ms, first + 500 ms)
  ASSERT_TRUE(state.stall_configured());
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 0);  // no arrival yet: no window
  state.record_arrival(clock.steady_ns());
  clock.advance(200 * kMs - 1);
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 0);
  clock.advance(1);
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 510 * kMs);
  clock.advance(300 * kMs - 1);
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 510 * kMs);
  clock.advance(1);
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 0);
}

TEST(StallWindow, ADelayedResponseReadyInsideTheWindowIsHeldToItsEnd) {
  // A request at 0 with delay=300ms, a window from 200 ms for 300 ms: sent at 500 ms.
  ManualClock clock;
  SharedState state(200 * kMs, 300 * kMs);
  state.record_arrival(clock.steady_ns());
  const int64_t ready_at = clock.steady_ns() + 300 * kMs;
  EXPECT_EQ(state.stall_end_if_held(ready_at), 500 * kMs);
}

TEST(StallWindow, OnlyTheFirstArrivalStartsIt) {
  ManualClock clock;
  SharedState state(0, 100 * kMs);
  state.record_arrival(clock.steady_ns());
  clock.advance(50 * kMs);
  state.record_arrival(clock.steady_ns());
  EXPECT_EQ(state.stall_end_if_held(clock.steady_ns()), 100 * kMs);
}

TEST(StallWindow, NoneWithoutAConfiguredStall) {
  SharedState state(-1, 0);
  EXPECT_FALSE(state.stall_configured());
  state.record_arrival(0);
  EXPECT_EQ(state.stall_end_if_held(0), 0);
}

TEST(ArrivalGap, IsTheTimeSinceThePreviousArrivalAndNeverNegative) {
  ManualClock clock(5 * kMs);
  SharedState state(-1, 0);
  EXPECT_EQ(state.record_arrival(clock.steady_ns()), 0);  // the first
  clock.advance(7 * kMs);
  EXPECT_EQ(state.record_arrival(clock.steady_ns()), 7 * kMs);
  // Another thread publishes an earlier arrival after this one: no negative gap.
  EXPECT_EQ(state.record_arrival(clock.steady_ns() - 3 * kMs), 0);
}

TEST(CapacityQueue, ReleasesEachRequestOneServiceIntervalAfterThePreviousOrItsArrival) {
  SharedState state(-1, 0, 10 * kMs);  // 100 requests per second
  // Three at once: released 10, 20, 30 ms later, in order of arrival.
  EXPECT_EQ(state.capacity_release_ns(1000 * kMs), 1010 * kMs);
  EXPECT_EQ(state.capacity_release_ns(1000 * kMs), 1020 * kMs);
  EXPECT_EQ(state.capacity_release_ns(1000 * kMs), 1030 * kMs);
  // Arriving while the queue still holds one: after it.
  EXPECT_EQ(state.capacity_release_ns(1025 * kMs), 1040 * kMs);
  // Arriving once the queue has drained: one interval after its own arrival.
  EXPECT_EQ(state.capacity_release_ns(2000 * kMs), 2010 * kMs);
}

TEST(CapacityQueue, GrowsByTheExcessOfTheArrivalRateOverTheCapacity) {
  SharedState state(-1, 0, 10 * kMs);  // capacity 100/s; arrivals at 200/s for one second
  int64_t last_wait_ns = 0;
  for (int i = 0; i < 200; ++i) {
    const int64_t arrival_ns = i * 5 * kMs;
    last_wait_ns = state.capacity_release_ns(arrival_ns) - arrival_ns;
  }
  // The 200th leaves at 2 s, having arrived at 0.995 s: about (200 - 100) * 1 s / 100 queued.
  EXPECT_EQ(last_wait_ns, 2000 * kMs - 995 * kMs);
}

TEST(CapacityQueue, NoneWithoutACapacity) {
  SharedState state(-1, 0);
  EXPECT_EQ(state.capacity_release_ns(7 * kMs), 7 * kMs);
  EXPECT_EQ(state.capacity_release_ns(7 * kMs), 7 * kMs);
}

}  // namespace
}  // namespace nightjar::server
