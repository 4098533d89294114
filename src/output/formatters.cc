#include "output/formatters.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/duration.h"

namespace nightjar::output {
namespace {

using model::RunResult;
using stats::HdrHistogram;

constexpr int64_t kLagWarningNs = kNanosPerMilli;  // p99 schedule lag worth telling about

std::string rfc3339(int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", buf, (unix_ns % kNanosPerSecond) / 1000);
}

nlohmann::ordered_json histogram_json(const HdrHistogram& h) {
  nlohmann::ordered_json j;
  j["count"] = h.total_count();
  j["min"] = h.min();
  j["mean"] = h.mean();
  j["max"] = h.max();
  j["stdev"] = h.stddev();
  nlohmann::ordered_json p = nlohmann::ordered_json::object();
  for (double q : model::kReportPercentiles) p[percentile_key(q)] = h.value_at_percentile(q);
  p["100"] = h.max();
  j["percentiles"] = p;
  return j;
}

std::string plural(int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string rate_text(double rps) { return rps >= 100 ? fmt::format("{:.0f}", rps) : fmt::format("{:.2f}", rps); }

}  // namespace

Result<Format> parse_format(std::string_view name) {
  if (name == "human") return Format::kHuman;
  if (name == "json") return Format::kJson;
  return Status::invalid_argument("unknown output format '" + std::string(name) + "' (known: human, json)");
}

std::string percentile_key(double percentile) { return fmt::format("{:g}", percentile); }

std::vector<std::string> warnings(const RunResult& r) {
  std::vector<std::string> out;
  if (r.interrupted) {
    out.push_back(fmt::format("the run was interrupted; {} in flight or queued were cancelled",
                              plural(r.cancelled, "request")));
  }
  const int64_t lag_p99 = r.schedule_lag.value_at_percentile(99);
  if (r.open_loop && r.schedule_lag.total_count() > 0 && lag_p99 > kLagWarningNs) {
    std::string cause =
        r.queued > 0
            ? fmt::format("{} waited for a free connection: the target did not keep up with "
                          "{} (latency still counts from each intended start; more "
                          "--connections keeps the plan's pace)",
                          plural(r.queued, "request"), plural(r.options.connections, "connection"))
            : "the generator itself was late (more --threads, or a less busy machine)";
    out.push_back(fmt::format("sends fell behind schedule: p99 {} late, max {}; {}",
                              format_duration_ns(lag_p99), format_duration_ns(r.schedule_lag.max()),
                              cause));
  }
  if (r.dropped > 0) {
    out.push_back(fmt::format("{} dropped: the client-side queue (--max-pending {}) was full",
                              plural(r.dropped, "arrival"), r.options.max_pending));
  }
  if (r.latency.out_of_range_count() > 0) {
    out.push_back(fmt::format("{} beyond the histogram's range (1 hour) were not recorded",
                              plural(r.latency.out_of_range_count(), "latency")));
  }
  if (r.completed == 0 && r.errors > 0) {
    out.push_back("no request succeeded: check that the target is up and the URL is right");
  }
  return out;
}

std::string render_human(const RunResult& r) {
  std::string s;
  const auto& o = r.options;
  std::string targets;
  for (const std::string& url : o.urls) targets += (targets.empty() ? "" : ", ") + url;
  s += fmt::format("nightjar load {} {}\n", o.method, targets);
  std::string mode = r.open_loop ? fmt::format("open loop at {} req/s", rate_text(o.requested_rps))
                                 : std::string("closed loop (maximum rate)");
  std::string bound = o.duration_ns > 0 ? format_duration_ns(o.duration_ns) : "";
  if (o.requests > 0) bound += (bound.empty() ? "" : ", at most ") + plural(o.requests, "request");
  s += fmt::format("  {}, {}, {}, {}", mode, bound, plural(o.connections, "connection"),
                   plural(o.threads, "thread"));
  if (o.warmup_ns > 0) s += fmt::format(", warm-up {}", format_duration_ns(o.warmup_ns));
  s += fmt::format(", timeout {}\n\n", format_duration_ns(o.timeout_ns));

  s += fmt::format("  {:<12}{} completed, {} errors", "Requests", r.completed, r.errors);
  if (r.dropped > 0) s += fmt::format(", {} dropped", r.dropped);
  if (r.cancelled > 0) s += fmt::format(", {} cancelled", r.cancelled);
  s += fmt::format(" ({} sent in {})\n", r.sent, format_duration_ns(r.measured_ns));
  s += fmt::format("  {:<12}{} req/s achieved", "Rate", rate_text(r.achieved_rps()));
  if (r.open_loop) s += fmt::format(" of {} requested", rate_text(o.requested_rps));
  s += "\n";
  std::string codes;
  for (const auto& [code, count] : r.status_codes) {
    codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", code, count);
  }
  s += fmt::format("  {:<12}{}\n", "Status", codes.empty() ? "none" : codes);
  if (r.errors > 0) {
    std::string kinds;
    for (int k = 0; k < model::kErrorKindCount; ++k) {
      const int64_t n = r.error_counts[static_cast<size_t>(k)];
      if (n > 0) {
        kinds += fmt::format("{}{}: {}", kinds.empty() ? "" : ", ",
                             model::error_kind_name(static_cast<model::ErrorKind>(k)), n);
      }
    }
    s += fmt::format("  {:<12}{}\n", "Errors", kinds);
  }
  if (r.warmup_completed > 0) s += fmt::format("  {:<12}{} responses not counted\n", "Warm-up", r.warmup_completed);

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
  if (r.open_loop) row("schedule lag", r.schedule_lag);
  s += r.open_loop ? "  latency counts from each request's intended start (coordinated-omission free);\n"
                     "  service time from its actual send; schedule lag is how late sends went out.\n"
                   : "  closed loop: each request starts when the previous one on its connection ends,\n"
                     "  so latency equals service time.\n";
  for (const std::string& w : warnings(r)) s += "\n  warning: " + w + "\n";
  return s;
}

std::string render_json(const RunResult& r) {
  nlohmann::ordered_json j;
  const auto& o = r.options;
  j["tool"] = "nightjar";
  j["version"] = "0.1.0";
  j["options"] = {{"urls", o.urls},
                  {"method", o.method},
                  {"requested_rps", o.requested_rps},
                  {"duration_ns", o.duration_ns},
                  {"requests", o.requests},
                  {"warmup_ns", o.warmup_ns},
                  {"timeout_ns", o.timeout_ns},
                  {"connections", o.connections},
                  {"threads", o.threads},
                  {"max_pending", o.max_pending}};
  j["open_loop"] = r.open_loop;
  j["interrupted"] = r.interrupted;
  j["start_time"] = rfc3339(r.start_unix_ns);
  j["duration_ns"] = r.measured_ns;
  j["requested_rps"] = o.requested_rps;
  j["achieved_rps"] = r.achieved_rps();
  j["requests"] = {{"sent", r.sent},         {"completed", r.completed},
                   {"errors", r.errors},     {"dropped", r.dropped},
                   {"queued", r.queued},     {"cancelled", r.cancelled},
                   {"non_2xx", r.non_2xx()}, {"warmup_completed", r.warmup_completed}};
  nlohmann::ordered_json kinds = nlohmann::ordered_json::object();
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    kinds[std::string(model::error_kind_name(static_cast<model::ErrorKind>(k)))] =
        r.error_counts[static_cast<size_t>(k)];
  }
  j["errors_by_kind"] = kinds;
  nlohmann::ordered_json codes = nlohmann::ordered_json::object();
  for (const auto& [code, count] : r.status_codes) codes[std::to_string(code)] = count;
  j["status_codes"] = codes;
  j["latency_ns"] = histogram_json(r.latency);
  j["service_time_ns"] = histogram_json(r.service_time);
  j["schedule_lag_ns"] = histogram_json(r.schedule_lag);
  j["connections_opened"] = r.connections_opened;
  j["bytes_received"] = r.bytes_received;
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  for (const model::TimelineEntry& e : r.timeline) {
    timeline.push_back({{"second", e.second},
                        {"duration_s", e.duration_s},
                        {"completed", e.completed},
                        {"errors", e.errors},
                        {"rps", e.duration_s > 0 ? static_cast<double>(e.completed) / e.duration_s : 0.0},
                        {"latency_ns", {{"p50", e.latency_p50_ns}, {"p90", e.latency_p90_ns},
                                        {"p99", e.latency_p99_ns}, {"max", e.latency_max_ns}}},
                        {"service_time_ns", {{"p50", e.service_time_p50_ns}, {"p99", e.service_time_p99_ns}}}});
  }
  j["timeline"] = timeline;
  j["warnings"] = warnings(r);
  return j.dump(2) + "\n";
}

std::string render(const RunResult& result, Format format) {
  return format == Format::kJson ? render_json(result) : render_human(result);
}

}  // namespace nightjar::output
