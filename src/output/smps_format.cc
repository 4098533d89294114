// A Service Mesh Performance (SMPS) PerformanceTestResult, in the proto3 JSON mapping with
// the proto's own (snake_case) field names, as protos/service_mesh_performance.proto of
// service-mesh-performance/service-mesh-performance defines it. The result message only
// refers to its test, mesh and environment by id (test_id, mesh_config_id, env_id), so the
// referenced PerformanceTestConfig and ServiceMeshConfig are written beside it under their
// own keys, and nightjar's fuller data under "nightjar". Ids are name-based (version 5)
// UUIDs, so the same result always gets the same ids. docs/output.md has the details.
#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/version.h"
#include "output/formatters.h"
#include "output/json_summary.h"

namespace nightjar::output {
namespace {

using json = nlohmann::ordered_json;
using model::RunResult;
using stats::HdrHistogram;

constexpr const char* kSmpVersion = "v0.0.1";  // what Meshery's SMPS files carry

constexpr double kNanosPerMilliF = 1e6;

// ---- Name-based UUIDs (RFC 9562 version 5: SHA-1 of namespace + name) ----

using Uuid = std::array<uint8_t, 16>;

// The RFC's URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
constexpr Uuid kUrlNamespace = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

std::array<uint8_t, 20> sha1(const std::string& message) {
  std::array<uint8_t, 20> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data());
  return digest;
}

std::string uuid_v5(const Uuid& name_space, const std::string& name) {
  const auto digest = sha1(std::string(name_space.begin(), name_space.end()) + name);
  Uuid u{};
  std::copy_n(digest.begin(), u.size(), u.begin());
  u[6] = static_cast<uint8_t>((u[6] & 0x0f) | 0x50);  // version 5
  u[8] = static_cast<uint8_t>((u[8] & 0x3f) | 0x80);  // RFC variant
  std::string text;
  for (size_t i = 0; i < u.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", u[i]);
  }
  return text;
}

// ---- Field helpers ----

double ms(double ns) { return ns / kNanosPerMilliF; }
double ms(int64_t ns) { return static_cast<double>(ns) / kNanosPerMilliF; }

// A duration as SMPS test files write it ("60s"), in the largest unit that keeps it exact;
// Go's time.ParseDuration and nightjar's own parser both read it.
std::string smps_duration(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

// Lower case without punctuation or spaces, so "Open Service Mesh" matches "open_service_mesh".
std::string normalized(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0)
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// ServiceMesh.Type of protos/service_mesh.proto for a `mesh` label; "" when the label
// names no mesh the spec knows ("none" for a baseline run, or a mesh added later).
std::string mesh_type(std::string_view label) {
  struct Name {
    std::string_view key;
    std::string_view type;
  };
  static constexpr Name kMeshes[] = {
      {"appmesh", "APP_MESH"},
      {"awsappmesh", "APP_MESH"},
      {"consul", "CONSUL"},
      {"consulconnect", "CONSUL"},
      {"istio", "ISTIO"},
      {"kuma", "KUMA"},
      {"linkerd", "LINKERD"},
      {"traefikmesh", "TRAEFIK_MESH"},
      {"maesh", "TRAEFIK_MESH"},
      {"octarine", "OCTARINE"},
      {"networkservicemesh", "NETWORK_SERVICE_MESH"},
      {"nsm", "NETWORK_SERVICE_MESH"},
      {"tanzu", "TANZU"},
      {"openservicemesh", "OPEN_SERVICE_MESH"},
      {"osm", "OPEN_SERVICE_MESH"},
      {"nginxservicemesh", "NGINX_SERVICE_MESH"},
      {"nginx", "NGINX_SERVICE_MESH"},
      {"ciliumservicemesh", "CILIUM_SERVICE_MESH"},
      {"cilium", "CILIUM_SERVICE_MESH"},
  };
  const std::string key = normalized(label);
  for (const Name& m : kMeshes) {
    if (m.key == key) return std::string(m.type);
  }
  return "";
}

std::string label(const model::RunOptions& o, const std::string& key) {
  auto it = o.labels.find(key);
  return it == o.labels.end() ? std::string() : it->second;
}

bool has_mesh_labels(const model::RunOptions& o) {
  return o.labels.contains("mesh") || o.labels.contains("mesh_version");
}

// PerformanceTestConfig.Client.Protocol of the current proto (PROTOCOL_HTTP = 1, ...).
std::string client_protocol(const std::string& protocol) {
  if (protocol.starts_with("grpc")) return "PROTOCOL_GRPC";
  return "PROTOCOL_HTTP";  // http/1.1, h2, h2c: all HTTP to SMPS
}

json performance_test_config(const model::RunOptions& o, const std::string& id) {
  json headers = json::object();
  std::string content_type;
  for (const auto& [name, value] : o.headers) {
    if (normalized(name) == "contenttype") content_type = value;
    // A map cannot repeat a header; repeated ones are joined as HTTP allows.
    headers[name] =
        headers.contains(name) ? headers[name].get<std::string>() + ", " + value : value;
  }
  json client = {{"internal", false},
                 {"load_generator", "nightjar"},
                 {"protocol", client_protocol(o.protocol)},
                 {"connections", o.connections},
                 {"rps", std::llround(o.requested_rps)},  // 0: as fast as possible (closed loop)
                 {"headers", headers},
                 {"cookies", json::object()},
                 {"body", ""},
                 {"content_type", content_type},
                 {"endpoint_urls", o.urls}};
  return {{"smp_version", kSmpVersion},
          {"id", id},
          {"name", o.test_name},
          {"labels", o.labels},
          {"clients", json::array({client})},
          {"duration", o.duration_ns > 0 ? smps_duration(o.duration_ns) : std::string()}};
}

json mesh_config(const model::RunOptions& o, const std::string& id) {
  const std::string name = label(o, "mesh");
  const std::string version = label(o, "mesh_version");
  json mesh = json::object();
  if (const std::string type = mesh_type(name); !type.empty()) mesh["type"] = type;
  if (!version.empty()) mesh["version"] = version;
  json j = {{"smp_version", kSmpVersion}, {"id", id}, {"labels", o.labels}};
  if (!version.empty()) j["mesh_build"] = version;
  j["mesh_type"] = mesh;
  return j;
}

// What identifies a test configuration: the same options give the same test_id.
std::string test_identity(const model::RunOptions& o) {
  json headers = json::array();
  for (const auto& [name, value] : o.headers) headers.push_back({name, value});
  const json identity = {
      {"name", o.test_name},          {"labels", o.labels},     {"urls", o.urls},
      {"method", o.method},           {"protocol", o.protocol}, {"rps", o.requested_rps},
      {"duration_ns", o.duration_ns}, {"requests", o.requests}, {"warmup_ns", o.warmup_ns},
      {"connections", o.connections}, {"threads", o.threads},   {"headers", headers},
      {"body_bytes", o.body_bytes}};
  return dump_json(identity);
}

}  // namespace

std::string render_smps(const RunResult& r) {
  const auto& o = r.options;
  const std::string test_key = test_identity(o);
  const std::string test_id = uuid_v5(kUrlNamespace, "nightjar:smps:test:" + test_key);
  const std::string mesh_id =
      has_mesh_labels(o) ? uuid_v5(kUrlNamespace, "nightjar:smps:mesh:" + label(o, "mesh") + ":" +
                                                      label(o, "mesh_version"))
                         : std::string();
  const int64_t end_unix_ns =
      r.end_unix_ns > r.start_unix_ns ? r.end_unix_ns : r.start_unix_ns + r.measured_ns;
  const std::string id =
      uuid_v5(kUrlNamespace,
              fmt::format("nightjar:smps:result:{}:{}:{}", r.start_unix_ns, end_unix_ns, test_key));

  json j;
  j["smp_version"] = kSmpVersion;
  j["id"] = id;
  j["labels"] = o.labels;
  j["start_time"] = rfc3339(r.start_unix_ns);
  j["end_time"] = rfc3339(end_unix_ns);
  j["latencies_ms"] = {{"min", ms(r.latency.min())},
                       {"average", ms(r.latency.mean())},
                       {"p50", ms(r.latency.value_at_percentile(50))},
                       {"p90", ms(r.latency.value_at_percentile(90))},
                       {"p99", ms(r.latency.value_at_percentile(99))},
                       {"max", ms(r.latency.max())}};
  j["actual_qps"] = r.achieved_rps();
  j["details_uri"] = "";
  j["test_id"] = test_id;
  j["mesh_config_id"] = mesh_id;
  j["env_id"] = "";  // no EnvironmentConfig: nightjar does not know the cluster
  j["performance_test_config"] = performance_test_config(o, test_id);
  if (has_mesh_labels(o)) j["mesh_config"] = mesh_config(o, mesh_id);

  json kinds = json::object();
  for (int k = 0; k < model::kErrorKindCount; ++k) {
    kinds[std::string(model::error_kind_name(static_cast<model::ErrorKind>(k)))] =
        r.counters.error_counts[static_cast<size_t>(k)];
  }
  json codes = json::object();
  for (const auto& [code, count] : r.status_codes) codes[std::to_string(code)] = count;
  j["nightjar"] = {{"version", kVersion},
                   {"open_loop", r.open_loop},
                   {"interrupted", r.interrupted},
                   {"requested_rps", o.requested_rps},
                   {"duration_ns", r.measured_ns},
                   {"request_limit", o.requests},  // --requests; 0 when the run was bounded by time
                   {"requests",
                    {{"sent", r.counters.sent},
                     {"completed", r.counters.completed},
                     {"errors", r.counters.errors()},
                     {"dropped", r.counters.dropped},
                     {"non_2xx", r.non_2xx()}}},
                   {"status_codes", codes},
                   {"errors_by_kind", kinds}};
  append_histograms(j["nightjar"], r.latency, r.service_time);
  return dump_json(j, 2) + "\n";
}

}  // namespace nightjar::output
