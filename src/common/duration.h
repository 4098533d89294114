// Durations on the command line and in files: "250ms", "10s", "1m30s", "2h".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nightjar {

// Parses a duration made of one or more <number><unit> parts, units ns us ms s m h
// (as Go's time.ParseDuration; "µs" is accepted for us). Decimals are allowed
// ("1.5s"). A bare "0" is zero. Negative durations and missing units are errors; the
// message names the text that was wrong.
Result<int64_t> parse_duration_ns(std::string_view text);

// Formats nanoseconds for people: "850ns", "12.3us", "4.56ms", "1.23s", "2m5s".
std::string format_duration_ns(int64_t ns);

// Formats nanoseconds exactly, as a Go duration that parse_duration_ns (and Go's
// time.ParseDuration) reads back to the same value: "0s", "1m30s", "1h0m0s" is "1h",
// "2s5ms", "1ms500ns". For files (SMPS test files), not for people. `ns` must be >= 0.
std::string format_go_duration_ns(int64_t ns);

inline constexpr int64_t kNanosPerMicro = 1'000;
inline constexpr int64_t kNanosPerMilli = 1'000'000;
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace nightjar
