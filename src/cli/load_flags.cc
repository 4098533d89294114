#include "cli/load_flags.h"

#include <cmath>
#include <random>
#include <utility>

#include "cli/files.h"
#include "common/duration.h"
#include "http/grpc.h"
#include "output/formatters.h"

namespace nightjar::cli {
namespace {

// --ca-file, --insecure, --sni, --cert, --key: only for https:// and grpcs:// targets.
// Checked now (files included), so a bad file is a usage error before anything starts.
Status add_tls_options(const LoadFlags& f, load::LoadOptions& o) {
  o.run.tls = load::uses_tls(o.urls.front());
  o.tls.ca_file = f.ca_file;
  o.tls.insecure = f.insecure;
  o.tls.sni = f.sni;
  o.tls.cert_file = f.cert_file;
  o.tls.key_file = f.key_file;
  return load::validate_tls(o);
}

// --arrival, --seed, --stages, --start-rps, --pace-file (after --duration and --warmup).
Status add_arrival_options(const LoadFlags& f, load::LoadOptions& o) {
  o.run.arrival = f.arrival;
  if (f.seed >= 0) {
    if (f.arrival != "poisson") return Status::invalid_argument("--seed applies to --arrival poisson");
    o.run.seed = static_cast<uint64_t>(f.seed);
  } else if (f.arrival == "poisson") {
    std::random_device device;  // a seed of its own, said in the result so the run replays
    o.run.seed = ((uint64_t{device()} << 32) | device()) & load::limits::kMaxSeed;
  }
  if (!f.stages.empty() && !f.pace_file.empty()) {
    return Status::invalid_argument("--stages and --pace-file cannot be used together");
  }
  if (f.stages.empty() && f.pace_file.empty()) {
    if (f.start_rps != 0) return Status::invalid_argument("--start-rps applies to --stages");
    return {};
  }
  if (f.rps != 0) {
    return Status::invalid_argument(
        "--rps and --stages/--pace-file cannot be used together: the stages give the rate");
  }
  if (f.requests > 0) {
    return Status::invalid_argument("--stages and --pace-file bound a run by time, not --requests");
  }
  if (!f.stages.empty()) {
    if (!std::isfinite(f.start_rps) || f.start_rps < 0 || f.start_rps > load::limits::kMaxRps) {
      return Status::invalid_argument("--start-rps must be a rate from 0 to the --rps limit");
    }
    auto stages = model::parse_stages(f.stages, f.start_rps);
    if (!stages.ok()) return stages.status();
    o.run.rate_shape = std::move(*stages);
    if (!f.duration_given) {  // the stages' total, the warm-up being its first part
      int64_t total = 0;
      for (const model::RateSegment& s : o.run.rate_shape) total += s.duration_ns;
      if (total <= o.run.warmup_ns) {
        return Status::invalid_argument("--stages last no longer than --warmup: nothing would be measured");
      }
      o.run.duration_ns = total - o.run.warmup_ns;
    }
  } else {
    if (!f.duration_given) {
      return Status::invalid_argument("--pace-file needs --duration (how long the last step holds)");
    }
    auto text = read_file(f.pace_file, model::kMaxPaceFileBytes);
    if (!text.ok()) return Status::invalid_argument("--pace-file: " + text.status().message());
    auto steps = model::parse_pace_file(*text, f.pace_file, o.run.warmup_ns + o.run.duration_ns);
    if (!steps.ok()) return Status::invalid_argument("--pace-file: " + steps.status().message());
    o.run.rate_shape = std::move(*steps);
  }
  auto shape = model::RateShape::create(o.run.rate_shape, load::limits::kMaxRps);
  if (!shape.ok()) {
    return Status::invalid_argument((f.stages.empty() ? "--pace-file: " : "--stages: ") +
                                    shape.status().message());
  }
  // The requested rate of a shaped run is its mean over the measured window.
  o.run.requested_rps = shape->mean_rps_over(o.run.warmup_ns, o.run.warmup_ns + o.run.duration_ns);
  if (o.run.requested_rps <= 0) {
    return Status::invalid_argument("the rate is 0 over the whole measured window: nothing would be sent");
  }
  return {};
}

// --grpc-method, --grpc-data-file, --grpc-health: only for grpc:// and grpcs:// targets.
Status add_grpc_options(const LoadFlags& f, load::LoadOptions& o) {
  const bool grpc = o.run.protocol == "grpc";
  if (!grpc) {
    if (!f.grpc_method.empty() || !f.grpc_data_file.empty() || f.grpc_health) {
      return Status::invalid_argument(
          "--grpc-method, --grpc-data-file and --grpc-health apply to grpc:// and grpcs:// URLs");
    }
    return Status();
  }
  if (!f.body.empty() || !f.body_file.empty()) {
    return Status::invalid_argument(
        "gRPC requests take their message from --grpc-data-file, not --body");
  }
  if (f.method != "GET")
    return Status::invalid_argument("--method does not apply to gRPC (calls are POSTs)");
  if (!f.grpc_data_file.empty() && f.grpc_method.empty()) {
    return Status::invalid_argument(
        "--grpc-data-file needs --grpc-method (the built-in ping sends its own message)");
  }
  for (const http::Url& url : o.urls) {
    if (url.path_and_query != "/") {
      return Status::invalid_argument("gRPC URLs name no path ('" + url.to_string() +
                                      "'); give the call with --grpc-method");
    }
  }
  o.run.method = "POST";
  o.request.method = "POST";
  o.grpc_health = f.grpc_health;
  if (f.grpc_method.empty()) {
    o.run.grpc_method = std::string(http::kBuiltinPingMethod);
    o.grpc_message = http::builtin_ping_message();
  } else {
    if (Status s = http::validate_grpc_method(f.grpc_method); !s.ok()) return s;
    o.run.grpc_method = f.grpc_method;
    if (!f.grpc_data_file.empty()) {
      auto data = read_file(f.grpc_data_file, load::limits::kMaxBodyBytes);
      if (!data.ok())
        return Status::invalid_argument("--grpc-data-file: " + data.status().message());
      o.grpc_message = std::move(*data);
    }
  }
  o.run.body_bytes = static_cast<int64_t>(o.grpc_message.size());
  return Status();
}

}  // namespace

void add_controller_flags(CLI::App& cmd, ControllerFlags& f) {
  cmd.add_option(
         "--workers", f.workers,
         "Run on these nightjar workers: HOST:PORT,... or dns:NAME:PORT (every address of NAME)")
      ->delimiter(',');
  cmd.add_option("--worker-token-file", f.worker_token_file, "Bearer token the workers require");
  cmd.add_option("--worker-ca", f.worker_ca, "Talk TLS to the workers, trusting this CA (PEM)");
  cmd.add_option("--worker-cert", f.worker_cert,
                 "Client certificate for workers that require mutual TLS");
  cmd.add_option("--worker-key", f.worker_key, "Key of --worker-cert");
  cmd.add_option("--min-workers", f.min_workers,
                 "Start with at least this many reachable workers (default: all)");
  cmd.add_option("--lease", f.lease, "Workers stop a run when the controller is silent this long")
      ->capture_default_str();
}

void add_test_flags(CLI::App& cmd, LoadFlags& f, bool urls_required) {
  auto* urls = cmd.add_option("url", f.urls,
                              "Target URL(s), e.g. http://127.0.0.1:8080/ (several: round robin)");
  if (urls_required) urls->required();
  cmd.add_option("--rps", f.rps, "Total request rate per second; 0 = closed loop at maximum rate")
      ->capture_default_str();
  cmd.add_option("--arrival", f.arrival,
                 "Open loop: uniform (evenly spaced) or poisson (random, seeded by --seed)")
      ->capture_default_str();
  cmd.add_option("--seed", f.seed, "--arrival poisson: the seed, to replay a run's arrivals");
  cmd.add_option("--stages", f.stages,
                 "Open loop: linear ramps to each rate, e.g. '30s:1000,2m:1000,30s:5000' "
                 "(instead of --rps; the duration defaults to their total)");
  cmd.add_option("--start-rps", f.start_rps, "--stages: the rate the first ramp starts from")
      ->capture_default_str();
  cmd.add_option("--pace-file", f.pace_file,
                 "Open loop: the rate in steps, a CSV of offset,rate lines (instead of --rps)");
  cmd.add_option("-d,--duration", f.duration,
                 "How long to measure (ns us ms s m h; e.g. 30s, 1m30s)")
      ->capture_default_str()
      ->each([&f](const std::string&) { f.duration_given = true; });
  cmd.add_option("-n,--requests", f.requests, "Stop after this many requests (after warm-up)");
  cmd.add_option("-c,--connections", f.connections, "Connections, split over the threads")
      ->capture_default_str();
  cmd.add_option("-t,--threads", f.threads, "Worker threads, each with its own event loop")
      ->capture_default_str();
  cmd.add_option("--warmup", f.warmup, "Warm-up before measuring, excluded from statistics")
      ->capture_default_str();
  cmd.add_option("--timeout", f.timeout, "Per-request timeout")->capture_default_str();
  cmd.add_option(
         "--max-pending", f.max_pending,
         "Open loop: arrivals that may wait for a free connection; more are dropped and counted")
      ->capture_default_str();
  cmd.add_option("-m,--method", f.method, "HTTP method")->capture_default_str();
  cmd.add_option("-H,--header", f.headers, "Request header 'Name: value' (repeatable)");
  cmd.add_option("--body", f.body, "Request body");
  cmd.add_option("--body-file", f.body_file, "Read the request body from a file");
  cmd.add_option("--content-type", f.content_type, "Content-Type header for the body");
  cmd.add_option("--protocol", f.protocol,
                 "http1 or h2: force HTTP/1.1 or HTTP/2 (http:// with h2: prior knowledge; "
                 "https://: what ALPN "
                 "offers; default there: h2 when the server agrees)");
  cmd.add_option("--ca-file", f.ca_file,
                 "TLS: trust the CA certificates in this PEM file (default: the system store)");
  cmd.add_flag("--insecure", f.insecure,
               "TLS: do not verify the server's certificate (the report says so)");
  cmd.add_option("--sni", f.sni, "TLS: server name to send and verify (default: the URL's host)");
  cmd.add_option("--cert", f.cert_file, "TLS: client certificate (PEM) for mutual TLS");
  cmd.add_option("--key", f.key_file, "TLS: the key of --cert (PEM)");
  cmd.add_option("--grpc-method", f.grpc_method,
                 "gRPC: /package.Service/Method to call (default: nightjar's test service Ping)");
  cmd.add_option("--grpc-data-file", f.grpc_data_file,
                 "gRPC: the request message, binary protobuf");
  cmd.add_flag("--grpc-health", f.grpc_health,
               "gRPC: check the standard health service answers SERVING first");
  cmd.add_option("--max-concurrent-streams", f.max_concurrent_streams,
                 "HTTP/2: requests in flight per connection")
      ->capture_default_str();
  cmd.add_option("--name", f.test_name, "Test name, kept in the result");
  cmd.add_option("--label", f.labels,
                 "Label key=value kept in the result, e.g. mesh=istio (repeatable)");
}

void add_load_flags(CLI::App& cmd, LoadFlags& f, bool urls_required) {
  add_test_flags(cmd, f, urls_required);
  cmd.add_option("--output-format", f.output_format, "One of: " + output::format_names())
      ->capture_default_str();
  cmd.add_option("-o,--output", f.output_file,
                 "Write the report to this file instead of standard output");
  cmd.add_flag("--no-progress", f.no_progress,
               "No live progress line (it is only shown on a terminal)");
  add_save_flags(cmd, f.save);
  cmd.add_option("--hlog", f.hlog_file,
                 "Also write an HdrHistogram interval log (.hlog), one histogram per second");
  add_controller_flags(cmd, f.controller);
  add_slo_flags(cmd, f.slo);
}

Result<load::LoadOptions> build_load_options(const LoadFlags& f) {
  load::LoadOptions o;
  for (const std::string& text : f.urls) {
    auto url = http::parse_url(text);
    if (!url.ok()) return url.status();
    o.urls.push_back(*url);
    o.run.urls.push_back(url->to_string());
  }
  o.run.requested_rps = f.rps;
  if (f.requests > 0 && !f.duration_given) {
    o.run.duration_ns = 0;  // bounded by count only
  } else {
    auto d = parse_duration_ns(f.duration);
    if (!d.ok()) return Status::invalid_argument("--duration: " + d.status().message());
    o.run.duration_ns = *d;
  }
  auto warmup = parse_duration_ns(f.warmup);
  if (!warmup.ok()) return Status::invalid_argument("--warmup: " + warmup.status().message());
  o.run.warmup_ns = *warmup;
  if (Status s = add_arrival_options(f, o); !s.ok()) return s;
  auto timeout = parse_duration_ns(f.timeout);
  if (!timeout.ok()) return Status::invalid_argument("--timeout: " + timeout.status().message());
  o.run.timeout_ns = *timeout;
  o.run.requests = f.requests;
  o.run.connections = f.connections;
  o.run.threads = f.threads;
  o.run.max_pending = f.max_pending;
  o.run.method = f.method;
  o.request.method = f.method;
  for (const std::string& text : f.headers) {
    auto header = http::parse_header(text);
    if (!header.ok()) return Status::invalid_argument("-H: " + header.status().message());
    o.request.headers.push_back(*header);
  }
  if (!f.body.empty() && !f.body_file.empty()) {
    return Status::invalid_argument("--body and --body-file cannot be used together");
  }
  o.request.body = f.body;
  if (!f.body_file.empty()) {
    auto data = read_file(f.body_file, load::limits::kMaxBodyBytes);
    if (!data.ok()) return Status::invalid_argument("--body-file: " + data.status().message());
    o.request.body = std::move(*data);
  }
  if (!f.content_type.empty()) o.request.headers.emplace_back("Content-Type", f.content_type);
  o.run.headers = o.request.headers;
  o.run.body_bytes = static_cast<int64_t>(o.request.body.size());
  auto protocol = load::resolve_protocol(o.urls, f.protocol);
  if (!protocol.ok()) return protocol.status();
  o.run.protocol = *protocol;
  // Checked by validate() even where HTTP/1.1 then ignores it.
  o.run.max_concurrent_streams = f.max_concurrent_streams;
  if (Status s = add_tls_options(f, o); !s.ok()) return s;
  if (Status s = add_grpc_options(f, o); !s.ok()) return s;
  o.run.test_name = f.test_name;
  for (const std::string& label : f.labels) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::invalid_argument("--label '" + label + "' needs the form key=value");
    }
    o.run.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  if (Status s = load::validate(o); !s.ok()) return s;
  if (o.run.protocol == "http/1.1") o.run.max_concurrent_streams = 1;
  return o;
}

Result<distributed::ControllerOptions> controller_options(const ControllerFlags& f) {
  distributed::ControllerOptions c;
  c.workers = f.workers;
  c.min_workers = f.min_workers;
  auto lease = parse_duration_ns(f.lease);
  if (!lease.ok()) return Status::invalid_argument("--lease: " + lease.status().message());
  if (*lease < 100 * kNanosPerMilli)
    return Status::invalid_argument("--lease must be at least 100ms");
  c.lease_ns = *lease;
  if (!f.worker_token_file.empty()) {
    auto token = read_secret("--worker-token-file", f.worker_token_file);
    if (!token.ok()) return token.status();
    c.token = *token;
  }
  if (Status s = read_flag_file("--worker-ca", f.worker_ca, c.ca_pem); !s.ok()) return s;
  if (f.worker_cert.empty() != f.worker_key.empty()) {
    return Status::invalid_argument("--worker-cert and --worker-key go together");
  }
  if (Status s = read_flag_file("--worker-cert", f.worker_cert, c.cert_pem); !s.ok()) return s;
  if (Status s = read_flag_file("--worker-key", f.worker_key, c.key_pem); !s.ok()) return s;
  c.tls = !f.worker_ca.empty() || !f.worker_cert.empty();
  if (c.workers.empty() && (c.tls || !c.token.empty() || c.min_workers > 0)) {
    return Status::invalid_argument("worker options need --workers");
  }
  return c;
}

}  // namespace nightjar::cli
