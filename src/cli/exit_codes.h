// The exit codes of every command (documented in README.md), and the two ways a command
// ends with an error message.
//   0  the run finished (whatever the target answered)
//   1  the run could not start, or no request of it succeeded
//   2  bad usage: an unknown option, a bad value, an unreadable file
//   3  a gate failed: an SLO (--slo), a comparison (results compare --fail-if), or find-max's
//      start rate (no rate met the SLOs)
//   4  aborted by an SLO (--abort-on-slo)
//   130 interrupted by Ctrl-C (the report is still printed)
#pragma once

#include <string>

#include "common/status.h"

namespace nightjar::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitGateFailed = 3;
inline constexpr int kExitSloAborted = 4;
inline constexpr int kExitInterrupted = 130;

// Prints "nightjar: error: MESSAGE" on standard error; returns kExitUsage.
int usage_error(const std::string& message);

// Prints `status`'s message the same way; returns kExitUsage for an invalid argument,
// kExitFailure for anything else.
int error_exit(const Status& status);

}  // namespace nightjar::cli
