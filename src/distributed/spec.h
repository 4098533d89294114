// Translating a local run's options to the worker API's LoadSpec and back.
#pragma once

#include "common/status.h"
#include "load/load_options.h"
#include "nightjar/v1/worker.pb.h"

namespace nightjar::distributed {

// The spec a controller sends: the whole test's rate and count, this worker's connections
// and threads.
nightjar::v1::LoadSpec to_spec(const load::LoadOptions& options);

// What a worker runs for `start`: URLs parsed, shard set, validated. Errors name the field.
Result<load::LoadOptions> from_start(const nightjar::v1::Start& start);

}  // namespace nightjar::distributed
