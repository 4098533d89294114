#include "model/merge.h"

#include <algorithm>
#include <map>

#include "stats/hdr_encoding.h"

namespace nightjar::model {
namespace {

// Adds an encoded per-second histogram into `into`; an unreadable one is skipped (it was
// written by us, so that would be a bug, not bad input).
void add_encoded(stats::HdrHistogram& into, const std::string& encoded) {
  if (encoded.empty()) return;
  if (auto h = stats::decode_base64(encoded); h.ok()) into.add(*h);
}

}  // namespace

TimelineEntry SecondAccumulator::summarize(int64_t index) const {
  TimelineEntry e;
  e.second = index;
  e.counters = counters;
  e.duration_s = duration_s;
  e.latency_p50_ns = latency.value_at_percentile(50);
  e.latency_p90_ns = latency.value_at_percentile(90);
  e.latency_p99_ns = latency.value_at_percentile(99);
  e.latency_max_ns = latency.max();
  e.service_time_p50_ns = service_time.value_at_percentile(50);
  e.service_time_p99_ns = service_time.value_at_percentile(99);
  e.latency_histogram = stats::encode_base64(latency);
  e.service_time_histogram = stats::encode_base64(service_time);
  return e;
}

RunResult merge_results(const std::vector<RunResult>& parts, const std::vector<std::string>& names) {
  RunResult out;
  if (parts.empty()) return out;
  out.options = parts.front().options;
  out.options.urls.clear();
  out.options.requested_rps = 0;
  out.options.connections = 0;
  out.options.threads = 0;
  out.options.max_pending = 0;
  out.options.requests = 0;
  out.open_loop = true;
  out.start_unix_ns = parts.front().start_unix_ns;

  std::map<int64_t, SecondAccumulator> seconds;

  for (size_t i = 0; i < parts.size(); ++i) {
    const RunResult& p = parts[i];
    for (const std::string& url : p.options.urls) {
      if (std::find(out.options.urls.begin(), out.options.urls.end(), url) == out.options.urls.end()) {
        out.options.urls.push_back(url);
      }
    }
    out.options.requested_rps += p.options.requested_rps;
    out.options.connections += p.options.connections;
    out.options.threads += p.options.threads;
    out.options.max_pending += p.options.max_pending;
    out.options.requests += p.options.requests;
    out.options.duration_ns = std::max(out.options.duration_ns, p.options.duration_ns);
    out.open_loop = out.open_loop && p.open_loop;
    out.interrupted = out.interrupted || p.interrupted;
    out.start_unix_ns = std::min(out.start_unix_ns, p.start_unix_ns);
    out.end_unix_ns = std::max(out.end_unix_ns, p.end_unix_ns);
    out.counters.add(p.counters);
    for (const auto& [code, count] : p.status_codes) out.status_codes[code] += count;
    for (const auto& [code, count] : p.grpc_status_codes) out.grpc_status_codes[code] += count;
    for (const auto& [kind, detail] : p.error_details) out.error_details.emplace(kind, detail);
    if (out.protocol.empty()) out.protocol = p.protocol;
    if (out.tls_version.empty()) out.tls_version = p.tls_version;
    for (const std::string& address : p.target_addresses) {
      if (std::find(out.target_addresses.begin(), out.target_addresses.end(), address) == out.target_addresses.end()) {
        out.target_addresses.push_back(address);
      }
    }
    out.latency.add(p.latency);
    out.service_time.add(p.service_time);
    out.schedule_lag.add(p.schedule_lag);
    for (const TimelineEntry& e : p.timeline) {
      SecondAccumulator& s = seconds[e.second];
      add_encoded(s.latency, e.latency_histogram);
      add_encoded(s.service_time, e.service_time_histogram);
      s.counters.add(e.counters);
      s.duration_s = std::max(s.duration_s, e.duration_s);
    }
    ShardResult shard;
    shard.name = i < names.size() ? names[i] : "part-" + std::to_string(i);
    shard.counters = p.counters;
    shard.latency = p.latency;
    shard.service_time = p.service_time;
    out.shards.push_back(std::move(shard));
  }
  if (!out.open_loop) out.options.requested_rps = 0;
  out.measured_ns = out.end_unix_ns - out.start_unix_ns;
  for (const auto& [index, s] : seconds) out.timeline.push_back(s.summarize(index));
  return out;
}

}  // namespace nightjar::model
