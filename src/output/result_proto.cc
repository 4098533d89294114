#include "output/result_proto.h"

#include <google/protobuf/util/json_util.h>

#include "output/formatters.h"

namespace nightjar::output {

Result<nightjar::v1::RunResult> to_proto(const model::RunResult& result) {
  nightjar::v1::RunResult message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // every JSON field must be declared in the proto
  const auto status = google::protobuf::util::JsonStringToMessage(render_json(result), &message, options);
  if (!status.ok()) return Status::internal("result does not fit its proto: " + std::string(status.message()));
  return message;
}

Result<model::RunResult> from_proto(const nightjar::v1::RunResult& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) return Status::internal("cannot print result proto: " + std::string(status.message()));
  return parse_result_json(json);
}

}  // namespace nightjar::output
