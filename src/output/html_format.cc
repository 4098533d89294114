// The HTML report: one self-contained file (inline CSS and SVG, no script needed, nothing
// fetched) with the run's header, key figures, warnings, charts and tables, plus the
// canonical JSON result embedded as <script type="application/json" id="nightjar-result">.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "common/duration.h"
#include "output/formatters.h"
#include "output/html_chart.h"
#include "output/html_style.h"

namespace nightjar::output {
namespace {

using html::escape;
using html::group_digits;
using model::RunResult;
using stats::HdrHistogram;

constexpr int kWideChartWidth = 1120;
constexpr int kHalfChartWidth = 540;
// Above this many seconds the over-time charts draw no per-second hover dots.
constexpr size_t kMaxTimelineMarkers = 120;
// Spectrum y axis turns logarithmic when the maximum is this many times the median.
constexpr double kLogScaleTailRatio = 4;

// "4.56ms" -> "4.56 ms", "12.3us" -> "12.3 µs"; compound forms ("2m5s") stay as they are.
std::string duration_text(int64_t ns) {
  std::string s = format_duration_ns(ns);
  const size_t unit = s.find_first_not_of("0123456789.");
  if (unit == std::string::npos || unit == 0) return s;
  std::string suffix = s.substr(unit);
  if (suffix.find_first_of("0123456789") != std::string::npos) return s;
  if (suffix == "us") suffix = "µs";
  return s.substr(0, unit) + " " + suffix;
}

// A figure split into number and unit, for the summary cards.
std::string figure_html(const std::string& text) {
  const size_t space = text.rfind(' ');
  if (space == std::string::npos) return escape(text);
  return escape(text.substr(0, space)) + "<span class=\"unit\">" + escape(text.substr(space + 1)) +
         "</span>";
}

std::string rate_text(double rps) {
  return rps >= 100 ? group_digits(std::llround(rps)) : fmt::format("{:.2f}", rps);
}

std::string percent_text(double part, double whole) {
  if (whole <= 0) return "0%";
  const double p = 100.0 * part / whole;
  if (p > 0 && p < 0.01) return "<0.01%";
  return html::trim_number(p, p >= 10 ? 1 : 2) + "%";
}

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string mode_text(const RunResult& r) {
  return r.open_loop ? fmt::format("open loop at {} req/s", rate_text(r.options.requested_rps))
                     : std::string("closed loop (maximum rate)");
}

std::string bound_text(const model::RunOptions& o) {
  std::string bound = o.duration_ns > 0 ? duration_text(o.duration_ns) : "";
  if (o.requests > 0) bound += (bound.empty() ? "" : ", at most ") + plural(o.requests, "request");
  return bound.empty() ? "unbounded" : bound;
}

std::string reason_phrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// ---- header, warnings, key figures ----

std::string header_html(const RunResult& r) {
  const auto& o = r.options;
  std::string s =
      "<header class=\"report-header\">\n<div class=\"eyebrow\">nightjar &middot; HTTP load test "
      "report</div>\n";
  s += fmt::format("<h1>{}</h1>\n", o.test_name.empty() ? "Load test" : escape(o.test_name));
  if (!o.labels.empty()) {
    s += "<div class=\"labels\">";
    for (const auto& [key, value] : o.labels) {
      s += fmt::format("<span class=\"chip\"><span class=\"chip-key\">{}</span>{}</span>",
                       escape(key), escape(value));
    }
    s += "</div>\n";
  }
  s += "<ul class=\"targets\">";
  for (const std::string& url : o.urls) {
    s += fmt::format("<li><span class=\"method\">{}</span><code class=\"url\">{}</code></li>",
                     escape(o.method), escape(url));
  }
  s += "</ul>\n<dl class=\"facts\">\n";
  auto fact = [&](std::string_view name, const std::string& value_html) {
    s += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>\n", name, value_html);
  };
  fact("Started",
       fmt::format("<time datetime=\"{0}\">{0}</time>", escape(rfc3339(r.start_unix_ns))));
  fact("Mode", escape(mode_text(r)));
  fact("Duration", escape(bound_text(o)) + " <span class=\"muted\">(measured " +
                       escape(duration_text(r.measured_ns)) + ")</span>");
  fact("Connections", group_digits(o.connections));
  fact("Threads", group_digits(o.threads));
  fact("Protocol", escape(r.protocol_spoken() + (o.tls ? (o.tls_insecure ? ", TLS not verified" : ", TLS") : "")));
  s += "</dl>\n</header>\n";
  return s;
}

std::string warnings_html(const RunResult& r) {
  const std::vector<std::string> list = warnings(r);
  if (list.empty()) return "";
  std::string s = "<section class=\"warnings\" aria-label=\"warnings\">\n";
  for (const std::string& w : list) {
    s += fmt::format(
        "<div class=\"warning\"><span class=\"warning-icon\" aria-hidden=\"true\">!</span>"
        "<div><strong>Warning:</strong> {}</div></div>\n",
        escape(w));
  }
  return s + "</section>\n";
}

std::string card(std::string_view label, const std::string& value_html,
                 const std::string& detail_html, std::string_view tone) {
  return fmt::format(
      "<div class=\"card{}{}\"><div class=\"card-label\">{}</div><div class=\"card-value\">{}</div>"
      "<div class=\"card-detail\">{}</div></div>\n",
      tone.empty() ? "" : " ", tone, label, value_html, detail_html);
}

std::string summary_html(const RunResult& r) {
  const auto& o = r.options;
  std::string s = "<section class=\"summary\" aria-label=\"key figures\">\n";
  std::string rate_detail = "closed loop, maximum rate";
  std::string rate_tone;
  if (r.open_loop) {
    rate_detail =
        fmt::format("{} of {} requested", escape(percent_text(r.achieved_rps(), o.requested_rps)),
                    escape(rate_text(o.requested_rps)));
    if (o.requested_rps > 0 && r.achieved_rps() < 0.95 * o.requested_rps) rate_tone = "warn";
  }
  s += card("Throughput", figure_html(rate_text(r.achieved_rps()) + " req/s"), rate_detail,
            rate_tone);
  s += card(
      "Completed", group_digits(r.counters.completed),
      escape(fmt::format("{} sent in {}", group_digits(r.counters.sent), duration_text(r.measured_ns))), "");
  const int64_t outcomes = r.counters.completed + r.counters.errors();
  std::string error_detail =
      escape(percent_text(static_cast<double>(r.counters.errors()), static_cast<double>(outcomes))) +
      " of requests";
  if (r.non_2xx() > 0)
    error_detail += fmt::format(" &middot; {} non-2xx", group_digits(r.non_2xx()));
  s += card("Errors", group_digits(r.counters.errors()), error_detail, r.counters.errors() > 0 ? "bad" : "");
  for (double q : {50.0, 99.0, 99.9}) {
    s += card(fmt::format("p{} latency", percentile_key(q)),
              figure_html(duration_text(r.latency.value_at_percentile(q))),
              "service time " + escape(duration_text(r.service_time.value_at_percentile(q))), "");
  }
  return s + "</section>\n";
}

std::string panel(std::string_view title, const std::string& note_html, const std::string& body,
                  std::string_view extra_class = "") {
  std::string s = fmt::format("<section class=\"panel{}{}\">\n<h2>{}</h2>\n",
                              extra_class.empty() ? "" : " ", extra_class, title);
  if (!note_html.empty()) s += "<p class=\"note\">" + note_html + "</p>\n";
  return s + body + "</section>\n";
}

// ---- charts ----

// x position of percentile p on the 1/(1-p) log axis: 0% -> 0, 90% -> 1, 99% -> 2, ...
double spectrum_x(double percentile) {
  return -std::log10(std::max(1.0 - percentile / 100.0, 1e-12));
}

std::string spectrum_chart(const RunResult& r) {
  const int64_t count = std::max(r.latency.total_count(), r.service_time.total_count());
  const double count_x = count > 0 ? std::log10(static_cast<double>(count)) : 0;
  const double x_max = std::clamp(std::ceil(count_x - 1e-9), 5.0, 7.0);
  const int64_t median = std::max<int64_t>(r.latency.value_at_percentile(50), 1);
  const int64_t top = std::max(r.latency.max(), r.service_time.max());
  const bool log_y = static_cast<double>(top) / static_cast<double>(median) > kLogScaleTailRatio;
  auto y_of = [&](int64_t ns) { return log_y ? std::log10(std::max(ms(ns), 1e-6)) : ms(ns); };

  html::LineChart chart;
  chart.id = "chart-spectrum";
  chart.description = "Latency and service time by percentile";
  chart.width = kWideChartWidth;
  chart.height = 420;
  chart.empty_text = "no responses were recorded";
  chart.x.min = 0;
  chart.x.max = x_max;
  chart.x.title = "percentile (spaced by 1/(1\u2212p), log scale)";
  for (int k = 0; k <= static_cast<int>(x_max); ++k) {
    chart.x.ticks.push_back(
        {static_cast<double>(k),
         k == 0 ? "0%" : html::trim_number(100 - std::pow(10.0, 2 - k), k) + "%"});
  }

  int64_t lowest = INT64_MAX;
  auto add = [&](const HdrHistogram& h, std::string name, std::string css, bool dashed) {
    html::Series series{std::move(name), css, {}, dashed};
    if (h.total_count() == 0) {
      chart.series.push_back(std::move(series));
      return;
    }
    const std::vector<stats::PercentilePoint> points = h.percentile_spectrum(10);
    double last_x = 0;
    for (const stats::PercentilePoint& p : points) {
      double x = p.percentile >= 100
                     ? std::max(last_x, std::log10(static_cast<double>(h.total_count())))
                     : spectrum_x(p.percentile);
      const bool clipped = x >= x_max;
      x = std::min(x, x_max);
      series.points.push_back({x, y_of(p.value)});
      lowest = std::min(lowest, std::max<int64_t>(p.value, 1));
      last_x = x;
      if (clipped) break;
    }
    for (double q : {50.0, 90.0, 99.0, 99.9, 99.99, 99.999}) {
      const double x = spectrum_x(q);
      if (x > std::log10(static_cast<double>(h.total_count())) + 1e-9 || x > x_max) break;
      const int64_t v = h.value_at_percentile(q);
      chart.markers.push_back(
          {{x, y_of(v)},
           css,
           fmt::format("{} p{}: {}", series.name, percentile_key(q), duration_text(v))});
    }
    chart.markers.push_back({{last_x, y_of(h.max())},
                             css,
                             fmt::format("{} max: {}", series.name, duration_text(h.max()))});
    chart.series.push_back(std::move(series));
  };
  add(r.latency, "latency", "s-latency", false);
  add(r.service_time, "service time", "s-service", true);

  if (log_y) {
    chart.y =
        html::log10_axis(std::log10(ms(lowest)), std::log10(std::max(ms(top), ms(lowest) * 10)),
                         "milliseconds (log scale)");
  } else {
    chart.y = html::nice_linear_axis(0, ms(top), 6, true, "milliseconds");
  }
  return html::render_line_chart(chart);
}

double timeline_end(const RunResult& r) {
  double end = 0;
  for (const model::TimelineEntry& e : r.timeline)
    end = std::max(end, static_cast<double>(e.second) + e.duration_s);
  return end;
}

// Seconds since start, ending where the data ends rather than at the next whole tick.
html::Axis time_axis(const RunResult& r) {
  const double end = std::max(timeline_end(r), 1.0);
  html::Axis axis = html::nice_linear_axis(0, end, 8, true, "seconds since start");
  axis.max = end;
  while (!axis.ticks.empty() && axis.ticks.back().value > end + 1e-9) axis.ticks.pop_back();
  return axis;
}

// The last second may be cut short; its rate is over what it covered.
std::string partial_note(const model::TimelineEntry& e) {
  return e.duration_s < 1.0 ? fmt::format(" ({:.2f} s only)", e.duration_s) : "";
}

double per_second(int64_t n, double duration_s) {
  return duration_s > 0 ? static_cast<double>(n) / duration_s : 0;
}

// The frame both per-second charts share: half width, seconds since start along x.
html::LineChart timeline_chart(const RunResult& r, std::string id, std::string description) {
  html::LineChart chart;
  chart.id = std::move(id);
  chart.description = std::move(description);
  chart.width = kHalfChartWidth;
  chart.height = 300;
  chart.empty_text = "no per-second data";
  chart.x = time_axis(r);
  return chart;
}

std::string throughput_chart(const RunResult& r) {
  html::LineChart chart = timeline_chart(r, "chart-throughput",
                                         "Completed responses and errors per second over time");
  html::Series completed{"completed / s", "s-completed", {}, false};
  html::Series errors{"errors / s", "s-errors", {}, false};
  double top = r.open_loop ? r.options.requested_rps : 0;
  for (const model::TimelineEntry& e : r.timeline) {
    const double start = static_cast<double>(e.second);
    const double end = start + e.duration_s;
    const double ok = per_second(e.counters.completed, e.duration_s);
    const double bad = per_second(e.counters.errors(), e.duration_s);
    completed.points.push_back({start, ok});
    completed.points.push_back({end, ok});
    errors.points.push_back({start, bad});
    errors.points.push_back({end, bad});
    top = std::max({top, ok, bad});
    if (r.timeline.size() <= kMaxTimelineMarkers) {
      chart.markers.push_back(
          {{(start + end) / 2, ok},
           "s-completed",
           fmt::format("second {}{}: {} completed, {} errors ({:.0f} / s)", e.second,
                       partial_note(e), group_digits(e.counters.completed), group_digits(e.counters.errors()), ok)});
    }
  }
  chart.series = {std::move(completed), std::move(errors)};
  chart.y = html::nice_linear_axis(0, top * 1.08, 5, true, "requests per second");
  if (chart.y.max >= 10000) {  // "250k" keeps the labels inside the margin
    for (html::Tick& t : chart.y.ticks) t.label = html::trim_number(t.value / 1000, 1) + "k";
  }
  if (r.open_loop && r.options.requested_rps > 0 && !r.timeline.empty()) {
    chart.references.push_back(
        {r.options.requested_rps, "requested " + rate_text(r.options.requested_rps) + " / s"});
  }
  return html::render_line_chart(chart);
}

std::string latency_time_chart(const RunResult& r) {
  html::LineChart chart =
      timeline_chart(r, "chart-latency-time", "Per-second p50 and p99 latency over time");
  html::Series p50{"p50 latency", "s-p50", {}, false};
  html::Series p99{"p99 latency", "s-p99", {}, false};
  double top = 0;
  for (const model::TimelineEntry& e : r.timeline) {
    if (e.counters.completed == 0) continue;  // a second without responses has no latency
    const double x = static_cast<double>(e.second) + e.duration_s / 2;
    p50.points.push_back({x, ms(e.latency_p50_ns)});
    p99.points.push_back({x, ms(e.latency_p99_ns)});
    top = std::max({top, ms(e.latency_p50_ns), ms(e.latency_p99_ns)});
    if (r.timeline.size() <= kMaxTimelineMarkers) {
      const std::string tip =
          fmt::format("second {}{}: p50 {}, p99 {}, max {}", e.second, partial_note(e),
                      duration_text(e.latency_p50_ns), duration_text(e.latency_p99_ns),
                      duration_text(e.latency_max_ns));
      chart.markers.push_back({{x, ms(e.latency_p50_ns)}, "s-p50", tip});
      chart.markers.push_back({{x, ms(e.latency_p99_ns)}, "s-p99", tip});
    }
  }
  chart.series = {std::move(p50), std::move(p99)};
  chart.y = html::nice_linear_axis(0, top * 1.08, 5, true, "latency (ms)");
  return html::render_line_chart(chart);
}

std::string status_chart(const RunResult& r) {
  html::BarChart chart;
  chart.id = "chart-status";
  chart.description = "Responses by HTTP status and failed requests by error kind";
  chart.width = kHalfChartWidth;
  chart.empty_text = "no responses and no errors";
  const double outcomes = static_cast<double>(r.counters.completed + r.counters.errors() + r.counters.dropped);
  html::BarGroup statuses{"HTTP status", {}};
  for (const auto& [code, count] : r.status_codes) {
    const std::string reason = reason_phrase(code);
    const int family = code / 100;
    const std::string css = family >= 2 && family <= 5 ? fmt::format("b-{}xx", family) : "b-other";
    statuses.bars.push_back(
        {reason.empty() ? std::to_string(code) : fmt::format("{} {}", code, reason), count, css,
         percent_text(static_cast<double>(count), outcomes)});
  }
  html::BarGroup grpc{"gRPC status", {}};
  for (const auto& [code, count] : r.grpc_status_codes) {
    grpc.bars.push_back({model::grpc_status_name(code), count, code == 0 ? "b-2xx" : "b-5xx",
                         percent_text(static_cast<double>(count), outcomes)});
  }
  html::BarGroup failures{"Errors (no response)", {}};
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    const int64_t n = r.counters.error_counts[static_cast<size_t>(k)];
    if (n == 0) continue;
    failures.bars.push_back({std::string(model::error_kind_name(static_cast<model::ErrorKind>(k))),
                             n, "b-error", percent_text(static_cast<double>(n), outcomes)});
  }
  if (r.counters.dropped > 0) {
    failures.bars.push_back({"dropped (not sent)", r.counters.dropped, "b-dropped",
                             percent_text(static_cast<double>(r.counters.dropped), outcomes)});
  }
  chart.groups = {std::move(statuses)};
  if (!grpc.bars.empty()) chart.groups.push_back(std::move(grpc));
  chart.groups.push_back(std::move(failures));
  return html::render_bar_chart(chart);
}

// ---- tables ----

std::string percentile_table(const RunResult& r) {
  std::string s =
      "<div class=\"table-scroll\"><table class=\"numbers percentiles\">\n<thead><tr><th></th>";
  for (double q : model::kReportPercentiles) s += fmt::format("<th>p{}</th>", percentile_key(q));
  s += "<th>max</th><th>mean</th><th>count</th></tr></thead>\n<tbody>\n";
  auto row = [&](std::string_view name, std::string_view css, const HdrHistogram& h) {
    s += fmt::format("<tr><th><span class=\"dot {}\"></span>{}</th>", css, name);
    for (double q : model::kReportPercentiles)
      s += "<td>" + escape(duration_text(h.value_at_percentile(q))) + "</td>";
    s += fmt::format("<td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(duration_text(h.max())),
                     escape(duration_text(static_cast<int64_t>(h.mean()))),
                     group_digits(h.total_count()));
  };
  row("latency", "s-latency", r.latency);
  row("service time", "s-service", r.service_time);
  if (r.open_loop) row("schedule lag", "s-lag", r.schedule_lag);
  return s + "</tbody>\n</table></div>\n";
}

std::string key_value_table(const std::vector<std::pair<std::string, std::string>>& rows,
                            std::string_view css) {
  std::string s = fmt::format("<table class=\"kv {}\">\n<tbody>\n", css);
  for (const auto& [key, value_html] : rows)
    s += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", key, value_html);
  return s + "</tbody>\n</table>\n";
}

std::string bytes_text(int64_t bytes) {
  if (bytes < 1024) return group_digits(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{} B ({:.1f} {})", group_digits(bytes), v, units[u]);
}

std::string counters_table(const RunResult& r) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Sent", group_digits(r.counters.sent)},
      {"Completed", group_digits(r.counters.completed) + " <span class=\"muted\">(any status)</span>"},
      {"Errors", group_digits(r.counters.errors()) + " <span class=\"muted\">(no response)</span>"},
      {"Non-2xx", group_digits(r.non_2xx())},
      {"Dropped", group_digits(r.counters.dropped) + " <span class=\"muted\">(client queue full)</span>"},
      {"Queued",
       group_digits(r.counters.queued) + " <span class=\"muted\">(waited for a free connection)</span>"},
      {"Cancelled", group_digits(r.counters.cancelled)},
      {"Warm-up responses",
       group_digits(r.counters.warmup_completed) + " <span class=\"muted\">(not counted)</span>"},
      {"Connections opened", group_digits(r.counters.connections_opened)},
      {"Connect failures",
       group_digits(r.counters.connect_failures) + " <span class=\"muted\">(warm-up included)</span>"},
      {"Bytes received", escape(bytes_text(r.counters.bytes_received))},
      {"Measured for", escape(duration_text(r.measured_ns))},
  };
  return key_value_table(rows, "counters");
}

std::string options_table(const RunResult& r) {
  const auto& o = r.options;
  std::string urls;
  for (const std::string& url : o.urls) urls += "<code>" + escape(url) + "</code><br>";
  std::string labels;
  for (const auto& [key, value] : o.labels)
    labels += "<code>" + escape(key) + "=" + escape(value) + "</code><br>";
  std::string headers;
  for (const auto& [name, value] : o.headers)
    headers += "<code>" + escape(name) + ": " + escape(value) + "</code><br>";
  auto or_none = [](const std::string& html_text) {
    return html_text.empty() ? std::string("<span class=\"muted\">none</span>") : html_text;
  };
  std::vector<std::pair<std::string, std::string>> rows = {
      {"Test name",
       o.test_name.empty() ? "<span class=\"muted\">none</span>" : escape(o.test_name)},
      {"Labels", or_none(labels)},
      {"URLs", or_none(urls)},
      {"Method", escape(o.method)},
      {"Protocol", escape(r.protocol_spoken())},
      {"Requested rate", r.open_loop ? escape(rate_text(o.requested_rps)) + " req/s (open loop)"
                                     : std::string("0 (closed loop, maximum rate)")},
      {"Duration", o.duration_ns > 0 ? escape(duration_text(o.duration_ns))
                                     : "<span class=\"muted\">not set</span>"},
      {"Requests",
       o.requests > 0 ? group_digits(o.requests) : "<span class=\"muted\">not limited</span>"},
      {"Warm-up", escape(duration_text(o.warmup_ns))},
      {"Timeout", escape(duration_text(o.timeout_ns))},
      {"Connections", group_digits(o.connections)},
      {"Threads", group_digits(o.threads)},
      {"Max pending", group_digits(o.max_pending)},
      {"Headers", or_none(headers)},
      {"Body", escape(bytes_text(o.body_bytes))},
  };
  if (r.protocol_spoken() != "http/1.1") rows.emplace_back("Streams per connection", group_digits(o.max_concurrent_streams));
  if (!o.grpc_method.empty()) rows.emplace_back("gRPC method", "<code>" + escape(o.grpc_method) + "</code>");
  if (o.tls) {
    std::string tls = o.tls_insecure ? "certificates NOT verified (--insecure)"
                                     : "verified against " + (o.tls_ca_file.empty() ? "the system store" : o.tls_ca_file);
    if (!o.tls_sni.empty()) tls += "; SNI " + o.tls_sni;
    if (!o.tls_client_cert.empty()) tls += "; client certificate " + o.tls_client_cert;
    tls += fmt::format("; {} handshakes, {} resumed", r.counters.tls_handshakes, r.counters.tls_resumed);
    rows.emplace_back("TLS", escape(tls));
  }
  // Two tables side by side: the list is long and the values are short.
  const size_t half = (rows.size() + 1) / 2;
  return "<div class=\"grid2 inner\">\n" +
         key_value_table({rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(half)},
                         "options") +
         key_value_table({rows.begin() + static_cast<std::ptrdiff_t>(half), rows.end()},
                         "options") +
         "</div>\n";
}

std::string shards_table(const RunResult& r) {
  if (r.shards.empty()) return "<p class=\"muted\">No per-shard parts were recorded.</p>\n";
  int64_t total = 0;
  for (const model::ShardResult& shard : r.shards) total += shard.counters.completed;
  std::string s =
      "<div class=\"table-scroll\"><table class=\"numbers "
      "shards\">\n<thead><tr><th>shard</th><th>sent</th>"
      "<th>completed</th><th>share</th><th>errors</th><th>dropped</th><th>p50</th><th>p99</"
      "th><th>p99.9</th>"
      "<th>max</th></tr></thead>\n<tbody>\n";
  for (const model::ShardResult& shard : r.shards) {
    const double share =
        total > 0 ? 100.0 * static_cast<double>(shard.counters.completed) / static_cast<double>(total) : 0;
    s += fmt::format(
        "<tr><th>{}</th><td>{}</td><td>{}</td><td class=\"share\"><span class=\"share-bar\"><span "
        "style=\"width:{:.1f}%\"></span></span>{:.1f}%</td><td>{}</td><td>{}</td><td>{}</"
        "td><td>{}</td><td>{}</td>"
        "<td>{}</td></tr>\n",
        escape(shard.name), group_digits(shard.counters.sent), group_digits(shard.counters.completed), share, share,
        group_digits(shard.counters.errors()), group_digits(shard.counters.dropped),
        escape(duration_text(shard.latency.value_at_percentile(50))),
        escape(duration_text(shard.latency.value_at_percentile(99))),
        escape(duration_text(shard.latency.value_at_percentile(99.9))),
        escape(duration_text(shard.latency.max())));
  }
  return s + "</tbody>\n</table></div>\n";
}

// The canonical JSON inside <script>: '<', '>' and '&' only occur inside JSON strings,
// where \u escapes mean the same characters, so "</script>" or "<!--" cannot end the island.
std::string json_island(const RunResult& r) {
  const std::string json = render_json(r);
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return "<script type=\"application/json\" id=\"nightjar-result\">\n" + out + "</script>\n";
}

}  // namespace

std::string render_html(const RunResult& r) {
  const auto& o = r.options;
  std::string title = "nightjar report";
  if (!o.test_name.empty()) {
    title += ": " + o.test_name;
  } else if (!o.urls.empty()) {
    title += ": " + o.urls.front();
  }
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n<meta name=\"generator\" "
      "content=\"nightjar\">\n";
  s += "<title>" + escape(title) + "</title>\n<style>\n" + std::string(html::kReportCss) +
       "</style>\n</head>\n<body>\n";
  s += "<main class=\"page\">\n";
  s += header_html(r);
  s += warnings_html(r);
  s += summary_html(r);
  if (!r.slos.empty() || r.slo_abort.aborted) {
    s += panel("Service-level objectives", "Judged over the whole run and, with a window, over every window of it.",
               render_slos_html(r));
  }

  const std::string spectrum_note = r.open_loop ? "Latency counts from each request&rsquo;s "
                                                  "intended start (free of coordinated omission); "
                                                  "service time from its actual send. The x axis "
                                                  "stretches the tail: each step right is ten "
                                                  "times rarer."
                                                : "Closed loop: each request starts when the "
                                                  "previous one on its connection ends, so latency "
                                                  "equals service time. The x axis stretches the "
                                                  "tail: each step right is ten times rarer.";
  s += panel("Latency percentile spectrum", spectrum_note, spectrum_chart(r) + percentile_table(r));
  s += "<div class=\"grid2\">\n";
  s += panel("Throughput over time",
             "Responses and errors completed in each second of the measurement.",
             throughput_chart(r));
  s += panel("Latency over time", "p50 and p99 latency of the responses completed in each second.",
             latency_time_chart(r));
  s += "</div>\n<div class=\"grid2\">\n";
  s +=
      panel("Responses", "HTTP status codes, and requests that got no response by kind of failure.",
            status_chart(r));
  s += panel("Request counters", "", counters_table(r));
  s += "</div>\n";
  s += panel("Shards", "Per-thread (or per-worker) parts; together they make the whole run.",
             shards_table(r));
  s += panel("Options", "", options_table(r));
  s += "<footer>Generated by nightjar. The complete result (nightjar JSON) is embedded in this "
       "file as "
       "<code>script#nightjar-result</code>; save it as a file to re-render it with <code>nightjar "
       "report</code>."
       "</footer>\n</main>\n";
  s += json_island(r);
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace nightjar::output
