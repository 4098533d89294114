// The per-second intervals in simulated time (a ManualClock): which second an event falls
// in and when seconds close, exactly, whatever the machine's speed.
#include "load/interval_roller.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/clock.h"

namespace nightjar::load {
namespace {

constexpr int64_t kMeasureStartNs = 42 * kNanosPerSecond + 123;

struct Closed {
  int64_t index;
  double duration_s;
};

// What a worker does on each event: closes every second that ended by now.
std::vector<Closed> roll(IntervalRoller& roller, int64_t now_ns) {
  std::vector<Closed> closed;
  while (roller.ended_by(now_ns)) {
    closed.push_back({roller.index(), roller.duration_s(roller.end_ns())});
    roller.next();
  }
  return closed;
}

TEST(IntervalRoller, ASecondClosesExactlyAtItsBoundary) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  ManualClock clock(kMeasureStartNs);
  EXPECT_TRUE(roll(roller, clock.steady_ns()).empty());
  clock.advance(kNanosPerSecond - 1);
  EXPECT_TRUE(roll(roller, clock.steady_ns()).empty());
  clock.advance(1);
  const std::vector<Closed> closed = roll(roller, clock.steady_ns());
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].index, 0);
  EXPECT_EQ(closed[0].duration_s, 1.0);
  EXPECT_EQ(roller.index(), 1);
  EXPECT_EQ(roller.start_ns(), kMeasureStartNs + kNanosPerSecond);
}

TEST(IntervalRoller, AnEventAfterQuietSecondsClosesEachOfThem) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  ManualClock clock(kMeasureStartNs);
  clock.advance(3 * kNanosPerSecond + 500 * kNanosPerMilli);
  const std::vector<Closed> closed = roll(roller, clock.steady_ns());
  ASSERT_EQ(closed.size(), 3u);
  for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(closed[static_cast<size_t>(i)].index, i);
  EXPECT_EQ(roller.index(), 3);
}

TEST(IntervalRoller, ACompletionOnABoundaryBelongsToTheLaterSecond) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  EXPECT_EQ(roller.second_of(kMeasureStartNs), 0);
  EXPECT_EQ(roller.second_of(kMeasureStartNs + kNanosPerSecond - 1), 0);
  EXPECT_EQ(roller.second_of(kMeasureStartNs + kNanosPerSecond), 1);
  EXPECT_EQ(roller.second_of(kMeasureStartNs + 7 * kNanosPerSecond + 5), 7);
}

TEST(IntervalRoller, WarmUpComesBeforeSecondZero) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  EXPECT_EQ(roller.second_of(kMeasureStartNs - 1), -1);
  EXPECT_EQ(roller.second_of(kMeasureStartNs - kNanosPerSecond), -1);
  EXPECT_EQ(roller.second_of(kMeasureStartNs - kNanosPerSecond - 1), -2);
  // Completions during warm-up close nothing.
  EXPECT_TRUE(roll(roller, kMeasureStartNs - 1).empty());
}

TEST(IntervalRoller, TheLastPartialSecondLastsUntilTheRunEnded) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  ManualClock clock(kMeasureStartNs);
  clock.advance(2 * kNanosPerSecond + 250 * kNanosPerMilli);  // the run ends here
  const int64_t end = clock.steady_ns();
  EXPECT_EQ(roll(roller, end).size(), 2u);
  ASSERT_TRUE(roller.partial_at(end));
  EXPECT_EQ(roller.index(), 2);
  EXPECT_DOUBLE_EQ(roller.duration_s(end), 0.25);
}

TEST(IntervalRoller, ARunEndingOnABoundaryHasNoPartialSecond) {
  IntervalRoller roller;
  roller.start(kMeasureStartNs);
  const int64_t end = kMeasureStartNs + kNanosPerSecond;
  EXPECT_EQ(roll(roller, end).size(), 1u);
  EXPECT_FALSE(roller.partial_at(end));
  // Nor does one that ends before measurement began (all of it warm-up).
  IntervalRoller warm_only;
  warm_only.start(kMeasureStartNs);
  EXPECT_FALSE(warm_only.partial_at(kMeasureStartNs - 5));
}

}  // namespace
}  // namespace nightjar::load
