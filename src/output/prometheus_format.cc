// Prometheus text exposition format, version 0.0.4: one # HELP and one # TYPE line per
// metric family, then its samples. Durations in seconds and counters ending in _total, as
// Prometheus' naming conventions ask; histograms as summaries with quantile labels. No
// timestamps, so the output can be pushed to a Pushgateway as is. Every sample carries the
// run's test_name (when given) and its --label pairs.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "output/formatters.h"

namespace nightjar::output {
namespace {

using model::RunResult;
using stats::HdrHistogram;
using Labels = std::vector<std::pair<std::string, std::string>>;

// The label names our own samples use; a --label with one of these names is renamed.
constexpr std::string_view kOwnLabelNames[] = {"test_name", "quantile", "outcome", "code", "kind"};

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label names must match [a-zA-Z_][a-zA-Z0-9_]* and may not start with "__" (reserved).
// Other characters become '_' (mesh-version -> mesh_version); a leading digit or "__" gets
// a "label_" prefix, as does a name our samples already use (quantile -> label_quantile).
std::string sanitize_label_name(std::string_view key) {
  std::string name;
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    name += (std::isalnum(u) != 0 && u < 0x80) || c == '_' ? c : '_';
  }
  bool own = false;
  for (std::string_view n : kOwnLabelNames) own = own || name == n;
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0 ||
      name.rfind("__", 0) == 0 || own) {
    name = "label_" + name;
  }
  return name;
}

// The labels on every sample: test_name, then --label pairs in name order. Names that
// collide after sanitizing get a numeric suffix so no sample repeats a label name.
Labels common_labels(const RunResult& r) {
  Labels labels;
  std::set<std::string> used(std::begin(kOwnLabelNames), std::end(kOwnLabelNames));
  if (!r.options.test_name.empty()) labels.emplace_back("test_name", r.options.test_name);
  for (const auto& [key, value] : r.options.labels) {
    std::string name = sanitize_label_name(key);
    for (int i = 2; used.count(name) != 0; ++i)
      name = sanitize_label_name(key) + "_" + std::to_string(i);
    used.insert(name);
    labels.emplace_back(name, value);
  }
  return labels;
}

// Go's ParseFloat reads these: shortest round-trip form, NaN, +Inf, -Inf.
std::string float_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

double seconds(double ns) { return ns / static_cast<double>(kNanosPerSecond); }

class Exposition {
 public:
  explicit Exposition(Labels common) : common_(std::move(common)) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
  }
  void sample(std::string_view name, const Labels& own, std::string_view value) {
    out_ += name;
    std::string labels;
    for (const auto* set : {&common_, &own}) {
      for (const auto& [key, v] : *set) {
        labels += fmt::format("{}{}=\"{}\"", labels.empty() ? "" : ",", key, escape_label_value(v));
      }
    }
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += fmt::format(" {}\n", value);
  }
  void sample(std::string_view name, const Labels& own, int64_t value) {
    sample(name, own, std::to_string(value));
  }
  void sample(std::string_view name, const Labels& own, double value) {
    sample(name, own, float_value(value));
  }

  void summary_seconds(std::string_view name, std::string_view help, const HdrHistogram& h) {
    family(name, "summary", help);
    for (double q : model::kReportPercentiles) {
      sample(name, {{"quantile", fmt::format("{:.10g}", q / 100)}},
             seconds(static_cast<double>(h.value_at_percentile(q))));
    }
    sample(name, {{"quantile", "1"}}, seconds(static_cast<double>(h.max())));
    sample(fmt::format("{}_sum", name), {}, seconds(static_cast<double>(h.sum_approx())));
    sample(fmt::format("{}_count", name), {}, h.total_count());
  }
  void counter(std::string_view name, std::string_view help, int64_t value) {
    family(name, "counter", help);
    sample(name, {}, value);
  }
  void gauge(std::string_view name, std::string_view help, double value) {
    family(name, "gauge", help);
    sample(name, {}, value);
  }

  std::string take() { return std::move(out_); }

 private:
  const Labels common_;
  std::string out_;
};

}  // namespace

std::string render_prometheus(const RunResult& r) {
  Exposition out(common_labels(r));
  out.summary_seconds(
      "nightjar_latency_seconds",
      "Latency from each request's intended start (open loop) or its send (closed loop); "
      "quantile 1 is the maximum.",
      r.latency);
  out.summary_seconds(
      "nightjar_service_time_seconds",
      "Time from each request's actual send to its complete response; quantile 1 is the maximum.",
      r.service_time);
  out.summary_seconds("nightjar_schedule_lag_seconds",
                      "How late each request was sent after its intended start (open loop); "
                      "quantile 1 is the maximum.",
                      r.schedule_lag);

  out.family(
      "nightjar_requests_total", "counter",
      "Arrivals in the measurement window by how they ended: completed (a response, any status), "
      "errors (no response), dropped (--max-pending full), cancelled (run interrupted).");
  out.sample("nightjar_requests_total", {{"outcome", "completed"}}, r.counters.completed);
  out.sample("nightjar_requests_total", {{"outcome", "errors"}}, r.counters.errors());
  out.sample("nightjar_requests_total", {{"outcome", "dropped"}}, r.counters.dropped);
  out.sample("nightjar_requests_total", {{"outcome", "cancelled"}}, r.counters.cancelled);
  out.counter("nightjar_requests_sent_total", "Requests written to a connection.", r.counters.sent);
  out.counter("nightjar_requests_queued_total", "Arrivals that waited for a free connection.",
              r.counters.queued);

  out.family("nightjar_responses_total", "counter", "Responses by HTTP status code.");
  for (const auto& [code, n] : r.status_codes)
    out.sample("nightjar_responses_total", {{"code", std::to_string(code)}}, n);
  if (!r.grpc_status_codes.empty()) {
    out.family("nightjar_grpc_responses_total", "counter", "gRPC responses by grpc-status.");
    for (const auto& [code, n] : r.grpc_status_codes)
      out.sample("nightjar_grpc_responses_total", {{"status", model::grpc_status_name(code)}}, n);
  }
  out.family("nightjar_errors_total", "counter",
             "Requests that got no response, by kind of failure.");
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    out.sample("nightjar_errors_total",
               {{"kind", std::string(model::error_kind_name(static_cast<model::ErrorKind>(k)))}},
               r.counters.error_counts[static_cast<size_t>(k)]);
  }
  out.counter("nightjar_connections_opened_total", "Connections opened during the run.",
              r.counters.connections_opened);
  out.counter("nightjar_connect_failures_total", "Failed connection attempts (warm-up included).",
              r.counters.connect_failures);
  if (r.options.tls) {
    out.counter("nightjar_tls_handshakes_total", "TLS handshakes completed (warm-up included).", r.counters.tls_handshakes);
    out.counter("nightjar_tls_resumed_total", "TLS handshakes that resumed an earlier session.", r.counters.tls_resumed);
  }
  out.counter("nightjar_received_bytes_total", "Response header and body bytes received.",
              r.counters.bytes_received);

  out.gauge("nightjar_requested_rps",
            "Requested arrival rate in requests per second (0: closed loop, as fast as possible).",
            r.options.requested_rps);
  out.gauge("nightjar_achieved_rps", "Completed responses per second of the measurement window.",
            r.achieved_rps());
  out.gauge("nightjar_run_duration_seconds", "Length of the measurement window.",
            seconds(static_cast<double>(r.measured_ns)));
  out.gauge("nightjar_run_start_timestamp_seconds",
            "Wall-clock start of the measurement window, in Unix seconds.",
            seconds(static_cast<double>(r.start_unix_ns)));
  return out.take();
}

}  // namespace nightjar::output
