// The terminal report.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "common/duration.h"
#include "output/formatters.h"

namespace nightjar::output {
namespace {

using model::RunResult;
using stats::HdrHistogram;

// `text` as lines of at most `width` characters where it has spaces to break at, the first
// indented by two spaces, the rest by four.
std::string wrapped(std::string_view text, size_t width = 96) {
  std::string out;
  std::string line = "  ";
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    const bool first_word = line.find_first_not_of(' ') == std::string::npos;
    if (!first_word && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = "    ";
    } else if (!first_word) {
      line += ' ';
    }
    line += word;
  }
  return out + line + "\n";
}

std::string rate_text(double rps) { return rps >= 100 ? fmt::format("{:.0f}", rps) : fmt::format("{:.2f}", rps); }

}  // namespace

std::string render_human(const RunResult& r) {
  std::string s;
  const auto& o = r.options;
  std::string targets;
  for (const std::string& url : o.urls) targets += (targets.empty() ? "" : ", ") + url;
  s += fmt::format("{} load {} {}\n", r.provenance.imported() ? r.provenance.source : "nightjar",
                   o.grpc_method.empty() ? o.method : "gRPC " + o.grpc_method, targets);
  std::string mode = r.open_loop ? fmt::format("open loop at {} req/s{}", rate_text(o.requested_rps),
                                               arrivals_text(o))
                                 : std::string("closed loop (maximum rate)");
  std::string bound = o.duration_ns > 0 ? format_duration_ns(o.duration_ns) : "";
  if (o.requests > 0) bound += (bound.empty() ? "" : ", at most ") + plural(o.requests, "request");
  s += fmt::format("  {}, {}, {}, {}", mode, bound, plural(o.connections, "connection"),
                   plural(o.threads, "thread"));
  if (o.warmup_ns > 0) s += fmt::format(", warm-up {}", format_duration_ns(o.warmup_ns));
  if (o.timeout_ns > 0) s += fmt::format(", timeout {}", format_duration_ns(o.timeout_ns));  // none when imported
  s += "\n";
  s += fmt::format("  protocol {}", r.protocol_spoken());
  if (r.protocol_spoken() != "http/1.1") s += fmt::format(", {} per connection", plural(o.max_concurrent_streams, "stream"));
  if (o.tls) {
    s += fmt::format(", TLS {}", o.tls_insecure ? "NOT VERIFIED (--insecure)" : "verified");
    if (!o.tls_sni.empty()) s += fmt::format(" for {}", o.tls_sni);
    if (!o.tls_client_cert.empty()) s += ", client certificate";
  }
  s += "\n\n";

  s += fmt::format("  {:<12}{} completed, {} errors", "Requests", r.counters.completed, r.counters.errors());
  if (r.counters.dropped > 0) s += fmt::format(", {} dropped", r.counters.dropped);
  if (r.counters.cancelled > 0) s += fmt::format(", {} cancelled", r.counters.cancelled);
  s += fmt::format(" ({} sent in {})\n", r.counters.sent, format_duration_ns(r.measured_ns));
  s += fmt::format("  {:<12}{} req/s achieved", "Rate", rate_text(r.achieved_rps()));
  if (r.open_loop) s += fmt::format(" of {} requested", rate_text(o.requested_rps));
  s += "\n";
  std::string codes;
  for (const auto& [code, count] : r.status_codes) {
    codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", code, count);
  }
  s += fmt::format("  {:<12}{}\n", "Status", codes.empty() ? "none" : codes);
  if (!r.grpc_status_codes.empty()) {
    std::string grpc;
    for (const auto& [code, count] : r.grpc_status_codes) {
      grpc += fmt::format("{}{}: {}", grpc.empty() ? "" : ", ", model::grpc_status_name(code), count);
    }
    s += fmt::format("  {:<12}{}\n", "gRPC", grpc);
  }
  if (r.counters.errors() > 0) {
    std::string kinds;
    for (int k = 0; k < model::kErrorKindCount; ++k) {
      const int64_t n = r.counters.error_counts[static_cast<size_t>(k)];
      if (n > 0) {
        kinds += fmt::format("{}{}: {}", kinds.empty() ? "" : ", ",
                             model::error_kind_name(static_cast<model::ErrorKind>(k)), n);
      }
    }
    s += fmt::format("  {:<12}{}\n", "Errors", kinds);
    for (const auto& [kind, detail] : r.error_details) s += fmt::format("  {:<12}  {}: {}\n", "", kind, detail);
  }
  if (o.tls) {
    s += fmt::format("  {:<12}{}, {} resumed\n", "TLS", plural(r.counters.tls_handshakes, "handshake"), r.counters.tls_resumed);
  }
  if (r.counters.http2_goaways + r.counters.http2_refused_streams + r.counters.http2_flow_control_stalls > 0) {
    s += fmt::format("  {:<12}{} received, {} refused and sent again, {}\n", "HTTP/2",
                     plural(r.counters.http2_goaways, "GOAWAY"), plural(r.counters.http2_refused_streams, "request"),
                     plural(r.counters.http2_flow_control_stalls, "flow-control wait"));
  }
  if (r.counters.warmup_completed > 0) s += fmt::format("  {:<12}{} responses not counted\n", "Warm-up", r.counters.warmup_completed);
  if (!r.workers.empty()) {
    s += fmt::format("  {:<12}{}{}\n", "Workers", plural(static_cast<int64_t>(r.workers.size()), "worker"),
                     r.partial ? " (PARTIAL: some failed)" : "");
    for (const model::WorkerStatus& w : r.workers) {
      const model::ShardResult* part = nullptr;
      for (const model::ShardResult& shard : r.shards) {
        if (shard.name == w.name) part = &shard;
      }
      s += w.failed ? fmt::format("    {:<24} failed after {}: {}\n", w.name, format_duration_ns(w.failed_after_ns),
                                  w.failure)
                    : fmt::format("    {:<24} {} completed, clock offset {}, round trip {}, streamed {} B\n",
                                  w.name, part != nullptr ? part->counters.completed : 0,
                                  format_duration_ns(w.clock_offset_ns), format_duration_ns(w.round_trip_ns),
                                  w.stream_bytes);
    }
  }

  s += "\n";
  s += fmt::format("  {:<14}", "");
  for (double q : model::kReportPercentiles) s += fmt::format("{:>9}", "p" + percentile_key(q));
  s += fmt::format("{:>9}{:>9}\n", "max", "mean");
  auto row = [&](std::string_view name, const HdrHistogram& h) {
    s += fmt::format("  {:<14}", name);
    for (double q : model::kReportPercentiles) s += fmt::format("{:>9}", format_duration_ns(h.value_at_percentile(q)));
    s += fmt::format("{:>9}{:>9}\n", format_duration_ns(h.max()),
                     format_duration_ns(static_cast<int64_t>(h.mean())));
  };
  row("latency", r.latency);
  row("service time", r.service_time);
  const model::Provenance& provenance = r.provenance;
  if (provenance.imported()) {
    // The source's own figures beside the rebuilt ones; "-" where it reported none.
    const model::LatencySummary& own = provenance.source_latency;
    s += fmt::format("  {:<14}", provenance.source + "'s own");
    std::string others;
    for (double q : model::kReportPercentiles) {
      auto it = own.percentiles_ns.find(q);
      s += fmt::format("{:>9}", it == own.percentiles_ns.end() ? "-" : format_duration_ns(it->second));
    }
    for (const auto& [q, ns] : own.percentiles_ns) {
      if (std::find(std::begin(model::kReportPercentiles), std::end(model::kReportPercentiles), q) ==
          std::end(model::kReportPercentiles)) {
        others += fmt::format("{}p{} {}", others.empty() ? "" : ", ", model::percentile_name(q), format_duration_ns(ns));
      }
    }
    s += fmt::format("{:>9}{:>9}\n", format_duration_ns(own.max_ns),
                     format_duration_ns(static_cast<int64_t>(own.mean_ns)));
    if (!others.empty()) s += fmt::format("  {} also reported {}\n", provenance.source, others);
    for (const std::string& line : provenance_lines(r)) s += wrapped(line);
  } else {
    if (r.open_loop) row("schedule lag", r.schedule_lag);
    s += r.open_loop ? "  latency counts from each request's intended start (coordinated-omission free);\n"
                       "  service time from its actual send; schedule lag is how late sends went out.\n"
                     : "  closed loop: each request starts when the previous one on its connection ends,\n"
                       "  so latency equals service time.\n";
  }
  s += render_slos_human(r);
  for (const std::string& w : warnings(r)) s += "\n  warning: " + w + "\n";
  return s;
}

}  // namespace nightjar::output
