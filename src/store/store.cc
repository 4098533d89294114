#include "store/store.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <system_error>
#include <unordered_map>

#include "model/result_proto.h"
#include "store/run_id.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace nightjar::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Attempts at a fresh ID when another process took the same one (same millisecond, same
// 10 random bits).
constexpr int kIdAttempts = 8;
// IDs named in an "ambiguous prefix" error.
constexpr int kAmbiguousShown = 5;

uint64_t seed_from_device() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

std::string home_folder() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* entry = getpwuid(getuid()); entry != nullptr && entry->pw_dir != nullptr) {
    return entry->pw_dir;
  }
  return ".";
}

// The columns of a RunSummary, in read_summary's order.
constexpr char kSummaryColumns[] =
    "id, started_unix_ns, saved_unix_ns, name, protocol, requested_rps, achieved_rps, p50_ns, "
    "p99_ns, p999_ns, sent, completed, errors, duration_ns, worker_count, interrupted, partial, "
    "profile, experiment, source, host_name, kernel_release, cpu_model, cpu_count, nightjar_version";

RunSummary read_summary(const Statement& row) {
  RunSummary s;
  int c = 0;
  s.id = row.column_text(c++);
  s.started_unix_ns = row.column_int(c++);
  s.saved_unix_ns = row.column_int(c++);
  s.name = row.column_text(c++);
  s.protocol = row.column_text(c++);
  s.requested_rps = row.column_double(c++);
  s.achieved_rps = row.column_double(c++);
  s.p50_ns = row.column_int(c++);
  s.p99_ns = row.column_int(c++);
  s.p999_ns = row.column_int(c++);
  s.sent = row.column_int(c++);
  s.completed = row.column_int(c++);
  s.errors = row.column_int(c++);
  s.duration_ns = row.column_int(c++);
  s.worker_count = row.column_int(c++);
  s.interrupted = row.column_int(c++) != 0;
  s.partial = row.column_int(c++) != 0;
  if (!row.column_is_null(c)) s.profile = row.column_text(c);
  ++c;
  if (!row.column_is_null(c)) s.experiment = row.column_text(c);
  ++c;
  s.source = row.column_text(c++);
  s.environment.host_name = row.column_text(c++);
  s.environment.kernel_release = row.column_text(c++);
  s.environment.cpu_model = row.column_text(c++);
  s.environment.cpu_count = static_cast<int>(row.column_int(c++));
  s.environment.nightjar_version = row.column_text(c++);
  return s;
}

// Fills each summary's labels: a few runs by one lookup each, many by one scan of every label
// (10,000 lookups cost more than reading the whole small table once).
Status read_labels(Database& db, std::vector<RunSummary>& runs) {
  constexpr size_t kLookupsAtMost = 64;
  if (runs.size() > kLookupsAtMost) {
    std::unordered_map<std::string, RunSummary*> by_id;
    by_id.reserve(runs.size());
    for (RunSummary& run : runs) by_id.emplace(run.id, &run);
    Result<Statement> scan = db.prepare("SELECT run_id, key, value FROM run_labels");
    if (!scan.ok()) return scan.status();
    for (;;) {
      Result<bool> row = scan->step();
      if (!row.ok()) return row.status();
      if (!*row) return {};
      const auto run = by_id.find(scan->column_text(0));
      if (run != by_id.end()) run->second->labels.emplace(scan->column_text(1), scan->column_text(2));
    }
  }
  Result<Statement> query = db.prepare("SELECT key, value FROM run_labels WHERE run_id = ?1");
  if (!query.ok()) return query.status();
  for (RunSummary& run : runs) {
    query->reset();
    query->bind(1, run.id);
    for (;;) {
      Result<bool> row = query->step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      run.labels.emplace(query->column_text(0), query->column_text(1));
    }
  }
  return {};
}

// The journal mode `sql` ("PRAGMA journal_mode" or "... = WAL") leaves, or the failure;
// `busy` tells a failure that another connection holding the file caused.
Result<std::string> journal_mode(Database& db, const char* sql, bool& busy) {
  Result<Statement> pragma = db.prepare(sql);
  busy = !pragma.ok() && (sqlite3_errcode(db.handle()) & 0xff) == SQLITE_BUSY;
  if (!pragma.ok()) return pragma.status();
  Result<bool> row = pragma->step();
  busy = !row.ok() && (pragma->last_error_code() & 0xff) == SQLITE_BUSY;
  if (!row.ok()) return row.status();
  return *row ? pragma->column_text(0) : std::string();
}

// WAL: readers never block the writer, and a writer killed mid-transaction leaves nothing
// for the next to undo. The mode is kept in the file: set once, by whichever process gets
// there first. Setting it needs the file alone for a moment, and SQLite answers "busy"
// without calling the busy handler when another connection is opening it too, so this
// retries (with growing pauses) for as long as the busy timeout.
Status use_write_ahead_log(Database& db) {
  bool busy = false;
  const int64_t deadline_ns = steady_now_ns() + int64_t{kBusyTimeoutMs} * 1'000'000;
  for (int pause_ms = 1;; pause_ms = std::min(2 * pause_ms, 50)) {
    Result<std::string> mode = journal_mode(db, "PRAGMA journal_mode", busy);
    if (mode.ok() && *mode != "wal") mode = journal_mode(db, "PRAGMA journal_mode = WAL", busy);
    if (mode.ok() && *mode == "wal") return {};
    if (mode.ok()) {
      return Status::io_error(db.path() + ": cannot use write-ahead logging (journal mode '" +
                              *mode + "')");
    }
    if (!busy || steady_now_ns() >= deadline_ns) return mode.status();
    sqlite3_sleep(pause_ms);
  }
}

// A new connection's settings, then the schema: busy timeout, WAL, foreign keys (for the
// cascading deletes), migrations.
Status prepare_connection(Database& db) {
  if (const int rc = sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs); rc != SQLITE_OK) {
    return db.error(rc, "setting the busy timeout");
  }
  if (Status s = use_write_ahead_log(db); !s.ok()) return s;
  if (Status s = db.exec("PRAGMA foreign_keys = ON"); !s.ok()) return s;
  return migrate(db);
}

}  // namespace

std::string default_db_path() {
  if (const char* db = std::getenv("NIGHTJAR_DB"); db != nullptr && *db != '\0') return db;
  // The XDG spec: a relative XDG_DATA_HOME is invalid and ignored.
  if (const char* data = std::getenv("XDG_DATA_HOME"); data != nullptr && data[0] == '/') {
    return std::string(data) + "/nightjar/results.db";
  }
  return home_folder() + "/.local/share/nightjar/results.db";
}

Store::Store(std::unique_ptr<Database> db, const Clock& clock)
    : clock_(clock), db_(std::move(db)), random_(seed_from_device()) {}

Store::~Store() = default;

const std::string& Store::path() const { return db_->path(); }

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const Clock& clock) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::io_error("cannot open the results database " + path +
                              ": cannot create the folder " + parent.string() + ": " +
                              ec.message());
    }
  }
  Result<Database> db = Database::open(path);
  if (Status s = db.ok() ? prepare_connection(*db) : db.status(); !s.ok()) {
    return Status(s.code(), "cannot open the results database " + s.message());
  }
  return std::unique_ptr<Store>(
      new Store(std::make_unique<Database>(std::move(db).value()), clock));
}

Result<std::unique_ptr<Store>> Store::open_read_only(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::not_found("no results database at " + path + " (nothing was saved there yet)");
  }
  // Reading a WAL database needs its shared-memory file, which a reader that may not write
  // the folder cannot make when no writer has it open: then the file is read as immutable,
  // as it is at that moment.
  Result<int64_t> version = Status::internal("not opened");
  Result<Database> db = Status::internal("not opened");
  for (const Database::Access access : {Database::Access::kReadOnly, Database::Access::kImmutable}) {
    db = Database::open(path, access);
    Status s = db.ok() ? Status() : db.status();
    if (s.ok()) {
      if (const int rc = sqlite3_busy_timeout(db->handle(), kBusyTimeoutMs); rc != SQLITE_OK)
        s = db->error(rc, "setting the busy timeout");
    }
    version = s.ok() ? db->query_int("PRAGMA user_version") : Result<int64_t>(s);
    const bool cannot_share = db.ok() && !version.ok() &&
                              ((sqlite3_extended_errcode(db->handle()) & 0xff) == SQLITE_READONLY ||
                               (sqlite3_extended_errcode(db->handle()) & 0xff) == SQLITE_CANTOPEN);
    if (!cannot_share) break;
  }
  if (!version.ok()) {
    return Status(version.status().code(),
                  "cannot open the results database " + version.status().message());
  }
  if (*version < kSchemaVersion) return open(path);  // migrates, or says why it cannot
  if (Status newer = check_not_newer(path, *version); !newer.ok()) {
    return Status(newer.code(), "cannot open the results database " + newer.message());
  }
  return std::unique_ptr<Store>(
      new Store(std::make_unique<Database>(std::move(db).value()), system_clock()));
}

std::string Store::next_id() {
  const int64_t unix_ms = clock_.unix_ns() / 1'000'000;
  std::string id = make_run_id(unix_ms < 0 ? 0 : unix_ms, random_.next_u64());
  if (!last_id_.empty() && id <= last_id_) id = next_run_id(last_id_);
  last_id_ = id;
  return id;
}

Result<std::string> Store::save(const model::RunResult& result, const SaveInfo& info) {
  const std::string blob = model::to_proto_bytes(result);
  const Environment env = info.environment ? *info.environment : current_environment();

  Database& db = *db_;
  Transaction transaction(db);
  if (Status s = transaction.begin(); !s.ok())
    return Status(s.code(), "cannot save the run: " + s.message());

  Result<Statement> insert = db.prepare(
      std::string("INSERT INTO runs (") + kSummaryColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
      "?19, ?20, ?21, ?22, ?23, ?24, ?25)");
  if (!insert.ok()) return insert.status();
  Statement& run = *insert;
  std::string id;
  for (int attempt = 0;; ++attempt) {
    id = next_id();
    run.reset();
    int p = 1;
    run.bind(p++, id);
    run.bind(p++, result.start_unix_ns);
    run.bind(p++, clock_.unix_ns());
    run.bind(p++, result.options.test_name);
    run.bind(p++, result.protocol_spoken());
    run.bind(p++, result.options.requested_rps);
    run.bind(p++, result.achieved_rps());
    run.bind(p++, result.latency.value_at_percentile(50));
    run.bind(p++, result.latency.value_at_percentile(99));
    run.bind(p++, result.latency.value_at_percentile(99.9));
    run.bind(p++, result.counters.sent);
    run.bind(p++, result.counters.completed);
    run.bind(p++, result.counters.errors());
    run.bind(p++, result.measured_ns);
    run.bind(p++, static_cast<int64_t>(result.workers.size()));
    run.bind(p++, int64_t{result.interrupted ? 1 : 0});
    run.bind(p++, int64_t{result.partial ? 1 : 0});
    for (const std::optional<std::string>* link : {&info.profile, &info.experiment}) {
      if (*link) {
        run.bind(p++, **link);
      } else {
        run.bind_null(p++);
      }
    }
    run.bind(p++, info.source);
    run.bind(p++, env.host_name);
    run.bind(p++, env.kernel_release);
    run.bind(p++, env.cpu_model);
    run.bind(p++, int64_t{env.cpu_count});
    run.bind(p++, env.nightjar_version);
    Status s = run.run();
    if (s.ok()) break;
    // Another process saved a run with this ID; a failed statement leaves the transaction open.
    if (run.last_error_code() != SQLITE_CONSTRAINT_PRIMARYKEY || attempt + 1 == kIdAttempts) {
      return Status(s.code(), "cannot save the run: " + s.message());
    }
  }

  Result<Statement> label =
      db.prepare("INSERT INTO run_labels (run_id, key, value) VALUES (?1, ?2, ?3)");
  if (!label.ok()) return label.status();
  for (const auto& [key, value] : result.options.labels) {
    label->reset();
    label->bind(1, id);
    label->bind(2, key);
    label->bind(3, value);
    if (Status s = label->run(); !s.ok())
      return Status(s.code(), "cannot save the run: " + s.message());
  }

  Result<Statement> whole = db.prepare("INSERT INTO run_results (run_id, result) VALUES (?1, ?2)");
  if (!whole.ok()) return whole.status();
  whole->bind(1, id);
  whole->bind_blob(2, blob);
  if (Status s = whole->run(); !s.ok())
    return Status(s.code(), "cannot save the run: " + s.message());

  if (Status s = transaction.commit(); !s.ok())
    return Status(s.code(), "cannot save the run: " + s.message());
  return id;
}

Result<std::string> Store::resolve(std::string_view prefix) {
  return resolve_id(prefix, "runs", "run");
}

Result<std::string> Store::resolve_id(std::string_view prefix, const char* table,
                                      const char* what) {
  const std::string normal = normalize_run_id_prefix(prefix);
  if (normal.empty()) {
    return Status::invalid_argument("'" + std::string(prefix) + "' is not " +
                                    (what[0] == 'e' ? "an " : "a ") + what + " ID (up to " +
                                    std::to_string(kRunIdLength) + " characters of 0-9 and A-Z)");
  }
  // IDs use 0-9 and A-Z only, all below '~': those starting with the prefix are exactly the
  // range [prefix, prefix + "~"), which the primary key's index finds.
  Result<Statement> query =
      db_->prepare(std::string("SELECT id FROM ") + table +
                   " WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3");
  if (!query.ok()) return query.status();
  query->bind(1, normal);
  query->bind(2, normal + "~");
  query->bind(3, int64_t{kAmbiguousShown + 1});
  std::vector<std::string> ids;
  for (;;) {
    Result<bool> row = query->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back(query->column_text(0));
  }
  if (ids.empty()) {
    return Status::not_found(std::string("no ") + what + " " + std::string(prefix) + " in " + path());
  }
  if (ids.size() == 1) return ids[0];
  std::string message = std::string(what) + " ID prefix '" + std::string(prefix) + "' is ambiguous: it starts ";
  for (size_t i = 0; i < ids.size() && i < kAmbiguousShown; ++i)
    message += (i > 0 ? ", " : "") + ids[i];
  if (ids.size() > kAmbiguousShown) message += ", ...";
  return Status::invalid_argument(message + "; give more characters");
}

Result<model::RunResult> Store::get(std::string_view id_or_prefix) {
  Result<std::string> id = resolve(id_or_prefix);
  if (!id.ok()) return id.status();
  Result<Statement> query = db_->prepare("SELECT result FROM run_results WHERE run_id = ?1");
  if (!query.ok()) return query.status();
  query->bind(1, *id);
  Result<bool> row = query->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::not_found("run " + *id + " has no stored result in " + path());
  nightjar::v1::RunResult message;
  if (!message.ParseFromString(query->column_blob(0))) {
    return Status::invalid_argument("run " + *id + ": the stored result is not a readable result");
  }
  Result<model::RunResult> result = model::from_proto(message);
  if (!result.ok())
    return Status(result.status().code(), "run " + *id + ": " + result.status().message());
  return result;
}

Result<RunSummary> Store::summary(std::string_view id_or_prefix) {
  Result<std::string> id = resolve(id_or_prefix);
  if (!id.ok()) return id.status();
  Result<Statement> query =
      db_->prepare(std::string("SELECT ") + kSummaryColumns + " FROM runs WHERE id = ?1");
  if (!query.ok()) return query.status();
  query->bind(1, *id);
  Result<bool> row = query->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::not_found("no run " + *id + " in " + path());
  std::vector<RunSummary> runs{read_summary(*query)};
  if (Status s = read_labels(*db_, runs); !s.ok()) return s;
  return std::move(runs[0]);
}

Result<std::vector<RunSummary>> Store::list(const ListFilter& filter) {
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM runs WHERE 1";
  int next = 1;
  const auto parameter = [&next] { return "?" + std::to_string(next++); };
  if (!filter.name_glob.empty()) sql += " AND name GLOB " + parameter();
  if (filter.since_unix_ns) sql += " AND started_unix_ns >= " + parameter();
  if (filter.profile) sql += " AND profile = " + parameter();
  if (filter.experiment) sql += " AND experiment = " + parameter();
  for (size_t i = 0; i < filter.labels.size(); ++i) {
    sql += " AND EXISTS (SELECT 1 FROM run_labels WHERE run_id = runs.id AND key = " + parameter();
    sql += " AND value = " + parameter() + ")";
  }
  sql += " ORDER BY started_unix_ns DESC, id DESC";
  if (filter.limit > 0) sql += " LIMIT " + parameter();

  // One snapshot for the runs and their labels.
  Transaction snapshot(*db_);
  if (Status s = snapshot.begin_read(); !s.ok()) return s;
  Result<Statement> query = db_->prepare(sql);
  if (!query.ok()) return query.status();
  next = 1;
  if (!filter.name_glob.empty()) query->bind(next++, filter.name_glob);
  if (filter.since_unix_ns) query->bind(next++, *filter.since_unix_ns);
  if (filter.profile) query->bind(next++, *filter.profile);
  if (filter.experiment) query->bind(next++, *filter.experiment);
  for (const auto& [key, value] : filter.labels) {
    query->bind(next++, key);
    query->bind(next++, value);
  }
  if (filter.limit > 0) query->bind(next++, filter.limit);

  std::vector<RunSummary> runs;
  for (;;) {
    Result<bool> row = query->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    runs.push_back(read_summary(*query));
  }
  if (Status s = read_labels(*db_, runs); !s.ok()) return s;
  return runs;
}

Status Store::remove(const std::vector<std::string>& ids_or_prefixes) {
  Transaction transaction(*db_);
  if (Status s = transaction.begin(); !s.ok()) return s;
  Result<Statement> erase =
      db_->prepare("DELETE FROM runs WHERE id = ?1");  // cascades (foreign_keys)
  if (!erase.ok()) return erase.status();
  for (const std::string& prefix : ids_or_prefixes) {
    Result<std::string> id = resolve(prefix);
    if (!id.ok()) return id.status();
    erase->reset();
    erase->bind(1, *id);
    if (Status s = erase->run(); !s.ok()) return s;
  }
  return transaction.commit();
}

namespace {

// Every row `sql` returns, each read by `read`.
template <typename Row, typename Read>
Result<std::vector<Row>> read_rows(Statement& query, Read read) {
  std::vector<Row> rows;
  for (;;) {
    Result<bool> row = query.step();
    if (!row.ok()) return row.status();
    if (!*row) return rows;
    rows.push_back(read(query));
  }
}

// "no baseline 'x' in PATH (there are: a, b)": what a NotFound says of a named thing.
Status named_not_found(const char* what, const std::string& name, const std::string& path,
                       const std::vector<std::string>& known) {
  std::string message = std::string("no ") + what + " '" + name + "' in " + path;
  if (known.empty()) return Status::not_found(message + " (there are none)");
  message += " (there are: ";
  for (size_t i = 0; i < known.size(); ++i) message += (i > 0 ? ", " : "") + known[i];
  return Status::not_found(message + ")");
}

Status check_name(const char* what, const std::string& name) {
  if (name.empty()) return Status::invalid_argument(std::string("a ") + what + " needs a name");
  return {};
}

Baseline read_baseline(const Statement& row) {
  return {row.column_text(0), row.column_text(1), row.column_int(2)};
}

Profile read_profile(const Statement& row) {
  return {row.column_text(0), row.column_int(1), row.column_int(2), row.column_text(3)};
}

Experiment read_experiment(const Statement& row) {
  return {row.column_text(0), row.column_text(1), row.column_text(2),
          row.column_int(3),  row.column_int(4),  row.column_text(5)};
}

}  // namespace

Status Store::set_baseline(const std::string& name, std::string_view id_or_prefix) {
  if (Status s = check_name("baseline", name); !s.ok()) return s;
  Result<std::string> id = resolve(id_or_prefix);
  if (!id.ok()) return id.status();
  Result<Statement> upsert = db_->prepare(
      "INSERT INTO baselines (name, run_id, set_unix_ns) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(name) DO UPDATE SET run_id = excluded.run_id, set_unix_ns = excluded.set_unix_ns");
  if (!upsert.ok()) return upsert.status();
  upsert->bind(1, name);
  upsert->bind(2, *id);
  upsert->bind(3, clock_.unix_ns());
  return upsert->run();
}

Result<std::vector<Baseline>> Store::baselines() {
  Result<Statement> query = db_->prepare("SELECT name, run_id, set_unix_ns FROM baselines ORDER BY name");
  if (!query.ok()) return query.status();
  return read_rows<Baseline>(*query, read_baseline);
}

Result<Baseline> Store::baseline(const std::string& name) {
  Result<std::vector<Baseline>> all = baselines();
  if (!all.ok()) return all.status();
  std::vector<std::string> known;
  for (Baseline& b : *all) {
    if (b.name == name) return std::move(b);
    known.push_back(b.name);
  }
  return named_not_found("baseline", name, path(), known);
}

Status Store::remove_baseline(const std::string& name) {
  Result<Baseline> existing = baseline(name);
  if (!existing.ok()) return existing.status();
  Result<Statement> erase = db_->prepare("DELETE FROM baselines WHERE name = ?1");
  if (!erase.ok()) return erase.status();
  erase->bind(1, name);
  return erase->run();
}

Status Store::save_profile(const std::string& name, const std::string& definition, bool replace) {
  if (Status s = check_name("profile", name); !s.ok()) return s;
  const int64_t now = clock_.unix_ns();
  Result<Statement> write = db_->prepare(
      replace ? "INSERT INTO profiles (name, created_unix_ns, updated_unix_ns, definition) "
                "VALUES (?1, ?2, ?2, ?3) ON CONFLICT(name) DO UPDATE SET "
                "updated_unix_ns = excluded.updated_unix_ns, definition = excluded.definition"
              : "INSERT INTO profiles (name, created_unix_ns, updated_unix_ns, definition) "
                "VALUES (?1, ?2, ?2, ?3)");
  if (!write.ok()) return write.status();
  write->bind(1, name);
  write->bind(2, now);
  write->bind(3, definition);
  Status s = write->run();
  if (!s.ok() && write->last_error_code() == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status::invalid_argument("profile '" + name + "' already exists in " + path() +
                                    " (replace it with --force)");
  }
  return s;
}

Result<std::vector<Profile>> Store::profiles() {
  Result<Statement> query = db_->prepare(
      "SELECT name, created_unix_ns, updated_unix_ns, definition FROM profiles ORDER BY name");
  if (!query.ok()) return query.status();
  return read_rows<Profile>(*query, read_profile);
}

Result<Profile> Store::profile(const std::string& name) {
  Result<Statement> query = db_->prepare(
      "SELECT name, created_unix_ns, updated_unix_ns, definition FROM profiles WHERE name = ?1");
  if (!query.ok()) return query.status();
  query->bind(1, name);
  Result<std::vector<Profile>> found = read_rows<Profile>(*query, read_profile);
  if (!found.ok()) return found.status();
  if (!found->empty()) return std::move(found->front());
  Result<Statement> names = db_->prepare("SELECT name FROM profiles ORDER BY name");
  if (!names.ok()) return names.status();
  Result<std::vector<std::string>> known =
      read_rows<std::string>(*names, [](const Statement& row) { return row.column_text(0); });
  if (!known.ok()) return known.status();
  return named_not_found("profile", name, path(), *known);
}

Status Store::remove_profile(const std::string& name) {
  Result<Profile> existing = profile(name);
  if (!existing.ok()) return existing.status();
  Result<Statement> erase = db_->prepare("DELETE FROM profiles WHERE name = ?1");
  if (!erase.ok()) return erase.status();
  erase->bind(1, name);
  return erase->run();
}

Result<std::map<std::string, ProfileRuns>> Store::profile_runs() {
  // SQLite takes a bare column (id) from the row that gives MAX() its value.
  Result<Statement> query = db_->prepare(
      "SELECT profile, COUNT(*), MAX(started_unix_ns), id FROM runs WHERE profile IS NOT NULL "
      "GROUP BY profile");
  if (!query.ok()) return query.status();
  std::map<std::string, ProfileRuns> runs;
  for (;;) {
    Result<bool> row = query->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    runs[query->column_text(0)] = {query->column_int(1), query->column_text(3),
                                   query->column_int(2)};
  }
  return runs;
}

Result<std::string> Store::create_experiment(const std::string& kind, const std::string& name) {
  Result<Statement> insert = db_->prepare(
      "INSERT INTO experiments (id, kind, name, started_unix_ns, saved_unix_ns, summary) "
      "VALUES (?1, ?2, ?3, ?4, ?4, '{}')");
  if (!insert.ok()) return insert.status();
  for (int attempt = 0;; ++attempt) {
    const std::string id = next_id();
    insert->reset();
    insert->bind(1, id);
    insert->bind(2, kind);
    insert->bind(3, name);
    insert->bind(4, clock_.unix_ns());
    Status s = insert->run();
    if (s.ok()) return id;
    if (insert->last_error_code() != SQLITE_CONSTRAINT_PRIMARYKEY || attempt + 1 == kIdAttempts) {
      return Status(s.code(), "cannot save the experiment: " + s.message());
    }
  }
}

Status Store::set_experiment_summary(const std::string& id, const std::string& summary) {
  Result<Statement> update =
      db_->prepare("UPDATE experiments SET summary = ?2, saved_unix_ns = ?3 WHERE id = ?1");
  if (!update.ok()) return update.status();
  update->bind(1, id);
  update->bind(2, summary);
  update->bind(3, clock_.unix_ns());
  if (Status s = update->run(); !s.ok()) return s;
  if (sqlite3_changes(db_->handle()) == 0) {
    return Status::not_found("no experiment " + id + " in " + path());
  }
  return {};
}

namespace {
constexpr char kExperimentColumns[] =
    "SELECT id, kind, name, started_unix_ns, saved_unix_ns, summary FROM experiments";
}  // namespace

Result<Experiment> Store::experiment(std::string_view id_or_prefix) {
  Result<std::string> id = resolve_id(id_or_prefix, "experiments", "experiment");
  if (!id.ok()) return id.status();
  Result<Statement> query = db_->prepare(std::string(kExperimentColumns) + " WHERE id = ?1");
  if (!query.ok()) return query.status();
  query->bind(1, *id);
  Result<std::vector<Experiment>> found = read_rows<Experiment>(*query, read_experiment);
  if (!found.ok()) return found.status();
  if (found->empty()) return Status::not_found("no experiment " + *id + " in " + path());
  return std::move(found->front());
}

Result<std::vector<Experiment>> Store::experiments(int64_t limit) {
  Result<Statement> query = db_->prepare(std::string(kExperimentColumns) +
                                         " ORDER BY started_unix_ns DESC, id DESC LIMIT ?1");
  if (!query.ok()) return query.status();
  query->bind(1, limit > 0 ? limit : int64_t{-1});
  return read_rows<Experiment>(*query, read_experiment);
}

}  // namespace nightjar::store
