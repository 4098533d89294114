// The subcommands of `nightjar results` that live in files of their own, and what they share
// with results_command.cc: the --db flag and how to open the store.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli/command.h"
#include "common/status.h"
#include "store/store.h"

namespace nightjar::cli {

// What every `results` subcommand shares, filled by CLI11 before any runs.
struct ResultsContext {
  std::string db;  // --db; "": $NIGHTJAR_DB, else the default path
};

// The store named by --db, for commands that only read: an existing database, opened
// read-only (so a read-only file or disk works, and nothing is created). Errors: NotFound
// when nothing was saved there yet; Store::open_read_only's.
Result<std::unique_ptr<store::Store>> open_store_for_reading(const ResultsContext& context);
// The store named by --db, for commands that write (created when missing).
Result<std::unique_ptr<store::Store>> open_store_for_writing(const ResultsContext& context);

// Adds `--db` to a subcommand, bound to the context (each subcommand takes it after its name
// as well as before: `results --db X list` and `results list --db X`).
void add_db_option(CLI::App& subcommand, ResultsContext& context);

// One per file: each adds its subcommand(s) to `results` and returns how to run it.
Command add_results_import(CLI::App& results, std::shared_ptr<ResultsContext> context);    // results_import.cc
Command add_results_compare(CLI::App& results, std::shared_ptr<ResultsContext> context);   // results_compare.cc
Command add_results_baseline(CLI::App& results, std::shared_ptr<ResultsContext> context);  // results_compare.cc

}  // namespace nightjar::cli
