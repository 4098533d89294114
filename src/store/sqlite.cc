#include "store/sqlite.h"

#include <fmt/format.h>

#include <utility>

namespace nightjar::store {

Database::~Database() {
  // sqlite3_close_v2 defers the close until every statement is finalized; ours are by then.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<Database> Database::open(const std::string& path, Access access) {
  Database db;
  db.path_ = path;
  // NOMUTEX: a connection is used by one thread at a time (see the header).
  int flags = SQLITE_OPEN_NOMUTEX;
  std::string name = path;
  switch (access) {
    case Access::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case Access::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case Access::kImmutable: {
      // A URI: the path percent-encoded where URI syntax would misread it.
      flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
      name = "file:";
      for (const char c : path) {
        if (c == '%' || c == '?' || c == '#' || c == '\0') {
          name += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        } else {
          name += c;
        }
      }
      name += "?immutable=1";
      break;
    }
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    if (db.db_ == nullptr) return Status::internal(path + ": out of memory");
    return db.error(rc, "opening");
  }
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Status Database::error(int rc, std::string_view what) const {
  // errmsg describes the last failure on this connection; errstr the code alone.
  std::string message = path_ + ": ";
  message += db_ != nullptr && sqlite3_errcode(db_) != SQLITE_OK ? sqlite3_errmsg(db_)
                                                                 : sqlite3_errstr(rc);
  message += " (" + std::string(what) + ")";
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    return Status::invalid_argument(message);
  if (primary == SQLITE_MISUSE || primary == SQLITE_INTERNAL) return Status::internal(message);
  return Status::io_error(message);
}

Status Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // the same text stays readable through sqlite3_errmsg
  if (rc != SQLITE_OK) return error(rc, "'" + text.substr(0, 60) + "' failed");
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return error(rc, "preparing '" + std::string(sql.substr(0, 60)) + "'");
  return Statement(*this, stmt);
}

Result<int64_t> Database::query_int(std::string_view sql) {
  Result<Statement> stmt = prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::internal("'" + std::string(sql) + "' returned no row in " + path_);
  return stmt->column_int(0);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), last_rc_(other.last_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    last_rc_ = other.last_rc_;
  }
  return *this;
}

void Statement::bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Statement::bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Statement::bind_blob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}
void Statement::bind_null(int index) { sqlite3_bind_null(stmt_, index); }

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  last_rc_ = rc;
  return db_->error(rc, "'" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "' failed");
}

Status Statement::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row.ok()) return row.status();
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  last_rc_ = SQLITE_OK;
}

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return text == nullptr
             ? std::string()
             : std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}
std::string Statement::column_blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string()
                         : std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}
bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::begin() {
  Status s = db_.exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

Status Transaction::begin_read() {
  Status s = db_.exec("BEGIN");
  open_ = s.ok();
  return s;
}

Status Transaction::commit() {
  Status s = db_.exec("COMMIT");
  open_ = !s.ok();
  return s;
}

}  // namespace nightjar::store
