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
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

}  // namespace

Status migrate(Database& db) {
  for (;;) {
    // The version is read inside the (IMMEDIATE) transaction that moves on from it.
    Transaction transaction(db);
    if (Status s = transaction.begin(); !s.ok()) return s;
    Result<int64_t> version = db.query_int("PRAGMA user_version");
    if (!version.ok()) return version.status();
    if (*version > kSchemaVersion) {
      return Status::invalid_argument(db.path() + ": its results schema version " +
                                      std::to_string(*version) + " is newer than this nightjar's " +
                                      std::to_string(kSchemaVersion) +
                                      ": use a newer nightjar, or another database ($NIGHTJAR_DB)");
    }
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
