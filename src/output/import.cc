// `nightjar results import`: nightjar JSON, fortio's HTTP result and Meshery's stored results
// read into RunResults (import.h). fortio's field names, types and units are those of its Go
// structs (fhttp.HTTPRunnerResults): latencies in seconds as floats, ActualDuration in integer
// nanoseconds, RequestedQPS a string; docs/output.md describes the same keys as nightjar writes
// them, and docs/results.md#importing how each is read.
#include "output/import.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/duration.h"
#include "output/json_reader.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using nlohmann::json;
using model::RunResult;

// The longest latency nightjar's histograms hold (HdrHistogram::kDefaultHighest), in seconds.
constexpr double kMaxLatencySeconds =
    static_cast<double>(stats::HdrHistogram::kDefaultHighest) / static_cast<double>(kNanosPerSecond);
constexpr std::string_view kLatencyRange = " s (nightjar's histograms hold up to an hour)";
// Meshery writes fortio's Labels as "<title> -_- <URL>" and its UI splits them there.
constexpr std::string_view kMesheryLabelSeparator = " -_- ";

int64_t to_ns(double seconds) { return std::llround(seconds * static_cast<double>(kNanosPerSecond)); }

// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 as Go's time.Time writes it: "2020-09-08T16:29:19.35507+05:30",
// "2022-04-26T19:56:40.358118Z" (fractions to the nanosecond; more digits are cut). nullopt
// for anything else, or a time beyond int64 nanoseconds since 1970 (1677 to 2262).
std::optional<int64_t> parse_rfc3339_ns(std::string_view t) {
  auto digits = [&t](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > t.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) || *hour > 23 ||
      *minute > 59 || *second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t fraction_ns = 0;
  if (pos < t.size() && t[pos] == '.') {
    const size_t first = ++pos;
    int64_t scale = kNanosPerSecond;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (scale > 1) {
        scale /= 10;
        fraction_ns += (t[pos] - '0') * scale;
      }
      ++pos;
    }
    if (pos == first) return std::nullopt;
  }
  int offset_s = 0;
  if (pos < t.size() && (t[pos] == 'Z' || t[pos] == 'z')) {
    ++pos;
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const auto zone_hour = digits(pos + 1, 2), zone_minute = digits(pos + 4, 2);
    if (!zone_hour || !zone_minute || t[pos + 3] != ':' || *zone_hour > 23 || *zone_minute > 59) return std::nullopt;
    offset_s = (t[pos] == '-' ? -1 : 1) * (*zone_hour * 3600 + *zone_minute * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const int64_t seconds = days_from_civil(*year, *month, *day) * 86400 + *hour * 3600 + *minute * 60 + *second - offset_s;
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNanosPerSecond, &ns) || __builtin_add_overflow(ns, fraction_ns, &ns)) {
    return std::nullopt;
  }
  return ns;
}

// fortio's RequestedQPS: "max" (as fast as it can: 0 here) or a number, as a string (a number
// is taken too).
double requested_rps(JsonReader& in, const json& f, const std::string& p) {
  const json* v = JsonReader::find(f, "RequestedQPS");
  if (v == nullptr || v->is_null()) {
    in.fail(p + "RequestedQPS is missing");
    return 0;
  }
  if (v->is_number()) return in.number_in(f, p, "RequestedQPS", 0, 1e12, " requests per second", true);
  if (!v->is_string()) {
    in.fail(p + "RequestedQPS" + JsonReader::wrong_type(*v));
    return 0;
  }
  const std::string& text = v->get_ref<const std::string&>();
  if (text == "max") return 0;
  double rps = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rps);
  if (ec != std::errc() || end != text.data() + text.size() || !(rps >= 0 && rps <= 1e12)) {
    in.fail(p + "RequestedQPS '" + text + "' is neither \"max\" nor a rate from 0 to 1e12");
    return 0;
  }
  return rps;
}

// One of fortio's DurationHistogram.Data entries, as far as the rebuilt histogram needs it.
struct Bucket {
  int64_t end_ns = 0;
  int64_t count = 0;
};

// fortio's buckets as an HdrHistogram: each bucket's calls at its upper bound (End), except one
// call of the first non-empty bucket at Min and one of the last at Max, so the minimum and
// maximum are fortio's. Values are clamped to [Min, Max].
stats::HdrHistogram rebuild_histogram(const std::vector<Bucket>& buckets, int64_t min_ns, int64_t max_ns) {
  stats::HdrHistogram h;
  const auto non_empty = [](const Bucket& b) { return b.count > 0; };
  const auto first = std::find_if(buckets.begin(), buckets.end(), non_empty);
  if (first == buckets.end()) return h;
  const auto last = std::find_if(buckets.rbegin(), buckets.rend(), non_empty).base() - 1;
  for (auto b = first; b <= last; ++b) {
    int64_t n = b->count;
    if (b == first && n > 0) {
      h.record(min_ns);
      --n;
    }
    if (b == last && n > 0) {
      h.record(max_ns);
      --n;
    }
    if (n > 0) h.record_n(std::clamp(b->end_ns, min_ns, max_ns), n);
  }
  return h;
}

// fortio's DurationHistogram at `h` (path `hp`): the source's own latency figures into
// `summary`, the buckets into the returned list.
std::vector<Bucket> read_duration_histogram(JsonReader& in, const json& h, const std::string& hp,
                                            model::LatencySummary& summary) {
  summary.count = in.count(h, hp, "Count", true);
  const bool any = summary.count > 0;
  const double min_s = in.number_in(h, hp, "Min", 0, kMaxLatencySeconds, kLatencyRange, any);
  const double max_s = in.number_in(h, hp, "Max", 0, kMaxLatencySeconds, kLatencyRange, any);
  if (min_s > max_s) in.fail(fmt::format("{}Min ({} s) is above Max ({} s)", hp, min_s, max_s));
  summary.min_ns = to_ns(min_s);
  summary.max_ns = to_ns(max_s);
  summary.mean_ns = in.number_in(h, hp, "Avg", 0, kMaxLatencySeconds, kLatencyRange, false) * 1e9;
  summary.stdev_ns = in.number_in(h, hp, "StdDev", 0, kMaxLatencySeconds, kLatencyRange, false) * 1e9;

  const json& percentiles = in.bounded_array(h, hp, "Percentiles", kMaxFortioPercentiles);
  for (size_t i = 0; i < percentiles.size(); ++i) {
    const std::string ep = fmt::format("{}Percentiles[{}]", hp, i);
    const json& e = in.element(percentiles, i, ep);
    const double percentile = in.number_in(e, ep + ".", "Percentile", 0, 100, "", true);
    summary.percentiles_ns[percentile] = to_ns(in.number_in(e, ep + ".", "Value", 0, kMaxLatencySeconds, kLatencyRange, true));
  }

  std::vector<Bucket> buckets;
  const json& data = in.bounded_array(h, hp, "Data", kMaxFortioBuckets);
  int64_t total = 0;
  double previous_end = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const std::string ep = fmt::format("{}Data[{}]", hp, i);
    const json& e = in.element(data, i, ep);
    const double start = in.number_in(e, ep + ".", "Start", 0, kMaxLatencySeconds, kLatencyRange, true);
    const double end = in.number_in(e, ep + ".", "End", 0, kMaxLatencySeconds, kLatencyRange, true);
    const int64_t count = in.count(e, ep + ".", "Count", true);
    in.get<double>(e, ep + ".", "Percent", 0, false);  // cumulative, derived: only its type is checked
    if (end < start) in.fail(fmt::format("{}.End ({} s) is below its Start ({} s)", ep, end, start));
    if (end < previous_end) {
      in.fail(fmt::format("{}.End ({} s) is below the End of the bucket before it: buckets must ascend", ep, end));
    }
    if (__builtin_add_overflow(total, count, &total)) in.fail(ep + ".Count: the buckets' counts add up beyond 2^63");
    previous_end = end;
    buckets.push_back({to_ns(end), count});
  }
  if (!in.failed() && total != summary.count) {
    in.fail(fmt::format("{}Data: its buckets count {} calls, but Count is {}", hp, total, summary.count));
  }
  return buckets;
}

// fortio's HTTP runner result at `f`, whose path in the file is `p` ("" or "[1].runner_results[0].").
RunResult read_fortio(JsonReader& in, const json& f, const std::string& p) {
  RunResult r;
  model::RunOptions& o = r.options;
  const std::string run_type = in.get<std::string>(f, p, "RunType", "HTTP", false);
  if (run_type != "HTTP") in.fail(p + "RunType is '" + run_type + "': only fortio's HTTP results can be imported");
  const std::string labels = in.get<std::string>(f, p, "Labels", "", false);
  o.test_name = labels.substr(0, labels.find(kMesheryLabelSeparator));
  if (std::string url = in.get<std::string>(f, p, "URL", "", false); !url.empty()) o.urls = {std::move(url)};
  const std::string start = in.get<std::string>(f, p, "StartTime", "", true);
  const std::optional<int64_t> start_ns = parse_rfc3339_ns(start);
  if (!start_ns) in.fail(p + "StartTime '" + start + "' is not an RFC 3339 time from 1678 to 2261");
  r.start_unix_ns = start_ns.value_or(0);
  o.requested_rps = requested_rps(in, f, p);
  r.open_loop = o.requested_rps > 0;
  o.requests = in.count(f, p, "Exactly", false);
  // "10s", "1m30s"; "exactly N calls[, interrupted after M]" (Exactly says N); "until stop".
  const std::string duration = in.get<std::string>(f, p, "RequestedDuration", "", false);
  if (!duration.empty() && !duration.starts_with("exactly ") && duration != "until stop") {
    auto ns = parse_duration_ns(duration);
    if (!ns.ok()) in.fail(p + "RequestedDuration: " + ns.status().message());
    o.duration_ns = ns.ok() ? *ns : 0;
  }
  r.measured_ns = in.count(f, p, "ActualDuration", true);
  if (__builtin_add_overflow(r.start_unix_ns, r.measured_ns, &r.end_unix_ns)) {
    in.fail(p + "StartTime + ActualDuration is beyond the year 2262");
  }
  const int connections = in.get<int>(f, p, "NumThreads", 0, false);
  if (connections < 0) in.fail(fmt::format("{}NumThreads must not be negative (it is {})", p, connections));
  o.connections = o.threads = std::max(connections, 0);  // fortio: one goroutine and connection each

  // RetCodes: responses by HTTP status, and calls that got none under -1 (fortio's socket error).
  const json& codes = in.object(f, p, "RetCodes");
  int64_t answered = 0;
  int64_t unanswered = 0;
  for (const auto& [key, value] : codes.items()) {
    int code = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), code);
    const int64_t n = in.count(codes, p + "RetCodes.", key, true);
    if (ec != std::errc() || end != key.data() + key.size() || code < -1 || code > 999) {
      in.fail(p + "RetCodes has a key that is neither an HTTP status nor -1: '" + key + "'");
      continue;
    }
    if (code == -1) {
      unanswered = n;
    } else {
      r.status_codes[code] = n;
      if (__builtin_add_overflow(answered, n, &answered)) in.fail(p + "RetCodes: the counts add up beyond 2^63");
    }
  }
  r.counters.completed = answered;
  r.counters.errors_of(model::ErrorKind::kOther) = unanswered;
  if (__builtin_add_overflow(answered, unanswered, &r.counters.sent)) {
    in.fail(p + "RetCodes: the counts add up beyond 2^63");
  }

  model::Provenance& provenance = r.provenance;
  const std::string hp = p + "DurationHistogram.";
  const std::vector<Bucket> buckets =
      read_duration_histogram(in, in.object(f, p, "DurationHistogram", true), hp, provenance.source_latency);
  // fortio counts every call in its histogram; nightjar's own fortio output, responses only.
  const int64_t timed = provenance.source_latency.count;
  if (!in.failed() && timed != r.counters.sent && timed != r.counters.completed) {
    in.fail(fmt::format("{}Count is {}, but RetCodes count {} calls ({} answered): fortio's Count is every call", hp,
                        timed, r.counters.sent, r.counters.completed));
  }
  const json& sizes = in.object(f, p, "Sizes");
  r.counters.bytes_received = std::llround(in.number_in(sizes, p + "Sizes.", "Sum", 0, 9e18, " bytes", false));
  r.counters.connections_opened = in.count(f, p, "SocketCount", false);
  if (in.failed()) return r;

  r.latency = rebuild_histogram(buckets, provenance.source_latency.min_ns, provenance.source_latency.max_ns);
  r.service_time = r.latency;  // fortio times each call from its actual send
  provenance.source = "fortio";
  provenance.source_version = in.get<std::string>(f, p, "Version", "", false);
  provenance.exact = {"count", "min", "max", "rate", "duration", "status codes"};
  provenance.approximate = {"percentiles", "mean", "stdev"};
  provenance.notes = {
      "fortio keeps latencies in buckets: each bucket's calls are taken at its upper bound, so the percentiles, "
      "mean and stdev are upper bounds; fortio's own figures are shown beside them",
      "fortio times each call from its actual send, without correction for coordinated omission"};
  if (timed == r.counters.sent && unanswered > 0) {
    provenance.notes.push_back(fmt::format("fortio's latencies include the {} calls that got no response", unanswered));
  }
  return r;
}

// A Meshery result at `entry` (path `p`): fortio's result under runner_results (an object, or a
// list of them), Meshery's name as the test name and its ids as labels.
void read_meshery(JsonReader& in, const json& entry, const std::string& p, std::vector<ImportedRun>& runs) {
  std::vector<std::pair<const json*, std::string>> results;
  const json* runner_results = JsonReader::find(entry, "runner_results");
  if (runner_results != nullptr && runner_results->is_array()) {
    const json& list = in.bounded_array(entry, p, "runner_results", kMaxImportRuns);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string path = fmt::format("{}runner_results[{}]", p, i);
      results.emplace_back(&in.element(list, i, path), path + ".");
    }
  } else {
    results.emplace_back(&in.object(entry, p, "runner_results", true), p + "runner_results.");
  }
  const std::string name = in.get<std::string>(entry, p, "name", "", false);
  std::map<std::string, std::string> labels;
  for (const auto& [key, label] : {std::pair{"meshery_id", "meshery.id"}, std::pair{"performance_profile", "meshery.profile"},
                                   std::pair{"test_id", "meshery.test_id"}, std::pair{"mesh", "mesh"}}) {
    if (std::string value = in.get<std::string>(entry, p, key, "", false); !value.empty()) labels[label] = value;
  }
  for (const auto& [result, path] : results) {
    const std::string generator = in.get<std::string>(*result, path, "load-generator", "fortio", false);
    if (generator != "fortio") {
      in.fail(path + "load-generator is '" + generator + "': only fortio's results can be imported");
      return;
    }
    RunResult r = read_fortio(in, *result, path);
    if (!name.empty()) r.options.test_name = name;
    r.options.labels.insert(labels.begin(), labels.end());
    runs.push_back({std::move(r), ImportFormat::kMeshery, ""});
  }
}

std::optional<ImportFormat> detect(const json& e) {
  if (const json* tool = JsonReader::find(e, "tool"); tool != nullptr && *tool == "nightjar") {
    return ImportFormat::kNightjar;
  }
  if (JsonReader::find(e, "runner_results") != nullptr) return ImportFormat::kMeshery;
  if (JsonReader::find(e, "DurationHistogram") != nullptr) return ImportFormat::kFortio;
  return std::nullopt;
}

}  // namespace

std::string_view import_format_name(ImportFormat format) {
  switch (format) {
    case ImportFormat::kNightjar: return "nightjar";
    case ImportFormat::kFortio: return "fortio";
    case ImportFormat::kMeshery: return "meshery";
  }
  return "unknown";
}

Result<std::vector<ImportedRun>> parse_import(std::string_view text, const std::string& source_name) {
  auto root = parse_bounded_json(text, kMaxImportBytes, kMaxImportDepth, "Meshery's stored results nest 7");
  if (!root.ok()) return Status::invalid_argument(source_name + ": " + root.status().message());
  const json& top = *root;
  // The entries: the top array's elements, a Meshery page's "results", or the top object.
  const json* list = top.is_array() ? &top : nullptr;
  std::string list_path;
  if (top.is_object() && !detect(top)) {
    if (const json* results = JsonReader::find(top, "results"); results != nullptr && results->is_array()) {
      list = results;
      list_path = "results";
    }
  }
  if (list != nullptr && list->size() > kMaxImportRuns) {
    return Status::invalid_argument(fmt::format("{}: {} holds {} results, more than the {} one import reads", source_name,
                                                list_path.empty() ? "the file" : list_path, list->size(),
                                                kMaxImportRuns));
  }
  std::vector<std::pair<const json*, std::string>> entries;
  if (list == nullptr) {
    entries.emplace_back(&top, "");
  } else {
    for (size_t i = 0; i < list->size(); ++i) entries.emplace_back(&(*list)[i], fmt::format("{}[{}]", list_path, i));
  }

  stats::DecodeBudget budget(kMaxResultHistogramBuckets);  // one for the whole file
  JsonReader in(budget);
  std::vector<ImportedRun> runs;
  for (const auto& [entry, path] : entries) {
    const std::string where = path.empty() ? "the file" : path;
    const std::optional<ImportFormat> format = detect(*entry);
    if (!format) {
      in.fail(where + " is none of the results nightjar imports: a nightjar result (\"tool\": \"nightjar\"), " +
              "a fortio result (\"DurationHistogram\") or a Meshery result (\"runner_results\")");
    } else if (*format == ImportFormat::kNightjar) {
      auto r = read_result_json(*entry, budget);
      if (r.ok()) {
        runs.push_back({std::move(*r), ImportFormat::kNightjar, ""});
      } else {
        in.fail(path.empty() ? r.status().message() : path + ": " + r.status().message());
      }
    } else if (*format == ImportFormat::kMeshery) {
      read_meshery(in, *entry, path.empty() ? "" : path + ".", runs);
    } else {
      runs.push_back({read_fortio(in, *entry, path.empty() ? "" : path + "."), ImportFormat::kFortio, ""});
    }
    if (!in.failed() && runs.size() > kMaxImportRuns) {
      in.fail(fmt::format("the file holds more than {} results, the most one import reads", kMaxImportRuns));
    }
    if (in.failed()) break;
  }
  if (!in.failed() && runs.empty()) in.fail("the file holds no result");
  if (in.failed()) return Status::invalid_argument(source_name + ": " + in.error());
  if (runs.size() > 1) {
    for (size_t i = 0; i < runs.size(); ++i) runs[i].where = fmt::format("#{}", i);
  }
  return runs;
}

}  // namespace nightjar::output
