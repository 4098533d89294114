// Ctrl-C and SIGTERM. During a run the first one stops the run (what was measured is still
// reported) and a second Ctrl-C ends the process at once; a command that serves until
// stopped (serve, worker) waits for one instead.
#pragma once

#include <signal.h>

#include <atomic>

namespace nightjar::cli {

// Installs the handler for SIGINT and SIGTERM (again is harmless) and returns the flag it
// sets, for load::RunControl::stop.
const std::atomic<bool>& install_interrupt_handler();

// SIGINT and SIGTERM blocked in this thread and every thread it starts afterwards, so that
// wait() receives them here. Construct it before any thread starts.
class StopSignals {
 public:
  StopSignals();
  // Returns once SIGINT or SIGTERM arrived.
  void wait() const;

 private:
  sigset_t signals_;
};

}  // namespace nightjar::cli
