// libFuzzer target for what a worker does with the first message of a run: the bytes are
// parsed as a ControllerMessage (what arrives on the Run stream) and its Start converted to
// load options (distributed/spec.cc). Options it accepts must pass validation and survive
// the conversion back to a LoadSpec and forth again.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>

#include "distributed/spec.h"
#include "nightjar/v1/worker.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  // protobuf logs every string field that is not UTF-8; that is the fuzzer's daily bread.
  static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)kQuiet;
  v1::ControllerMessage message;
  if (!message.ParseFromArray(data, static_cast<int>(size)) || !message.has_start()) return 0;
  // A fixed "now" on the worker's clock keeps every input's verdict reproducible.
  constexpr int64_t kNowUnixNs = 1'800'000'000'000'000'000;
  auto run = distributed::from_start(message.start(), kNowUnixNs);
  if (!run.ok()) {
    if (run.status().message().empty()) __builtin_trap();
    return 0;
  }
  const load::LoadOptions& options = run->options;
  if (options.urls.empty() || !load::validate(options).ok()) __builtin_trap();
  v1::Start again = message.start();
  *again.mutable_spec() = distributed::to_spec(options);
  auto round_trip = distributed::from_start(again, kNowUnixNs);
  if (!round_trip.ok() || round_trip->options.run.urls != options.run.urls) __builtin_trap();
  return 0;
}
