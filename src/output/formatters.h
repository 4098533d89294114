// Renders a RunResult in every output format, and reads the JSON form back, so a saved
// result can be re-rendered in any format without re-running (`nightjar report`).
// Every format and field is documented in docs/output.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/run_result.h"

namespace nightjar::output {

enum class Format {
  kHuman,       // the terminal report
  kJson,        // nightjar's canonical JSON form (everything, histograms included)
  kYaml,        // the JSON form as YAML
  kCsv,         // one row per percentile and per counter
  kPrometheus,  // text exposition format
  kFortio,      // fortio's HTTP runner result, as Meshery stores it
  kSmps,        // a Service Mesh Performance PerformanceTestResult
  kHtml,        // a self-contained report with charts
  kJunit,       // JUnit XML: one test case per SLO, for CI systems
};

// Parses an --output-format value; the error lists the known formats.
Result<Format> parse_format(std::string_view name);
// Every format name, for help texts.
std::string format_names();

std::string render(const model::RunResult& result, Format format);

std::string render_human(const model::RunResult& result);
std::string render_json(const model::RunResult& result);
std::string render_yaml(const model::RunResult& result);
std::string render_csv(const model::RunResult& result);
std::string render_prometheus(const model::RunResult& result);
std::string render_fortio(const model::RunResult& result);
std::string render_smps(const model::RunResult& result);
std::string render_html(const model::RunResult& result);
std::string render_junit(const model::RunResult& result);

// Reads nightjar's JSON form back. Never throws: errors (InvalidArgument) name the field that
// is missing, of the wrong type or out of range ("requests.completed has the wrong type
// (string)"), or the limit exceeded. Limits (docs/output.md, "Limits on what is read"):
inline constexpr size_t kMaxResultJsonBytes = size_t{64} << 20;  // 64 MiB of text
inline constexpr int kMaxResultJsonDepth = 32;                     // nested arrays/objects
// The encoded histograms of one result together: 2^25 buckets (256 MiB of counts), as in
// the binary form (model/result_proto.h).
inline constexpr int64_t kMaxResultHistogramBuckets = model::kMaxResultHistogramBuckets;
Result<model::RunResult> parse_result_json(std::string_view text);

// Helpers shared by the formats.
std::string percentile_key(double percentile);  // 50 -> "50", 99.9 -> "99.9"
std::string rfc3339(int64_t unix_ns);           // 2026-11-26T16:00:00.123456Z
std::string plural(int64_t n, std::string_view word);  // "1 request", "2 requests"
// What follows "open loop at R req/s" for arrivals that are not evenly spaced at a constant
// rate: " (mean of stages 0 → 200 → 400 req/s)", " (mean of 3 paced steps)",
// ", Poisson arrivals (seed 5)"; "" otherwise.
std::string arrivals_text(const model::RunOptions& options);
// format_duration_ns with a space before a lone unit: "4.56 ms", "12.3 us", "850 ns"; compound
// forms ("2m5s") stay as they are.
std::string duration_text(int64_t ns);
// SLO verdicts as text (slo_text.cc): "p99<20ms: latency.p99 12ms (must be < 20ms); ...",
// the abort, a window's span ("3s-4s"), and the human report's SLO section ("" without SLOs).
std::string slo_verdict_text(const model::SloVerdict& verdict);
std::string slo_abort_text(const model::SloAbort& abort);
std::string slo_span_text(double start_s, double end_s);
std::string render_slos_human(const model::RunResult& result);
std::string render_slos_html(const model::RunResult& result);  // a verdict table
// The warnings a report shows (sender behind schedule, dropped arrivals, interrupted run).
std::vector<std::string> warnings(const model::RunResult& result);
// For an imported result, what its figures are (result.provenance): "imported from fortio
// 1.6.8: exact: count, min, ...; approximate: percentiles, ...", then each note. Empty for
// nightjar's own runs.
std::vector<std::string> provenance_lines(const model::RunResult& result);

}  // namespace nightjar::output
