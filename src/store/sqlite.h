// A small RAII layer over SQLite's C API for the results store: a connection and a prepared
// statement that close themselves, and every failure as a Status naming the database and
// SQLite's own message. Nothing here throws. Internal to `store`.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nightjar::store {

class Statement;

// One connection. Not thread-safe: one thread at a time uses it (and its statements).
class Database {
 public:
  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  enum class Access {
    kReadWrite,  // creating the file when missing
    kReadOnly,   // an existing file, for reading
    // An existing file that nothing changes while it is open: read without locks or the WAL's
    // shared memory (for a file in a folder this process may not write).
    kImmutable,
  };
  static Result<Database> open(const std::string& path, Access access = Access::kReadWrite);

  // Runs one or more statements that return no rows.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // A single integer from a query such as "PRAGMA user_version".
  Result<int64_t> query_int(std::string_view sql);

  // An error for SQLite result code `rc` while doing `what`: "<path>: <SQLite's message> (<what>)".
  Status error(int rc, std::string_view what) const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement: bind parameters (1-based), step through rows, read columns (0-based).
class Statement {
 public:
  Statement(const Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bindings copy their value. Errors show on the next step().
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);

  // true: a row is there to read; false: done. A failure is the Status.
  Result<bool> step();
  // Runs a statement that returns no rows to its end.
  Status run();
  // Clears the bindings' use so the statement runs again with new ones.
  void reset();
  // The extended result code of the last failed step (e.g. SQLITE_CONSTRAINT_PRIMARYKEY).
  int last_error_code() const { return last_rc_; }

  int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::string column_blob(int column) const;
  bool column_is_null(int column) const;

 private:
  const Database* db_;
  sqlite3_stmt* stmt_;
  int last_rc_ = SQLITE_OK;
};

// A write transaction that rolls back unless committed, so every early return leaves none
// open. Destroy the statements used inside it first (declare them after it).
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // BEGIN IMMEDIATE: the write lock is taken now, waiting out the busy timeout, rather than
  // at the first write, where WAL can only answer "busy" without waiting.
  Status begin();
  // BEGIN (deferred) for reading only: one snapshot, and the file's shared lock taken once for
  // every statement inside rather than once per statement.
  Status begin_read();
  Status commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace nightjar::store
