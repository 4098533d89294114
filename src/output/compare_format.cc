// The comparison of runs for the terminal (an aligned table) and as JSON
// (docs/results.md#comparing-runs).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "output/compare.h"
#include "output/formatters.h"
#include "output/json_summary.h"

namespace nightjar::output {
namespace {

std::string_view direction_name(Direction d) {
  switch (d) {
    case Direction::kWorse: return "worse";
    case Direction::kBetter: return "better";
    case Direction::kNone: return "none";
  }
  return "none";
}

std::string_view unit_name(MetricUnit unit) {
  switch (unit) {
    case MetricUnit::kNanoseconds: return "ns";
    case MetricUnit::kPerSecond: return "req/s";
    case MetricUnit::kCount: return "count";
    case MetricUnit::kFraction: return "fraction";
  }
  return "";
}

std::string_view better_name(Better b) {
  switch (b) {
    case Better::kLower: return "lower";
    case Better::kHigher: return "higher";
    case Better::kNeither: return "neither";
  }
  return "neither";
}

// What marks a change beyond the threshold in the table.
std::string_view mark(const Delta& d) {
  if (!d.moved) return "";
  if (d.direction == Direction::kNone) return d.absolute == 0 ? "" : "moved";
  return direction_name(d.direction);
}

std::string run_flags(const ComparedRun& run) {
  std::string flags;
  auto add = [&](bool on, std::string_view flag) {
    if (on) flags += (flags.empty() ? "" : ", ") + std::string(flag);
  };
  add(run.result.interrupted, "interrupted");
  add(run.result.partial, "partial");
  add(run.source != "run", run.source);
  return flags;
}

std::string asked_text(const model::RunResult& r) {
  std::string rate = r.options.requested_rps > 0
                         ? value_text({MetricKind::kRequestedRate, 0}, r.options.requested_rps)
                         : std::string("closed loop");
  return fmt::format("{}, {}", rate, plural(r.options.connections, "connection"));
}

// A table of cells: the first column left-aligned, the rest as each column says.
class TextTable {
 public:
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // `left[i]`: column i is left-aligned (else right-aligned).
  std::string render(const std::vector<bool>& left) const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      widths.resize(std::max(widths.size(), row.size()));
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += "  ";
        line += i < left.size() && left[i] ? fmt::format("{:<{}}", row[i], widths[i])
                                           : fmt::format("{:>{}}", row[i], widths[i]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace

std::string render_comparison_human(const std::vector<ComparedRun>& runs,
                                    const Comparison& comparison,
                                    const std::vector<GateResult>& gates) {
  std::string s = fmt::format(
      "nightjar results compare: {} against the first; changes beyond {:g}% are marked\n\n",
      plural(static_cast<int64_t>(runs.size()), "run"), comparison.threshold * 100);
  TextTable about;
  for (size_t i = 0; i < runs.size(); ++i) {
    const model::RunResult& r = runs[i].result;
    about.add_row({i == 0 ? "baseline" : fmt::format("#{}", i + 1), runs[i].id,
                   r.options.test_name.empty() ? "-" : r.options.test_name,
                   rfc3339(r.start_unix_ns).substr(0, 19) + "Z", r.protocol_spoken(),
                   asked_text(r), "measured " + duration_text(r.measured_ns), run_flags(runs[i])});
  }
  s += about.render(std::vector<bool>(8, true)) + "\n";

  TextTable table;
  std::vector<std::string> head = {"metric"};
  std::vector<bool> left = {true};
  for (size_t i = 0; i < runs.size(); ++i) {
    head.push_back(runs[i].id);
    left.push_back(false);
    if (i > 0) {
      head.push_back("change");
      left.push_back(true);
    }
  }
  table.add_row(head);
  for (const MetricComparison& m : comparison.metrics) {
    std::vector<std::string> row = {m.metric.name()};
    for (size_t i = 0; i < m.values.size(); ++i) {
      row.push_back(value_text(m.metric, m.values[i]));
      if (i == 0) continue;
      const Delta& d = m.deltas[i - 1];
      const std::string_view marker = mark(d);
      row.push_back(delta_text(m.metric, d) + (marker.empty() ? "" : "  " + std::string(marker)));
    }
    table.add_row(std::move(row));
  }
  s += table.render(left);
  for (const std::string& w : comparison.warnings) s += "\n  warning: " + w + "\n";
  if (!gates.empty()) {
    s += "\n  gates:\n";
    size_t failed = 0;
    for (const GateResult& g : gates) {
      if (g.failures.empty()) {
        s += "    PASS " + g.gate.expr + "\n";
        continue;
      }
      ++failed;
      for (const GateFailure& f : g.failures) s += "    FAIL " + g.gate.expr + ": " + f.message + "\n";
    }
    s += failed == 0 ? fmt::format("  every gate passed\n")
                     : fmt::format("  {} of {} failed\n", failed, plural(static_cast<int64_t>(gates.size()), "gate"));
  }
  return s;
}

std::string render_comparison_json(const std::vector<ComparedRun>& runs,
                                   const Comparison& comparison,
                                   const std::vector<GateResult>& gates) {
  using Json = nlohmann::ordered_json;
  Json out = Json::object();
  out["threshold"] = comparison.threshold;
  Json list = Json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    const model::RunResult& r = runs[i].result;
    list.push_back({{"id", runs[i].id},
                    {"baseline", i == 0},
                    {"name", r.options.test_name},
                    {"labels", r.options.labels},
                    {"started", rfc3339(r.start_unix_ns)},
                    {"protocol", r.protocol_spoken()},
                    {"urls", r.options.urls},
                    {"method", r.options.method},
                    {"requested_rps", r.options.requested_rps},
                    {"connections", r.options.connections},
                    {"duration_ns", r.options.duration_ns},
                    {"requests", r.options.requests},
                    {"measured_ns", r.measured_ns},
                    {"interrupted", r.interrupted},
                    {"partial", r.partial},
                    {"source", runs[i].source}});
  }
  out["runs"] = std::move(list);
  Json metrics = Json::array();
  for (const MetricComparison& m : comparison.metrics) {
    Json deltas = Json::array();
    for (size_t i = 0; i < m.deltas.size(); ++i) {
      const Delta& d = m.deltas[i];
      deltas.push_back({{"run", runs[i + 1].id},
                        {"absolute", d.absolute},
                        {"relative", d.relative ? Json(*d.relative) : Json(nullptr)},
                        {"moved", d.moved},
                        {"direction", direction_name(d.direction)}});
    }
    metrics.push_back({{"name", m.metric.name()},
                       {"unit", unit_name(m.metric.unit())},
                       {"better", better_name(m.metric.better())},
                       {"values", m.values},
                       {"deltas", std::move(deltas)}});
  }
  out["metrics"] = std::move(metrics);
  out["warnings"] = comparison.warnings;
  Json gate_list = Json::array();
  bool pass = true;
  for (const GateResult& g : gates) {
    Json failures = Json::array();
    for (const GateFailure& f : g.failures) {
      failures.push_back({{"run", runs[f.run].id},
                          {"baseline", f.baseline},
                          {"value", f.value},
                          {"message", f.message}});
    }
    pass = pass && g.failures.empty();
    gate_list.push_back(
        {{"expr", g.gate.expr}, {"pass", g.failures.empty()}, {"failures", std::move(failures)}});
  }
  out["gates"] = std::move(gate_list);
  out["pass"] = pass;
  return dump_json(out, 2) + "\n";
}

}  // namespace nightjar::output
