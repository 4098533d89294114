// The nightjar command line. main() only calls run_cli; each subcommand lives in its own
// file and turns options into a call on a component.
//
// Exit codes (documented in README.md):
//   0  the run finished (whatever the target answered)
//   1  the run could not start, or no request of it succeeded
//   2  bad usage: an unknown option, a bad value, an unreadable file
//   130 interrupted by Ctrl-C (the report is still printed)
#pragma once

namespace nightjar::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

int run_cli(int argc, char** argv);

}  // namespace nightjar::cli
