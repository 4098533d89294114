// Service-level objectives (docs/slo.md): `--slo EXPR` and an SMPS file's `slos:`.
//
// EXPR is `METRIC OP VALUE`, e.g. `p99<20ms`, `error_rate<0.1%`, `achieved_rate>=99%`.
// This component parses expressions, measures a metric over the whole run or over one
// window of its per-second timeline, judges every window of a given length, and judges
// windows as they complete during a run (LiveJudge, for --abort-on-slo).
//
// Pure: no clock, no I/O, no threads, and nothing here throws. Values are in the metric's
// unit (Unit): nanoseconds for times, a fraction for rates (0.001 = 0.1%), a count for
// dropped, requests per second for rps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/run_result.h"
#include "stats/hdr_histogram.h"

namespace nightjar::slo {

enum class Metric {
  kLatencyPercentile,  // pNN, latency.pNN: of latency (from the intended start)
  kLatencyMean,        // mean, latency.mean
  kLatencyMax,         // max, latency.max
  kServicePercentile,  // service.pNN: of service time (from the actual send)
  kServiceMean,        // service.mean
  kServiceMax,         // service.max
  kErrorRate,          // requests with no response / requests that ended (completed + errors)
  kNon2xxRate,         // responses outside 200-299 / responses
  kAchievedRate,       // achieved rate / requested rate (open loop only)
  kDropped,            // arrivals dropped (--max-pending full)
  kRps,                // responses per second
};

enum class Unit { kNanoseconds, kFraction, kCount, kPerSecond };

enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual };

struct Slo {
  std::string expr;        // as written, without surrounding spaces
  Metric metric = Metric::kLatencyPercentile;
  double percentile = 0;   // the percentile metrics: 0 < percentile <= 100
  Op op = Op::kLess;
  double threshold = 0;    // in unit_of(metric)
  bool operator==(const Slo&) const = default;
};

// Parses `METRIC OP VALUE` (spaces allowed between the parts). Errors (InvalidArgument) say
// what is wrong and where: "SLO 'p99<2x' at character 6: ...", then the expression and a
// caret under that character on two lines of their own.
Result<Slo> parse_slo(std::string_view expr);

// The metric's one spelling ("latency.p99", "service.p99.9", "error_rate"), its unit, and
// the operator's text.
std::string metric_name(const Slo& slo);
Unit unit_of(Metric metric);
// The unit of a metric by its name (metric_name's spelling, as a verdict keeps it).
Unit unit_of_name(std::string_view metric_name);
std::string_view op_text(Op op);

// For people: "20ms", "0.1%", "12", "4,998.3/s" (a value in `unit`).
std::string format_value(Unit unit, double value);

// Whether `measured` meets `slo`; nothing measured never does.
bool meets(const Slo& slo, std::optional<double> measured);

// Refuses what the run cannot measure: achieved_rate without a requested rate (a closed
// loop). `requested_rps` is the run's --rps.
Status check_applicable(const std::vector<Slo>& slos, double requested_rps);

// What a metric is measured over: a whole run or one window of it.
struct Sample {
  stats::HdrHistogram latency;
  stats::HdrHistogram service_time;
  model::Counters counters;     // completed, errors, dropped, non_2xx
  double duration_s = 0;        // the span the counts cover
  double requested_rps = 0;     // the run's --rps (0: closed loop)
};

// The metric over `sample`; nullopt when there is nothing to measure it on: no latency
// sample, no request that ended (error_rate), no response (non2xx_rate), no duration (rps,
// achieved_rate), no requested rate (achieved_rate).
std::optional<double> measure(const Slo& slo, const Sample& sample);

// The whole run as a Sample (its non-2xx count from its status codes).
Sample whole_run(const model::RunResult& result);

// One window of the per-second timeline: the seconds [first_second, first_second + n),
// their histograms and counters merged exactly.
struct Window {
  double start_s = 0;           // from the start of measurement
  double end_s = 0;
  Sample sample;
};

// Groups `timeline` into windows of `window_s` whole seconds (>= 1) from the start of
// measurement: second k goes to window k / window_s. A last window shorter than half of
// `window_s` is folded into the one before it. Histograms that do not decode count as
// empty.
std::vector<Window> build_windows(const std::vector<model::TimelineEntry>& timeline, int64_t window_s,
                                  double requested_rps);

// Every SLO's verdict over the whole run and, when `window_s` > 0, over every window of
// the run's timeline. An SLO passes when the whole run and every window meet it.
std::vector<model::SloVerdict> judge(const model::RunResult& result, const std::vector<Slo>& slos,
                                     int64_t window_s);

// Judges windows while the run goes on, from the seconds the runner completes (called once
// a second on the thread that reports progress). Not thread-safe.
class LiveJudge {
 public:
  // Windows of `window_s` whole seconds (>= 1); a window that starts before `grace_s`
  // is not judged.
  LiveJudge(std::vector<Slo> slos, int64_t window_s, double grace_s, double requested_rps);

  // Adds one completed second (seconds come in order, possibly with gaps). Returns true
  // when a window it completed failed an SLO: then abort() says which and where, and every
  // later call returns false.
  bool add(const model::TimelineEntry& second);

  const model::SloAbort& abort() const { return abort_; }

 private:
  bool judge_open_window();

  // Constant after construction.
  const std::vector<Slo> slos_;
  const int64_t window_s_;
  const double grace_s_;
  const double requested_rps_;

  int64_t open_window_ = -1;   // index of the window being filled; -1: none
  std::vector<model::TimelineEntry> seconds_;  // of the open window
  model::SloAbort abort_;
};

}  // namespace nightjar::slo
