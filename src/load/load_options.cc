#include "load/load_options.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string_view>

#include "common/duration.h"
#include "http/grpc.h"

namespace nightjar::load {

namespace {

std::string number(double value) {
  if (value == static_cast<double>(static_cast<int64_t>(value))) return std::to_string(static_cast<int64_t>(value));
  std::ostringstream out;
  out << value;
  return out.str();
}

// "--flag must be from MIN to MAX (got VALUE)", or ok.
Status in_range(std::string_view flag, double value, double min, double max, std::string_view unit = "") {
  if (std::isfinite(value) && value >= min && value <= max) return {};
  return Status::invalid_argument(std::string(flag) + " must be from " + number(min) + std::string(unit) + " to " +
                                  number(max) + std::string(unit) + " (got " + number(value) + std::string(unit) + ")");
}

Status duration_in_range(std::string_view flag, int64_t value_ns, int64_t min_ns, int64_t max_ns) {
  if (value_ns >= min_ns && value_ns <= max_ns) return {};
  return Status::invalid_argument(std::string(flag) + " must be from " + format_duration_ns(min_ns) + " to " +
                                  format_duration_ns(max_ns) + " (got " + format_duration_ns(value_ns) + ")");
}

Status validate_request(const LoadOptions& options) {
  const http::RequestSpec& request = options.request;
  if (request.method.size() > limits::kMaxMethodBytes || !http::is_token(request.method)) {
    return Status::invalid_argument("--method '" + request.method.substr(0, limits::kMaxMethodBytes) +
                                    "' is not a valid HTTP method (a token of at most " +
                                    std::to_string(limits::kMaxMethodBytes) + " characters)");
  }
  if (request.headers.size() > limits::kMaxHeaders) {
    return Status::invalid_argument("-H: at most " + std::to_string(limits::kMaxHeaders) +
                                    " headers are supported (got " + std::to_string(request.headers.size()) + ")");
  }
  for (const auto& [name, value] : request.headers) {
    if (!http::is_token(name)) return Status::invalid_argument("-H: header name '" + name + "' is not a valid token");
    if (name.size() + value.size() > limits::kMaxHeaderBytes) {
      return Status::invalid_argument("-H: header '" + name + "' is " + std::to_string(name.size() + value.size()) +
                                      " bytes; at most " + std::to_string(limits::kMaxHeaderBytes) + " are supported");
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::invalid_argument("-H: header '" + name + "' has a line break or NUL in its value");
    }
  }
  if (request.body.size() > limits::kMaxBodyBytes) {
    return Status::invalid_argument("--body: the body is " + std::to_string(request.body.size()) + " bytes; at most " +
                                    std::to_string(limits::kMaxBodyBytes) + " are supported");
  }
  if (options.grpc_message.size() > limits::kMaxBodyBytes) {
    return Status::invalid_argument("--grpc-data-file: the message is " + std::to_string(options.grpc_message.size()) +
                                    " bytes; at most " + std::to_string(limits::kMaxBodyBytes) + " are supported");
  }
  return {};
}

Status validate_labels(const model::RunOptions& run) {
  if (run.test_name.size() > limits::kMaxNameBytes) {
    return Status::invalid_argument("--name is " + std::to_string(run.test_name.size()) + " bytes; at most " +
                                    std::to_string(limits::kMaxNameBytes) + " are supported");
  }
  if (run.labels.size() > limits::kMaxLabels) {
    return Status::invalid_argument("--label: at most " + std::to_string(limits::kMaxLabels) +
                                    " labels are supported (got " + std::to_string(run.labels.size()) + ")");
  }
  for (const auto& [key, value] : run.labels) {
    if (key.empty() || key.size() > limits::kMaxLabelKeyBytes || value.size() > limits::kMaxLabelValueBytes) {
      return Status::invalid_argument("--label '" + key.substr(0, 64) + "': keys are 1 to " +
                                      std::to_string(limits::kMaxLabelKeyBytes) + " bytes, values at most " +
                                      std::to_string(limits::kMaxLabelValueBytes));
    }
  }
  return {};
}

// --arrival, --seed and the rate shape (--stages, --pace-file).
Status validate_arrivals(const model::RunOptions& run) {
  if (run.arrival != "uniform" && run.arrival != "poisson") {
    return Status::invalid_argument("--arrival must be uniform or poisson (got '" + run.arrival + "')");
  }
  if (run.seed > limits::kMaxSeed) {
    return Status::invalid_argument("--seed must be from 0 to 2^53 - 1 (got " + std::to_string(run.seed) + ")");
  }
  if (run.requested_rps <= 0 && (run.arrival != "uniform" || !run.rate_shape.empty())) {
    return Status::invalid_argument("--arrival poisson, --stages and --pace-file are for an open loop (a rate)");
  }
  if (run.rate_shape.empty()) return {};
  auto shape = model::RateShape::create(run.rate_shape, limits::kMaxRps);
  if (!shape.ok()) return Status::invalid_argument("--stages/--pace-file: " + shape.status().message());
  if (run.duration_ns == 0) {
    return Status::invalid_argument("--stages and --pace-file need a duration (the run's length)");
  }
  return {};
}

}  // namespace

Status validate(const LoadOptions& options) {
  const model::RunOptions& run = options.run;
  if (options.urls.empty()) return Status::invalid_argument("at least one URL is needed");
  if (options.urls.size() > limits::kMaxUrls) {
    return Status::invalid_argument("at most " + std::to_string(limits::kMaxUrls) + " URLs are supported (got " +
                                    std::to_string(options.urls.size()) + ")");
  }
  for (const http::Url& url : options.urls) {
    if (url.host != options.urls.front().host || url.port != options.urls.front().port) {
      return Status::invalid_argument(
          "all URLs of one run must share host and port ('" + url.to_string() + "' differs from '" +
          options.urls.front().to_string() + "'); run separate tests for separate targets");
    }
  }
  if (!std::isfinite(run.requested_rps) || run.requested_rps < 0) {
    return Status::invalid_argument("--rps must be 0 (closed loop) or a rate from " + number(limits::kMinRps) +
                                    " to " + number(limits::kMaxRps) + " (got " + number(run.requested_rps) + ")");
  }
  if (run.requested_rps > 0) {
    if (Status s = in_range("--rps", run.requested_rps, limits::kMinRps, limits::kMaxRps); !s.ok()) {
      return Status::invalid_argument(s.message() + "; 0 means closed loop");
    }
  }
  if (Status s = duration_in_range("--duration", run.duration_ns, 0, limits::kMaxDurationNs); !s.ok()) return s;
  if (Status s = validate_arrivals(run); !s.ok()) return s;
  if (Status s = in_range("--requests", static_cast<double>(run.requests), 0, static_cast<double>(limits::kMaxRequests));
      !s.ok()) {
    return s;
  }
  if (run.duration_ns == 0 && run.requests == 0) {
    return Status::invalid_argument("a run needs --duration above 0 or --requests above 0");
  }
  if (Status s = in_range("--connections", run.connections, 1, limits::kMaxConnections); !s.ok()) return s;
  if (Status s = in_range("--threads", run.threads, 1, limits::kMaxThreads); !s.ok()) return s;
  if (Status s = duration_in_range("--warmup", run.warmup_ns, 0, limits::kMaxWarmupNs); !s.ok()) return s;
  if (Status s = duration_in_range("--timeout", run.timeout_ns, limits::kMinTimeoutNs, limits::kMaxTimeoutNs); !s.ok()) {
    return s;
  }
  if (Status s = in_range("--max-pending", static_cast<double>(run.max_pending), 0,
                          static_cast<double>(limits::kMaxPending));
      !s.ok()) {
    return s;
  }
  if (Status s = in_range("--max-concurrent-streams", run.max_concurrent_streams, 1, limits::kMaxConcurrentStreams);
      !s.ok()) {
    return s;
  }
  if (run.protocol != "http/1.1" && run.protocol != "h2c" && run.protocol != "h2" && run.protocol != "auto" &&
      run.protocol != "grpc") {
    return Status::invalid_argument("protocol '" + run.protocol + "' is not known (http/1.1, h2c, h2, auto or grpc)");
  }
  if (run.protocol == "grpc") {
    if (Status s = http::validate_grpc_method(run.grpc_method); !s.ok()) return s;
  }
  if (Status s = validate_request(options); !s.ok()) return s;
  if (Status s = validate_labels(run); !s.ok()) return s;
  if (options.shard_count < 1 || options.shard_count > limits::kMaxShards || options.shard_index >= options.shard_count) {
    return Status::invalid_argument("shard " + std::to_string(options.shard_index) + " of " +
                                    std::to_string(options.shard_count) + " does not exist (at most " +
                                    std::to_string(limits::kMaxShards) + " shards)");
  }
  return {};
}

Status validate_tls(const LoadOptions& options) {
  const tls::ClientOptions& t = options.tls;
  const bool any = !t.ca_file.empty() || t.insecure || !t.sni.empty() || !t.cert_file.empty() ||
                   !t.key_file.empty();
  if (!any) return {};
  if (options.urls.empty() || !uses_tls(options.urls.front())) {
    return Status::invalid_argument(
        "--ca-file, --insecure, --sni, --cert and --key apply to https:// and grpcs:// URLs");
  }
  if (t.insecure && !t.ca_file.empty())
    return Status::invalid_argument("--insecure and --ca-file cannot be used together");
  auto context = tls::ClientContext::create(t);
  return context.ok() ? Status() : context.status();
}

void echo_tls_options(const LoadOptions& options, model::RunOptions& echo) {
  if (!options.run.tls) return;
  echo.tls_insecure = options.tls.insecure;
  echo.tls_sni = options.tls.sni;
  echo.tls_ca_file = options.tls.ca_file;
  echo.tls_client_cert = options.tls.cert_file;
}

Result<std::string> resolve_protocol(const std::vector<http::Url>& urls, const std::string& flag) {
  if (urls.empty()) return Status::invalid_argument("at least one URL is needed");
  const std::string& scheme = urls.front().scheme;
  for (const http::Url& url : urls) {
    if (url.scheme != scheme) {
      return Status::invalid_argument("all URLs of one run must use one scheme ('" + url.to_string() + "' is not " +
                                      scheme + "://)");
    }
  }
  std::string forced;
  if (flag == "http1" || flag == "http/1.1") {
    forced = "http1";
  } else if (flag == "h2" || flag == "h2c") {
    forced = "h2";
  } else if (!flag.empty()) {
    return Status::invalid_argument("--protocol '" + flag + "' is not known (http1 or h2)");
  }
  if (scheme == "grpc" || scheme == "grpcs") {
    if (forced == "http1") return Status::invalid_argument("gRPC runs over HTTP/2; --protocol http1 does not apply");
    return std::string("grpc");
  }
  if (scheme == "h2c") {
    if (forced == "http1") return Status::invalid_argument("h2c:// URLs are HTTP/2; --protocol http1 does not apply");
    return std::string("h2c");
  }
  if (scheme == "https") {
    if (forced.empty()) return std::string("auto");
    return std::string(forced == "h2" ? "h2" : "http/1.1");
  }
  return std::string(forced == "h2" ? "h2c" : "http/1.1");
}

}  // namespace nightjar::load
