// The nightjar command line. main() only calls run_cli; each subcommand lives in its own
// file (command.h) and turns its flags into a call on a component. Exit codes:
// exit_codes.h.
#pragma once

#include "cli/exit_codes.h"

namespace nightjar::cli {

int run_cli(int argc, char** argv);

}  // namespace nightjar::cli
