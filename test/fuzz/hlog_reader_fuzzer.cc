// libFuzzer target for the .hlog (HdrHistogram interval log) reader: a log from anywhere
// (HdrHistogram's Java tools, another nightjar, a hand edit). Reading must end in a status, the
// intervals it delivers must be in line order and within the decoder's limits, and an error must
// name its line.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "output/hlog_reader.h"
#include "stats/hdr_encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t last_line = 0;
  stats::HdrHistogram total;
  output::HlogHeader header;
  const Status status = output::read_hlog(
      text,
      [&](const output::HlogInterval& interval) {
        if (interval.line <= last_line) __builtin_trap();
        last_line = interval.line;
        if (interval.histogram.counts_len() > stats::kMaxDecodedCountsLen) __builtin_trap();
        total.add(interval.histogram);  // what a reader of the whole log does
      },
      &header);
  if (!status.ok() && status.message().rfind("line ", 0) != 0) __builtin_trap();
  (void)total.value_at_percentile(99.9);
  return 0;
}
