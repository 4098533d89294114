// The pacer in simulated time: a ManualClock stands in for the event loop's clock, so every
// assertion is exact whatever the machine's speed.
#include "load/pacer.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/clock.h"
#include "common/duration.h"

namespace nightjar::load {
namespace {

constexpr int64_t kStartNs = 1'000 * kNanosPerSecond;  // an arbitrary steady-clock start

// Everything the pacer releases in one loop turn at the clock's now.
std::vector<Pacer::Arrival> turn(Pacer& pacer, const Clock& clock) {
  std::vector<Pacer::Arrival> out;
  pacer.begin_turn();
  while (const auto due = pacer.take_due(clock.steady_ns())) out.push_back(*due);
  return out;
}

TEST(Pacer, ReleasesNothingBeforeTheFirstIntendedTime) {
  const ConstantRatePlan plan(1000);  // one per ms
  ManualClock clock(kStartNs - 1);
  Pacer pacer(plan, 0, 1, kNanosPerSecond, kStartNs);
  EXPECT_TRUE(turn(pacer, clock).empty());
  EXPECT_EQ(pacer.next_wake_ns(), kStartNs);
}

TEST(Pacer, ReleasesEachArrivalExactlyAtItsIntendedTime) {
  const ConstantRatePlan plan(1000);
  ManualClock clock(kStartNs);
  Pacer pacer(plan, 0, 1, kNanosPerSecond, kStartNs);
  for (uint64_t i = 0; i < 5; ++i) {
    clock.advance_to(pacer.next_wake_ns());
    const std::vector<Pacer::Arrival> due = turn(pacer, clock);
    ASSERT_EQ(due.size(), 1u) << "at arrival " << i;
    EXPECT_EQ(due[0].index, i);
    EXPECT_EQ(due[0].intended_ns, kStartNs + static_cast<int64_t>(i) * kNanosPerMilli);
    // One nanosecond before the next one, nothing more is due.
    clock.advance_to(pacer.next_wake_ns() - 1);
    EXPECT_TRUE(turn(pacer, clock).empty());
  }
}

TEST(Pacer, ALateWakeUpCatchesUpAndKeepsTheIntendedTimes) {
  const ConstantRatePlan plan(1000);
  ManualClock clock(kStartNs + 9 * kNanosPerMilli + 500'000);  // woke 9.5 ms late
  Pacer pacer(plan, 0, 1, kNanosPerSecond, kStartNs);
  const std::vector<Pacer::Arrival> due = turn(pacer, clock);
  ASSERT_EQ(due.size(), 10u);  // 0, 1, ... 9 ms
  for (size_t i = 0; i < due.size(); ++i) {
    EXPECT_EQ(due[i].intended_ns, kStartNs + static_cast<int64_t>(i) * kNanosPerMilli);
  }
  EXPECT_EQ(pacer.next_wake_ns(), kStartNs + 10 * kNanosPerMilli);
}

TEST(Pacer, ABurstIsCappedPerTurnAndTheRestFollowsInTheNextTurns) {
  const ConstantRatePlan plan(1'000'000);  // one per µs
  ManualClock clock(kStartNs);
  Pacer pacer(plan, 0, 1, kNanosPerSecond, kStartNs);
  clock.advance(10'000 * 1'000 - 1);  // a 10 ms stall: 10,000 arrivals are due
  EXPECT_EQ(turn(pacer, clock).size(), static_cast<size_t>(Pacer::kMaxBurst));
  // The next wake-up has already passed: the loop runs again at once.
  EXPECT_LE(pacer.next_wake_ns(), clock.steady_ns());
  EXPECT_EQ(turn(pacer, clock).size(), static_cast<size_t>(Pacer::kMaxBurst));
  EXPECT_EQ(turn(pacer, clock).size(), 10'000u - 2 * Pacer::kMaxBurst);
  EXPECT_TRUE(turn(pacer, clock).empty());
  EXPECT_EQ(pacer.next_wake_ns(), clock.steady_ns() + 1);
}

TEST(Pacer, TakesOnlyItsShard) {
  const ConstantRatePlan plan(1000);
  ManualClock clock(kStartNs + 9 * kNanosPerMilli);
  Pacer pacer(plan, 1, 3, kNanosPerSecond, kStartNs);  // arrivals 1, 4, 7, ...
  const std::vector<Pacer::Arrival> due = turn(pacer, clock);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].index, 1u);
  EXPECT_EQ(due[1].index, 4u);
  EXPECT_EQ(due[2].index, 7u);
  EXPECT_EQ(due[2].intended_ns, kStartNs + 7 * kNanosPerMilli);
  EXPECT_EQ(pacer.next_wake_ns(), kStartNs + 10 * kNanosPerMilli);
}

TEST(Pacer, IsDoneAtTheEndOffsetOrTheIndexBound) {
  const ConstantRatePlan plan(1000);
  ManualClock clock(kStartNs + kNanosPerSecond * 10);
  Pacer by_time(plan, 0, 1, 5 * kNanosPerMilli, kStartNs);  // arrivals at 0..4 ms
  EXPECT_EQ(turn(by_time, clock).size(), 5u);
  EXPECT_TRUE(by_time.done());
  EXPECT_TRUE(turn(by_time, clock).empty());

  Pacer by_count(plan, 0, 1, kNanosPerSecond, kStartNs, 3);
  EXPECT_EQ(turn(by_count, clock).size(), 3u);
  EXPECT_TRUE(by_count.done());
}

}  // namespace
}  // namespace nightjar::load
