// Comparing runs (`nightjar results compare`, docs/results.md#comparing-runs): the first run
// is the baseline; every metric of every later run is set against it, and what moved beyond
// a threshold is marked worse or better. Gates (`--fail-if p99>+10%`) turn a comparison into
// a CI check.
//
// Pure functions of the results given: no I/O, no clock. Each run's histograms are read a
// fixed number of times (once per metric), so comparing N runs is linear in N.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/run_result.h"

namespace nightjar::output {

// What a metric measures. Latency metrics read RunResult::latency.
enum class MetricKind {
  kRequestedRate,      // the rate asked for, req/s (0: closed loop)
  kAchievedRate,       // completed responses per second of the measurement window
  kSent,               // requests sent
  kCompleted,          // responses received, any status
  kErrors,             // requests that got no response
  kErrorRate,          // errors / sent (a fraction)
  kNon2xxRate,         // responses whose status is not 2xx / completed (a fraction)
  kLatencyMin,
  kLatencyPercentile,  // at Metric::percentile
  kLatencyMax,
  kLatencyMean,
};

// The unit a metric's values are in.
enum class MetricUnit {
  kNanoseconds,  // latencies
  kPerSecond,    // rates of requests
  kCount,        // requests
  kFraction,     // 0..1 (error and non-2xx rates)
};

// Which way a metric gets better; kNeither for what describes the test rather than how it
// went (requested rate, sent, completed: they follow from the rate and duration asked).
enum class Better { kNeither, kLower, kHigher };

struct Metric {
  MetricKind kind = MetricKind::kLatencyPercentile;
  double percentile = 0;  // kLatencyPercentile only: in [0, 100]

  // "requested_rate", "achieved_rate", "sent", "completed", "errors", "error_rate",
  // "non2xx_rate", "min", "p99.9", "max", "mean": the names --fail-if and JSON use.
  std::string name() const;
  MetricUnit unit() const;
  Better better() const;
  // Its value for `run`, in unit(): nanoseconds, req/s, a count or a fraction. A run
  // without responses has latencies 0; a run that sent nothing has an error rate of 0.
  double of(const model::RunResult& run) const;
};

// The rows of a comparison, in order: requested_rate, achieved_rate, sent, completed,
// errors, error_rate, non2xx_rate, min, every model::kReportPercentiles, max, mean.
std::vector<Metric> comparison_metrics();

// One run to compare: its result and how reports name it.
struct ComparedRun {
  std::string id;              // the run's ID in the store
  std::string source = "run";  // store::SaveInfo::source: "run", or "import:fortio", ...
  model::RunResult result;
};

// Which way a change went, for a metric with a better side; kNone when there was no change
// or the metric has no better side.
enum class Direction { kNone, kWorse, kBetter };

// A later run's change against the first run.
struct Delta {
  double absolute = 0;             // value - first's value, in the metric's unit
  std::optional<double> relative;  // absolute / first's value (0.1 = +10%); none when the
                                   // first's value is 0 and this one is not
  bool moved = false;              // |relative| > threshold; a change from 0 always moves
  Direction direction = Direction::kNone;
};

struct MetricComparison {
  Metric metric;
  std::vector<double> values;  // one per run, in the metric's unit
  std::vector<Delta> deltas;   // one per later run: deltas[i] is runs[i + 1] against runs[0]
};

struct Comparison {
  double threshold = 0;  // relative: 0.05 marks what moved by more than 5%
  std::vector<MetricComparison> metrics;  // comparison_metrics(), in that order
  // What makes the comparison less than like for like: runs asked for different rates,
  // connections, protocols or URLs (different tests); interrupted, partial or imported runs;
  // runs without responses.
  std::vector<std::string> warnings;
};

// Compares every run with the first. `threshold` is relative (0.05 = 5%) and not negative.
Comparison compare(const std::vector<ComparedRun>& runs, double threshold);

// A gate (--fail-if): METRIC OP SIGNED_VALUE. It fails for a later run whose change against
// the first run is beyond VALUE in the direction of OP (docs/results.md#gates).
enum class GateOp { kGreater, kLess };
enum class GateUnit {
  kRelative,     // "%" on latencies, rates and counts: VALUE percent of the first's value
  kPoints,       // "%" on error_rate and non2xx_rate: VALUE percentage points
  kNanoseconds,  // "2ms": an absolute change of a latency
  kAbsolute,     // a plain number: an absolute change in the metric's unit (req/s, count)
};

struct Gate {
  std::string expr;  // as given, e.g. "p99>+10%"
  Metric metric;
  GateOp op = GateOp::kGreater;
  GateUnit unit = GateUnit::kRelative;
  double value = 0;  // signed: percent or points for kRelative/kPoints, else in `unit`
};

// Parses a gate. METRIC: pNN[.N] (any percentile from 0 to 100), min, mean, max, error_rate,
// non2xx_rate, achieved_rate (or achieved_rps), errors. OP: > or <. VALUE: a sign, a number,
// then % or a duration unit (ns us ms s) or nothing; spaces are ignored. Errors
// (InvalidArgument) quote the expression and say what is wrong with it.
Result<Gate> parse_gate(std::string_view text);

struct GateFailure {
  size_t run = 0;        // index into the runs (>= 1)
  double baseline = 0;   // the metric's value in the first run
  double value = 0;      // and in this run
  std::string message;   // "run 0KZ3M7Q4A1BC: p99 12.3 ms vs 10.1 ms (+2.2 ms, +21.8%)"
};

// Where `gate` fails: one failure per later run whose change is beyond it.
std::vector<GateFailure> check(const Gate& gate, const std::vector<ComparedRun>& runs);

// A gate and where it failed; it passed when `failures` is empty.
struct GateResult {
  Gate gate;
  std::vector<GateFailure> failures;
};
std::vector<GateResult> check_all(const std::vector<Gate>& gates,
                                  const std::vector<ComparedRun>& runs);

// How the reports show a metric's value and a change of it: "12.3 ms", "1,000 req/s",
// "1,234", "0.52%"; a change "+2.2 ms (+21.8%)", "+0.42 pt (+420.0%)", "+3".
std::string value_text(const Metric& metric, double value);
std::string delta_text(const Metric& metric, const Delta& delta);

// The comparison in each output format (docs/results.md#comparing-runs). `gates` may be
// empty. The HTML page is self-contained: inline CSS and SVG, nothing fetched.
std::string render_comparison_human(const std::vector<ComparedRun>& runs,
                                    const Comparison& comparison,
                                    const std::vector<GateResult>& gates);
std::string render_comparison_json(const std::vector<ComparedRun>& runs,
                                   const Comparison& comparison,
                                   const std::vector<GateResult>& gates);
std::string render_comparison_html(const std::vector<ComparedRun>& runs,
                                   const Comparison& comparison,
                                   const std::vector<GateResult>& gates);

}  // namespace nightjar::output
