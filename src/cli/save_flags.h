// Where a run is kept: every `load`, `run` and `demo` is saved in the results store
// (src/store/, docs/results.md) unless --no-save.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace nightjar::cli {

struct SaveFlags {
  std::string db;        // --db; "": $NIGHTJAR_DB, else the default path
  bool no_save = false;  // --no-save
};

// Adds --db and --no-save to `command`.
void add_save_flags(CLI::App& command, SaveFlags& flags);

// The database a run is saved in; "" with --no-save.
std::string save_path(const SaveFlags& flags);

// The database the `results` commands read: --db, else store::default_db_path().
std::string db_path(const std::string& db_flag);

}  // namespace nightjar::cli
