#include "common/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace nightjar {
namespace {

TEST(ManualClock, StandsStillUntilAdvanced) {
  ManualClock clock(5'000, 7'000);
  EXPECT_EQ(clock.steady_ns(), 5'000);
  EXPECT_EQ(clock.unix_ns(), 7'000);
  EXPECT_EQ(clock.steady_ns(), 5'000);
}

TEST(ManualClock, AdvancesBothTimelinesTogether) {
  ManualClock clock(100, 1'000);
  clock.advance(50);
  EXPECT_EQ(clock.steady_ns(), 150);
  EXPECT_EQ(clock.unix_ns(), 1'050);
  clock.advance_to(400);
  EXPECT_EQ(clock.steady_ns(), 400);
  EXPECT_EQ(clock.unix_ns(), 1'300);
  clock.advance(0);
  EXPECT_EQ(clock.steady_ns(), 400);
}

TEST(ManualClock, DefaultsToAPlausibleWallClockTime) {
  const ManualClock clock;
  EXPECT_EQ(clock.steady_ns(), 0);
  EXPECT_EQ(clock.unix_ns(), ManualClock::kDefaultUnixNs);
}

TEST(ManualClock, AnotherThreadSeesEveryAdvance) {
  ManualClock clock;
  std::thread mover([&] {
    for (int i = 0; i < 1000; ++i) clock.advance(1);
  });
  int64_t last = 0;
  while (last < 1000) {
    const int64_t now = clock.steady_ns();
    ASSERT_GE(now, last);  // never goes back
    last = now;
  }
  mover.join();
  EXPECT_EQ(clock.unix_ns(), ManualClock::kDefaultUnixNs + 1000);
}

TEST(ManualClock, ATimerForItsDeadlineWaitsTheSimulatedDistance) {
  const ManualClock clock(1'000'000);
  const auto before = std::chrono::steady_clock::now();
  const auto at = clock.timer_time(1'000'000 + 5'000'000);
  const auto after = std::chrono::steady_clock::now();
  EXPECT_GE(at, before + std::chrono::milliseconds(5));
  EXPECT_LE(at, after + std::chrono::milliseconds(5));
}

TEST(SystemClock, ReadsTheStdChronoClocks) {
  const Clock& clock = system_clock();
  const int64_t steady_before = steady_now_ns();
  const int64_t steady = clock.steady_ns();
  EXPECT_LE(steady_before, steady);
  EXPECT_LE(steady, steady_now_ns());
  const int64_t unix_before = unix_now_ns();
  const int64_t unix_ns = clock.unix_ns();
  EXPECT_LE(unix_before, unix_ns);
  EXPECT_LE(unix_ns, unix_now_ns());
  EXPECT_EQ(&system_clock(), &clock);  // one instance
}

TEST(SystemClock, ItsTimerTimeIsTheSteadyDeadlineItself) {
  EXPECT_EQ(system_clock().timer_time(123'456'789).time_since_epoch(),
            std::chrono::nanoseconds(123'456'789));
}

}  // namespace
}  // namespace nightjar
