// Reading HdrHistogram interval logs (.hlog): what render_hlog writes, and what HdrHistogram's
// HistogramLogWriter writes (log format 1.2 and 1.3, with or without tags). The format is
// described in docs/output.md.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stats/hdr_histogram.h"

namespace nightjar::output {

// Largest log read (256 MiB: about a day of nightjar's per-second lines). Lines are bounded by
// the text; each histogram by the decoder's limits (stats/hdr_encoding.h).
inline constexpr size_t kMaxHlogBytes = size_t{256} << 20;

// One interval line: [Tag=<tag>,]<start s>,<length s>,<max>,<V2 compressed base64>.
struct HlogInterval {
  size_t line = 0;               // 1-based line number in the log
  std::string tag;               // "" when the line has none
  double start_timestamp_s = 0;  // as written: relative to BaseTime (or StartTime) when given
  double length_s = 0;
  double max_value = 0;           // the Interval_Max column (informational; unit ratio applied)
  stats::HdrHistogram histogram;  // decoded
};

// The header comments, when present.
struct HlogHeader {
  std::optional<double> start_time_s;  // #[StartTime: <s since epoch> ...]
  std::optional<double> base_time_s;   // #[BaseTime: <s since epoch> ...]
};

// Reads `text` line by line and calls `on_interval` for each interval line, in order. One
// histogram is decoded at a time and handed over, so memory stays that of one histogram however
// long the log. Other comments (#...), the legend line and blank lines are skipped; lines may
// end in \n or \r\n. `header`, when given, receives the StartTime and BaseTime comments.
// Errors (InvalidArgument) name the line and what was wrong with it ("line 7: interval length
// 'x' is not a number", "line 9: histogram: HdrHistogram decode: ..."), or the size limit; the
// intervals before the bad line have been delivered. Thread-safety: a pure function.
Status read_hlog(std::string_view text, const std::function<void(const HlogInterval&)>& on_interval,
                 HlogHeader* header = nullptr);

}  // namespace nightjar::output
