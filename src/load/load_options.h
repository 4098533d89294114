// Everything a local load run needs, validated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/request.h"
#include "http/url.h"
#include "model/run_result.h"
#include "tls/client_context.h"

namespace nightjar::load {

struct LoadOptions {
  model::RunOptions run;          // echoed into the result
  std::vector<http::Url> urls;    // parsed run.urls, in round-robin order
  http::RequestSpec request;      // method, headers, body
  // The part of the plan this process runs: arrivals shard_index, shard_index +
  // shard_count, ... of the plan for run.requested_rps (and of run.requests). A local run
  // is shard 0 of 1; a distributed run gives worker k shard k of N.
  uint64_t shard_index = 0;
  uint64_t shard_count = 1;
  // https:// and grpcs://: trust, client certificate, SNI (run.tls says whether TLS is on;
  // ALPN is chosen by the runner from run.protocol).
  tls::ClientOptions tls;
  // gRPC: the serialized request message (run.grpc_method names the call).
  std::string grpc_message;
  // gRPC: ask the standard health service before the run (--grpc-health).
  bool grpc_health = false;
  bool operator==(const LoadOptions&) const = default;
};

// The protocol a run speaks (run.protocol), from its URLs' scheme and --protocol (`flag`:
// "" when not given, "http1" or "h2"): http:// -> "http/1.1" (or "h2c" with h2), h2c:// ->
// "h2c", https:// -> "auto" (ALPN picks; the result then says "h2" or "http/1.1"), or
// "http/1.1" or "h2" when forced; grpc:// and grpcs:// -> "grpc". Errors name the
// contradiction (mixed schemes, gRPC over HTTP/1.1).
Result<std::string> resolve_protocol(const std::vector<http::Url>& urls, const std::string& flag);

// Copies how TLS was set up (options.tls) into `echo`, the options a result reports.
void echo_tls_options(const LoadOptions& options, model::RunOptions& echo);

// https:// and grpcs:// run over TLS.
inline bool uses_tls(const http::Url& url) { return url.scheme == "https" || url.scheme == "grpcs"; }

// The limits of a run: the one place they live. validate() enforces every one, for every
// entry point (the CLI, SMPS test files, a worker's Start, the REST API); docs/limits.md
// lists them. They bound what a run may take on behalf of its input: memory (queue, body,
// headers), threads and sockets, and the length of the plan.
namespace limits {
inline constexpr size_t kMaxUrls = 100;
inline constexpr double kMaxRps = 10'000'000;            // total, over every thread and worker
inline constexpr double kMinRps = 0.001;                 // or 0: closed loop
inline constexpr int64_t kMaxDurationNs = 24LL * 3600 * 1'000'000'000;  // the timeline keeps one entry a second
inline constexpr int64_t kMaxRequests = 1'000'000'000'000;
inline constexpr int64_t kMaxWarmupNs = 3600LL * 1'000'000'000;
inline constexpr int64_t kMinTimeoutNs = 1'000'000;      // 1ms
inline constexpr int64_t kMaxTimeoutNs = 3600LL * 1'000'000'000;
inline constexpr int kMaxConnections = 100'000;
inline constexpr int kMaxThreads = 256;
inline constexpr int64_t kMaxPending = 1'000'000;        // 24 bytes each
inline constexpr int kMaxConcurrentStreams = 1000;
inline constexpr size_t kMaxBodyBytes = 64u << 20;       // request body or gRPC message
inline constexpr size_t kMaxHeaders = 100;
inline constexpr size_t kMaxHeaderBytes = 8192;          // one header, name and value
inline constexpr size_t kMaxMethodBytes = 32;
inline constexpr size_t kMaxNameBytes = 1024;            // --name
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxLabelKeyBytes = 256;
inline constexpr size_t kMaxLabelValueBytes = 1024;
inline constexpr uint64_t kMaxShards = 10'000;           // workers of a distributed run
inline constexpr uint64_t kMaxSeed = (uint64_t{1} << 53) - 1;  // --seed: exact as a JSON number
}  // namespace limits

// Checks every option against its range and the combination of options; the message names
// the option (its command-line flag) and the range. Used by every entry point.
Status validate(const LoadOptions& options);

// Checks how TLS is set up (options.tls, from --ca-file, --insecure, --sni, --cert, --key or
// a test file's fields): only https:// and grpcs:// URLs take it, --insecure and --ca-file
// exclude each other, and the files it names must load (tls::ClientContext::create: a trust
// store, a certificate that matches its key). Reads those files. Messages name the flag.
Status validate_tls(const LoadOptions& options);

}  // namespace nightjar::load
