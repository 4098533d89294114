#include "output/formatters.h"

#include <fmt/format.h>

#include <ctime>

#include "common/duration.h"

namespace nightjar::output {
namespace {

using model::RunResult;

constexpr int64_t kLagWarningNs = kNanosPerMilli;  // p99 schedule lag worth telling about

struct NamedFormat {
  std::string_view name;
  Format format;
};
constexpr NamedFormat kFormats[] = {
    {"human", Format::kHuman}, {"json", Format::kJson},     {"yaml", Format::kYaml},
    {"csv", Format::kCsv},     {"prometheus", Format::kPrometheus}, {"fortio", Format::kFortio},
    {"smps", Format::kSmps},   {"html", Format::kHtml}, {"junit", Format::kJunit},
};

}  // namespace

std::string format_names() {
  std::string names;
  for (const NamedFormat& f : kFormats) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

Result<Format> parse_format(std::string_view name) {
  for (const NamedFormat& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return Status::invalid_argument("unknown output format '" + std::string(name) + "' (known: " + format_names() +
                                  ")");
}

std::string render(const RunResult& result, Format format) {
  switch (format) {
    case Format::kHuman: return render_human(result);
    case Format::kJson: return render_json(result);
    case Format::kYaml: return render_yaml(result);
    case Format::kCsv: return render_csv(result);
    case Format::kPrometheus: return render_prometheus(result);
    case Format::kFortio: return render_fortio(result);
    case Format::kSmps: return render_smps(result);
    case Format::kHtml: return render_html(result);
    case Format::kJunit: return render_junit(result);
  }
  return render_human(result);
}

std::string arrivals_text(const model::RunOptions& o) {
  std::string text;
  if (!o.rate_shape.empty()) {
    // Stages ramp (a segment's ends differ somewhere); a pace file steps.
    bool ramps = false;
    for (const model::RateSegment& s : o.rate_shape) ramps = ramps || s.from_rps != s.to_rps;
    if (ramps) {
      text = " (mean of stages " + fmt::format("{:g}", o.rate_shape.front().from_rps);
      for (const model::RateSegment& s : o.rate_shape) text += fmt::format(" → {:g}", s.to_rps);
      text += " req/s)";
    } else {
      text = " (mean of " + plural(static_cast<int64_t>(o.rate_shape.size()), "paced step") + ")";
    }
  }
  if (o.arrival == "poisson") text += fmt::format(", Poisson arrivals (seed {})", o.seed);
  return text;
}

std::string plural(int64_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string duration_text(int64_t ns) {
  const std::string s = format_duration_ns(ns);
  const size_t unit = s.find_first_not_of("-0123456789.");
  if (unit == std::string::npos || unit == 0) return s;
  if (s.find_first_of("0123456789", unit) != std::string::npos) return s;
  return s.substr(0, unit) + " " + s.substr(unit);
}

std::string percentile_key(double percentile) { return fmt::format("{:g}", percentile); }

std::string rfc3339(int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / kNanosPerSecond);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}Z", buf, (unix_ns % kNanosPerSecond) / 1000);
}

std::vector<std::string> warnings(const RunResult& r) {
  std::vector<std::string> out;
  for (const model::WorkerStatus& w : r.workers) {
    if (w.failed) {
      out.push_back(fmt::format("partial result: worker {} failed after {} ({}); the others went on",
                                w.name, format_duration_ns(w.failed_after_ns), w.failure));
    }
  }
  for (const model::WorkerStatus& w : r.workers) {
    if (std::llabs(w.clock_offset_ns) > 100 * kNanosPerMilli) {
      out.push_back(fmt::format("worker {}'s clock is {} off this machine's; its start was adjusted, "
                                "but synchronise clocks (NTP) for timelines that line up",
                                w.name, format_duration_ns(std::llabs(w.clock_offset_ns))));
    }
  }
  if (r.options.tls && r.options.tls_insecure) {
    out.push_back("TLS certificates were not verified (--insecure): the target's identity is unchecked");
  }
  if (r.interrupted) {
    out.push_back(fmt::format("the run was interrupted; {} in flight or queued were cancelled",
                              plural(r.counters.cancelled, "request")));
  }
  const int64_t lag_p99 = r.schedule_lag.value_at_percentile(99);
  if (r.open_loop && r.schedule_lag.total_count() > 0 && lag_p99 > kLagWarningNs) {
    std::string cause =
        r.counters.queued > 0
            ? fmt::format("{} waited for a free connection: the target did not keep up with "
                          "{} (latency still counts from each intended start; more "
                          "--connections keeps the plan's pace)",
                          plural(r.counters.queued, "request"), plural(r.options.connections, "connection"))
            : "the generator itself was late (more --threads, or a less busy machine)";
    out.push_back(fmt::format("sends fell behind schedule: p99 {} late, max {}; {}",
                              format_duration_ns(lag_p99), format_duration_ns(r.schedule_lag.max()),
                              cause));
  }
  if (r.counters.dropped > 0) {
    out.push_back(fmt::format("{} dropped: the client-side queue (--max-pending {}) was full",
                              plural(r.counters.dropped, "arrival"), r.options.max_pending));
  }
  if (r.latency.out_of_range_count() > 0) {
    out.push_back(fmt::format("{} beyond the histogram's range (1 hour) were not recorded",
                              plural(r.latency.out_of_range_count(), "latency value")));
  }
  if (r.counters.completed == 0 && r.counters.errors() > 0) {
    if (r.error_details.count("tls") != 0) {
      out.push_back("no request succeeded: TLS: " + r.error_details.at("tls"));
    } else {
      out.push_back("no request succeeded: check that the target is up and the URL is right");
    }
  }
  return out;
}

std::vector<std::string> provenance_lines(const RunResult& r) {
  const model::Provenance& p = r.provenance;
  if (!p.imported()) return {};
  auto list = [](const std::vector<std::string>& figures) {
    std::string text;
    for (const std::string& f : figures) text += (text.empty() ? "" : ", ") + f;
    return text.empty() ? std::string("none") : text;
  };
  std::vector<std::string> out = {fmt::format("imported from {}{}: exact: {}; approximate: {}", p.source,
                                              p.source_version.empty() ? "" : " " + p.source_version,
                                              list(p.exact), list(p.approximate))};
  out.insert(out.end(), p.notes.begin(), p.notes.end());
  return out;
}

}  // namespace nightjar::output
