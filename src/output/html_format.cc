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
#include "output/html_parts.h"

namespace nightjar::output {
namespace {

using html::duration_text;
using html::escape;
using html::group_digits;
using html::ms;
using html::panel;
using html::per_second;
using html::rate_text;
using model::RunResult;
using stats::HdrHistogram;

constexpr int kWideChartWidth = 1120;
constexpr int kHalfChartWidth = 540;
// Above this many seconds the over-time charts draw no per-second hover dots.
constexpr size_t kMaxTimelineMarkers = 120;

// A figure split into number and unit, for the summary cards.
std::string figure_html(const std::string& text) {
  const size_t space = text.rfind(' ');
  if (space == std::string::npos) return escape(text);
  return escape(text.substr(0, space)) + "<span class=\"unit\">" + escape(text.substr(space + 1)) +
         "</span>";
}

std::string percent_text(double part, double whole) {
  if (whole <= 0) return "0%";
  const double p = 100.0 * part / whole;
  if (p > 0 && p < 0.01) return "<0.01%";
  return html::trim_number(p, p >= 10 ? 1 : 2) + "%";
}

std::string mode_text(const RunResult& r) {
  return r.open_loop ? fmt::format("open loop at {} req/s{}", rate_text(r.options.requested_rps),
                                   arrivals_text(r.options))
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

// ---- charts ----

std::string spectrum_chart(const RunResult& r) {
  return html::spectrum_chart("chart-spectrum", "Latency and service time by percentile",
                              kWideChartWidth, 420,
                              {{"latency", "s-latency", &r.latency, false},
                               {"service time", "s-service", &r.service_time, true}});
}

// The last second may be cut short; its rate is over what it covered.
std::string partial_note(const model::TimelineEntry& e) {
  return e.duration_s < 1.0 ? fmt::format(" ({:.2f} s only)", e.duration_s) : "";
}

// The frame both per-second charts share: half width, seconds since start along x.
html::LineChart timeline_chart(const RunResult& r, std::string id, std::string description) {
  return html::timeline_frame(std::move(id), std::move(description), kHalfChartWidth,
                              html::timeline_end(r));
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
  const model::RequestedRate requested(r.options);
  if (r.open_loop && requested.shaped() && !r.timeline.empty()) {
    // The rate asked for, second by second (a ramp or steps), dashed behind what came.
    html::Series asked{"requested / s", "s-requested", {}, true};
    for (const model::TimelineEntry& e : r.timeline) {
      const double rate = requested.rps_in_second(e.second, e.duration_s);
      asked.points.push_back({static_cast<double>(e.second), rate});
      asked.points.push_back({static_cast<double>(e.second) + e.duration_s, rate});
      top = std::max(top, rate);
    }
    chart.series.insert(chart.series.begin(), std::move(asked));
  }
  chart.y = html::nice_linear_axis(0, top * 1.08, 5, true, "requests per second");
  html::abbreviate_thousands(chart.y);
  if (r.open_loop && !requested.shaped() && r.options.requested_rps > 0 && !r.timeline.empty()) {
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
  if (r.open_loop && !r.provenance.imported()) row("schedule lag", "s-lag", r.schedule_lag);
  if (r.provenance.imported()) {
    // The source's own figures beside the rebuilt ones.
    const model::LatencySummary& own = r.provenance.source_latency;
    s += fmt::format("<tr class=\"source\"><th>{}&rsquo;s own</th>", escape(r.provenance.source));
    for (double q : model::kReportPercentiles) {
      auto it = own.percentiles_ns.find(q);
      s += "<td>" + (it == own.percentiles_ns.end() ? std::string("&ndash;") : escape(duration_text(it->second))) + "</td>";
    }
    s += fmt::format("<td>{}</td><td>{}</td><td>{}</td></tr>\n", escape(duration_text(own.max_ns)),
                     escape(duration_text(static_cast<int64_t>(own.mean_ns))), group_digits(own.count));
  }
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

}  // namespace

std::string render_html(const RunResult& r) {
  const auto& o = r.options;
  std::string title = "nightjar report";
  if (!o.test_name.empty()) {
    title += ": " + o.test_name;
  } else if (!o.urls.empty()) {
    title += ": " + o.urls.front();
  }
  std::string s = html::page_start(title);
  s += header_html(r);
  s += html::warnings_html(warnings(r));
  if (r.provenance.imported()) {
    std::string items;
    for (const std::string& line : provenance_lines(r)) items += "<li>" + escape(line) + "</li>\n";
    s += panel("Imported from " + escape(r.provenance.source), "", "<ul class=\"provenance\">\n" + items + "</ul>\n");
  }
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
  const std::string imported_note = "Rebuilt from " + escape(r.provenance.source) +
                                    "&rsquo;s histogram buckets, each at its upper bound (see above); its own "
                                    "figures are in the last row of the table.";
  s += panel("Latency percentile spectrum", r.provenance.imported() ? imported_note : spectrum_note,
             spectrum_chart(r) + percentile_table(r));
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
  s += html::json_island("nightjar-result", render_json(r));
  s += "</body>\n</html>\n";
  return s;
}

}  // namespace nightjar::output
