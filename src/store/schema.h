// The store's schema, versioned with SQLite's `PRAGMA user_version`, and the forward
// migrations that bring an older database up to this build's version. Internal to `store`;
// the tables are described in docs/results.md.
//
// Rules: a migration is never edited once released; a change is a new migration appended to
// the list (kSchemaVersion goes up by one) that keeps every stored run readable; a database
// whose version is newer than kSchemaVersion is refused, never written.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "store/sqlite.h"

namespace nightjar::store {

// The schema version this build writes (and the newest it opens).
inline constexpr int kSchemaVersion = 2;

// InvalidArgument naming both versions when `version` (of the database at `path`) is newer
// than kSchemaVersion.
Status check_not_newer(const std::string& path, int64_t version);

// Brings `db` to kSchemaVersion: each missing migration in order, each in its own
// IMMEDIATE transaction that re-reads the version (so two processes opening a new file at
// once migrate it once). Errors: a newer database (InvalidArgument naming both versions),
// or SQLite's failure.
Status migrate(Database& db);

}  // namespace nightjar::store
