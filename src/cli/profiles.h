// Tests as commands read them: a test file (`run -f`, `profiles save -f`, `profiles import`)
// and the test a profile holds (`run --profile`). The `profiles` command itself is in
// profiles_command.cc (docs/results.md#profiles).
#pragma once

#include <string>

#include "common/status.h"
#include "config/smps_test.h"

namespace nightjar::cli {

// The test in the file at `path` (config::parse_smps_test). Errors are InvalidArgument (a
// usage error): a file that cannot be read, or the parser's FILE:LINE:COLUMN message.
Result<config::TestPlan> read_test_file(const std::string& path);

// The test the profile `name` holds, in the results database at `db_path`, read as
// `run -f` reads the same YAML (config::parse_smps_test, the source named "profile 'NAME'").
// Errors: NotFound when there is no such profile (naming the known ones) or no database yet;
// the store's; InvalidArgument when the definition no longer reads (a CA file since removed).
Result<config::TestPlan> read_profile(const std::string& db_path, const std::string& name);

}  // namespace nightjar::cli
