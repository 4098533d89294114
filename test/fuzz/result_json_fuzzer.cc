// libFuzzer target for the result JSON reader (`nightjar report FILE`, results imported from
// elsewhere): whatever the file holds, parse_result_json must return a result or an error that
// names the field, never throw. A result it accepts is what `nightjar report` then renders, so
// every format (and the .hlog) is rendered from it, and its JSON form must read back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "output/formatters.h"
#include "output/hlog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar::output;
  auto result = parse_result_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!result.ok()) {
    if (result.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (Format format : {Format::kHuman, Format::kJson, Format::kYaml, Format::kCsv,
                        Format::kPrometheus, Format::kFortio, Format::kSmps, Format::kHtml}) {
    (void)render(*result, format);
  }
  (void)render_hlog(*result);
  auto again = parse_result_json(render_json(*result));
  if (!again.ok()) __builtin_trap();
  return 0;
}
