#include "output/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <utility>

#include "common/duration.h"
#include "output/formatters.h"
#include "output/html_chart.h"

namespace nightjar::output {
namespace {

using model::RunResult;

// Relative changes this close to the threshold are not beyond it: 10.5 against 10 is 5%,
// whatever the last bit of the division says.
constexpr double kThresholdSlack = 1e-12;

constexpr std::string_view kGateMetrics =
    "pNN[.N] (p50, p99, p99.9, ...), min, mean, max, error_rate, non2xx_rate, achieved_rate "
    "(or achieved_rps), errors";

double fraction(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0;
}

std::string rate_number(double rps) {
  return std::fabs(rps) >= 100 ? html::group_digits(std::llround(rps)) : fmt::format("{:.2f}", rps);
}

// "0.52%", "12.3%", "0.001%": three significant digits.
std::string percent_number(double percent) { return fmt::format("{:.3g}%", percent); }

std::string signed_text(double value, const std::string& magnitude) {
  return (value < 0 ? "-" : "+") + magnitude;
}

// The absolute and relative parts of a change: {"+2.2 ms", "+21.8%"}; the relative part is
// empty when there is none.
std::pair<std::string, std::string> change_parts(const Metric& metric, const Delta& d) {
  std::string absolute;
  const double magnitude = std::fabs(d.absolute);
  switch (metric.unit()) {
    case MetricUnit::kNanoseconds:
      absolute = signed_text(d.absolute, duration_text(std::llround(magnitude)));
      break;
    case MetricUnit::kPerSecond:
      absolute = signed_text(d.absolute, rate_number(magnitude) + " req/s");
      break;
    case MetricUnit::kCount:
      absolute = signed_text(d.absolute, html::group_digits(std::llround(magnitude)));
      break;
    case MetricUnit::kFraction:
      absolute = signed_text(d.absolute, fmt::format("{:.3g} pt", magnitude * 100));
      break;
  }
  std::string relative = d.relative ? fmt::format("{:+.1f}%", *d.relative * 100) : "";
  return {absolute, relative};
}

Direction direction_of(const Metric& metric, double absolute) {
  if (absolute == 0 || metric.better() == Better::kNeither) return Direction::kNone;
  const bool up = absolute > 0;
  return up == (metric.better() == Better::kHigher) ? Direction::kBetter : Direction::kWorse;
}

Delta delta_of(const Metric& metric, double base, double value, double threshold) {
  Delta d;
  d.absolute = value - base;
  if (base != 0) {
    d.relative = d.absolute / base;
    d.moved = std::fabs(*d.relative) > threshold + kThresholdSlack;
  } else if (value == 0) {
    d.relative = 0.0;
  } else {
    d.moved = true;  // from nothing to something: beyond any threshold
  }
  d.direction = direction_of(metric, d.absolute);
  return d;
}

// ---- what the runs were asked ----

std::string rate_asked(const RunResult& r) {
  return r.options.requested_rps > 0 ? rate_number(r.options.requested_rps) + " req/s"
                                     : std::string("closed loop");
}

std::string bound_asked(const RunResult& r) {
  std::string bound = r.options.duration_ns > 0 ? duration_text(r.options.duration_ns) : "";
  if (r.options.requests > 0) {
    bound += (bound.empty() ? "" : ", at most ") + plural(r.options.requests, "request");
  }
  return bound.empty() ? "unbounded" : bound;
}

std::string urls_asked(const RunResult& r) {
  std::string urls;
  for (const std::string& url : r.options.urls) urls += (urls.empty() ? "" : " ") + url;
  return urls;
}

struct Aspect {
  std::string_view name;
  std::string (*of)(const RunResult&);
};

constexpr Aspect kAspects[] = {
    {"requested rate", rate_asked},
    {"connections", [](const RunResult& r) { return std::to_string(r.options.connections); }},
    {"protocol", [](const RunResult& r) { return r.protocol_spoken(); }},
    {"method", [](const RunResult& r) { return r.options.method; }},
    {"URLs", urls_asked},
    {"duration", bound_asked},
};

// "the runs differ in requested rate: 1,000 req/s (A, C), 500 req/s (B)", or "" when
// every run asked the same.
std::string difference(const Aspect& aspect, const std::vector<ComparedRun>& runs) {
  std::vector<std::pair<std::string, std::string>> groups;  // value, the runs that asked it
  for (const ComparedRun& run : runs) {
    const std::string value = aspect.of(run.result);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == value; });
    if (it == groups.end()) {
      groups.emplace_back(value, run.id);
    } else {
      it->second += ", " + run.id;
    }
  }
  if (groups.size() < 2) return "";
  std::string text;
  for (const auto& [value, ids] : groups) {
    text += fmt::format("{}{} ({})", text.empty() ? "" : "; ", value, ids);
  }
  return fmt::format("the runs differ in {}: {}; they are different tests, so not every "
                     "difference below is the system's",
                     aspect.name, text);
}

std::vector<std::string> comparison_warnings(const std::vector<ComparedRun>& runs) {
  std::vector<std::string> out;
  for (const Aspect& aspect : kAspects) {
    std::string w = difference(aspect, runs);
    if (!w.empty()) out.push_back(std::move(w));
  }
  for (const ComparedRun& run : runs) {
    const RunResult& r = run.result;
    if (r.interrupted) {
      out.push_back(fmt::format("run {} was interrupted: its figures cover only the {} it ran",
                                run.id, duration_text(r.measured_ns)));
    }
    if (r.partial) {
      out.push_back(fmt::format("run {} is partial: a worker failed, so part of its load and "
                                "its statistics are missing",
                                run.id));
    }
    if (run.source != "run") {
      out.push_back(fmt::format("run {} was imported ({}): its figures were converted from "
                                "another tool's result and may be approximate",
                                run.id, run.source));
    }
    if (r.latency.total_count() == 0) {
      out.push_back(fmt::format("run {} has no responses: its latencies read 0 and compare "
                                "with nothing",
                                run.id));
    }
  }
  return out;
}

// ---- gates ----

std::string quoted(std::string_view expr) { return "'" + std::string(expr) + "'"; }

// A decimal number without sign or exponent ("12", "0.5", ".5"): its length, or 0.
size_t number_length(std::string_view text) {
  size_t i = 0;
  size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  return digits > 0 ? i : 0;
}

Result<Metric> parse_metric(std::string_view name, std::string_view expr) {
  static const std::map<std::string_view, MetricKind> kNamed = {
      {"min", MetricKind::kLatencyMin},
      {"mean", MetricKind::kLatencyMean},
      {"max", MetricKind::kLatencyMax},
      {"error_rate", MetricKind::kErrorRate},
      {"non2xx_rate", MetricKind::kNon2xxRate},
      {"achieved_rate", MetricKind::kAchievedRate},
      {"achieved_rps", MetricKind::kAchievedRate},
      {"errors", MetricKind::kErrors},
  };
  if (name.empty()) {
    return Status::invalid_argument(quoted(expr) + ": no metric before the operator (" +
                                    std::string(kGateMetrics) + ")");
  }
  if (auto it = kNamed.find(name); it != kNamed.end()) return Metric{it->second, 0};
  if (name.size() > 1 && name[0] == 'p' && number_length(name.substr(1)) == name.size() - 1) {
    const double q = std::stod(std::string(name.substr(1)));
    if (q > 100) {
      return Status::invalid_argument(
          fmt::format("{}: percentile {} is above 100 (p99.9 is written with a dot)",
                      quoted(expr), name.substr(1)));
    }
    return Metric{MetricKind::kLatencyPercentile, q};
  }
  return Status::invalid_argument(fmt::format("{}: unknown metric '{}' (known: {})", quoted(expr),
                                              name, kGateMetrics));
}

struct UnitScale {
  std::string_view suffix;
  double ns;
};
constexpr UnitScale kDurationUnits[] = {
    {"ns", 1}, {"us", 1e3}, {"\u00b5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};

// VALUE: a sign, a number and a unit, checked against what the metric measures.
Status parse_value(std::string_view text, std::string_view expr, Gate& gate) {
  const std::string metric = gate.metric.name();
  if (text.empty()) return Status::invalid_argument(quoted(expr) + ": no value after the operator");
  if (text[0] != '+' && text[0] != '-') {
    return Status::invalid_argument(fmt::format(
        "{}: the value needs a sign ({}>+{} or {}<-{}): a gate limits the change from the first "
        "run, not the value itself",
        quoted(expr), metric, text, metric, text));
  }
  const double sign = text[0] == '-' ? -1 : 1;
  const std::string_view rest = text.substr(1);
  const size_t length = number_length(rest);
  if (length == 0) {
    return Status::invalid_argument(
        fmt::format("{}: '{}' is not a signed number (such as +10%, -2ms, +50)", quoted(expr), text));
  }
  const double number = std::stod(std::string(rest.substr(0, length)));
  const std::string_view unit = rest.substr(length);
  const MetricUnit measures = gate.metric.unit();
  if (unit == "%") {
    gate.unit = measures == MetricUnit::kFraction ? GateUnit::kPoints : GateUnit::kRelative;
    gate.value = sign * number;
    return Status::ok_status();
  }
  if (unit.empty()) {
    if (measures == MetricUnit::kNanoseconds) {
      return Status::invalid_argument(fmt::format(
          "{}: a change of {} needs a unit: % (relative) or ns, us, ms, s", quoted(expr), metric));
    }
    if (measures == MetricUnit::kFraction) {
      return Status::invalid_argument(fmt::format(
          "{}: {} is a fraction: give its change in percentage points, such as +0.1%",
          quoted(expr), metric));
    }
    gate.unit = GateUnit::kAbsolute;
    gate.value = sign * number;
    return Status::ok_status();
  }
  for (const UnitScale& u : kDurationUnits) {
    if (unit != u.suffix) continue;
    if (measures != MetricUnit::kNanoseconds) {
      return Status::invalid_argument(fmt::format(
          "{}: {} is not a latency, so a duration does not fit it: give {}", quoted(expr), metric,
          measures == MetricUnit::kFraction ? "percentage points, such as +0.1%"
          : measures == MetricUnit::kPerSecond
              ? "requests per second (+50) or a relative change (+5%)"
              : "a count (+10) or a relative change (+5%)"));
    }
    gate.unit = GateUnit::kNanoseconds;
    gate.value = sign * number * u.ns;
    return Status::ok_status();
  }
  return Status::invalid_argument(fmt::format(
      "{}: unknown unit '{}' (use %, or for latencies ns, us, ms, s)", quoted(expr), unit));
}

// What the change of `metric` must stay within, in the metric's unit.
double gate_limit(const Gate& gate, double base) {
  switch (gate.unit) {
    case GateUnit::kRelative:
      return base * gate.value / 100;
    case GateUnit::kPoints:
      return gate.value / 100;
    case GateUnit::kNanoseconds:
    case GateUnit::kAbsolute:
      return gate.value;
  }
  return gate.value;
}

}  // namespace

std::string Metric::name() const {
  switch (kind) {
    case MetricKind::kRequestedRate: return "requested_rate";
    case MetricKind::kAchievedRate: return "achieved_rate";
    case MetricKind::kSent: return "sent";
    case MetricKind::kCompleted: return "completed";
    case MetricKind::kErrors: return "errors";
    case MetricKind::kErrorRate: return "error_rate";
    case MetricKind::kNon2xxRate: return "non2xx_rate";
    case MetricKind::kLatencyMin: return "min";
    case MetricKind::kLatencyPercentile: return "p" + percentile_key(percentile);
    case MetricKind::kLatencyMax: return "max";
    case MetricKind::kLatencyMean: return "mean";
  }
  return "";
}

MetricUnit Metric::unit() const {
  switch (kind) {
    case MetricKind::kRequestedRate:
    case MetricKind::kAchievedRate:
      return MetricUnit::kPerSecond;
    case MetricKind::kSent:
    case MetricKind::kCompleted:
    case MetricKind::kErrors:
      return MetricUnit::kCount;
    case MetricKind::kErrorRate:
    case MetricKind::kNon2xxRate:
      return MetricUnit::kFraction;
    default:
      return MetricUnit::kNanoseconds;
  }
}

Better Metric::better() const {
  switch (kind) {
    case MetricKind::kRequestedRate:
    case MetricKind::kSent:
    case MetricKind::kCompleted:
      return Better::kNeither;
    case MetricKind::kAchievedRate:
      return Better::kHigher;
    default:
      return Better::kLower;
  }
}

double Metric::of(const RunResult& r) const {
  switch (kind) {
    case MetricKind::kRequestedRate: return r.options.requested_rps;
    case MetricKind::kAchievedRate: return r.achieved_rps();
    case MetricKind::kSent: return static_cast<double>(r.counters.sent);
    case MetricKind::kCompleted: return static_cast<double>(r.counters.completed);
    case MetricKind::kErrors: return static_cast<double>(r.counters.errors());
    case MetricKind::kErrorRate: return fraction(r.counters.errors(), r.counters.ended());
    case MetricKind::kNon2xxRate: return fraction(r.non_2xx(), r.counters.completed);
    case MetricKind::kLatencyMin: return static_cast<double>(r.latency.min());
    case MetricKind::kLatencyPercentile:
      return static_cast<double>(r.latency.value_at_percentile(percentile));
    case MetricKind::kLatencyMax: return static_cast<double>(r.latency.max());
    case MetricKind::kLatencyMean: return r.latency.mean();
  }
  return 0;
}

std::vector<Metric> comparison_metrics() {
  std::vector<Metric> metrics = {
      {MetricKind::kRequestedRate, 0}, {MetricKind::kAchievedRate, 0}, {MetricKind::kSent, 0},
      {MetricKind::kCompleted, 0},     {MetricKind::kErrors, 0},       {MetricKind::kErrorRate, 0},
      {MetricKind::kNon2xxRate, 0},    {MetricKind::kLatencyMin, 0},
  };
  for (double q : model::kReportPercentiles) metrics.push_back({MetricKind::kLatencyPercentile, q});
  metrics.push_back({MetricKind::kLatencyMax, 0});
  metrics.push_back({MetricKind::kLatencyMean, 0});
  return metrics;
}

Comparison compare(const std::vector<ComparedRun>& runs, double threshold) {
  Comparison c;
  c.threshold = threshold;
  if (runs.empty()) return c;
  for (const Metric& metric : comparison_metrics()) {
    MetricComparison row{metric, {}, {}};
    row.values.reserve(runs.size());
    for (const ComparedRun& run : runs) row.values.push_back(metric.of(run.result));
    for (size_t i = 1; i < runs.size(); ++i) {
      row.deltas.push_back(delta_of(metric, row.values[0], row.values[i], threshold));
    }
    c.metrics.push_back(std::move(row));
  }
  c.warnings = comparison_warnings(runs);
  return c;
}

Result<Gate> parse_gate(std::string_view text) {
  std::string expr;
  for (char ch : text) {
    if (!std::isspace(static_cast<unsigned char>(ch))) expr += ch;
  }
  if (expr.empty()) {
    return Status::invalid_argument("an empty gate: expected METRIC OP VALUE, such as p99>+10%");
  }
  const size_t op_at = expr.find_first_of("<>=!");
  if (op_at == std::string::npos) {
    return Status::invalid_argument(
        quoted(text) + ": no operator: expected METRIC OP VALUE with OP > or <, such as p99>+10%");
  }
  const char op = expr[op_at];
  const bool doubled = op_at + 1 < expr.size() && std::string_view("<>=!").find(expr[op_at + 1]) !=
                                                      std::string_view::npos;
  if ((op != '<' && op != '>') || doubled) {
    const size_t end = expr.find_first_not_of("<>=!", op_at);
    return Status::invalid_argument(fmt::format("{}: the operator must be > or < (got '{}')",
                                                quoted(text),
                                                expr.substr(op_at, end - op_at)));
  }
  Gate gate;
  gate.expr = std::string(text);
  gate.op = op == '>' ? GateOp::kGreater : GateOp::kLess;
  auto metric = parse_metric(std::string_view(expr).substr(0, op_at), text);
  if (!metric.ok()) return metric.status();
  gate.metric = *metric;
  if (Status s = parse_value(std::string_view(expr).substr(op_at + 1), text, gate); !s.ok()) {
    return s;
  }
  return gate;
}

std::vector<GateFailure> check(const Gate& gate, const std::vector<ComparedRun>& runs) {
  std::vector<GateFailure> failures;
  if (runs.empty()) return failures;
  const double base = gate.metric.of(runs[0].result);
  const double limit = gate_limit(gate, base);
  for (size_t i = 1; i < runs.size(); ++i) {
    const double value = gate.metric.of(runs[i].result);
    const double change = value - base;
    const bool fails = gate.op == GateOp::kGreater ? change > limit : change < limit;
    if (!fails) continue;
    const Delta d = delta_of(gate.metric, base, value, 0);
    const auto [absolute, relative] = change_parts(gate.metric, d);
    failures.push_back(
        {i, base, value,
         fmt::format("run {}: {} {} vs {} ({}{})", runs[i].id, gate.metric.name(),
                     value_text(gate.metric, value), value_text(gate.metric, base), absolute,
                     relative.empty() ? "" : ", " + relative)});
  }
  return failures;
}

std::vector<GateResult> check_all(const std::vector<Gate>& gates,
                                  const std::vector<ComparedRun>& runs) {
  std::vector<GateResult> results;
  results.reserve(gates.size());
  for (const Gate& gate : gates) results.push_back({gate, check(gate, runs)});
  return results;
}

std::string value_text(const Metric& metric, double value) {
  switch (metric.unit()) {
    case MetricUnit::kNanoseconds:
      return duration_text(std::llround(value));
    case MetricUnit::kPerSecond:
      return rate_number(value) + " req/s";
    case MetricUnit::kCount:
      return html::group_digits(std::llround(value));
    case MetricUnit::kFraction:
      return percent_number(value * 100);
  }
  return "";
}

std::string delta_text(const Metric& metric, const Delta& delta) {
  if (delta.absolute == 0) return "same";
  const auto [absolute, relative] = change_parts(metric, delta);
  return relative.empty() ? absolute : absolute + " (" + relative + ")";
}

}  // namespace nightjar::output
