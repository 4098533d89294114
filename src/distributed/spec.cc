#include "distributed/spec.h"

#include <algorithm>
#include <fstream>
#include <sstream>

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
  for (const auto& [key, value] : run.labels) (*spec.mutable_labels())[key] = value;
  return spec;
}

Result<load::LoadOptions> from_start(const nightjar::v1::Start& start) {
  const nightjar::v1::LoadSpec& spec = start.spec();
  load::LoadOptions o;
  for (const std::string& text : spec.urls()) {
    auto url = http::parse_url(text);
    if (!url.ok()) return url.status();
    o.urls.push_back(*url);
    o.run.urls.push_back(url->to_string());
  }
  // Checked before o.urls.front() below (found by test/fuzz/worker_start_fuzzer).
  if (o.urls.empty()) return Status::invalid_argument("spec.urls: at least one URL is needed");
  o.request.method = spec.method().empty() ? "GET" : spec.method();
  for (const nightjar::v1::Header& h : spec.headers()) {
    auto header = http::parse_header(h.name() + ": " + h.value());
    if (!header.ok()) return header.status();
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
  if (o.run.protocol != "http/1.1" && o.run.protocol != "h2c" && o.run.protocol != "h2" && o.run.protocol != "auto" &&
      o.run.protocol != "grpc") {
    return Status::invalid_argument("protocol '" + o.run.protocol + "' is not supported by this worker");
  }
  o.run.tls = load::uses_tls(o.urls.front());
  o.tls.insecure = spec.tls_insecure();
  o.tls.sni = spec.tls_sni();
  o.tls.ca_pem = spec.tls_ca_pem();
  o.run.grpc_method = spec.grpc_method();
  o.grpc_message = spec.grpc_message();
  o.grpc_health = spec.grpc_health();
  if (o.run.protocol == "grpc") o.run.body_bytes = static_cast<int64_t>(o.grpc_message.size());
  o.run.max_concurrent_streams = std::max(1, spec.max_concurrent_streams());
  for (const auto& [key, value] : spec.labels()) o.run.labels[key] = value;
  o.shard_index = start.shard_index();
  o.shard_count = start.shard_count();
  if (Status s = load::validate(o); !s.ok()) return s;
  return o;
}

}  // namespace nightjar::distributed
