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
  std::optional<std::string> experiment;   // the experiment (find-max, overhead) it is a step of
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
  std::optional<std::string> experiment;
  std::string source;
  Environment environment;
};

// A baseline: a name pinned to a run (`results baseline set NAME ID`).
struct Baseline {
  std::string name;
  std::string run_id;
  int64_t set_unix_ns = 0;
};

// A profile: a saved test. `definition` is its text (SMPS YAML with nightjar's own options,
// docs/results.md#profiles); the store keeps it as given and never parses it.
struct Profile {
  std::string name;
  int64_t created_unix_ns = 0;
  int64_t updated_unix_ns = 0;
  std::string definition;
};

// The runs started from one profile (SaveInfo::profile): how many, and the newest.
struct ProfileRuns {
  int64_t count = 0;
  std::string last_id;  // the run started last
  int64_t last_started_unix_ns = 0;
};

// An experiment: several runs that answer one question (find-max's steps, overhead's
// variants). `summary` is its JSON answer, written when it ends (kept as given).
struct Experiment {
  std::string id;  // an ID like a run's, from the same clock
  std::string kind;  // "find-max", "overhead"
  std::string name;
  int64_t started_unix_ns = 0;
  int64_t saved_unix_ns = 0;  // when the summary was last written
  std::string summary;
};

// Which runs `list` returns; every field set must match. Newest (by started) first.
struct ListFilter {
  std::string name_glob;  // SQLite GLOB on the name (case-sensitive, * ? [...]); "": any
  std::vector<std::pair<std::string, std::string>> labels;  // key=value, all must be there
  std::optional<int64_t> since_unix_ns;                     // started at or after
  std::optional<std::string> profile;
  std::optional<std::string> experiment;  // a full experiment ID
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
  // Opens an existing database for reading only: nothing is created, and a file the user
  // may only read (or a read-only disk) works. A database from an older nightjar is
  // migrated first, which needs write access. Errors: NotFound when there is no file at
  // `path` (nothing was saved yet); then open's. Writing through it fails (IoError).
  static Result<std::unique_ptr<Store>> open_read_only(const std::string& path);

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

  // Baselines. set_baseline pins NAME to a run (by ID or prefix), replacing what it named;
  // removing the run removes its baselines. Errors: an empty name; resolve's.
  Status set_baseline(const std::string& name, std::string_view id_or_prefix);
  Result<Baseline> baseline(const std::string& name);  // NotFound names the known ones
  Result<std::vector<Baseline>> baselines();            // by name
  Status remove_baseline(const std::string& name);      // NotFound when there is none

  // Profiles. save_profile creates NAME, or with `replace` overwrites it (keeping its
  // creation time). Errors: an empty name; NotFound/InvalidArgument ("already exists") as
  // the case may be.
  Status save_profile(const std::string& name, const std::string& definition, bool replace);
  Result<Profile> profile(const std::string& name);  // NotFound names the known ones
  Result<std::vector<Profile>> profiles();            // by name
  Status remove_profile(const std::string& name);    // runs keep the name they were run under
  // The runs of every profile name runs were saved under (removed profiles included), in one
  // query over the runs_by_profile index; no run's result is read.
  Result<std::map<std::string, ProfileRuns>> profile_runs();

  // Experiments. create_experiment starts one, dated now, with an empty summary ("{}").
  Result<std::string> create_experiment(const std::string& kind, const std::string& name);
  Status set_experiment_summary(const std::string& id, const std::string& summary);
  Result<Experiment> experiment(std::string_view id_or_prefix);
  Result<std::vector<Experiment>> experiments(int64_t limit = 0);  // newest first

  const std::string& path() const;

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

 private:
  Store(std::unique_ptr<Database> db, const Clock& clock);
  // A new ID, greater than the last this Store made (a retry after a collision moves on).
  std::string next_id();
  // resolve() over the IDs of `table` ("runs", "experiments"); `what` names one in messages.
  Result<std::string> resolve_id(std::string_view prefix, const char* table, const char* what);

  // Constant after construction.
  const Clock& clock_;
  // Used by one thread at a time (see above).
  std::unique_ptr<Database> db_;
  SeededRandom random_;
  std::string last_id_;  // the last ID this Store made: the next is greater
};

}  // namespace nightjar::store
