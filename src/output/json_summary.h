// The JSON summary of a histogram that every JSON-based format carries:
// {"count", "min", "mean", "max", "stdev", "percentiles": {"50": ..., ..., "100": max}}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "stats/hdr_histogram.h"

namespace nightjar::output {

nlohmann::ordered_json histogram_summary(const stats::HdrHistogram& histogram);

// Appends to `section`, in this order, "latency_ns" and "service_time_ns" (histogram_summary of
// each) and "histograms": {"latency", "service_time"} (their base64 HdrHistogram encodings):
// the tail of the "nightjar" section of the fortio and SMPS formats.
void append_histograms(nlohmann::ordered_json& section, const stats::HdrHistogram& latency,
                       const stats::HdrHistogram& service_time);

// JSON text for every JSON-based format. Never throws on text from outside: bytes that are
// not valid UTF-8 (a test name, a label, a header) are written as U+FFFD (docs/output.md).
// `indent` < 0: compact.
template <typename Json>
std::string dump_json(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace nightjar::output
