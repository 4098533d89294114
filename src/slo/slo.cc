#include "slo/slo.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <utility>
#include <variant>

#include "common/duration.h"
#include "stats/hdr_encoding.h"

namespace nightjar::slo {
namespace {

constexpr std::string_view kMetricList =
    "pNN, latency.pNN, service.pNN, mean, max, service.mean, service.max, error_rate, non2xx_rate, "
    "achieved_rate, dropped, rps";

// Where an expression went wrong: the 0-based index of the character and what is wrong.
Status parse_error(std::string_view expr, size_t at, const std::string& what) {
  return Status::invalid_argument(fmt::format("SLO '{}' at character {}: {}\n  {}\n  {}^", expr, at + 1, what, expr,
                                              std::string(at, ' ')));
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal number without a sign at text[at...]: its length, 0 when there is none.
size_t number_length(std::string_view text, size_t at) {
  size_t i = at;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i < text.size() && text[i] == '.') {
    const size_t dot = i++;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == dot + 1) return dot - at;  // "5." : the dot is not part of it
  }
  return i - at;
}

std::optional<double> to_double(std::string_view digits) {
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

// "pNN" or "pNN.N": the percentile, or an error message.
std::variant<double, std::string> percentile_of(std::string_view name) {
  const std::string_view digits = name.substr(1);
  if (digits.empty() || number_length(digits, 0) != digits.size()) return "'" + std::string(name) + "' is not a percentile (p50, p99.9)";
  const std::optional<double> p = to_double(digits);
  if (!p || *p <= 0 || *p > 100) return "the percentile of '" + std::string(name) + "' must be above 0 and at most 100";
  return *p;
}

struct MetricParse {
  Metric metric = Metric::kLatencyPercentile;
  double percentile = 0;
  std::string error;  // empty: parsed
};

MetricParse parse_metric(std::string_view name) {
  static const std::map<std::string_view, Metric, std::less<>> kNamed = {
      {"mean", Metric::kLatencyMean},          {"max", Metric::kLatencyMax},
      {"latency.mean", Metric::kLatencyMean},  {"latency.max", Metric::kLatencyMax},
      {"service.mean", Metric::kServiceMean},  {"service.max", Metric::kServiceMax},
      {"error_rate", Metric::kErrorRate},      {"non2xx_rate", Metric::kNon2xxRate},
      {"achieved_rate", Metric::kAchievedRate}, {"dropped", Metric::kDropped},
      {"rps", Metric::kRps},
  };
  MetricParse out;
  if (auto it = kNamed.find(name); it != kNamed.end()) {
    out.metric = it->second;
    return out;
  }
  std::string_view percentile = name;
  out.metric = Metric::kLatencyPercentile;
  if (name.substr(0, 8) == "latency.") {
    percentile = name.substr(8);
  } else if (name.substr(0, 8) == "service.") {
    percentile = name.substr(8);
    out.metric = Metric::kServicePercentile;
  }
  if (!percentile.empty() && percentile[0] == 'p') {
    auto p = percentile_of(percentile);
    if (std::holds_alternative<std::string>(p)) {
      out.error = std::get<std::string>(p);
    } else {
      out.percentile = std::get<double>(p);
    }
    return out;
  }
  out.error = "unknown metric '" + std::string(name) + "' (one of " + std::string(kMetricList) + ")";
  return out;
}

// The multiplier of a time unit to nanoseconds; 0 for none.
double time_unit_ns(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

std::string percentile_text(double p) {
  std::string text = fmt::format("{:.6f}", p);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text;
}

std::optional<double> of_histogram(const stats::HdrHistogram& h, Metric metric, double percentile) {
  if (h.total_count() == 0) return std::nullopt;  // nothing passes vacuously
  switch (metric) {
    case Metric::kLatencyMean:
    case Metric::kServiceMean:
      return h.mean();
    case Metric::kLatencyMax:
    case Metric::kServiceMax:
      return static_cast<double>(h.max());
    default:
      return static_cast<double>(h.value_at_percentile(percentile));
  }
}

// How far `measured` is on the wrong side of the threshold: larger is worse; nothing
// measured is the worst.
double badness(const Slo& slo, std::optional<double> measured) {
  if (!measured) return INFINITY;
  return slo.op == Op::kLess || slo.op == Op::kLessEqual ? *measured : -*measured;
}

void add_second(Sample& sample, const model::TimelineEntry& e) {
  if (auto h = stats::decode_base64(e.latency_histogram); h.ok()) sample.latency.add(*h);
  if (auto h = stats::decode_base64(e.service_time_histogram); h.ok()) sample.service_time.add(*h);
  sample.counters.add(e.counters);
  sample.duration_s += e.duration_s;
}

}  // namespace

Result<Slo> parse_slo(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return Status::invalid_argument("an SLO is empty (METRIC OP VALUE, e.g. p99<20ms)");
  const size_t last = text.find_last_not_of(" \t");
  const std::string_view expr = text.substr(first, last - first + 1);
  Slo slo;
  slo.expr = std::string(expr);

  size_t i = 0;
  while (i < expr.size() && is_name_char(expr[i])) ++i;
  if (i == 0) return parse_error(expr, 0, "expected a metric (" + std::string(kMetricList) + ")");
  const MetricParse metric = parse_metric(expr.substr(0, i));
  if (!metric.error.empty()) return parse_error(expr, 0, metric.error);
  slo.metric = metric.metric;
  slo.percentile = metric.percentile;

  while (i < expr.size() && expr[i] == ' ') ++i;
  const size_t op_at = i;
  if (i < expr.size() && (expr[i] == '<' || expr[i] == '>')) {
    const bool less = expr[i] == '<';
    const bool equal = i + 1 < expr.size() && expr[i + 1] == '=';
    slo.op = less ? (equal ? Op::kLessEqual : Op::kLess) : (equal ? Op::kGreaterEqual : Op::kGreater);
    i += equal ? 2 : 1;
  } else {
    return parse_error(expr, op_at, "expected one of < <= > >= after the metric");
  }
  while (i < expr.size() && expr[i] == ' ') ++i;

  const size_t value_at = i;
  const size_t digits = number_length(expr, i);
  if (digits == 0) return parse_error(expr, value_at, "expected a number (e.g. 20ms, 0.1%, 5000)");
  const std::optional<double> number = to_double(expr.substr(i, digits));
  if (!number) return parse_error(expr, value_at, "the number is out of range");
  i += digits;
  const size_t unit_at = i;
  size_t unit_end = i;
  while (unit_end < expr.size() && expr[unit_end] != ' ') ++unit_end;
  const std::string_view unit = expr.substr(unit_at, unit_end - unit_at);
  for (size_t j = unit_end; j < expr.size(); ++j) {
    if (expr[j] != ' ') return parse_error(expr, j, "unexpected text after the value");
  }

  switch (unit_of(slo.metric)) {
    case Unit::kNanoseconds: {
      if (unit.empty()) return parse_error(expr, unit_at, "a time needs a unit (ns, us, ms, s, m, h)");
      const double scale = time_unit_ns(unit);
      if (scale == 0) return parse_error(expr, unit_at, "unknown time unit '" + std::string(unit) + "' (ns, us, ms, s, m, h)");
      slo.threshold = *number * scale;
      break;
    }
    case Unit::kFraction:
      if (unit == "%") {
        slo.threshold = *number / 100;
      } else if (unit.empty()) {
        slo.threshold = *number;
      } else {
        return parse_error(expr, unit_at, "a rate is a percentage (0.1%) or a fraction (0.001), not '" + std::string(unit) + "'");
      }
      break;
    case Unit::kCount:
      if (!unit.empty()) return parse_error(expr, unit_at, "a count takes no unit ('" + std::string(unit) + "')");
      slo.threshold = *number;
      break;
    case Unit::kPerSecond:
      if (!unit.empty() && unit != "/s") return parse_error(expr, unit_at, "a rate per second takes no unit or '/s', not '" + std::string(unit) + "'");
      slo.threshold = *number;
      break;
  }
  return slo;
}

std::string metric_name(const Slo& slo) {
  switch (slo.metric) {
    case Metric::kLatencyPercentile: return "latency.p" + percentile_text(slo.percentile);
    case Metric::kLatencyMean: return "latency.mean";
    case Metric::kLatencyMax: return "latency.max";
    case Metric::kServicePercentile: return "service.p" + percentile_text(slo.percentile);
    case Metric::kServiceMean: return "service.mean";
    case Metric::kServiceMax: return "service.max";
    case Metric::kErrorRate: return "error_rate";
    case Metric::kNon2xxRate: return "non2xx_rate";
    case Metric::kAchievedRate: return "achieved_rate";
    case Metric::kDropped: return "dropped";
    case Metric::kRps: return "rps";
  }
  return "";
}

Unit unit_of(Metric metric) {
  switch (metric) {
    case Metric::kErrorRate:
    case Metric::kNon2xxRate:
    case Metric::kAchievedRate:
      return Unit::kFraction;
    case Metric::kDropped:
      return Unit::kCount;
    case Metric::kRps:
      return Unit::kPerSecond;
    default:
      return Unit::kNanoseconds;
  }
}

Unit unit_of_name(std::string_view name) {
  if (name == "dropped") return Unit::kCount;
  if (name == "rps") return Unit::kPerSecond;
  if (name.size() > 5 && name.substr(name.size() - 5) == "_rate") return Unit::kFraction;
  return Unit::kNanoseconds;
}

std::string_view op_text(Op op) {
  switch (op) {
    case Op::kLess: return "<";
    case Op::kLessEqual: return "<=";
    case Op::kGreater: return ">";
    case Op::kGreaterEqual: return ">=";
  }
  return "";
}

std::string format_value(Unit unit, double value) {
  switch (unit) {
    case Unit::kNanoseconds: return format_duration_ns(std::llround(value));
    case Unit::kFraction: return fmt::format("{:.4g}%", value * 100);
    case Unit::kCount: return fmt::format("{:.0f}", value);
    case Unit::kPerSecond: return fmt::format("{:.1f}/s", value);
  }
  return "";
}

bool meets(const Slo& slo, std::optional<double> measured) {
  if (!measured) return false;
  switch (slo.op) {
    case Op::kLess: return *measured < slo.threshold;
    case Op::kLessEqual: return *measured <= slo.threshold;
    case Op::kGreater: return *measured > slo.threshold;
    case Op::kGreaterEqual: return *measured >= slo.threshold;
  }
  return false;
}

Status check_applicable(const std::vector<Slo>& slos, double requested_rps) {
  for (const Slo& slo : slos) {
    if (slo.metric == Metric::kAchievedRate && requested_rps <= 0) {
      return Status::invalid_argument("SLO '" + slo.expr +
                                      "': achieved_rate compares the achieved rate with the requested one, and a "
                                      "closed loop (--rps 0) requests none; judge rps instead");
    }
  }
  return Status();
}

std::optional<double> measure(const Slo& slo, const Sample& s) {
  const model::Counters& c = s.counters;
  switch (slo.metric) {
    case Metric::kLatencyPercentile:
    case Metric::kLatencyMean:
    case Metric::kLatencyMax:
      return of_histogram(s.latency, slo.metric, slo.percentile);
    case Metric::kServicePercentile:
    case Metric::kServiceMean:
    case Metric::kServiceMax:
      return of_histogram(s.service_time, slo.metric, slo.percentile);
    case Metric::kErrorRate: {
      const int64_t ended = c.ended();
      if (ended == 0) return std::nullopt;
      return static_cast<double>(c.errors()) / static_cast<double>(ended);
    }
    case Metric::kNon2xxRate:
      if (c.completed == 0) return std::nullopt;
      return static_cast<double>(c.non_2xx) / static_cast<double>(c.completed);
    case Metric::kAchievedRate:
      if (s.duration_s <= 0 || s.requested_rps <= 0) return std::nullopt;
      return static_cast<double>(c.completed) / s.duration_s / s.requested_rps;
    case Metric::kDropped:
      return static_cast<double>(c.dropped);
    case Metric::kRps:
      if (s.duration_s <= 0) return std::nullopt;
      return static_cast<double>(c.completed) / s.duration_s;
  }
  return std::nullopt;
}

Sample whole_run(const model::RunResult& result) {
  Sample s;
  s.latency = result.latency;
  s.service_time = result.service_time;
  s.counters = result.counters;
  s.counters.non_2xx = result.non_2xx();  // from the status codes: results saved before the counter have them
  s.duration_s = static_cast<double>(result.measured_ns) / 1e9;
  s.requested_rps = result.options.requested_rps;
  return s;
}

std::vector<Window> build_windows(const std::vector<model::TimelineEntry>& timeline, int64_t window_s,
                                  double requested_rps) {
  std::vector<Window> windows;
  if (window_s < 1) return windows;
  int64_t open = -1;
  for (const model::TimelineEntry& e : timeline) {
    if (e.second < 0) continue;
    const int64_t index = e.second / window_s;
    if (index != open) {
      Window& w = windows.emplace_back();
      w.start_s = static_cast<double>(index * window_s);
      w.sample.requested_rps = requested_rps;
      open = index;
    }
    Window& w = windows.back();
    add_second(w.sample, e);
    w.end_s = static_cast<double>(e.second) + e.duration_s;
  }
  if (windows.size() >= 2 && windows.back().sample.duration_s < static_cast<double>(window_s) / 2) {
    Window last = std::move(windows.back());
    windows.pop_back();
    Window& into = windows.back();
    into.sample.latency.add(last.sample.latency);
    into.sample.service_time.add(last.sample.service_time);
    into.sample.counters.add(last.sample.counters);
    into.sample.duration_s += last.sample.duration_s;
    into.end_s = last.end_s;
  }
  return windows;
}

std::vector<model::SloVerdict> judge(const model::RunResult& result, const std::vector<Slo>& slos, int64_t window_s) {
  const Sample whole = whole_run(result);
  const std::vector<Window> windows = build_windows(result.timeline, window_s, result.options.requested_rps);
  std::vector<model::SloVerdict> verdicts;
  for (const Slo& slo : slos) {
    model::SloVerdict& v = verdicts.emplace_back();
    v.expr = slo.expr;
    v.metric = metric_name(slo);
    v.op = std::string(op_text(slo.op));
    v.threshold = slo.threshold;
    const std::optional<double> measured = measure(slo, whole);
    v.has_measured = measured.has_value();
    v.measured = measured.value_or(0);
    v.pass = meets(slo, measured);
    if (window_s <= 0) continue;
    v.window_s = static_cast<double>(window_s);
    double worst = -INFINITY;
    for (const Window& w : windows) {
      const std::optional<double> m = measure(slo, w.sample);
      ++v.windows;
      if (!meets(slo, m)) ++v.failed_windows;
      if (const double b = badness(slo, m); !v.has_worst_window || b > worst) {
        worst = b;
        v.has_worst_window = true;
        v.worst_start_s = w.start_s;
        v.worst_end_s = w.end_s;
        v.worst_has_measured = m.has_value();
        v.worst_measured = m.value_or(0);
      }
    }
    // A run without a single window has nothing that met the SLO window by window.
    if (v.failed_windows > 0 || windows.empty()) v.pass = false;
  }
  return verdicts;
}

LiveJudge::LiveJudge(std::vector<Slo> slos, int64_t window_s, double grace_s, double requested_rps)
    : slos_(std::move(slos)), window_s_(std::max<int64_t>(window_s, 1)), grace_s_(grace_s), requested_rps_(requested_rps) {}

bool LiveJudge::add(const model::TimelineEntry& second) {
  if (abort_.aborted || second.second < 0) return false;
  const int64_t index = second.second / window_s_;
  bool failed = false;
  if (index != open_window_ && !seconds_.empty()) failed = judge_open_window();  // a gap closed it
  if (failed) return true;
  open_window_ = index;
  seconds_.push_back(second);
  if (second.second % window_s_ == window_s_ - 1) return judge_open_window();
  return false;
}

bool LiveJudge::judge_open_window() {
  std::vector<model::TimelineEntry> seconds;
  seconds.swap(seconds_);
  const double start_s = static_cast<double>(open_window_ * window_s_);
  if (start_s < grace_s_) return false;
  const std::vector<Window> windows = build_windows(seconds, window_s_, requested_rps_);
  if (windows.empty()) return false;
  const Window& w = windows.front();
  for (const Slo& slo : slos_) {
    const std::optional<double> m = measure(slo, w.sample);
    if (meets(slo, m)) continue;
    abort_.aborted = true;
    abort_.expr = slo.expr;
    abort_.window_start_s = w.start_s;
    abort_.window_end_s = w.end_s;
    abort_.has_measured = m.has_value();
    abort_.measured = m.value_or(0);
    return true;
  }
  return false;
}

}  // namespace nightjar::slo
