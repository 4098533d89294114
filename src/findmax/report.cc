#include "findmax/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "output/formatters.h"
#include "output/html_chart.h"
#include "output/html_parts.h"
#include "output/slo_json.h"

namespace nightjar::findmax {
namespace {

using Json = nlohmann::ordered_json;

Json optional_json(const std::optional<double>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json verdicts_json(const std::vector<model::SloVerdict>& verdicts) {
  model::RunResult holder;  // append_slos_json reads a result's verdicts
  holder.slos = verdicts;
  Json j = Json::object();
  output::append_slos_json(j, holder);
  return j.contains("slos") ? j["slos"] : Json::array();
}

std::string rate_text(double rps) { return output::html::trim_number(rps, 2); }

std::string ms_text(int64_t ns) { return fmt::format("{:.2f}", static_cast<double>(ns) / 1e6); }

std::string failure_text(const TrialRecord& trial) {
  std::string s;
  for (const model::SloVerdict& v : trial.slos) {
    if (v.pass) continue;
    if (!s.empty()) s += "; ";
    s += output::slo_verdict_text(v);
  }
  return s;
}

}  // namespace

TrialRecord trial_record(const model::RunResult& result, double rps, int trial) {
  TrialRecord t;
  t.rps = rps;
  t.trial = trial;
  t.slos = result.slos;
  t.pass = !result.slos.empty() &&
           std::all_of(result.slos.begin(), result.slos.end(),
                       [](const model::SloVerdict& v) { return v.pass; });
  if (result.latency.total_count() > 0) {
    t.p50_ns = result.latency.value_at_percentile(50);
    t.p90_ns = result.latency.value_at_percentile(90);
    t.p99_ns = result.latency.value_at_percentile(99);
    t.p999_ns = result.latency.value_at_percentile(99.9);
  }
  const int64_t ended = result.counters.completed + result.counters.errors();
  t.error_rate = ended > 0 ? static_cast<double>(result.counters.errors()) / static_cast<double>(ended) : 0;
  t.achieved_rps = result.achieved_rps();
  return t;
}

const TrialRecord* first_failure(const Report& report) {
  if (!report.first_failing_rps) return nullptr;
  for (const TrialRecord& t : report.steps) {
    if (t.rps == *report.first_failing_rps && !t.pass) return &t;
  }
  return nullptr;
}

std::string render_json(const Report& r) {
  Json j;
  j["kind"] = "find-max";
  j["max_rps"] = optional_json(r.max_rps);
  j["first_failing_rps"] = optional_json(r.first_failing_rps);
  j["complete"] = r.complete;
  j["out_of_time"] = r.out_of_time;
  j["interrupted"] = r.interrupted;
  if (const TrialRecord* failed = first_failure(r)) {
    Json why = Json::array();
    for (const model::SloVerdict& v : failed->slos) {
      if (v.pass) continue;
      why.push_back({{"expr", v.expr},
                     {"measured", v.has_measured ? Json(v.measured) : Json(nullptr)},
                     {"op", v.op},
                     {"threshold", v.threshold}});
    }
    j["first_failure"] = {{"rps", failed->rps}, {"trial", failed->trial}, {"failed_slos", why}};
  } else {
    j["first_failure"] = nullptr;
  }
  j["closed_loop_rps"] = optional_json(r.closed_loop_rps);
  j["slos"] = r.slos;
  j["urls"] = r.urls;
  j["search"] = {{"start_rps", r.search.start_rps},
                 {"max_rps", r.search.max_rps},
                 {"precision", r.search.precision},
                 {"trials", r.search.trials},
                 {"step_duration_ns", r.step_duration_ns},
                 {"cool_down_ns", r.cool_down_ns},
                 {"max_time_ns", r.search.max_time_ns}};
  Json steps = Json::array();
  for (const TrialRecord& t : r.steps) {
    steps.push_back({{"rps", t.rps},
                     {"trial", t.trial},
                     {"pass", t.pass},
                     {"slos", verdicts_json(t.slos)},
                     {"percentiles_ns",
                      {{"50", t.p50_ns}, {"90", t.p90_ns}, {"99", t.p99_ns}, {"99.9", t.p999_ns}}},
                     {"error_rate", t.error_rate},
                     {"achieved_rps", t.achieved_rps},
                     {"run_id", t.run_id.empty() ? Json(nullptr) : Json(t.run_id)}});
  }
  j["steps"] = std::move(steps);
  j["experiment_id"] = r.experiment_id.empty() ? Json(nullptr) : Json(r.experiment_id);
  return j.dump(2) + "\n";
}

std::string render_human(const Report& r) {
  std::string s = "nightjar find-max";
  for (const std::string& url : r.urls) s += " " + url;
  s += "\nSLOs: ";
  for (size_t i = 0; i < r.slos.size(); ++i) s += (i > 0 ? ", " : "") + r.slos[i];
  s += fmt::format("\n\n{:>10} {:>5} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>10}\n", "rps",
                   "trial", "pass", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "errors",
                   "achieved");
  for (const TrialRecord& t : r.steps) {
    s += fmt::format("{:>10} {:>5} {:>5} {:>10} {:>10} {:>10} {:>10} {:>7.2f}% {:>10}\n",
                     rate_text(t.rps), t.trial, t.pass ? "PASS" : "FAIL", ms_text(t.p50_ns),
                     ms_text(t.p90_ns), ms_text(t.p99_ns), ms_text(t.p999_ns),
                     t.error_rate * 100, rate_text(t.achieved_rps));
  }
  s += "\n";
  s += r.max_rps ? "max rps meeting every SLO: " + rate_text(*r.max_rps) + "\n"
                 : "max rps meeting every SLO: none (even the start rate failed)\n";
  if (r.first_failing_rps) {
    s += "first failing rps: " + rate_text(*r.first_failing_rps);
    if (const TrialRecord* failed = first_failure(r)) s += " (" + failure_text(*failed) + ")";
    s += "\n";
  } else {
    s += "first failing rps: none up to --max-rps " + rate_text(r.search.max_rps) + "\n";
  }
  if (r.closed_loop_rps) s += "closed loop achieved rps: " + rate_text(*r.closed_loop_rps) + "\n";
  if (!r.complete) {
    s += r.interrupted   ? "INCOMPLETE: interrupted; the answer is what is known so far\n"
         : r.out_of_time ? "INCOMPLETE: --max-time reached; the answer is what is known so far\n"
                         : "INCOMPLETE\n";
  }
  return s;
}

std::string render_html(const Report& r) {
  namespace html = output::html;
  std::string title = "nightjar find-max";
  if (!r.urls.empty()) title += " " + r.urls.front();
  std::string s = html::page_start(title);
  s += "<header><h1>" + html::escape(title) + "</h1></header>\n";

  std::string summary = "<p>Highest rate meeting every SLO: <strong>" +
                        (r.max_rps ? html::escape(rate_text(*r.max_rps)) + " rps" : "none") +
                        "</strong>. First failing rate: " +
                        (r.first_failing_rps ? html::escape(rate_text(*r.first_failing_rps)) + " rps"
                                             : "none");
  if (const TrialRecord* failed = first_failure(r)) {
    summary += " (" + html::escape(failure_text(*failed)) + ")";
  }
  summary += ".</p>\n<p>SLOs: ";
  for (size_t i = 0; i < r.slos.size(); ++i) summary += (i > 0 ? ", " : "") + html::escape(r.slos[i]);
  summary += "</p>\n";
  if (!r.complete) summary += "<p><strong>Incomplete</strong>: the search was stopped early.</p>\n";
  s += html::panel("Answer", "", summary);

  // Sorted by requested rate, so the lines read left to right.
  std::vector<TrialRecord> sorted = r.steps;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const TrialRecord& a, const TrialRecord& b) { return a.rps < b.rps; });
  double max_x = 1;
  double max_ms = 0.001;
  double max_achieved = 1;
  for (const TrialRecord& t : sorted) {
    max_x = std::max(max_x, t.rps);
    max_ms = std::max(max_ms, html::ms(t.p999_ns));
    max_achieved = std::max(max_achieved, t.achieved_rps);
  }
  html::LineChart latency;
  latency.id = "chart-findmax-latency";
  latency.description = "latency percentiles against the requested rate";
  latency.x = html::nice_linear_axis(0, max_x, 6, true, "requested rate (/s)");
  html::abbreviate_thousands(latency.x);
  latency.y = html::nice_linear_axis(0, max_ms, 5, true, "latency (ms)");
  latency.empty_text = "no trial ran";
  html::Series p50{"p50", "s-p50", {}, false};
  html::Series p99{"p99", "s-p99", {}, false};
  html::Series p999{"p99.9", "s-latency", {}, true};
  for (const TrialRecord& t : sorted) {
    p50.points.push_back({t.rps, html::ms(t.p50_ns)});
    p99.points.push_back({t.rps, html::ms(t.p99_ns)});
    p999.points.push_back({t.rps, html::ms(t.p999_ns)});
    latency.markers.push_back({{t.rps, html::ms(t.p99_ns)}, t.pass ? "s-p99" : "s-errors",
                               fmt::format("{} rps, trial {}: {}; p99 {} ms", rate_text(t.rps),
                                           t.trial, t.pass ? "PASS" : "FAIL", ms_text(t.p99_ns))});
  }
  latency.series = {p50, p99, p999};
  s += html::panel("Latency against requested rate", "", html::render_line_chart(latency));

  html::LineChart achieved;
  achieved.id = "chart-findmax-achieved";
  achieved.description = "achieved rate against the requested rate";
  achieved.x = latency.x;
  achieved.y = html::nice_linear_axis(0, std::max(max_x, max_achieved), 5, true, "rate (/s)");
  html::abbreviate_thousands(achieved.y);
  achieved.empty_text = "no trial ran";
  html::Series got{"achieved / s", "s-completed", {}, false};
  html::Series asked{"requested / s", "s-requested", {}, true};
  for (const TrialRecord& t : sorted) {
    got.points.push_back({t.rps, t.achieved_rps});
    asked.points.push_back({t.rps, t.rps});
  }
  achieved.series = {got, asked};
  if (r.max_rps) achieved.references.push_back({*r.max_rps, "max " + rate_text(*r.max_rps)});
  s += html::panel("Achieved against requested rate", "", html::render_line_chart(achieved));

  std::string table =
      "<table>\n<thead><tr><th>rps</th><th>trial</th><th>verdict</th><th>p50</th><th>p90</th>"
      "<th>p99</th><th>p99.9</th><th>errors</th><th>achieved</th></tr></thead>\n<tbody>\n";
  for (const TrialRecord& t : r.steps) {
    table += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{:.2f}%</td><td>{}</td></tr>\n",
        html::escape(rate_text(t.rps)), t.trial, t.pass ? "PASS" : "FAIL",
        html::escape(html::duration_text(t.p50_ns)), html::escape(html::duration_text(t.p90_ns)),
        html::escape(html::duration_text(t.p99_ns)), html::escape(html::duration_text(t.p999_ns)),
        t.error_rate * 100, html::escape(rate_text(t.achieved_rps)));
  }
  table += "</tbody>\n</table>\n";
  s += html::panel("Trials, in the order run", "", table);
  s += html::json_island("findmax-data", render_json(r));
  s += "<footer>nightjar find-max</footer>\n</main>\n</body>\n</html>\n";
  return s;
}

}  // namespace nightjar::findmax
