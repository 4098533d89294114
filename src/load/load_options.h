// Everything a local load run needs, validated.
#pragma once

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

// Checks the combination of options; the message names the option that is wrong.
Status validate(const LoadOptions& options);

}  // namespace nightjar::load
