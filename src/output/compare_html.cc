// The comparison of runs as one self-contained HTML page (inline CSS and SVG, no script
// needed, nothing fetched): the runs, warnings, gates, the table of metrics and changes,
// every run's percentile spectrum on one chart, and every run's per-second throughput and
// p99 on one chart each. The comparison's JSON is embedded as
// <script type="application/json" id="nightjar-comparison">.
#include <fmt/format.h>

#include <algorithm>

#include "output/compare.h"
#include "output/formatters.h"
#include "output/html_parts.h"
#include "output/html_style.h"

namespace nightjar::output {
namespace {

using html::escape;

// Charts drawn at this width stay legible on a 600 px screen (scaled by about 0.9).
constexpr int kChartWidth = 560;
constexpr size_t kRunColours = 10;  // r0 .. r9 in kCompareCss
constexpr size_t kLegendNameChars = 24;

// Run i's colour class; runs past the tenth reuse the colours, dashed.
std::string colour(size_t i) { return fmt::format("r{}", i % kRunColours); }
bool dashed(size_t i) { return i >= kRunColours; }

// "0KZ3M7Q4A1BC checkout": how a chart's legend names a run.
std::string legend_name(const ComparedRun& run) {
  const std::string& name = run.result.options.test_name;
  if (name.empty()) return run.id;
  return run.id + " " +
         (name.size() > kLegendNameChars ? name.substr(0, kLegendNameChars - 1) + "\u2026" : name);
}

std::string header_html(const std::vector<ComparedRun>& runs, double threshold) {
  std::string names;
  for (const ComparedRun& run : runs) {
    const std::string& name = run.result.options.test_name;
    names += (names.empty() ? "" : " vs ") + (name.empty() ? run.id : name);
  }
  return fmt::format(
      "<header class=\"report-header\">\n<div class=\"eyebrow\">nightjar &middot; comparison of "
      "{} runs</div>\n<h1>{}</h1>\n<p class=\"intro\">The first run is the baseline: every other "
      "run is set against it, and changes beyond {:g}% are marked worse or better.</p>\n"
      "</header>\n",
      runs.size(), escape(names), threshold * 100);
}

std::string gates_html(const std::vector<GateResult>& gates) {
  std::string s = "<ul class=\"gates\">\n";
  for (const GateResult& g : gates) {
    if (g.failures.empty()) {
      s += fmt::format("<li><span class=\"gate-pass\">PASS</span><code>{}</code></li>\n",
                       escape(g.gate.expr));
    }
    for (const GateFailure& f : g.failures) {
      s += fmt::format("<li><span class=\"gate-fail\">FAIL</span><code>{}</code>: {}</li>\n",
                       escape(g.gate.expr), escape(f.message));
    }
  }
  return s + "</ul>\n";
}

std::string runs_table(const std::vector<ComparedRun>& runs) {
  std::string s =
      "<div class=\"table-scroll\"><table class=\"runs\">\n<thead><tr><th>run</th><th>name</th>"
      "<th>started</th><th>protocol</th><th>requested</th><th>connections</th><th>measured</th>"
      "<th>notes</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const model::RunResult& r = runs[i].result;
    std::string notes = i == 0 ? "baseline" : "";
    auto note = [&](bool on, const std::string& text) {
      if (on) notes += (notes.empty() ? "" : ", ") + text;
    };
    note(r.interrupted, "interrupted");
    note(r.partial, "partial");
    note(runs[i].source != "run", runs[i].source);
    s += fmt::format(
        "<tr><th><span class=\"dot {}\"></span><code>{}</code></th><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        colour(i), escape(runs[i].id), escape(r.options.test_name), escape(rfc3339(r.start_unix_ns)),
        escape(r.protocol_spoken()),
        r.options.requested_rps > 0 ? escape(html::rate_text(r.options.requested_rps)) + " req/s"
                                    : std::string("closed loop"),
        r.options.connections, escape(html::duration_text(r.measured_ns)), escape(notes));
  }
  return s + "</tbody>\n</table></div>\n";
}

std::string metrics_table(const std::vector<ComparedRun>& runs, const Comparison& comparison) {
  std::string s =
      "<div class=\"table-scroll\"><table class=\"numbers comparison\">\n<thead><tr><th>metric</th>";
  for (size_t i = 0; i < runs.size(); ++i) {
    s += fmt::format("<th><span class=\"dot {}\"></span>{}</th>", colour(i), escape(runs[i].id));
  }
  s += "</tr></thead>\n<tbody>\n";
  for (const MetricComparison& m : comparison.metrics) {
    s += fmt::format("<tr><th>{}</th>", escape(m.metric.name()));
    for (size_t i = 0; i < m.values.size(); ++i) {
      s += "<td>" + escape(value_text(m.metric, m.values[i]));
      if (i > 0) {
        const Delta& d = m.deltas[i - 1];
        std::string css = "delta";
        if (d.moved && d.direction == Direction::kWorse) css += " worse";
        if (d.moved && d.direction == Direction::kBetter) css += " better";
        if (d.moved && d.direction == Direction::kNone && d.absolute != 0) css += " moved";
        s += fmt::format("<span class=\"{}\">{}</span>", css, escape(delta_text(m.metric, d)));
      }
      s += "</td>";
    }
    s += "</tr>\n";
  }
  return s + "</tbody>\n</table></div>\n";
}

std::string spectrum(const std::vector<ComparedRun>& runs) {
  std::vector<html::SpectrumLine> lines;
  for (size_t i = 0; i < runs.size(); ++i) {
    lines.push_back({legend_name(runs[i]), colour(i), &runs[i].result.latency, dashed(i)});
  }
  return html::spectrum_chart("chart-compare-spectrum", "Every run's latency by percentile",
                              kChartWidth, 380, lines);
}

double longest_timeline(const std::vector<ComparedRun>& runs) {
  double end = 0;
  for (const ComparedRun& run : runs) end = std::max(end, html::timeline_end(run.result));
  return end;
}

std::string throughput_chart(const std::vector<ComparedRun>& runs) {
  html::LineChart chart =
      html::timeline_frame("chart-compare-throughput", "Every run's responses per second over time",
                           kChartWidth, longest_timeline(runs));
  double top = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    html::Series series{legend_name(runs[i]), colour(i), {}, dashed(i)};
    for (const model::TimelineEntry& e : runs[i].result.timeline) {
      const double start = static_cast<double>(e.second);
      const double rate = html::per_second(e.counters.completed, e.duration_s);
      series.points.push_back({start, rate});
      series.points.push_back({start + e.duration_s, rate});
      top = std::max(top, rate);
    }
    chart.series.push_back(std::move(series));
  }
  chart.y = html::nice_linear_axis(0, top * 1.08, 5, true, "responses per second");
  html::abbreviate_thousands(chart.y);
  return html::render_line_chart(chart);
}

std::string p99_chart(const std::vector<ComparedRun>& runs) {
  html::LineChart chart = html::timeline_frame(
      "chart-compare-p99", "Every run's per-second p99 latency over time", kChartWidth,
      longest_timeline(runs));
  double top = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    html::Series series{legend_name(runs[i]), colour(i), {}, dashed(i)};
    for (const model::TimelineEntry& e : runs[i].result.timeline) {
      if (e.counters.completed == 0) continue;  // a second without responses has no latency
      const double p99 = html::ms(e.latency_p99_ns);
      series.points.push_back({static_cast<double>(e.second) + e.duration_s / 2, p99});
      top = std::max(top, p99);
    }
    chart.series.push_back(std::move(series));
  }
  chart.y = html::nice_linear_axis(0, top * 1.08, 5, true, "p99 latency (ms)");
  return html::render_line_chart(chart);
}

}  // namespace

std::string render_comparison_html(const std::vector<ComparedRun>& runs,
                                   const Comparison& comparison,
                                   const std::vector<GateResult>& gates) {
  std::string title = "nightjar comparison";
  for (const ComparedRun& run : runs) title += (&run == &runs.front() ? ": " : " vs ") + run.id;
  std::string s = html::page_start(title, html::kCompareCss, "page compare");
  s += header_html(runs, comparison.threshold);
  s += html::warnings_html(comparison.warnings);
  if (!gates.empty()) {
    const bool pass = std::all_of(gates.begin(), gates.end(),
                                  [](const GateResult& g) { return g.failures.empty(); });
    s += html::panel(pass ? "Gates: all passed" : "Gates: failed",
                     "Each gate (<code>--fail-if</code>) is checked for every run against the "
                     "first.",
                     gates_html(gates));
  }
  s += html::panel("Runs", "", runs_table(runs));
  s += html::panel("Metrics",
                   fmt::format("Each value, and below it its change against the first run; "
                               "changes beyond {:g}% are marked worse "
                               "or better. Latencies count from each request&rsquo;s "
                               "intended start.",
                               comparison.threshold * 100),
                   metrics_table(runs, comparison));
  s += html::panel("Latency percentile spectrum",
                   "Every run&rsquo;s latency by percentile. The x axis stretches the tail: each "
                   "step right is ten times rarer.",
                   spectrum(runs));
  s += "<div class=\"grid2\">\n";
  s += html::panel("Throughput over time",
                   "Responses completed in each second, from each run&rsquo;s own start.",
                   throughput_chart(runs));
  s += html::panel("p99 latency over time",
                   "The p99 latency of the responses completed in each second, from each "
                   "run&rsquo;s own start.",
                   p99_chart(runs));
  s += "</div>\n";
  s += "<footer>Generated by nightjar (<code>nightjar results compare</code>). The comparison "
       "(its JSON form) is embedded in this file as <code>script#nightjar-comparison</code>."
       "</footer>\n</main>\n";
  s += html::json_island("nightjar-comparison", render_comparison_json(runs, comparison, gates));
  return s + "</body>\n</html>\n";
}

}  // namespace nightjar::output
