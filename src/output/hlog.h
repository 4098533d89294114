// HdrHistogram interval logs (.hlog): a run's per-second histograms in the text format of
// HdrHistogram's HistogramLogWriter (log format version 1.3), so HdrHistogram's own tools
// (HistogramLogReader, HistogramLogProcessor, HistogramLogAnalyzer, hdrh for Python, ...)
// can read, merge and chart them. The format is described in docs/output.md.
#pragma once

#include <cstdint>
#include <string>

#include "model/run_result.h"

namespace nightjar::output {

// The histograms hold nanoseconds. An interval line's Interval_Max column is
// max / kHlogMaxValueUnitRatio: milliseconds, as Java's HistogramLogWriter writes by default
// (1,000,000, "the msec : nsec ratio") and HdrHistogram's log tools expect. Readers take
// every value from the encoded histogram; the column is informational.
inline constexpr int64_t kHlogMaxValueUnitRatio = 1'000'000;

// The tags of the interval lines, one line of each per timeline second.
inline constexpr char kHlogLatencyTag[] = "latency";
inline constexpr char kHlogServiceTimeTag[] = "service_time";

// Renders result.timeline as an interval log:
//   #[Logged with nightjar <version>]
//   #[Histogram log format version 1.3]
//   #[StartTime: <start of measurement, s.mmm since epoch> (seconds since epoch), <UTC date>]
//   #[BaseTime: <the same> (seconds since epoch)]
//   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//   Tag=latency,<start offset s.mmm>,<length s.mmm>,<max ms.uuu>,<V2 compressed base64>
//   Tag=service_time,...
// Timestamps are seconds relative to StartTime. A timeline histogram that is missing (a
// result saved before timelines carried histograms) or does not decode gets a comment line
// instead of an interval line; readers skip comments. Never fails; pure function.
std::string render_hlog(const model::RunResult& result);

}  // namespace nightjar::output
