// Everything a local load run needs, validated.
#pragma once

#include <vector>

#include "common/status.h"
#include "http/request.h"
#include "http/url.h"
#include "model/run_result.h"

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
};

// Checks the combination of options; the message names the option that is wrong.
Status validate(const LoadOptions& options);

}  // namespace nightjar::load
