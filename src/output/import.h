// Reading results that nightjar and other tools wrote, for `nightjar results import`
// (docs/results.md#importing). The format is told from the content, not the file name:
//   - nightjar JSON: one result (`--output-format json`) or a JSON array of them (what
//     `results export A B` writes), read with parse_result_json's rules;
//   - fortio's HTTP result JSON (`fortio load -json`), one or an array of them;
//   - Meshery's stored results: entries with fortio's result under `runner_results` (an object
//     or a list), as an array, a single entry, or a page {"results": [...]}.
// A fortio result keeps only bucketed latencies, so its RunResult is rebuilt: the counts,
// status codes, duration, rate, min and max are fortio's; the histogram puts each bucket's
// calls at the bucket's upper bound, so percentiles, mean and stdev are upper bounds. The
// result's `provenance` says so and keeps fortio's own figures.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/run_result.h"
#include "output/formatters.h"

namespace nightjar::output {

// Limits on one imported file (docs/output.md, "Limits on what is read"); the size, nesting
// and histogram budget are the result JSON's.
inline constexpr size_t kMaxImportBytes = kMaxResultJsonBytes;
inline constexpr int kMaxImportDepth = kMaxResultJsonDepth;
inline constexpr size_t kMaxImportRuns = 100;          // results in one file
inline constexpr size_t kMaxFortioBuckets = 1000;      // DurationHistogram.Data entries (fortio writes <= 58)
inline constexpr size_t kMaxFortioPercentiles = 100;   // DurationHistogram.Percentiles entries

enum class ImportFormat { kNightjar, kFortio, kMeshery };
// "nightjar", "fortio", "meshery": the store's source is "import:" and this name.
std::string_view import_format_name(ImportFormat format);

struct ImportedRun {
  model::RunResult result;
  ImportFormat format = ImportFormat::kNightjar;
  std::string where;  // "" when the file holds one result; "#2" for its third, in file order
};

// Every result in `text`, in file order, or the first problem: never a part of the file.
// Never throws. Errors (InvalidArgument) begin with `source_name` and name the field by its
// path from the top of the file: "r.json: [1].runner_results[0].DurationHistogram.Data[3].Count
// must not be negative (it is -1)", or the limit exceeded, or that the content is none of the
// formats above. Thread-safety: a pure function.
Result<std::vector<ImportedRun>> parse_import(std::string_view text, const std::string& source_name);

}  // namespace nightjar::output
