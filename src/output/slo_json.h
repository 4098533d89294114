// The SLO verdicts in nightjar's JSON form (docs/output.md#slos): written by render_json,
// read back by parse_result_json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/run_result.h"

namespace nightjar::output {

// Adds "slos" (when the run had SLOs) and "aborted_by_slo" (when one stopped it) to `j`.
void append_slos_json(nlohmann::ordered_json& j, const model::RunResult& result);

// Reads them from a result's top level into `result`; returns the first problem ("" when
// none), naming the field. Never throws.
std::string read_slos_json(const nlohmann::json& root, model::RunResult& result);

}  // namespace nightjar::output
