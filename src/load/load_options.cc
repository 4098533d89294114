#include "load/load_options.h"

#include <cmath>

namespace nightjar::load {

Status validate(const LoadOptions& options) {
  const model::RunOptions& run = options.run;
  if (options.urls.empty()) return Status::invalid_argument("at least one URL is needed");
  for (const http::Url& url : options.urls) {
    if (url.host != options.urls.front().host || url.port != options.urls.front().port) {
      return Status::invalid_argument(
          "all URLs of one run must share host and port ('" + url.to_string() + "' differs from '" +
          options.urls.front().to_string() + "'); run separate tests for separate targets");
    }
  }
  if (!std::isfinite(run.requested_rps) || run.requested_rps < 0) {
    return Status::invalid_argument("--rps must be 0 (closed loop) or a positive rate");
  }
  if (run.requested_rps > 0 && run.requested_rps < 1e-3) {
    return Status::invalid_argument("--rps below 0.001 per second is not a useful rate");
  }
  if (run.duration_ns <= 0 && run.requests <= 0) {
    return Status::invalid_argument("a run needs --duration above 0 or --requests above 0");
  }
  if (run.requests < 0) return Status::invalid_argument("--requests must not be negative");
  if (run.connections < 1) return Status::invalid_argument("--connections must be at least 1");
  if (run.connections > 100000) return Status::invalid_argument("--connections above 100000 is not supported");
  if (run.threads < 1) return Status::invalid_argument("--threads must be at least 1");
  if (run.threads > 256) return Status::invalid_argument("--threads above 256 is not supported");
  if (run.warmup_ns < 0) return Status::invalid_argument("--warmup must not be negative");
  if (run.timeout_ns <= 0) return Status::invalid_argument("--timeout must be above 0");
  if (run.max_pending < 0) return Status::invalid_argument("--max-pending must not be negative");
  if (options.shard_count < 1 || options.shard_index >= options.shard_count) {
    return Status::invalid_argument("shard " + std::to_string(options.shard_index) + " of " +
                                    std::to_string(options.shard_count) + " does not exist");
  }
  return {};
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
