// Writing SMPS test files (docs/test-files.md): a test plan, or the options of one
// `nightjar load`, as the YAML that parse_smps_test reads back into the same plan. This is
// what a profile keeps (docs/results.md#profiles) and what `nightjar profiles export` writes.
//
// The shape is the current one, Meshery's PerformanceTestConfig (camelCase, `protocol: http`
// by name): the integer enums of the legacy shape were renumbered between SMPS versions, so a
// name is the only unambiguous form. What SMPS has no field for goes in a `nightjar:` section
// (config/nightjar_section.h), holding only what differs from what the SMPS fields alone give.
//
// Pure: nothing is read or written. Errors are InvalidArgument values naming the field.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "config/smps_test.h"
#include "load/load_options.h"

namespace nightjar::config {

// The one-client plan that runs what `nightjar load` runs with `options`: the test's name,
// labels and duration are the options' (a duration of 0 when --requests alone bounds it).
TestPlan plan_of(const load::LoadOptions& options);

// `plan` as an SMPS test file with a `nightjar:` section; parse_smps_test reads it back into
// the same plan. One exception: header names repeated in a client are joined into one header
// ("a, b"; cookies "a; b", RFC 9110 5.3), because SMPS headers are a map.
// Errors: clients whose nightjar options differ (one section applies to every client); a
// name, label, header or path that is not UTF-8 text; a file beyond kMaxTestFileBytes.
Result<std::string> write_smps_test(const TestPlan& plan);

// A test for Meshery, whose schema refuses fields it does not know: only the fields of its
// PerformanceTestConfig, no `nightjar:` section. h2c://, grpc:// and grpcs:// endpoints become
// http:// and https:// (with `protocol: grpc`); a rate that is not whole is rounded.
struct MesheryTest {
  std::string text;
  std::vector<std::string>
      left_out;  // what nightjar would run differently: "nightjar.threads", ...
};
// Errors: write_smps_test's, a plan without a name, or bounded by its requests alone
// (Meshery needs both a name and a duration).
Result<MesheryTest> write_meshery_test(const TestPlan& plan);

}  // namespace nightjar::config
