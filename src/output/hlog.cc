// Writes the interval log the way HdrHistogram Java's HistogramLogWriter does (Java's
// outputComment, outputLogFormatVersion, outputStartTime, outputBaseTime, outputLegend and
// outputIntervalHistogram with a tag). Java formats every number with "%.3f", rounding half
// up from the number's shortest decimal form; the numbers here are whole milliseconds or
// microseconds computed in integers, so the text is the same as Java's and exact.
#include "output/hlog.h"

#include "common/version.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <string_view>

#include "common/duration.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using model::RunResult;

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// n / divisor rounded half up (n >= 0), as "%.3f" rounds.
int64_t div_half_up(int64_t n, int64_t divisor) { return (n + divisor / 2) / divisor; }

// thousandths -> "12.345", "-0.500"
std::string thousandths(int64_t n) {
  const std::string sign = n < 0 ? "-" : "";
  const int64_t a = n < 0 ? -n : n;
  return fmt::format("{}{}.{:03d}", sign, a / 1000, a % 1000);
}

// java.util.Date#toString in UTC: "Wed Nov 26 16:00:00 UTC 2025". Names spelled out so the
// C locale is not assumed.
std::string java_date_utc(int64_t unix_ms) {
  static constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto seconds = static_cast<std::time_t>(floor_div(unix_ms, 1000));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{} {} {:02d} {:02d}:{:02d}:{:02d} UTC {}",
                     kDays[static_cast<size_t>(tm.tm_wday)],
                     kMonths[static_cast<size_t>(tm.tm_mon)], tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, tm.tm_year + 1900);
}

// A comment holds one line; the reader takes "#..." to the end of the line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void interval_line(std::string& out, std::string_view tag, const model::TimelineEntry& e,
                   const std::string& encoded) {
  if (encoded.empty()) {
    out += fmt::format("#[nightjar: second {} has no {} histogram]\n", e.second, tag);
    return;
  }
  auto histogram = stats::decode_base64(encoded);
  if (!histogram.ok()) {
    out += fmt::format("#[nightjar: second {}'s {} histogram does not decode: {}]\n", e.second, tag,
                       one_line(histogram.status().message()));
    return;
  }
  // The interval's length comes from nanoseconds (duration_s = ns / 1e9); recover them
  // exactly before rounding to milliseconds.
  const auto length_ns =
      static_cast<int64_t>(std::llround(e.duration_s * static_cast<double>(kNanosPerSecond)));
  out += fmt::format("Tag={},{},{},{},{}\n", tag, thousandths(e.second * 1000),
                     thousandths(div_half_up(length_ns, kNanosPerMilli)),
                     thousandths(div_half_up(histogram->max(), kHlogMaxValueUnitRatio / 1000)),
                     encoded);
}

}  // namespace

std::string render_hlog(const RunResult& r) {
  const int64_t start_ms = floor_div(r.start_unix_ns, kNanosPerMilli);
  std::string out = fmt::format("#[Logged with nightjar {}]\n#[Histogram log format version 1.3]\n", kVersion);
  out += fmt::format("#[StartTime: {} (seconds since epoch), {}]\n", thousandths(start_ms),
                     java_date_utc(start_ms));
  // Interval timestamps are offsets from the start; saying so spares readers the guess
  // Java's reader otherwise makes (a timestamp over a year before StartTime is relative).
  out += fmt::format("#[BaseTime: {} (seconds since epoch)]\n", thousandths(start_ms));
  out +=
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
  for (const model::TimelineEntry& e : r.timeline) {
    interval_line(out, kHlogLatencyTag, e, e.latency_histogram);
    interval_line(out, kHlogServiceTimeTag, e, e.service_time_histogram);
  }
  return out;
}

}  // namespace nightjar::output
