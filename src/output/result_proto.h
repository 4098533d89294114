// The protobuf form of a RunResult (proto/nightjar/v1/result.proto), for transport between
// processes and for storage. The proto's JSON mapping is nightjar's JSON output, so the
// conversion goes through that one form and cannot drift from it.
#pragma once

#include "common/status.h"
#include "model/run_result.h"
#include "nightjar/v1/result.pb.h"

namespace nightjar::output {

Result<nightjar::v1::RunResult> to_proto(const model::RunResult& result);
Result<model::RunResult> from_proto(const nightjar::v1::RunResult& message);

}  // namespace nightjar::output
