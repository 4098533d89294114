// Time, behind a seam (as Envoy's TimeSource or LevelDB's Env): code that decides by the
// time (pacing, timeouts, per-second intervals, leases) reads it from a `Clock` it was
// given, so its tests run in simulated time on a `ManualClock`. Nanoseconds throughout.
//
// Two timelines: steady (monotonic) for every interval measured, and Unix (wall clock)
// for timestamps reported or shared with other machines.
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>

namespace nightjar {

// The system clocks, read directly. Code that is not handed a Clock (and the system clock
// itself) uses these.
inline int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A source of time. Implementations are thread-safe: any thread may read one.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: never decreases. Its epoch is arbitrary; only differences mean anything.
  virtual int64_t steady_ns() const = 0;
  // Wall-clock time since the Unix epoch.
  virtual int64_t unix_ns() const = 0;
  // When a real timer (an Asio steady_timer, a sleep) must fire to wake its owner at
  // `steady_deadline_ns` on this clock. By default, as far from the real now as the deadline
  // is from this clock's now.
  virtual std::chrono::steady_clock::time_point timer_time(int64_t steady_deadline_ns) const {
    return std::chrono::steady_clock::now() +
           std::chrono::nanoseconds(steady_deadline_ns - steady_ns());
  }
};

// std::chrono's steady and system clocks.
class SystemClock final : public Clock {
 public:
  int64_t steady_ns() const override { return steady_now_ns(); }
  int64_t unix_ns() const override { return unix_now_ns(); }
  std::chrono::steady_clock::time_point timer_time(int64_t steady_deadline_ns) const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(steady_deadline_ns));
  }
};

// The one system clock (stateless; lives for the whole program).
const SystemClock& system_clock();

// Simulated time for tests and simulations: it moves only when told. Both timelines move
// together. Thread-safe: one thread may advance it while others read it.
class ManualClock final : public Clock {
 public:
  // 2023-11-14T22:13:20Z: a plausible wall-clock time, so that code checking a timestamp's
  // sanity accepts the default.
  static constexpr int64_t kDefaultUnixNs = int64_t{1'700'000'000} * 1'000'000'000;

  explicit ManualClock(int64_t steady_ns = 0, int64_t unix_ns = kDefaultUnixNs)
      : steady_ns_(steady_ns), unix_ns_(unix_ns) {}

  int64_t steady_ns() const override { return steady_ns_.load(std::memory_order_acquire); }
  int64_t unix_ns() const override { return unix_ns_.load(std::memory_order_acquire); }

  // Moves both timelines forward by `ns` (>= 0).
  void advance(int64_t ns) {
    assert(ns >= 0);
    unix_ns_.fetch_add(ns, std::memory_order_acq_rel);
    steady_ns_.fetch_add(ns, std::memory_order_acq_rel);
  }
  // Moves both timelines forward to steady time `steady_ns` (not before the current one).
  void advance_to(int64_t steady_ns) { advance(steady_ns - this->steady_ns()); }

 private:
  std::atomic<int64_t> steady_ns_;
  std::atomic<int64_t> unix_ns_;
};

}  // namespace nightjar
