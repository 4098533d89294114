// The two clocks nightjar reads: a monotonic one for every interval it measures, and the
// wall clock for timestamps it reports or shares with other machines. Nanoseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace nightjar {

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

}  // namespace nightjar
