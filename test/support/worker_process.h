// A `nightjar worker` child process for the distributed tests.
#pragma once

#include <string>
#include <vector>

#include "support/cli.h"

namespace nightjar::testing {

// `nightjar worker --listen 127.0.0.1:0` plus `extra` flags (NIGHTJAR_BINARY), its address
// read from its first line; stop(), kill() and the clean exit expected at the end as for
// every ListeningChild.
class WorkerProcess : public ListeningChild {
 public:
  explicit WorkerProcess(const std::vector<std::string>& extra = {})
      : ListeningChild("worker", extra) {}
};

}  // namespace nightjar::testing
