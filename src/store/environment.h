// The machine a run ran on, as the results store keeps it beside each run.
#pragma once

#include <string>

namespace nightjar::store {

struct Environment {
  std::string host_name;       // uname(2) nodename
  std::string kernel_release;  // uname(2) release, e.g. "6.1.0-18-amd64"
  std::string cpu_model;       // /proc/cpuinfo "model name" (or "Model", "cpu model"); "" when none
  int cpu_count = 0;           // hardware threads (std::thread::hardware_concurrency)
  std::string nightjar_version;  // nightjar::kVersion of the build that ran it
};

// This machine and build. Never fails: what cannot be read is left empty (0 for cpu_count).
Environment current_environment();

}  // namespace nightjar::store
