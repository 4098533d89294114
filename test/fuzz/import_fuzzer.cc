// libFuzzer target for `nightjar results import FILE` (output/import.h): whatever the file holds,
// parse_import returns its results or an error that begins with the file's name, never throws.
// What it accepts is within the import limits, renders in every format, and reads back the same
// from both forms a stored run takes (its JSON export and the binary form the store keeps);
// a run rebuilt from fortio's buckets counts as many calls as fortio's histogram said.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/result_proto.h"
#include "output/formatters.h"
#include "output/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  using namespace nightjar::output;
  auto runs = parse_import(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!runs.ok()) {
    if (runs.status().message().rfind("fuzz.json: ", 0) != 0) __builtin_trap();
    return 0;
  }
  if (runs->empty() || runs->size() > kMaxImportRuns) __builtin_trap();
  for (const ImportedRun& run : *runs) {
    const model::RunResult& r = run.result;
    if (run.format != ImportFormat::kNightjar &&
        (!r.provenance.imported() || r.latency.total_count() != r.provenance.source_latency.count)) {
      __builtin_trap();
    }
    for (Format format : {Format::kHuman, Format::kJson, Format::kYaml, Format::kCsv, Format::kPrometheus,
                          Format::kFortio, Format::kSmps, Format::kHtml}) {
      (void)render(r, format);
    }
    const std::string json = render_json(r);
    auto exported = parse_result_json(json);
    if (!exported.ok() || render_json(*exported) != json) __builtin_trap();
    auto stored = model::from_proto(model::to_proto(r));
    if (!stored.ok() || !(stored->provenance == r.provenance)) __builtin_trap();
  }
  return 0;
}
