// fortio's HTTP runner result (fhttp.HTTPRunnerResults, which embeds
// periodic.RunnerResults), in the shape Meshery stores under `runner_results` and charts.
// Field names, JSON types and units follow fortio's Go structs: durations in seconds as
// floats, ActualDuration in integer nanoseconds, RequestedQPS a string. Where nightjar
// knows less than fortio (response sizes) or measures differently (HdrHistogram buckets
// instead of fortio's fixed ones), docs/output.md says how the value is derived.
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "common/version.h"
#include "output/formatters.h"
#include "output/json_summary.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;
using model::RunResult;
using stats::HdrHistogram;

constexpr double kNanosPerSecondF = 1e9;


// The percentiles Meshery asks fortio for (and its charts look up by exact value).
constexpr double kFortioPercentiles[] = {50, 75, 90, 99, 99.9};

// fortio's histogram bucket ends (stats.histogramBucketValues), in units of its resolution.
// Bucket i holds values in ]ends[i-1], ends[i]]; one more bucket holds values above the last.
constexpr int64_t kFortioBucketEnds[] = {
    0,   1,    2,    3,    4,    5,    6,    7,     8,     9,     10,    11,    12,    14,
    16,  18,   20,   25,   30,   35,   40,   45,    50,    60,    70,    80,    90,    100,
    120, 140,  160,  180,  200,  250,  300,  350,   400,   450,   500,   600,   700,   800,
    900, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000, 30000, 40000, 50000, 75000, 100000,
};
constexpr size_t kFortioBucketCount = std::size(kFortioBucketEnds) + 1;

double seconds(double ns) { return ns / kNanosPerSecondF; }
double seconds(int64_t ns) { return static_cast<double>(ns) / kNanosPerSecondF; }

// Go's time.Duration.String(), which fortio uses for RequestedDuration: "2s", "1m30s",
// "1h0m0s", "1.5s", "250ms", "12.5µs", "800ns".
std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  const bool negative = ns < 0;
  uint64_t u = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // Writes u / 10^digits with its non-zero fraction; leaves the integer part in u.
  auto with_fraction = [&u](int digits) {
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string fraction = fmt::format("{:0{}d}", u % scale, digits);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    u /= scale;
    return fraction.empty() ? std::string() : "." + fraction;
  };
  std::string out;
  if (u < 1'000'000'000) {
    if (u < 1'000) {
      out = fmt::format("{}ns", u);
    } else if (u < 1'000'000) {
      const std::string fraction = with_fraction(3);
      out = fmt::format("{}{}\u00b5s", u, fraction);
    } else {
      const std::string fraction = with_fraction(6);
      out = fmt::format("{}{}ms", u, fraction);
    }
  } else {
    const std::string fraction = with_fraction(9);
    out = fmt::format("{}{}s", u % 60, fraction);
    u /= 60;
    if (u > 0) {
      out = fmt::format("{}m", u % 60) + out;
      u /= 60;
      if (u > 0) out = fmt::format("{}h", u) + out;
    }
  }
  return negative ? "-" + out : out;
}

// The resolution at which fortio's bucket ladder is laid over our histogram: the power of
// ten (at least 1 ns) one decade below the median, so the median falls between 10 and 100
// units, where the ladder is finest, and values up to 1000x the median still get their own
// buckets. fortio's own default is a fixed 1 ms (its -r flag), which would put a
// sub-millisecond run into a single bucket.
int64_t bucket_resolution_ns(const HdrHistogram& h) {
  const int64_t median = h.value_at_percentile(50);
  int64_t power = 1;
  while (power <= median / 10) power *= 10;
  return power >= 10 ? power / 10 : 1;
}

// fortio's stats.HistogramData of a latency histogram in seconds. Data holds the non-empty
// buckets of fortio's ladder (at bucket_resolution_ns), each HdrHistogram bucket counted in
// the ladder bucket of its median value. Empty ladder buckets are folded into the next
// non-empty one, so Data is contiguous: the first Start is Min, each Start is the previous
// End, the last End is Max, Percent is cumulative and reaches 100.
json duration_histogram(const HdrHistogram& h, int64_t resolution_ns) {
  json j;
  const int64_t count = h.total_count();
  j["Count"] = count;
  j["Min"] = seconds(h.min());
  j["Max"] = seconds(h.max());
  j["Sum"] = seconds(h.mean() * static_cast<double>(count));
  j["Avg"] = seconds(h.mean());
  j["StdDev"] = seconds(h.stddev());
  if (count == 0) {  // as fortio exports an empty histogram
    j["Data"] = nullptr;
    j["Percentiles"] = nullptr;
    return j;
  }
  std::array<int64_t, kFortioBucketCount> counts{};
  size_t ladder = 0;
  h.for_each_recorded([&](int64_t lowest, int64_t highest, int64_t n) {
    const int64_t median = lowest + (highest - lowest + 1) / 2;
    while (ladder < std::size(kFortioBucketEnds) &&
           median > kFortioBucketEnds[ladder] * resolution_ns)
      ++ladder;
    counts[ladder] += n;
  });
  json data = json::array();
  int64_t cumulative = 0;
  double start = seconds(h.min());
  for (size_t i = 0; i < kFortioBucketCount; ++i) {
    if (counts[i] == 0) continue;
    cumulative += counts[i];
    const bool last = cumulative == count;
    const double end = last ? seconds(h.max()) : seconds(kFortioBucketEnds[i] * resolution_ns);
    data.push_back(
        {{"Start", start},
         {"End", end},
         {"Percent", 100.0 * static_cast<double>(cumulative) / static_cast<double>(count)},
         {"Count", counts[i]}});
    start = end;
  }
  j["Data"] = data;
  json percentiles = json::array();
  for (double p : kFortioPercentiles) {
    percentiles.push_back({{"Percentile", p}, {"Value", seconds(h.value_at_percentile(p))}});
  }
  j["Percentiles"] = percentiles;
  return j;
}

// A fortio histogram of `count` equal values: what we can say about response sizes, since
// nightjar counts only the total bytes received.
json single_value_histogram(int64_t count, double value) {
  json j;
  j["Count"] = count;
  j["Min"] = count > 0 ? value : 0.0;
  j["Max"] = count > 0 ? value : 0.0;
  j["Sum"] = value * static_cast<double>(count);
  j["Avg"] = count > 0 ? value : 0.0;
  j["StdDev"] = 0.0;
  if (count > 0) {
    j["Data"] =
        json::array({{{"Start", value}, {"End", value}, {"Percent", 100.0}, {"Count", count}}});
  } else {
    j["Data"] = nullptr;
  }
  j["Percentiles"] = nullptr;  // fortio computes none for sizes
  return j;
}

std::string requested_duration(const RunResult& r) {
  const auto& o = r.options;
  if (o.requests > 0) {
    std::string text = fmt::format("exactly {} calls", o.requests);
    // fortio notes a count-bound run that did not make every call.
    const int64_t calls = r.counters.completed + r.counters.errors();
    if (calls != o.requests) text += fmt::format(", interrupted after {}", calls);
    return text;
  }
  if (o.duration_ns > 0) return go_duration(o.duration_ns);
  return "until stop";
}

}  // namespace

std::string render_fortio(const RunResult& r) {
  const auto& o = r.options;
  const std::string url = o.urls.empty() ? std::string() : o.urls.front();
  const int64_t resolution_ns = bucket_resolution_ns(r.latency);
  json j;
  j["RunType"] = r.protocol_spoken().starts_with("grpc") ? "GRPC" : "HTTP";
  // Meshery writes "<name> -_- <url>" even when the name is empty, and its UI splits on
  // " -_- " into title and URL.
  j["Labels"] = o.test_name + " -_- " + url;
  j["StartTime"] = rfc3339(r.start_unix_ns);
  j["RequestedQPS"] =
      o.requested_rps > 0 ? fmt::format("{:.9g}", o.requested_rps) : std::string("max");
  j["RequestedDuration"] = requested_duration(r);
  j["ActualQPS"] = r.achieved_rps();
  j["ActualDuration"] = r.measured_ns;
  j["NumThreads"] = o.connections;  // fortio's -c: one connection per goroutine
  j["Version"] = fmt::format("nightjar-{}", kVersion);
  j["DurationHistogram"] = duration_histogram(r.latency, resolution_ns);
  j["Exactly"] = o.requests;
  j["Jitter"] = false;
  j["Uniform"] = false;
  j["NoCatchUp"] = false;
  j["RunID"] = 0;
  j["AccessLoggerInfo"] = "";
  json codes = json::object();
  // fortio counts a call that got no HTTP response (socket error) under code -1.
  if (r.counters.errors() > 0) codes["-1"] = r.counters.errors();
  if (r.options.grpc_method.empty()) {
    for (const auto& [code, count] : r.status_codes) codes[std::to_string(code)] = count;
  } else {
    // gRPC runs: fortio's gRPC results key RetCodes by status name, not HTTP status.
    for (const auto& [code, count] : r.grpc_status_codes) codes[model::grpc_status_name(code)] = count;
  }
  j["RetCodes"] = codes;
  const double bytes_per_response =
      r.counters.completed > 0 ? static_cast<double>(r.counters.bytes_received) / static_cast<double>(r.counters.completed)
                      : 0.0;
  j["Sizes"] = single_value_histogram(r.counters.completed, bytes_per_response);
  j["HeaderSizes"] = single_value_histogram(r.counters.completed, 0.0);
  j["URL"] = url;
  j["SocketCount"] = r.counters.connections_opened;
  j["AbortOn"] = 0;

  // Everything fortio's shape cannot carry; Meshery keeps unknown keys and ignores them.
  json kinds = json::object();
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    kinds[std::string(model::error_kind_name(static_cast<model::ErrorKind>(k)))] =
        r.counters.error_counts[static_cast<size_t>(k)];
  }
  j["nightjar"] = {{"version", kVersion},
                   {"open_loop", r.open_loop},
                   {"requested_rps", o.requested_rps},
                   {"urls", o.urls},
                   {"sent", r.counters.sent},
                   {"completed", r.counters.completed},
                   {"errors", r.counters.errors()},
                   {"dropped", r.counters.dropped},
                   {"errors_by_kind", kinds},
                   {"bytes_received", r.counters.bytes_received},
                   {"duration_histogram_resolution_s", seconds(resolution_ns)}};
  append_histograms(j["nightjar"], r.latency, r.service_time);
  return dump_json(j, 2) + "\n";
}

}  // namespace nightjar::output
