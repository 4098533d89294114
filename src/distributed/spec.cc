#include "distributed/spec.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "model/result_proto.h"

namespace nightjar::distributed {

nightjar::v1::LoadSpec to_spec(const load::LoadOptions& options) {
  const model::RunOptions& run = options.run;
  nightjar::v1::LoadSpec spec;
  for (const std::string& url : run.urls) spec.add_urls(url);
  spec.set_method(options.request.method);
  for (const auto& [name, value] : options.request.headers) {
    nightjar::v1::Header* h = spec.add_headers();
    h->set_name(name);
    h->set_value(value);
  }
  spec.set_body(options.request.body);
  spec.set_total_rps(run.requested_rps);
  spec.set_duration_ns(run.duration_ns);
  spec.set_total_requests(run.requests);
  spec.set_warmup_ns(run.warmup_ns);
  spec.set_timeout_ns(run.timeout_ns);
  spec.set_connections(run.connections);
  spec.set_threads(run.threads);
  spec.set_max_pending(run.max_pending);
  spec.set_test_name(run.test_name);
  spec.set_protocol(run.protocol);
  spec.set_max_concurrent_streams(run.max_concurrent_streams);
  spec.set_tls_insecure(options.tls.insecure);
  spec.set_tls_sni(options.tls.sni);
  if (!options.tls.ca_file.empty()) {
    // The workers' file systems are not ours: the CA travels as text.
    std::ifstream in(options.tls.ca_file);
    std::stringstream text;
    text << in.rdbuf();
    spec.set_tls_ca_pem(text.str());
  } else {
    spec.set_tls_ca_pem(options.tls.ca_pem);
  }
  spec.set_grpc_method(run.grpc_method);
  spec.set_grpc_message(options.grpc_message);
  spec.set_grpc_health(options.grpc_health);
  spec.set_arrival(run.arrival);
  spec.set_seed(run.seed);
  model::to_proto(run.rate_shape, spec.mutable_rate_shape());
  for (const auto& [key, value] : run.labels) (*spec.mutable_labels())[key] = value;
  return spec;
}

namespace {

Status bad(const std::string& field, const std::string& why) {
  return Status::invalid_argument(field + " " + why);
}

// The Start fields that are not load options.
Status check_start(const nightjar::v1::Start& start, int64_t now_unix_ns) {
  const std::string& id = start.run_id();
  if (id.size() > kMaxRunIdBytes ||
      !std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.'; })) {
    return bad("Start.run_id", "must be at most " + std::to_string(kMaxRunIdBytes) +
                                   " letters, digits, '-', '_' or '.'");
  }
  if (start.lease_ns() != 0 && (start.lease_ns() < kMinLeaseNs || start.lease_ns() > kMaxLeaseNs)) {
    return bad("Start.lease_ns", "(--lease) " + std::to_string(start.lease_ns()) + " ns is outside " +
                                     format_duration_ns(kMinLeaseNs) + ".." + format_duration_ns(kMaxLeaseNs) +
                                     " (0: the default " + format_duration_ns(kDefaultLeaseNs) + ")");
  }
  if (start.start_unix_ns() < 0) return bad("Start.start_unix_ns", "must not be negative (0: at once)");
  if (start.start_unix_ns() > now_unix_ns && start.start_unix_ns() - now_unix_ns > kMaxStartAheadNs) {
    return bad("Start.start_unix_ns", "is " + format_duration_ns(start.start_unix_ns() - now_unix_ns) +
                                          " ahead of this worker's clock; at most " +
                                          format_duration_ns(kMaxStartAheadNs) +
                                          " is accepted (are the clocks synchronised?)");
  }
  return {};
}

// The LoadSpec fields load::validate does not look at (the URLs, methods, headers, ranges
// and names are all its).
Status check_spec_text(const nightjar::v1::LoadSpec& spec) {
  const std::string& sni = spec.tls_sni();
  if (sni.size() > 253 || !std::all_of(sni.begin(), sni.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
      })) {
    return bad("LoadSpec.tls_sni", "(--sni) must be a host name of at most 253 characters");
  }
  return {};
}

}  // namespace

Result<WorkerRun> from_start(const nightjar::v1::Start& start, int64_t now_unix_ns) {
  if (Status s = check_start(start, now_unix_ns); !s.ok()) return s;
  const nightjar::v1::LoadSpec& spec = start.spec();
  if (Status s = check_spec_text(spec); !s.ok()) return s;
  load::LoadOptions o;
  for (const std::string& text : spec.urls()) {
    auto url = http::parse_url(text);
    if (!url.ok()) return bad("LoadSpec.urls:", url.status().message());
    o.urls.push_back(*url);
    o.run.urls.push_back(url->to_string());
  }
  // Checked before o.urls.front() below (found by test/fuzz/worker_start_fuzzer).
  if (o.urls.empty()) return Status::invalid_argument("LoadSpec.urls: at least one URL is needed");
  o.request.method = spec.method().empty() ? "GET" : spec.method();
  for (const nightjar::v1::Header& h : spec.headers()) {
    auto header = http::parse_header(h.name() + ": " + h.value());
    if (!header.ok()) return bad("LoadSpec.headers:", header.status().message());
    o.request.headers.push_back(*header);
  }
  o.request.body = spec.body();
  o.run.method = o.request.method;
  o.run.headers = o.request.headers;
  o.run.body_bytes = static_cast<int64_t>(o.request.body.size());
  o.run.requested_rps = spec.total_rps();
  o.run.duration_ns = spec.duration_ns();
  o.run.requests = spec.total_requests();
  o.run.warmup_ns = spec.warmup_ns();
  o.run.timeout_ns = spec.timeout_ns();
  o.run.connections = spec.connections();
  o.run.threads = spec.threads();
  o.run.max_pending = spec.max_pending();
  o.run.test_name = spec.test_name();
  o.run.protocol = spec.protocol().empty() ? "http/1.1" : spec.protocol();
  o.run.tls = !o.urls.empty() && load::uses_tls(o.urls.front());
  o.tls.insecure = spec.tls_insecure();
  o.tls.sni = spec.tls_sni();
  o.tls.ca_pem = spec.tls_ca_pem();
  o.run.grpc_method = spec.grpc_method();
  o.grpc_message = spec.grpc_message();
  o.grpc_health = spec.grpc_health();
  o.run.arrival = spec.arrival().empty() ? "uniform" : spec.arrival();
  o.run.seed = spec.seed();
  o.run.rate_shape = model::from_proto(spec.rate_shape());
  if (o.run.protocol == "grpc") o.run.body_bytes = static_cast<int64_t>(o.grpc_message.size());
  // 0 (not set) is one stream; anything else load::validate checks.
  o.run.max_concurrent_streams = spec.max_concurrent_streams() == 0 ? 1 : spec.max_concurrent_streams();
  for (const auto& [key, value] : spec.labels()) o.run.labels[key] = value;
  o.shard_index = start.shard_index();
  o.shard_count = start.shard_count();
  if (Status s = load::validate(o); !s.ok()) return s;
  WorkerRun run;
  run.options = std::move(o);
  run.run_id = start.run_id().empty() ? "unnamed" : start.run_id();
  run.start_unix_ns = start.start_unix_ns();
  run.lease_ns = start.lease_ns() == 0 ? kDefaultLeaseNs : start.lease_ns();
  return run;
}

}  // namespace nightjar::distributed
