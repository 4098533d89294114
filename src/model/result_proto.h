// The binary form of a RunResult: the protobuf model (proto/nightjar/v1/result.proto) that
// results travel as between a worker and its controller, and that the results store keeps.
// Written and read field by field, without the JSON renderer, so `distributed` and `store`
// need nothing of `output`. The JSON output (output/) is the user's format; the two agree
// field for field, which test/output/result_proto_test.cc keeps true.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "model/run_result.h"
#include "nightjar/v1/result.pb.h"

namespace nightjar::model {

// Fills every field of the model; the derived summaries (percentile tables, rates, times as
// text, warnings) are the JSON form's and stay empty.
nightjar::v1::RunResult to_proto(const RunResult& result);
// to_proto's message as bytes, serialised deterministically (map entries in key order): the
// same result always gives the same bytes. What the results store keeps.
std::string to_proto_bytes(const RunResult& result);

// Never throws. Errors (InvalidArgument) name the field: an unreadable histogram, a negative
// duration, a schema newer than kResultSchema, a status code out of range.
Result<RunResult> from_proto(const nightjar::v1::RunResult& message);

void to_proto(const Counters& counters, nightjar::v1::Counters* out);
// Error kinds this build does not know are counted as kOther.
Counters from_proto(const nightjar::v1::Counters& message);

// A rate shape in any message that has one (RunOptions, a worker's LoadSpec).
using RateSegments = google::protobuf::RepeatedPtrField<nightjar::v1::RateSegment>;
void to_proto(const std::vector<RateSegment>& shape, RateSegments* out);
std::vector<RateSegment> from_proto(const RateSegments& message);

}  // namespace nightjar::model
