// libFuzzer target for SMPS test files (`nightjar run -f TEST.yaml`), YAML or JSON, legacy or
// camelCase: parsing must give a plan or an error naming the file and where, never throw. A plan
// it gives has at least one client, each with validated options.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/smps_test.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  auto plan = config::parse_smps_test(std::string_view(reinterpret_cast<const char*>(data), size),
                                      "fuzz.yaml");
  if (!plan.ok()) {
    if (plan.status().message().rfind("fuzz.yaml", 0) != 0) __builtin_trap();
    return 0;
  }
  if (plan->clients.empty() || plan->duration_ns <= 0) __builtin_trap();
  for (const config::TestClient& client : plan->clients) {
    if (!load::validate(client.options).ok()) __builtin_trap();
  }
  return 0;
}
