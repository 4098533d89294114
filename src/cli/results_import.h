// `nightjar results import FILE...` (results_import.cc), a subcommand of `nightjar results`.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/command.h"

namespace nightjar::cli {

// Adds `import` under `results`. `db` is the --db value the other `results` subcommands share
// (the import's own --db sets it too); it must live until the command has run.
Command add_results_import_command(CLI::App& results, std::shared_ptr<std::string> db);

}  // namespace nightjar::cli
