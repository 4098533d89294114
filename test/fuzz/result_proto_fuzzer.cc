// libFuzzer target for the binary result (a worker's Final, a stored run): whatever the bytes,
// protobuf parses them or not, and from_proto returns a result or an error naming the field,
// never throws. A result it accepts renders in every format, and its binary form reads back.
#include <cstddef>
#include <cstdint>

#include "model/result_proto.h"
#include "output/formatters.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  v1::RunResult message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto result = model::from_proto(message);
  if (!result.ok()) {
    if (result.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (output::Format format : {output::Format::kHuman, output::Format::kJson, output::Format::kFortio,
                                output::Format::kSmps, output::Format::kHtml}) {
    (void)output::render(*result, format);
  }
  v1::RunResult again;
  if (!again.ParseFromString(model::to_proto(*result).SerializeAsString())) __builtin_trap();
  if (!model::from_proto(again).ok()) __builtin_trap();
  return 0;
}
