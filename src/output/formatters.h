// Renders a RunResult for people (human) and for programs (json). Every field is
// documented in docs/output.md.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "model/run_result.h"

namespace nightjar::output {

enum class Format { kHuman, kJson };

// Parses an --output-format value; the error lists the known formats.
Result<Format> parse_format(std::string_view name);

std::string render_human(const model::RunResult& result);
std::string render_json(const model::RunResult& result);
std::string render(const model::RunResult& result, Format format);

// The percentile as a JSON key: 50 -> "50", 99.9 -> "99.9".
std::string percentile_key(double percentile);

// The warnings a report shows (sender behind schedule, dropped arrivals, interrupted run).
std::vector<std::string> warnings(const model::RunResult& result);

}  // namespace nightjar::output
