// SLO verdicts as text, shared by the human, HTML and JUnit reports (docs/slo.md).
#include <fmt/format.h>

#include <cmath>

#include "output/formatters.h"
#include "output/html_chart.h"
#include "slo/slo.h"

namespace nightjar::output {
namespace {

std::string measured_text(const std::string& metric, bool has, double value) {
  return has ? slo::format_value(slo::unit_of_name(metric), value) : "nothing measured";
}

}  // namespace

std::string slo_span_text(double start_s, double end_s) {
  // To the millisecond: a run's last window ends when its workers finished (2.99732s).
  return fmt::format("{:g}s-{:g}s", std::round(start_s * 1e3) / 1e3, std::round(end_s * 1e3) / 1e3);
}

std::string slo_verdict_text(const model::SloVerdict& v) {
  std::string s = fmt::format("{}: {} {} (must be {} {})", v.expr, v.metric,
                              measured_text(v.metric, v.has_measured, v.measured), v.op,
                              slo::format_value(slo::unit_of_name(v.metric), v.threshold));
  if (v.window_s > 0) {
    s += fmt::format("; {} of {} {:g}s windows failed", v.failed_windows, v.windows, v.window_s);
    if (v.has_worst_window) {
      s += fmt::format(", worst {} at {}", measured_text(v.metric, v.worst_has_measured, v.worst_measured),
                       slo_span_text(v.worst_start_s, v.worst_end_s));
    }
  }
  return s;
}

std::string slo_abort_text(const model::SloAbort& a) {
  const Result<slo::Slo> parsed = slo::parse_slo(a.expr);
  const std::string measured = !a.has_measured ? "nothing"
                               : parsed.ok()   ? slo::format_value(slo::unit_of(parsed->metric), a.measured)
                                               : fmt::format("{:g}", a.measured);
  return fmt::format("stopped early by SLO '{}': the window {} measured {}", a.expr,
                     slo_span_text(a.window_start_s, a.window_end_s), measured);
}

std::string render_slos_human(const model::RunResult& r) {
  if (r.slos.empty() && !r.slo_abort.aborted) return "";
  std::string s = "\n  SLOs\n";
  for (const model::SloVerdict& v : r.slos) s += fmt::format("    {}  {}\n", v.pass ? "PASS" : "FAIL", slo_verdict_text(v));
  if (r.slo_abort.aborted) s += "    ABORTED  " + slo_abort_text(r.slo_abort) + "\n";
  return s;
}

std::string render_slos_html(const model::RunResult& r) {
  using html::escape;
  std::string s =
      "<div class=\"table-scroll\"><table class=\"slos\">\n<thead><tr><th>SLO</th><th>verdict</th><th>measured</th>"
      "<th>threshold</th><th>windows failed</th><th>worst window</th></tr></thead>\n<tbody>\n";
  for (const model::SloVerdict& v : r.slos) {
    const slo::Unit unit = slo::unit_of_name(v.metric);
    std::string windows = "&ndash;";
    std::string worst = "&ndash;";
    if (v.window_s > 0) {
      windows = fmt::format("{} of {} ({:g}s each)", v.failed_windows, v.windows, v.window_s);
      if (v.has_worst_window) {
        worst = escape(measured_text(v.metric, v.worst_has_measured, v.worst_measured) + " at " +
                       slo_span_text(v.worst_start_s, v.worst_end_s));
      }
    }
    s += fmt::format("<tr class=\"{}\"><th><code>{}</code></th><td><strong>{}</strong></td><td>{}</td><td>{} {}</td>"
                     "<td>{}</td><td>{}</td></tr>\n",
                     v.pass ? "pass" : "fail", escape(v.expr), v.pass ? "PASS" : "FAIL",
                     escape(measured_text(v.metric, v.has_measured, v.measured)), escape(v.op),
                     escape(slo::format_value(unit, v.threshold)), windows, worst);
  }
  s += "</tbody>\n</table></div>\n";
  if (r.slo_abort.aborted) s += "<p class=\"note\"><strong>" + escape(slo_abort_text(r.slo_abort)) + "</strong></p>\n";
  return s;
}

}  // namespace nightjar::output
