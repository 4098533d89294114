// Ctrl-C and SIGTERM during a run: the first one stops the run (what was measured is still
// reported), a second Ctrl-C ends the process at once.
#pragma once

#include <atomic>

namespace nightjar::cli {

// Installs the handler for SIGINT and SIGTERM (again is harmless) and returns the flag it
// sets, for load::RunControl::stop.
const std::atomic<bool>& install_interrupt_handler();

}  // namespace nightjar::cli
