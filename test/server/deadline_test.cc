// The test server's header and idle timeouts in simulated time (a ManualClock): which one
// holds and when it passes, exact to the nanosecond, with no socket and no waiting.
#include "server/deadline.h"

#include <gtest/gtest.h>

namespace nightjar::server {
namespace {

constexpr int64_t kMs = 1'000'000;

ConnectionLimits limits() {
  ConnectionLimits l;
  l.header_timeout_ns = 300 * kMs;
  l.idle_timeout_ns = 1'000 * kMs;
  return l;
}

using Kind = GuardVerdict::Kind;

TEST(Guard, AnIncompleteHeaderTimesOutExactlyAtTheHeaderTimeout) {
  ManualClock clock(50 * kMs);
  GuardState state;
  state.header_pending = true;
  state.header_since_ns = clock.steady_ns();
  state.last_progress_ns = clock.steady_ns();
  clock.advance(300 * kMs - 1);
  GuardVerdict verdict = judge_guard(state, limits(), clock.steady_ns());
  EXPECT_EQ(verdict.kind, Kind::kWait);
  EXPECT_EQ(verdict.deadline_ns, 350 * kMs);
  clock.advance(1);
  verdict = judge_guard(state, limits(), clock.steady_ns());
  EXPECT_EQ(verdict.kind, Kind::kHeaderTimeout);
}

TEST(Guard, TrickledBytesMoveTheIdleTimeoutButNotTheHeaderTimeout) {
  ManualClock clock;
  GuardState state;
  state.header_pending = true;
  state.header_since_ns = clock.steady_ns();
  for (int i = 0; i < 5; ++i) {  // a byte every 50 ms
    clock.advance(50 * kMs);
    state.last_progress_ns = clock.steady_ns();
    EXPECT_EQ(judge_guard(state, limits(), clock.steady_ns()).deadline_ns, 300 * kMs);
  }
  clock.advance_to(300 * kMs);
  EXPECT_EQ(judge_guard(state, limits(), clock.steady_ns()).kind, Kind::kHeaderTimeout);
}

TEST(Guard, AnIdleConnectionTimesOutAnIdleTimeoutAfterItsLastProgress) {
  ManualClock clock;
  GuardState state;  // between requests: no header pending
  clock.advance(200 * kMs);
  state.last_progress_ns = clock.steady_ns();  // a response written
  clock.advance(999 * kMs);
  GuardVerdict verdict = judge_guard(state, limits(), clock.steady_ns());
  EXPECT_EQ(verdict.kind, Kind::kWait);
  EXPECT_EQ(verdict.deadline_ns, 1'200 * kMs);
  clock.advance(1 * kMs);
  EXPECT_EQ(judge_guard(state, limits(), clock.steady_ns()).kind, Kind::kIdleTimeout);
}

TEST(Guard, TheEarlierTimeoutHolds) {
  ConnectionLimits short_idle = limits();
  short_idle.idle_timeout_ns = 100 * kMs;
  ManualClock clock;
  GuardState state;
  state.header_pending = true;
  state.header_since_ns = clock.steady_ns();
  state.last_progress_ns = clock.steady_ns();
  clock.advance(100 * kMs);
  EXPECT_EQ(judge_guard(state, short_idle, clock.steady_ns()).kind, Kind::kIdleTimeout);
  EXPECT_EQ(judge_guard(state, limits(), clock.steady_ns()).kind, Kind::kWait);
}

TEST(Guard, AHeldResponseIsNotIdleAndTheGuardLooksAgainLater) {
  ManualClock clock;
  GuardState state;
  state.response_held = true;  // a delay=5s response
  for (int i = 0; i < 5; ++i) {
    clock.advance(1'000 * kMs);
    const GuardVerdict verdict = judge_guard(state, limits(), clock.steady_ns());
    EXPECT_EQ(verdict.kind, Kind::kWait) << i;
    EXPECT_EQ(verdict.deadline_ns, clock.steady_ns() + 1'000 * kMs);
  }
}

TEST(Guard, AHeldResponseDoesNotStopAPendingHeadersTimeout) {
  ManualClock clock;
  GuardState state;
  state.response_held = true;  // pipelined: a response held, the next header incomplete
  state.header_pending = true;
  state.header_since_ns = clock.steady_ns();
  clock.advance(300 * kMs);
  EXPECT_EQ(judge_guard(state, limits(), clock.steady_ns()).kind, Kind::kHeaderTimeout);
}

}  // namespace
}  // namespace nightjar::server
