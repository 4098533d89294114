// Merging results exactly: the parts of one test (several SMPS clients now, several
// remote workers later) become one RunResult whose histograms hold every sample of every
// part, so its percentiles equal those of one histogram fed everything.
#pragma once

#include <string>
#include <vector>

#include "model/run_result.h"

namespace nightjar::model {

// Combines `parts` (at least one) into one result. Counters and status codes add up;
// histograms and per-second timelines merge exactly (seconds are aligned by index from
// each part's start of measurement); options describe the whole: URLs joined, rates,
// connections and threads summed. Each part becomes one entry of `shards`, named by
// `names[i]` (its own shards are folded into it).
// One second of a timeline being put together from several parts (threads, clients,
// workers): merged histograms and summed counts, summarized once complete.
struct SecondAccumulator {
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
  Counters counters;
  double duration_s = 0;  // the longest part's

  // The timeline entry for second `index`: percentiles and encoded histograms.
  TimelineEntry summarize(int64_t index) const;
};

RunResult merge_results(const std::vector<RunResult>& parts, const std::vector<std::string>& names);

}  // namespace nightjar::model
