#include "store/schema.h"

#include <string>

namespace nightjar::store {
namespace {

// kMigrations[i] brings a database from version i to version i + 1. Never edit a released one.
constexpr const char* kMigrations[] = {
    // 1: runs (what `results list` filters and shows), their labels, and the whole result.
    R"sql(
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  started_unix_ns  INTEGER NOT NULL,
  saved_unix_ns    INTEGER NOT NULL,
  name             TEXT NOT NULL,
  protocol         TEXT NOT NULL,
  requested_rps    REAL NOT NULL,
  achieved_rps     REAL NOT NULL,
  p50_ns           INTEGER NOT NULL,
  p99_ns           INTEGER NOT NULL,
  p999_ns          INTEGER NOT NULL,
  sent             INTEGER NOT NULL,
  completed        INTEGER NOT NULL,
  errors           INTEGER NOT NULL,
  duration_ns      INTEGER NOT NULL,
  worker_count     INTEGER NOT NULL,
  interrupted      INTEGER NOT NULL,
  partial          INTEGER NOT NULL,
  profile          TEXT,
  source           TEXT NOT NULL,
  host_name        TEXT NOT NULL,
  kernel_release   TEXT NOT NULL,
  cpu_model        TEXT NOT NULL,
  cpu_count        INTEGER NOT NULL,
  nightjar_version TEXT NOT NULL
);
CREATE INDEX runs_by_started ON runs(started_unix_ns);
CREATE INDEX runs_by_profile ON runs(profile, started_unix_ns);
CREATE TABLE run_labels (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX run_labels_by_key ON run_labels(key, value);
CREATE TABLE run_results (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  result BLOB NOT NULL
);
)sql",
    // 2: baselines pinned by name, profiles (saved tests), and experiments (find-max, overhead)
    // whose runs point to them.
    R"sql(
CREATE TABLE baselines (
  name         TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  set_unix_ns  INTEGER NOT NULL
);
CREATE INDEX baselines_by_run ON baselines(run_id);
CREATE TABLE profiles (
  name             TEXT PRIMARY KEY,
  created_unix_ns  INTEGER NOT NULL,
  updated_unix_ns  INTEGER NOT NULL,
  definition       TEXT NOT NULL
);
CREATE TABLE experiments (
  id               TEXT PRIMARY KEY,
  kind             TEXT NOT NULL,
  name             TEXT NOT NULL,
  started_unix_ns  INTEGER NOT NULL,
  saved_unix_ns    INTEGER NOT NULL,
  summary          TEXT NOT NULL
);
CREATE INDEX experiments_by_started ON experiments(started_unix_ns);
ALTER TABLE runs ADD COLUMN experiment TEXT REFERENCES experiments(id) ON DELETE SET NULL;
CREATE INDEX runs_by_experiment ON runs(experiment, started_unix_ns);
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

}  // namespace

Status check_not_newer(const std::string& path, int64_t version) {
  if (version <= kSchemaVersion) return {};
  return Status::invalid_argument(path + ": its results schema version " + std::to_string(version) +
                                  " is newer than this nightjar's " + std::to_string(kSchemaVersion) +
                                  ": use a newer nightjar, or another database ($NIGHTJAR_DB)");
}

Status migrate(Database& db) {
  for (;;) {
    // The version is read inside the (IMMEDIATE) transaction that moves on from it.
    Transaction transaction(db);
    if (Status s = transaction.begin(); !s.ok()) return s;
    Result<int64_t> version = db.query_int("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if (Status s = check_not_newer(db.path(), *version); !s.ok()) return s;
    if (*version == kSchemaVersion) return transaction.commit();
    Status s = db.exec(kMigrations[*version]);
    if (s.ok()) s = db.exec("PRAGMA user_version = " + std::to_string(*version + 1));
    if (s.ok()) s = transaction.commit();
    if (!s.ok()) {
      return Status(s.code(), s.message() + " (migrating to schema version " +
                                  std::to_string(*version + 1) + ")");
    }
  }
}

}  // namespace nightjar::store
