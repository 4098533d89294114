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
};

// Checks the combination of options; the message names the option that is wrong.
Status validate(const LoadOptions& options);

}  // namespace nightjar::load
