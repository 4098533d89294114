// The results store: every run kept in one embedded SQLite database (docs/results.md).
//
// A run is kept whole, as the binary protobuf of model::to_proto (options, labels, counters,
// status codes, every histogram including per-second and per-shard, workers), beside columns
// for what `results list` filters and shows, and the environment it ran in. Run IDs are
// short, sort by save time, and any unique prefix names a run (run_id.h).
//
// Several processes and threads may use one database file at once, each through its own
// Store: the database is in WAL mode with a 5 s busy timeout, and each save or remove is one
// transaction, so a process killed mid-save leaves every committed run readable.
//
// Errors are Status values; nothing here throws. A Store is not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "model/run_result.h"
#include "store/environment.h"

namespace nightjar::store {

class Database;

// $NIGHTJAR_DB, else $XDG_DATA_HOME/nightjar/results.db, else
// ~/.local/share/nightjar/results.db ($HOME; the password database when HOME is unset).
std::string default_db_path();

// How a result came to be saved.
struct SaveInfo {
  std::optional<std::string> profile;      // the profile the run was started from
  std::string source = "run";              // "run", or where it was imported from: "import:fortio"
  std::optional<Environment> environment;  // where it ran; unset: current_environment()
};

// One stored run as `results list` shows it: the columns, never the whole result.
struct RunSummary {
  std::string id;
  int64_t started_unix_ns = 0;  // RunResult::start_unix_ns
  int64_t saved_unix_ns = 0;    // when it was saved
  std::string name;             // options.test_name
  std::map<std::string, std::string> labels;
  std::string protocol;      // the protocol spoken (RunResult::protocol_spoken)
  double requested_rps = 0;  // 0: closed loop
  double achieved_rps = 0;
  int64_t p50_ns = 0;  // latency percentiles
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  int64_t sent = 0;
  int64_t completed = 0;
  int64_t errors = 0;        // requests that got no response
  int64_t duration_ns = 0;   // measured_ns
  int64_t worker_count = 0;  // remote workers of a distributed run; 0 for a local run
  bool interrupted = false;
  bool partial = false;
  std::optional<std::string> profile;
  std::string source;
  Environment environment;
};

// Which runs `list` returns; every field set must match. Newest (by started) first.
struct ListFilter {
  std::string name_glob;  // SQLite GLOB on the name (case-sensitive, * ? [...]); "": any
  std::vector<std::pair<std::string, std::string>> labels;  // key=value, all must be there
  std::optional<int64_t> since_unix_ns;                     // started at or after
  std::optional<std::string> profile;
  int64_t limit = 0;  // at most this many; 0: no limit
};

class Store {
 public:
  // Opens the database at `path`, creating it and its parent folders when missing, and
  // creates or migrates its schema. `clock` (which must outlive the Store) dates the IDs.
  // Errors: a folder or file that cannot be created or opened (IoError), a database from a
  // newer nightjar (InvalidArgument naming both schema versions), a file that is not a
  // database (InvalidArgument). Each names the path.
  static Result<std::unique_ptr<Store>> open(const std::string& path,
                                             const Clock& clock = system_clock());

  // Saves `result` in one transaction; returns the new run's ID.
  // Errors: a read-only or full database (IoError naming the path), a busy one still locked
  // after the timeout.
  Result<std::string> save(const model::RunResult& result, const SaveInfo& info = {});

  // The full ID of the one run whose ID starts with `prefix` (case-insensitive).
  // Errors: NotFound when none does; InvalidArgument when several do (listing a few) or the
  // prefix is empty or holds a character no ID has.
  Result<std::string> resolve(std::string_view prefix);

  // The whole result of a run, by ID or unique prefix. Errors: resolve's, or a stored result
  // that cannot be decoded (naming the run).
  Result<model::RunResult> get(std::string_view id_or_prefix);
  // The summary of one run, by ID or unique prefix.
  Result<RunSummary> summary(std::string_view id_or_prefix);

  // The runs that match `filter`, newest first. Reads no stored result (bounded memory).
  Result<std::vector<RunSummary>> list(const ListFilter& filter);

  // Removes the runs, all or none (one transaction). Errors: resolve's for any of them.
  Status remove(const std::vector<std::string>& ids_or_prefixes);

  const std::string& path() const;

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

 private:
  Store(std::unique_ptr<Database> db, const Clock& clock);
  // A new ID, greater than the last this Store made (a retry after a collision moves on).
  std::string next_id();

  // Constant after construction.
  const Clock& clock_;
  // Used by one thread at a time (see above).
  std::unique_ptr<Database> db_;
  SeededRandom random_;
  std::string last_id_;  // the last ID this Store made: the next is greater
};

}  // namespace nightjar::store
