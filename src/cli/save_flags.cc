#include "cli/save_flags.h"

#include "store/store.h"

namespace nightjar::cli {

void add_save_flags(CLI::App& command, SaveFlags& flags) {
  command.add_option("--db", flags.db,
                     "The results database (default: $NIGHTJAR_DB, else "
                     "$XDG_DATA_HOME/nightjar/results.db)");
  command.add_flag("--no-save", flags.no_save, "Do not keep this run in the results database");
}

std::string db_path(const std::string& db_flag) {
  return db_flag.empty() ? store::default_db_path() : db_flag;
}

std::string save_path(const SaveFlags& flags) { return flags.no_save ? "" : db_path(flags.db); }

}  // namespace nightjar::cli
