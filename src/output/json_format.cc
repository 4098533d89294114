// nightjar's canonical JSON form: the contract fields of PRODUCT.md plus everything needed
// to rebuild the RunResult (encoded histograms, per-second histograms, per-shard parts).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include "common/version.h"
#include "output/formatters.h"
#include "output/json_reader.h"
#include "output/json_summary.h"
#include "output/slo_json.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;
using model::RunResult;
using stats::HdrHistogram;

json provenance_json(const model::Provenance& p) {
  const model::LatencySummary& l = p.source_latency;
  json percentiles = json::object();
  for (const auto& [percentile, ns] : l.percentiles_ns) percentiles[model::percentile_name(percentile)] = ns;
  return {{"source", p.source},
          {"source_version", p.source_version},
          {"exact", p.exact},
          {"approximate", p.approximate},
          {"notes", p.notes},
          {"source_latency_ns",
           {{"count", l.count},
            {"min", l.min_ns},
            {"mean", l.mean_ns},
            {"max", l.max_ns},
            {"stdev", l.stdev_ns},
            {"percentiles", percentiles}}}};
}

model::Provenance read_provenance(JsonReader& in, const nlohmann::json& j) {
  model::Provenance p;
  const std::string path = "provenance.";
  p.source = in.get<std::string>(j, path, "source", "", true);
  p.source_version = in.get<std::string>(j, path, "source_version", "", false);
  p.exact = in.get<std::vector<std::string>>(j, path, "exact", {}, false);
  p.approximate = in.get<std::vector<std::string>>(j, path, "approximate", {}, false);
  p.notes = in.get<std::vector<std::string>>(j, path, "notes", {}, false);
  const nlohmann::json& s = in.object(j, path, "source_latency_ns");
  const std::string spath = path + "source_latency_ns.";
  model::LatencySummary& l = p.source_latency;
  l.count = in.get<int64_t>(s, spath, "count", 0, false);
  l.min_ns = in.get<int64_t>(s, spath, "min", 0, false);
  l.mean_ns = in.get<double>(s, spath, "mean", 0, false);
  l.max_ns = in.get<int64_t>(s, spath, "max", 0, false);
  l.stdev_ns = in.get<double>(s, spath, "stdev", 0, false);
  const nlohmann::json& percentiles = in.object(s, spath, "percentiles");
  for (const auto& [key, value] : percentiles.items()) {
    const std::optional<double> percentile = model::percentile_from_name(key);
    if (!percentile) in.fail(spath + "percentiles has a key that is not a percentile: '" + key + "'");
    l.percentiles_ns[percentile.value_or(0)] = in.get<int64_t>(percentiles, spath + "percentiles.", key, 0, true);
  }
  return p;
}

}  // namespace

nlohmann::ordered_json histogram_summary(const HdrHistogram& h) {
  json j;
  j["count"] = h.total_count();
  j["min"] = h.min();
  j["mean"] = h.mean();
  j["max"] = h.max();
  j["stdev"] = h.stddev();
  json p = json::object();
  for (double q : model::kReportPercentiles) p[percentile_key(q)] = h.value_at_percentile(q);
  p["100"] = h.max();
  j["percentiles"] = p;
  return j;
}

void append_histograms(nlohmann::ordered_json& section, const HdrHistogram& latency,
                       const HdrHistogram& service_time) {
  section["latency_ns"] = histogram_summary(latency);
  section["service_time_ns"] = histogram_summary(service_time);
  section["histograms"] = {{"latency", stats::encode_base64(latency)},
                           {"service_time", stats::encode_base64(service_time)}};
}

std::string render_json(const RunResult& r) {
  json j;
  const auto& o = r.options;
  j["tool"] = "nightjar";
  j["version"] = kVersion;
  j["schema"] = model::kResultSchema;
  j["test_name"] = o.test_name;
  j["labels"] = o.labels;
  json headers = json::array();
  for (const auto& [name, value] : o.headers) headers.push_back({{"name", name}, {"value", value}});
  j["options"] = {{"urls", o.urls},
                  {"method", o.method},
                  {"protocol", o.protocol},
                  {"requested_rps", o.requested_rps},
                  {"duration_ns", o.duration_ns},
                  {"requests", o.requests},
                  {"warmup_ns", o.warmup_ns},
                  {"timeout_ns", o.timeout_ns},
                  {"connections", o.connections},
                  {"threads", o.threads},
                  {"max_pending", o.max_pending},
                  {"headers", headers},
                  {"body_bytes", o.body_bytes},
                  {"max_concurrent_streams", o.max_concurrent_streams},
                  {"tls", o.tls},
                  {"tls_insecure", o.tls_insecure},
                  {"tls_sni", o.tls_sni},
                  {"tls_ca_file", o.tls_ca_file},
                  {"tls_client_cert", o.tls_client_cert},
                  {"grpc_method", o.grpc_method},
                  {"arrival", o.arrival},
                  {"seed", o.seed}};
  if (!o.rate_shape.empty()) {
    json shape = json::array();
    for (const model::RateSegment& s : o.rate_shape) {
      shape.push_back({{"duration_ns", s.duration_ns}, {"from_rps", s.from_rps}, {"to_rps", s.to_rps}});
    }
    j["options"]["rate_shape"] = std::move(shape);
  }
  j["protocol"] = r.protocol_spoken();
  j["tls_version"] = r.tls_version;
  j["target_addresses"] = r.target_addresses;
  j["open_loop"] = r.open_loop;
  j["interrupted"] = r.interrupted;
  j["start_time"] = rfc3339(r.start_unix_ns);
  j["end_time"] = rfc3339(r.end_unix_ns);
  j["start_unix_ns"] = r.start_unix_ns;
  j["duration_ns"] = r.measured_ns;
  j["requested_rps"] = o.requested_rps;
  j["achieved_rps"] = r.achieved_rps();
  j["requests"] = {{"sent", r.counters.sent},         {"completed", r.counters.completed},
                   {"errors", r.counters.errors()},     {"dropped", r.counters.dropped},
                   {"queued", r.counters.queued},     {"cancelled", r.counters.cancelled},
                   {"non_2xx", r.non_2xx()}, {"warmup_completed", r.counters.warmup_completed}};
  json kinds = json::object();
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    kinds[std::string(model::error_kind_name(static_cast<model::ErrorKind>(k)))] =
        r.counters.error_counts[static_cast<size_t>(k)];
  }
  j["errors_by_kind"] = kinds;
  json codes = json::object();
  for (const auto& [code, count] : r.status_codes) codes[std::to_string(code)] = count;
  j["status_codes"] = codes;
  json grpc_codes = json::object();
  for (const auto& [code, count] : r.grpc_status_codes) grpc_codes[model::grpc_status_name(code)] = count;
  j["grpc_status_codes"] = grpc_codes;
  j["error_details"] = r.error_details;
  j["latency_ns"] = histogram_summary(r.latency);
  j["service_time_ns"] = histogram_summary(r.service_time);
  j["schedule_lag_ns"] = histogram_summary(r.schedule_lag);
  j["connections_opened"] = r.counters.connections_opened;
  j["connect_failures"] = r.counters.connect_failures;
  j["bytes_received"] = r.counters.bytes_received;
  j["tls_handshakes"] = r.counters.tls_handshakes;
  j["tls_resumed"] = r.counters.tls_resumed;
  j["http2_goaways"] = r.counters.http2_goaways;
  j["http2_refused_streams"] = r.counters.http2_refused_streams;
  j["http2_flow_control_stalls"] = r.counters.http2_flow_control_stalls;
  json timeline = json::array();
  const model::RequestedRate requested(o);
  for (const model::TimelineEntry& e : r.timeline) {
    timeline.push_back({{"second", e.second},
                        {"requested_rps", requested.rps_in_second(e.second, e.duration_s)},
                        {"duration_s", e.duration_s},
                        {"sent", e.counters.sent},
                        {"completed", e.counters.completed},
                        {"errors", e.counters.errors()},
                        {"dropped", e.counters.dropped},
                        {"non_2xx", e.counters.non_2xx},
                        {"rps", e.duration_s > 0 ? static_cast<double>(e.counters.completed) / e.duration_s : 0.0},
                        {"latency_ns", {{"p50", e.latency_p50_ns}, {"p90", e.latency_p90_ns},
                                        {"p99", e.latency_p99_ns}, {"max", e.latency_max_ns}}},
                        {"service_time_ns", {{"p50", e.service_time_p50_ns}, {"p99", e.service_time_p99_ns}}},
                        {"histograms", {{"latency", e.latency_histogram},
                                        {"service_time", e.service_time_histogram}}}});
  }
  j["timeline"] = timeline;
  json shards = json::array();
  for (const model::ShardResult& s : r.shards) {
    shards.push_back({{"name", s.name},
                      {"sent", s.counters.sent},
                      {"completed", s.counters.completed},
                      {"errors", s.counters.errors()},
                      {"dropped", s.counters.dropped},
                      {"latency_ns", histogram_summary(s.latency)},
                      {"histograms", {{"latency", stats::encode_base64(s.latency)},
                                      {"service_time", stats::encode_base64(s.service_time)}}}});
  }
  j["shards"] = shards;
  j["partial"] = r.partial;
  json workers = json::array();
  for (const model::WorkerStatus& w : r.workers) {
    workers.push_back({{"name", w.name},
                       {"clock_offset_ns", w.clock_offset_ns},
                       {"round_trip_ns", w.round_trip_ns},
                       {"failed", w.failed},
                       {"failure", w.failure},
                       {"failed_after_ns", w.failed_after_ns},
                       {"stream_bytes", w.stream_bytes}});
  }
  j["workers"] = workers;
  j["histograms"] = {{"latency", stats::encode_base64(r.latency)},
                     {"service_time", stats::encode_base64(r.service_time)},
                     {"schedule_lag", stats::encode_base64(r.schedule_lag)}};
  j["warnings"] = warnings(r);
  if (r.provenance.imported()) j["provenance"] = provenance_json(r.provenance);
  append_slos_json(j, r);
  // Invalid UTF-8 (a URL or header given as raw bytes) becomes U+FFFD instead of an exception.
  return dump_json(j, 2) + "\n";
}

Result<RunResult> parse_result_json(std::string_view text) {
  auto root = parse_bounded_json(text, kMaxResultJsonBytes, kMaxResultJsonDepth, "a nightjar result nests 4");
  if (!root.ok()) return root.status();
  stats::DecodeBudget budget(kMaxResultHistogramBuckets);
  return read_result_json(*root, budget);
}

Result<RunResult> read_result_json(const nlohmann::json& root, stats::DecodeBudget& budget) {
  const auto tool = root.find("tool");  // end() unless root is an object with the key
  if (tool == root.end() || !tool->is_string() || tool->get_ref<const std::string&>() != "nightjar") {
    return Status::invalid_argument("not a nightjar result (no \"tool\": \"nightjar\" at the top)");
  }
  JsonReader in(budget);
  // Every older schema is read (no "schema": 0, the first form); a newer one is refused.
  const int schema = in.get<int>(root, "", "schema", 0, false);
  if (schema < 0 || schema > model::kResultSchema) {
    return Status::invalid_argument("schema " + std::to_string(schema) + " is not one this nightjar reads (0 to " +
                                    std::to_string(model::kResultSchema) + "): it was written by a newer nightjar");
  }
  RunResult r;
  auto& o = r.options;
  o.test_name = in.get<std::string>(root, "", "test_name", "", false);
  o.labels = in.get<std::map<std::string, std::string>>(root, "", "labels", {}, false);
  const nlohmann::json& op = in.object(root, "", "options", true);
  o.urls = in.get<std::vector<std::string>>(op, "options.", "urls", {}, true);
  o.method = in.get<std::string>(op, "options.", "method", "GET", false);
  o.protocol = in.get<std::string>(op, "options.", "protocol", "http/1.1", false);
  o.requested_rps = in.get<double>(op, "options.", "requested_rps", 0, true);
  o.duration_ns = in.get<int64_t>(op, "options.", "duration_ns", 0, false);
  o.requests = in.get<int64_t>(op, "options.", "requests", 0, false);
  o.warmup_ns = in.get<int64_t>(op, "options.", "warmup_ns", 0, false);
  o.timeout_ns = in.get<int64_t>(op, "options.", "timeout_ns", 0, false);
  o.connections = in.get<int>(op, "options.", "connections", 0, false);
  o.threads = in.get<int>(op, "options.", "threads", 0, false);
  o.max_pending = in.get<int64_t>(op, "options.", "max_pending", 0, false);
  for (const auto& h : in.get<std::vector<std::map<std::string, std::string>>>(op, "options.", "headers", {}, false)) {
    o.headers.emplace_back(h.count("name") ? h.at("name") : "", h.count("value") ? h.at("value") : "");
  }
  o.body_bytes = in.get<int64_t>(op, "options.", "body_bytes", 0, false);
  o.max_concurrent_streams = in.get<int>(op, "options.", "max_concurrent_streams", 1, false);
  o.tls = in.get<bool>(op, "options.", "tls", false, false);
  o.tls_insecure = in.get<bool>(op, "options.", "tls_insecure", false, false);
  o.tls_sni = in.get<std::string>(op, "options.", "tls_sni", "", false);
  o.tls_ca_file = in.get<std::string>(op, "options.", "tls_ca_file", "", false);
  o.tls_client_cert = in.get<std::string>(op, "options.", "tls_client_cert", "", false);
  o.grpc_method = in.get<std::string>(op, "options.", "grpc_method", "", false);
  o.arrival = in.get<std::string>(op, "options.", "arrival", "uniform", false);
  o.seed = static_cast<uint64_t>(std::max<int64_t>(0, in.get<int64_t>(op, "options.", "seed", 0, false)));
  const nlohmann::json& shape = in.array(op, "options.", "rate_shape");
  for (size_t i = 0; i < shape.size(); ++i) {
    const std::string path = "options.rate_shape[" + std::to_string(i) + "].";
    o.rate_shape.push_back({in.get<int64_t>(shape[i], path, "duration_ns", 0, true),
                            in.get<double>(shape[i], path, "from_rps", 0, true),
                            in.get<double>(shape[i], path, "to_rps", 0, true)});
  }

  // Schema 0 said the protocol spoken in options.protocol.
  r.protocol = in.get<std::string>(root, "", "protocol", o.protocol, false);
  r.tls_version = in.get<std::string>(root, "", "tls_version", "", false);
  r.target_addresses = in.get<std::vector<std::string>>(root, "", "target_addresses", {}, false);
  r.open_loop = in.get<bool>(root, "", "open_loop", false, true);
  r.interrupted = in.get<bool>(root, "", "interrupted", false, false);
  r.start_unix_ns = in.get<int64_t>(root, "", "start_unix_ns", 0, false);
  r.measured_ns = in.get<int64_t>(root, "", "duration_ns", 0, true);
  if (r.measured_ns < 0) in.fail("duration_ns must not be negative");
  if (__builtin_add_overflow(r.start_unix_ns, r.measured_ns, &r.end_unix_ns)) {
    in.fail("start_unix_ns + duration_ns is beyond the year 2262");
  }
  const nlohmann::json& rq = in.object(root, "", "requests", true);
  r.counters.sent = in.get<int64_t>(rq, "requests.", "sent", 0, false);
  r.counters.completed = in.get<int64_t>(rq, "requests.", "completed", 0, true);
  const int64_t errors = in.get<int64_t>(rq, "requests.", "errors", 0, true);
  r.counters.dropped = in.get<int64_t>(rq, "requests.", "dropped", 0, false);
  r.counters.queued = in.get<int64_t>(rq, "requests.", "queued", 0, false);
  r.counters.cancelled = in.get<int64_t>(rq, "requests.", "cancelled", 0, false);
  r.counters.warmup_completed = in.get<int64_t>(rq, "requests.", "warmup_completed", 0, false);
  const nlohmann::json& kinds = in.object(root, "", "errors_by_kind");
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    const std::string name(model::error_kind_name(static_cast<model::ErrorKind>(k)));
    r.counters.error_counts[static_cast<size_t>(k)] = in.get<int64_t>(kinds, "errors_by_kind.", name, 0, false);
  }
  // Errors without a kind this reader knows count as other.
  if (const int64_t unnamed = errors - r.counters.errors(); unnamed > 0) r.counters.errors_of(model::ErrorKind::kOther) += unnamed;
  const nlohmann::json& codes = in.object(root, "", "status_codes");
  for (const auto& [key, count] : codes.items()) {
    int code = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), code);
    if (ec != std::errc() || end != key.data() + key.size()) {
      in.fail("status_codes has a key that is not a number: '" + key + "'");
      continue;
    }
    r.status_codes[code] = in.get<int64_t>(codes, "status_codes.", key, 0, true);
  }
  {
    const nlohmann::json& grpc = in.object(root, "", "grpc_status_codes");
    for (const auto& [name, count] : grpc.items()) {
      const int code = model::grpc_status_code(name);
      if (code < 0) in.fail("grpc_status_codes has an unknown status name: '" + name + "'");
      r.grpc_status_codes[code] = in.get<int64_t>(grpc, "grpc_status_codes.", name, 0, true);
    }
  }
  const nlohmann::json& details = in.object(root, "", "error_details");
  for (const auto& [kind, message] : details.items()) {
    r.error_details[kind] = in.get<std::string>(details, "error_details.", kind, "", true);
  }
  r.counters.tls_handshakes = in.get<int64_t>(root, "", "tls_handshakes", 0, false);
  r.counters.tls_resumed = in.get<int64_t>(root, "", "tls_resumed", 0, false);
  r.counters.http2_goaways = in.get<int64_t>(root, "", "http2_goaways", 0, false);
  r.counters.http2_refused_streams = in.get<int64_t>(root, "", "http2_refused_streams", 0, false);
  r.counters.http2_flow_control_stalls = in.get<int64_t>(root, "", "http2_flow_control_stalls", 0, false);
  r.counters.connections_opened = in.get<int64_t>(root, "", "connections_opened", 0, false);
  r.counters.connect_failures = in.get<int64_t>(root, "", "connect_failures", 0, false);
  r.counters.bytes_received = in.get<int64_t>(root, "", "bytes_received", 0, false);
  if (in.find(root, "histograms") == nullptr) {
    in.fail("histograms is missing (results from before format_version 1, schema 0, cannot be re-rendered)");
  }
  const nlohmann::json& hs = in.object(root, "", "histograms");
  r.latency = in.histogram(hs, "histograms.", "latency");
  r.service_time = in.histogram(hs, "histograms.", "service_time");
  r.schedule_lag = in.histogram(hs, "histograms.", "schedule_lag");
  {
    const nlohmann::json& timeline = in.array(root, "", "timeline");
    for (size_t i = 0; i < timeline.size(); ++i) {
      const std::string path = "timeline[" + std::to_string(i) + "].";
      const nlohmann::json& e = in.element(timeline, i, path.substr(0, path.size() - 1));
      model::TimelineEntry t;
      t.second = in.get<int64_t>(e, path, "second", 0, true);
      t.duration_s = in.get<double>(e, path, "duration_s", 1.0, false);
      t.counters.sent = in.get<int64_t>(e, path, "sent", 0, false);
      t.counters.completed = in.get<int64_t>(e, path, "completed", 0, true);
      // A second's (and a shard's) errors are kept as a total.
      t.counters.errors_of(model::ErrorKind::kOther) = in.get<int64_t>(e, path, "errors", 0, false);
      t.counters.dropped = in.get<int64_t>(e, path, "dropped", 0, false);
      t.counters.non_2xx = in.get<int64_t>(e, path, "non_2xx", 0, false);
      const nlohmann::json& lat = in.object(e, path, "latency_ns");
      t.latency_p50_ns = in.get<int64_t>(lat, path + "latency_ns.", "p50", 0, false);
      t.latency_p90_ns = in.get<int64_t>(lat, path + "latency_ns.", "p90", 0, false);
      t.latency_p99_ns = in.get<int64_t>(lat, path + "latency_ns.", "p99", 0, false);
      t.latency_max_ns = in.get<int64_t>(lat, path + "latency_ns.", "max", 0, false);
      const nlohmann::json& svc = in.object(e, path, "service_time_ns");
      t.service_time_p50_ns = in.get<int64_t>(svc, path + "service_time_ns.", "p50", 0, false);
      t.service_time_p99_ns = in.get<int64_t>(svc, path + "service_time_ns.", "p99", 0, false);
      const nlohmann::json& th = in.object(e, path, "histograms");
      t.latency_histogram = in.get<std::string>(th, path + "histograms.", "latency", "", false);
      t.service_time_histogram = in.get<std::string>(th, path + "histograms.", "service_time", "", false);
      r.timeline.push_back(std::move(t));
    }
  }
  {
    const nlohmann::json& shards = in.array(root, "", "shards");
    for (size_t i = 0; i < shards.size(); ++i) {
      const std::string path = "shards[" + std::to_string(i) + "].";
      const nlohmann::json& e = in.element(shards, i, path.substr(0, path.size() - 1));
      model::ShardResult s;
      s.name = in.get<std::string>(e, path, "name", "", false);
      s.counters.sent = in.get<int64_t>(e, path, "sent", 0, false);
      s.counters.completed = in.get<int64_t>(e, path, "completed", 0, false);
      s.counters.errors_of(model::ErrorKind::kOther) = in.get<int64_t>(e, path, "errors", 0, false);
      s.counters.dropped = in.get<int64_t>(e, path, "dropped", 0, false);
      const nlohmann::json& sh = in.object(e, path, "histograms");
      s.latency = in.histogram(sh, path + "histograms.", "latency");
      s.service_time = in.histogram(sh, path + "histograms.", "service_time");
      r.shards.push_back(std::move(s));
    }
  }
  r.partial = in.get<bool>(root, "", "partial", false, false);
  {
    const nlohmann::json& workers = in.array(root, "", "workers");
    for (size_t i = 0; i < workers.size(); ++i) {
      const std::string path = "workers[" + std::to_string(i) + "].";
      const nlohmann::json& e = in.element(workers, i, path.substr(0, path.size() - 1));
      model::WorkerStatus w;
      w.name = in.get<std::string>(e, path, "name", "", false);
      w.clock_offset_ns = in.get<int64_t>(e, path, "clock_offset_ns", 0, false);
      w.round_trip_ns = in.get<int64_t>(e, path, "round_trip_ns", 0, false);
      w.failed = in.get<bool>(e, path, "failed", false, false);
      w.failure = in.get<std::string>(e, path, "failure", "", false);
      w.failed_after_ns = in.get<int64_t>(e, path, "failed_after_ns", 0, false);
      w.stream_bytes = in.get<int64_t>(e, path, "stream_bytes", 0, false);
      r.workers.push_back(std::move(w));
    }
  }
  if (const nlohmann::json* p = JsonReader::find(root, "provenance"); p != nullptr && !p->is_null()) {
    r.provenance = read_provenance(in, in.object(root, "", "provenance"));
  }
  if (std::string slo_error = read_slos_json(root, r); !slo_error.empty()) in.fail(slo_error);
  if (!in.error().empty()) return Status::invalid_argument(in.error());
  return r;
}

}  // namespace nightjar::output
