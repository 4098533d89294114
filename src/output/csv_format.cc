// CSV: one row per counter and per statistic, columns section,name,value,unit (see
// docs/output.md). Long format, so runs concatenate and pivot without a fixed column set.
#include <fmt/format.h>

#include <string_view>

#include "output/formatters.h"

namespace nightjar::output {
namespace {

using model::RunResult;
using stats::HdrHistogram;

// RFC 4180: a field with a comma, a double quote, CR or LF is quoted, its quotes doubled.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

class CsvWriter {
 public:
  CsvWriter() { out_ = "section,name,value,unit\n"; }

  void row(std::string_view section, std::string_view name, std::string_view value,
           std::string_view unit) {
    out_ += fmt::format("{},{},{},{}\n", csv_field(section), csv_field(name), csv_field(value),
                        csv_field(unit));
  }
  void count(std::string_view section, std::string_view name, int64_t n) {
    row(section, name, std::to_string(n), "count");
  }
  // Shortest form that reads back to the same double: 500, 500567.5, 0.25.
  void number(std::string_view section, std::string_view name, double v, std::string_view unit) {
    row(section, name, fmt::format("{}", v), unit);
  }
  void nanos(std::string_view section, std::string_view name, int64_t ns) {
    row(section, name, std::to_string(ns), "ns");
  }

  void histogram(std::string_view section, const HdrHistogram& h) {
    count(section, "count", h.total_count());
    nanos(section, "min", h.min());
    for (double q : model::kReportPercentiles)
      nanos(section, "p" + percentile_key(q), h.value_at_percentile(q));
    nanos(section, "max", h.max());
    number(section, "mean", h.mean(), "ns");
    number(section, "stdev", h.stddev(), "ns");
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string render_csv(const RunResult& r) {
  CsvWriter csv;
  csv.row("run", "test_name", r.options.test_name, "text");
  for (const auto& [key, value] : r.options.labels) csv.row("label", key, value, "text");
  csv.row("run", "start_time", rfc3339(r.start_unix_ns), "text");
  csv.nanos("run", "duration", r.measured_ns);
  csv.row("run", "open_loop", r.open_loop ? "true" : "false", "bool");
  csv.row("run", "interrupted", r.interrupted ? "true" : "false", "bool");

  csv.number("rate", "requested_rps", r.options.requested_rps, "per_second");
  csv.number("rate", "achieved_rps", r.achieved_rps(), "per_second");

  csv.count("requests", "sent", r.counters.sent);
  csv.count("requests", "completed", r.counters.completed);
  csv.count("requests", "errors", r.counters.errors());
  csv.count("requests", "dropped", r.counters.dropped);
  csv.count("requests", "queued", r.counters.queued);
  csv.count("requests", "cancelled", r.counters.cancelled);
  csv.count("requests", "non_2xx", r.non_2xx());
  csv.count("requests", "warmup_completed", r.counters.warmup_completed);

  for (const auto& [code, n] : r.status_codes) csv.count("status", std::to_string(code), n);
  for (const auto& [code, n] : r.grpc_status_codes) csv.count("grpc_status", model::grpc_status_name(code), n);
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    csv.count("errors", model::error_kind_name(static_cast<model::ErrorKind>(k)),
              r.counters.error_counts[static_cast<size_t>(k)]);
  }

  csv.histogram("latency", r.latency);
  csv.histogram("service_time", r.service_time);
  csv.histogram("schedule_lag", r.schedule_lag);

  csv.count("transfer", "connections_opened", r.counters.connections_opened);
  if (r.options.tls) {
    csv.count("transfer", "tls_handshakes", r.counters.tls_handshakes);
    csv.count("transfer", "tls_resumed", r.counters.tls_resumed);
  }
  csv.count("transfer", "connect_failures", r.counters.connect_failures);
  csv.row("transfer", "bytes_received", std::to_string(r.counters.bytes_received), "bytes");
  return csv.take();
}

}  // namespace nightjar::output
