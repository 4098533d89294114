// SMPS test files: `nightjar run -f TEST.yaml` reads a Service Mesh Performance
// PerformanceTestConfig (YAML or JSON) in either shape found in the wild:
//   - legacy: snake_case fields, integer enums (`protocol: 1`), optionally wrapped as
//     `test:` beside a `mesh:` section (what Meshery's CI action uses);
//   - current: camelCase fields as in Meshery's schema (`endpointUrls`, `contentType`,
//     `protocol: "http"`).
// Either may carry a `nightjar:` section beside `clients` with nightjar's own options
// (config/nightjar_section.h); config/smps_writer.h writes files this reads back.
// Durations are Go durations ("30s", "1m30s"). Every error names the field and where it
// is: "FILE:LINE:COLUMN: clients[0].rps: ...".
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "load/load_options.h"
#include "slo/slo.h"

namespace nightjar::config {

struct TestClient {
  std::string name;           // "client-0", ... (SMPS clients have no names)
  load::LoadOptions options;  // validated, ready for load::run_load
  bool operator==(const TestClient&) const = default;
};

struct TestPlan {
  std::string name;
  std::map<std::string, std::string> labels;  // the file's labels plus mesh.* from a mesh: section
  int64_t duration_ns = 0;                    // 0: each client is bounded by its requests alone
  std::vector<TestClient> clients;            // at least one; they run at the same time
  // nightjar's own `slos:` list (e.g. ["p99<20ms", "error_rate<0.1%"]), judged on the whole
  // (docs/slo.md); other readers of SMPS ignore it.
  std::vector<slo::Slo> slos;
  bool operator==(const TestPlan&) const = default;
};

// Limits on a test file (docs/output.md, "Limits on what is read"); a file beyond them is
// refused with a message naming it (and the line and column of the nesting or client).
inline constexpr size_t kMaxTestFileBytes = size_t{1} << 20;  // 1 MiB (Meshery's are < 2 KiB)
inline constexpr int kMaxTestFileDepth = 32;                  // nested maps/sequences (SMPS uses 4)
inline constexpr size_t kMaxTestClients = 100;                // clients run at once

// Parses a test file's text; `source` names it in messages (usually the path). Never throws:
// yaml-cpp's errors become "SOURCE:LINE:COLUMN: ..." messages. Reads the local files the test
// names (sslCertificate, nightjar.tls.*, nightjar.bodyFile, nightjar.grpc.messageFile): a
// front end taking test files from anyone but the local user must refuse those fields.
Result<TestPlan> parse_smps_test(std::string_view text, const std::string& source);

}  // namespace nightjar::config
