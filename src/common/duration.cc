#include "common/duration.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace nightjar {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Returns the unit's length in nanoseconds and advances `pos` past it, or 0 when the
// text at `pos` is not a unit.
int64_t take_unit(std::string_view text, size_t& pos) {
  struct Unit {
    std::string_view name;
    int64_t ns;
  };
  // Longer names first so "ms" is not read as "m".
  static constexpr Unit kUnits[] = {
      {"ns", 1},         {"us", kNanosPerMicro},          {"\xC2\xB5s", kNanosPerMicro},
      {"ms", kNanosPerMilli}, {"s", kNanosPerSecond},     {"m", 60 * kNanosPerSecond},
      {"h", 3600 * kNanosPerSecond},
  };
  for (const Unit& unit : kUnits) {
    if (text.substr(pos, unit.name.size()) == unit.name) {
      pos += unit.name.size();
      return unit.ns;
    }
  }
  return 0;
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.empty()) return Status::invalid_argument("empty duration");
  if (text == "0") return int64_t{0};
  if (text.front() == '-') {
    return Status::invalid_argument("duration " + quoted + " is negative");
  }
  double total_ns = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.')) ++pos;
    if (pos == start) {
      return Status::invalid_argument("duration " + quoted + " has no number before '" +
                                      std::string(text.substr(pos)) + "'");
    }
    const std::string number(text.substr(start, pos - start));
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) {
      return Status::invalid_argument("duration " + quoted + " has a malformed number '" +
                                      number + "'");
    }
    const int64_t unit_ns = take_unit(text, pos);
    if (unit_ns == 0) {
      return Status::invalid_argument("duration " + quoted +
                                      " needs a unit (ns, us, ms, s, m or h) after " + number);
    }
    total_ns += value * static_cast<double>(unit_ns);
  }
  if (total_ns > 9.2e18) return Status::invalid_argument("duration " + quoted + " is too long");
  return static_cast<int64_t>(std::llround(total_ns));
}

std::string format_duration_ns(int64_t ns) {
  char buf[64];
  const double v = static_cast<double>(ns);
  if (ns < 0) return "-" + format_duration_ns(-ns);
  // Thresholds sit where %.3g would round up to 1000 of the smaller unit.
  if (ns < kNanosPerMicro) {
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  } else if (v < 999.5e3) {
    std::snprintf(buf, sizeof buf, "%.3gus", v / 1e3);
  } else if (v < 999.5e6) {
    std::snprintf(buf, sizeof buf, "%.3gms", v / 1e6);
  } else if (v < 59.95e9) {
    std::snprintf(buf, sizeof buf, "%.3gs", v / 1e9);
  } else {
    const long long total_s = std::llround(v / 1e9);
    if (total_s < 3600) {
      std::snprintf(buf, sizeof buf, "%lldm%llds", total_s / 60, total_s % 60);
    } else {
      std::snprintf(buf, sizeof buf, "%lldh%lldm", total_s / 3600, (total_s % 3600) / 60);
    }
  }
  return buf;
}

std::string format_go_duration_ns(int64_t ns) {
  if (ns <= 0) return "0s";
  static constexpr struct {
    int64_t ns;
    const char* name;
  } kUnits[] = {{3600 * kNanosPerSecond, "h"}, {60 * kNanosPerSecond, "m"}, {kNanosPerSecond, "s"},
                {kNanosPerMilli, "ms"},        {kNanosPerMicro, "us"},      {1, "ns"}};
  std::string out;
  for (const auto& unit : kUnits) {
    if (ns >= unit.ns) {
      out += std::to_string(ns / unit.ns) + unit.name;
      ns %= unit.ns;
    }
  }
  return out;
}

}  // namespace nightjar
