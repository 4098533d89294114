// The JSON summary of a histogram that every JSON-based format carries:
// {"count", "min", "mean", "max", "stdev", "percentiles": {"50": ..., ..., "100": max}}.
#pragma once

#include <nlohmann/json.hpp>

#include "stats/hdr_histogram.h"

namespace nightjar::output {

nlohmann::ordered_json histogram_summary(const stats::HdrHistogram& histogram);

}  // namespace nightjar::output
