#include "store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/version.h"
#include "model/result_proto.h"
#include "output/sample_result.h"
#include "stats/hdr_encoding.h"
#include "store/run_id.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "support/subprocess.h"

namespace nightjar::store {
namespace {

namespace fs = std::filesystem;

// The binary form, deterministic (protobuf maps have no order otherwise).
std::string bytes_of(const model::RunResult& r) { return model::to_proto_bytes(r); }

// The sample with everything the store must keep: per-second histograms, shards, a worker.
model::RunResult full_result() {
  model::RunResult r = output::sample_result(true);
  auto second = stats::HdrHistogram::create(1, 3'600'000'000'000, 3);
  second->record(1234);
  second->record(987'654);
  for (model::TimelineEntry& e : r.timeline) {
    e.latency_histogram = stats::encode_base64(*second);
    e.service_time_histogram = stats::encode_base64(*second);
  }
  model::ShardResult other = r.shards[0];
  other.name = "thread-1";
  r.shards.push_back(other);
  model::WorkerStatus worker;
  worker.name = "10.0.0.7:9090";
  worker.clock_offset_ns = -1500;
  worker.failed = true;
  worker.failure = "lease expired";
  r.workers = {worker};
  r.partial = true;
  r.interrupted = true;
  r.protocol = "h2c";
  return r;
}

// A result named `name`, started at `started_unix_ns`, with `labels`.
model::RunResult named(const std::string& name, int64_t started_unix_ns,
                       std::map<std::string, std::string> labels = {}) {
  model::RunResult r = output::sample_result(false);
  r.options.test_name = name;
  r.start_unix_ns = started_unix_ns;
  r.options.labels = std::move(labels);
  return r;
}

std::vector<std::string> names_of(const std::vector<RunSummary>& runs) {
  std::vector<std::string> names;
  for (const RunSummary& r : runs) names.push_back(r.name);
  return names;
}

// Each test gets a folder of its own under the system's temporary folder, removed after.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "nightjar-store-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = (dir_ / "results.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Store> open_store(const Clock& clock = system_clock()) {
    auto store = Store::open(db_path_, clock);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // The database through a connection of its own (no Store), to look under the API.
  Database raw() {
    auto db = Database::open(db_path_);
    EXPECT_TRUE(db.ok()) << db.status().message();
    return std::move(db).value();
  }

  fs::path dir_;
  std::string db_path_;
};

TEST_F(StoreTest, SavedRunReadsBackWhole) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const model::RunResult original = full_result();
  auto id = store->save(original);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(id->size(), kRunIdLength);

  auto back = store->get(*id);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(bytes_of(*back), bytes_of(original));
  EXPECT_EQ(back->timeline.size(), 2u);
  EXPECT_EQ(back->timeline[1].latency_histogram, original.timeline[1].latency_histogram);
  ASSERT_EQ(back->shards.size(), 2u);
  EXPECT_EQ(back->shards[1].name, "thread-1");
  EXPECT_EQ(back->shards[1].latency.total_count(), 1000);
  EXPECT_EQ(back->latency.value_at_percentile(99), original.latency.value_at_percentile(99));
  EXPECT_EQ(back->status_codes, original.status_codes);
  ASSERT_EQ(back->workers.size(), 1u);
  EXPECT_EQ(back->workers[0].failure, "lease expired");
  EXPECT_EQ(back->options.labels, original.options.labels);
}

TEST_F(StoreTest, SummaryHoldsTheListedColumns) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const model::RunResult r = full_result();
  SaveInfo info;
  info.profile = "checkout";
  info.source = "import:fortio";
  info.environment = Environment{"loadgen-1", "6.1.0-18-amd64", "Test CPU @ 3GHz", 64, "0.0.9"};
  auto id = store->save(r, info);
  ASSERT_TRUE(id.ok()) << id.status().message();

  auto s = store->summary(*id);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->id, *id);
  EXPECT_EQ(s->started_unix_ns, r.start_unix_ns);
  EXPECT_EQ(s->name, "golden");
  EXPECT_EQ(s->labels, (std::map<std::string, std::string>{{"mesh", "none"}}));
  EXPECT_EQ(s->protocol, "h2c");
  EXPECT_EQ(s->requested_rps, 500);
  EXPECT_EQ(s->achieved_rps, r.achieved_rps());
  EXPECT_EQ(s->p50_ns, r.latency.value_at_percentile(50));
  EXPECT_EQ(s->p99_ns, r.latency.value_at_percentile(99));
  EXPECT_EQ(s->p999_ns, r.latency.value_at_percentile(99.9));
  EXPECT_NE(s->p50_ns, s->p999_ns);
  EXPECT_EQ(s->sent, 1003);
  EXPECT_EQ(s->completed, 1000);
  EXPECT_EQ(s->errors, 3);
  EXPECT_EQ(s->duration_ns, 2'000'000'000);
  EXPECT_EQ(s->worker_count, 1);
  EXPECT_TRUE(s->interrupted);
  EXPECT_TRUE(s->partial);
  EXPECT_EQ(s->profile, "checkout");
  EXPECT_EQ(s->source, "import:fortio");
  EXPECT_EQ(s->environment.host_name, "loadgen-1");
  EXPECT_EQ(s->environment.kernel_release, "6.1.0-18-amd64");
  EXPECT_EQ(s->environment.cpu_model, "Test CPU @ 3GHz");
  EXPECT_EQ(s->environment.cpu_count, 64);
  EXPECT_EQ(s->environment.nightjar_version, "0.0.9");
}

TEST_F(StoreTest, ARunSavesThisMachinesEnvironmentByDefault) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto id = store->save(named("plain", 1));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto s = store->summary(*id);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const Environment here = current_environment();
  EXPECT_FALSE(here.host_name.empty());
  EXPECT_EQ(s->environment.host_name, here.host_name);
  EXPECT_EQ(s->environment.kernel_release, here.kernel_release);
  EXPECT_EQ(s->environment.cpu_model, here.cpu_model);
  EXPECT_GT(s->environment.cpu_count, 0);
  EXPECT_EQ(s->environment.nightjar_version, kVersion);
  EXPECT_EQ(s->source, "run");
  EXPECT_FALSE(s->profile.has_value());
  EXPECT_FALSE(s->interrupted);
}

TEST_F(StoreTest, IdsSortBySaveTime) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    // Half the saves share a millisecond with the one before: still increasing.
    if (i % 2 == 0) clock.advance(1'000'000);
    auto id = store->save(named("r", 1));
    ASSERT_TRUE(id.ok()) << id.status().message();
    ids.push_back(*id);
  }
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_LT(ids[i - 1], ids[i]) << i;
  // The time is the first 10 characters: a later millisecond from a new Store sorts after.
  clock.advance(1'000'000);
  auto later = open_store(clock);
  ASSERT_NE(later, nullptr);
  auto id = later->save(named("r", 1));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_LT(ids.back(), *id);
  EXPECT_EQ(id->substr(0, 10), make_run_id(clock.unix_ns() / 1'000'000, 0).substr(0, 10));
}

TEST_F(StoreTest, AnyUniquePrefixResolves) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  auto first = store->save(named("first", 1));
  auto second = store->save(named("second", 2));  // the same millisecond: 10 characters shared
  clock.advance(int64_t{1'000'000} << 25);        // moves the 5th character
  auto third = store->save(named("third", 3));
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  ASSERT_EQ(first->substr(0, 10), second->substr(0, 10));
  ASSERT_NE(first->substr(0, 5), third->substr(0, 5));

  EXPECT_EQ(store->resolve(*first).value(), *first);
  EXPECT_EQ(store->resolve(third->substr(0, 5)).value(), *third);
  std::string lower = third->substr(0, 7);
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(store->resolve(lower).value(), *third);
  auto got = store->get(third->substr(0, 5));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got->options.test_name, "third");

  auto ambiguous = store->resolve(first->substr(0, 10));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ambiguous.status().message().find("ambiguous"), std::string::npos)
      << ambiguous.status().message();
  EXPECT_NE(ambiguous.status().message().find(*first), std::string::npos)
      << ambiguous.status().message();
  EXPECT_NE(ambiguous.status().message().find(*second), std::string::npos)
      << ambiguous.status().message();

  auto none = store->get("ZZZZ");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("no run ZZZZ"), std::string::npos)
      << none.status().message();

  auto invalid = store->resolve("01-");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(store->resolve("").ok());
}

TEST_F(StoreTest, ListFiltersAndOrdersNewestFirst) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  SaveInfo checkout;
  checkout.profile = "checkout";
  ASSERT_TRUE(
      store->save(named("api-small", 100, {{"mesh", "istio"}, {"zone", "a"}}), checkout).ok());
  ASSERT_TRUE(store->save(named("api-large", 300, {{"mesh", "istio"}, {"zone", "b"}})).ok());
  ASSERT_TRUE(store->save(named("web", 200, {{"mesh", "linkerd"}, {"zone", "a"}}), checkout).ok());
  ASSERT_TRUE(store->save(named("API-upper", 400, {})).ok());

  const auto list = [&](const ListFilter& f) {
    auto runs = store->list(f);
    EXPECT_TRUE(runs.ok()) << runs.status().message();
    return runs.ok() ? names_of(*runs) : std::vector<std::string>{"<error>"};
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(list({}), (Names{"API-upper", "api-large", "web", "api-small"}));

  ListFilter f;
  f.name_glob = "api-*";  // GLOB is case-sensitive
  EXPECT_EQ(list(f), (Names{"api-large", "api-small"}));
  f = {};
  f.labels = {{"mesh", "istio"}};
  EXPECT_EQ(list(f), (Names{"api-large", "api-small"}));
  f.labels = {{"mesh", "istio"}, {"zone", "a"}};
  EXPECT_EQ(list(f), (Names{"api-small"}));
  f.labels = {{"mesh", "linkerd"}, {"zone", "b"}};
  EXPECT_EQ(list(f), Names{});
  f = {};
  f.since_unix_ns = 200;
  EXPECT_EQ(list(f), (Names{"API-upper", "api-large", "web"}));
  f = {};
  f.profile = "checkout";
  EXPECT_EQ(list(f), (Names{"web", "api-small"}));
  f = {};
  f.limit = 2;
  EXPECT_EQ(list(f), (Names{"API-upper", "api-large"}));
  f.since_unix_ns = 150;
  f.limit = 1;
  f.labels = {{"zone", "a"}};
  EXPECT_EQ(list(f), (Names{"web"}));

  auto runs = store->list({});
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->back().labels,
            (std::map<std::string, std::string>{{"mesh", "istio"}, {"zone", "a"}}));
  EXPECT_EQ(runs->back().profile, "checkout");
}

TEST_F(StoreTest, RemoveDeletesAllOrNone) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto a = store->save(named("a", 1, {{"k", "v"}}));
  auto b = store->save(named("b", 2, {{"k", "v"}}));
  auto c = store->save(named("c", 3, {{"k", "v"}}));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());

  // One unknown ID: nothing is removed.
  Status partly = store->remove({*a, "ZZZZZZ"});
  EXPECT_EQ(partly.code(), StatusCode::kNotFound) << partly.message();
  EXPECT_TRUE(store->get(*a).ok());

  Status s = store->remove({*a, *c});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(store->get(*a).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->get(*c).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->get(*b).ok());
  auto left = store->list({});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(names_of(*left), std::vector<std::string>{"b"});
  // The labels and the whole results went with them.
  Database db = raw();
  EXPECT_EQ(db.query_int("SELECT count(*) FROM run_labels").value(), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM run_results").value(), 1);
}

TEST_F(StoreTest, ADatabaseFromANewerNightjarIsRefused) {
  {
    Database db = raw();
    ASSERT_TRUE(db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1)).ok());
  }
  auto store = Store::open(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = store.status().message();
  EXPECT_NE(m.find("schema version " + std::to_string(kSchemaVersion + 1) + " is newer"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("this nightjar's " + std::to_string(kSchemaVersion)), std::string::npos) << m;
  EXPECT_NE(m.find(db_path_), std::string::npos) << m;
  // Left as it was.
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion + 1);
  EXPECT_EQ(raw().query_int("SELECT count(*) FROM sqlite_master").value(), 0);
}

TEST_F(StoreTest, AnEmptyFileAndMissingFoldersGetTheSchema) {
  { std::ofstream touch(db_path_); }
  ASSERT_EQ(fs::file_size(db_path_), 0u);
  ASSERT_NE(open_store(), nullptr);
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion);

  db_path_ = (dir_ / "a" / "b" / "results.db").string();
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->save(named("deep", 1)).ok());
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion);
  Database db = raw();
  Result<Statement> mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(mode->step().value());
  EXPECT_EQ(mode->column_text(0), "wal");  // kept in the file
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsRefused) {
  { std::ofstream(db_path_) << "this is a text file, long enough to be read as a header......."; }
  auto store = Store::open(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << store.status().message();
  EXPECT_NE(store.status().message().find(db_path_), std::string::npos) << store.status().message();
}

TEST_F(StoreTest, AVersion1DatabaseOpensAndKeepsItsRuns) {
  // Written by the store at schema version 1 (test/data/store/README.md); opened from a copy.
  fs::copy_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/store/results_v1.db", db_path_);
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), 1);
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    auto got = store->get("01m8n48w");
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_EQ(got->options.test_name, "writer-0");
    EXPECT_EQ(got->latency.total_count(), 1000);
    EXPECT_EQ(got->timeline.size(), 2u);
    EXPECT_EQ(got->status_codes, (std::map<int, int64_t>{{200, 990}, {503, 10}}));
    auto old = store->summary("01M8N48W5ZSB");
    ASSERT_TRUE(old.ok()) << old.status().message();
    EXPECT_EQ(old->labels, (std::map<std::string, std::string>{{"mesh", "none"}}));
    EXPECT_EQ(old->p99_ns, got->latency.value_at_percentile(99));
    EXPECT_EQ(old->source, "run");
    EXPECT_TRUE(store->save(named("new", 8)).ok());
    auto all = store->list({});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(names_of(*all), reopen == 0 ? (std::vector<std::string>{"writer-0", "new"})
                                          : (std::vector<std::string>{"writer-0", "new", "new"}));
  }
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion);
}

TEST_F(StoreTest, AVersion2DatabaseOpensAndKeepsItsRunsBaselinesProfilesAndExperiments) {
  // Written at schema version 2 (test/data/store/README.md); opened from a copy.
  fs::copy_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/store/results_v2.db", db_path_);
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), 2);
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto first = store->get("01M8NFWSYBF5");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->options.test_name, "writer-0");
  EXPECT_EQ(first->latency.total_count(), 1000);
  EXPECT_EQ(store->baseline("main")->run_id, "01M8NFWSYBF5");
  auto profile = store->profile("checkout");
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  EXPECT_NE(profile->definition.find("http://127.0.0.1:8080/"), std::string::npos) << profile->definition;
  auto experiment = store->experiment("01M8P");
  ASSERT_TRUE(experiment.ok()) << experiment.status().message();
  EXPECT_EQ(experiment->kind, "find-max");
  EXPECT_EQ(experiment->summary, R"({"max_rps": 1200})");
  ListFilter steps;
  steps.experiment = experiment->id;
  auto runs = store->list(steps);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].name, "writer-1");
  EXPECT_EQ((*runs)[0].profile, "checkout");
  EXPECT_TRUE(store->save(named("new", 8)).ok());
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion);
}

TEST_F(StoreTest, ManyRunsListWithTheirOwnLabels) {
  // Past 64 runs, list reads every label in one scan instead of one lookup per run.
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 100; ++i) {
    std::map<std::string, std::string> labels = {{"i", std::to_string(i)}};
    if (i % 3 == 0) labels["third"] = "yes";
    ASSERT_TRUE(store->save(named("run-" + std::to_string(i), i, labels)).ok());
  }
  for (const int64_t limit : {int64_t{0}, int64_t{10}}) {
    ListFilter filter;
    filter.limit = limit;
    auto runs = store->list(filter);
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), limit == 0 ? 100u : 10u);
    for (const RunSummary& run : *runs) {
      const std::string i = run.name.substr(4);
      EXPECT_EQ(run.labels.at("i"), i) << run.name;
      EXPECT_EQ(run.labels.count("third"), std::stoi(i) % 3 == 0 ? 1u : 0u) << run.name;
    }
  }
}

TEST_F(StoreTest, TwoConnectionsSaveConcurrently) {
  constexpr int kPerThread = 40;
  std::vector<std::string> ids[2];
  std::string failures[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      auto store = Store::open(db_path_);
      if (!store.ok()) {
        failures[t] = store.status().message();
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        auto id = (*store)->save(named("t" + std::to_string(t), i));
        if (!id.ok()) {
          failures[t] = id.status().message();
          return;
        }
        ids[t].push_back(*id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures[0], "");
  EXPECT_EQ(failures[1], "");
  std::set<std::string> unique(ids[0].begin(), ids[0].end());
  unique.insert(ids[1].begin(), ids[1].end());
  EXPECT_EQ(unique.size(), 2u * kPerThread);
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto all = store->list({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u * kPerThread);
  for (const std::string& id : unique) EXPECT_TRUE(store->get(id).ok()) << id;
}

TEST_F(StoreTest, NothingCommittedIsLostWhenTheWriterIsKilled) {
  testing::Subprocess writer({STORE_WRITER, db_path_});
  ASSERT_TRUE(writer.started());
  std::vector<std::pair<std::string, std::string>> printed;  // id, name
  for (int i = 0; i < 30; ++i) {
    const std::string line = writer.read_line();
    ASSERT_FALSE(line.empty()) << "the writer stopped: " << writer.err();
    const size_t space = line.find(' ');
    ASSERT_NE(space, std::string::npos) << line;
    printed.emplace_back(line.substr(0, space), "writer-" + line.substr(space + 1));
  }
  writer.signal(SIGKILL);  // mid-loop: most likely inside a save
  EXPECT_EQ(writer.wait(), -SIGKILL);
  // What it printed after the 30 read lines was committed too.
  std::string rest = writer.out();
  for (size_t start = 0, nl; (nl = rest.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = rest.substr(start, nl - start);
    const size_t space = line.find(' ');
    printed.emplace_back(line.substr(0, space), "writer-" + line.substr(space + 1));
  }

  {
    auto check = raw().prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check.ok());
    ASSERT_TRUE(check->step().value());
    EXPECT_EQ(check->column_text(0), "ok");
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  for (const auto& [id, name] : printed) {
    auto got = store->get(id);
    ASSERT_TRUE(got.ok()) << id << ": " << got.status().message();
    EXPECT_EQ(got->options.test_name, name);
    EXPECT_EQ(got->latency.total_count(), 1000);
  }
  auto all = store->list({});
  ASSERT_TRUE(all.ok());
  EXPECT_GE(all->size(), printed.size());
  EXPECT_LE(all->size(), printed.size() + 1);  // one committed but not yet printed at most
}

TEST_F(StoreTest, AReadOnlyDatabaseFailsToSaveWithAClearError) {
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->save(named("kept", 1)).ok());
  }
  fs::permissions(db_path_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
  if (access(db_path_.c_str(), W_OK) == 0) {
    GTEST_SKIP() << "the file stays writable after chmod 0444 (running as root?): nothing to test";
  }
  // Opening may already fail (no -wal and -shm can be made beside it), or the save does.
  auto store = Store::open(db_path_);
  Status failure;
  if (store.ok()) {
    auto id = (*store)->save(named("refused", 2));
    ASSERT_FALSE(id.ok()) << "saved " << *id << " into a read-only database";
    failure = id.status();
    EXPECT_NE(failure.message().find("cannot save the run"), std::string::npos)
        << failure.message();
  } else {
    failure = store.status();
    EXPECT_NE(failure.message().find("cannot open the results database"), std::string::npos)
        << failure.message();
  }
  EXPECT_EQ(failure.code(), StatusCode::kIoError) << failure.message();
  EXPECT_NE(failure.message().find(db_path_), std::string::npos) << failure.message();
  EXPECT_NE(failure.message().find("readonly"), std::string::npos) << failure.message();
}

TEST(DefaultDbPath, FollowsNightjarDbThenXdgThenHome) {
  const auto keep = [](const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::optional<std::string>() : std::optional<std::string>(v);
  };
  const auto restore = [](const char* name, const std::optional<std::string>& v) {
    if (v) {
      setenv(name, v->c_str(), 1);
    } else {
      unsetenv(name);
    }
  };
  const auto db = keep("NIGHTJAR_DB");
  const auto xdg = keep("XDG_DATA_HOME");
  const auto home = keep("HOME");

  setenv("HOME", "/home/ann", 1);
  unsetenv("NIGHTJAR_DB");
  unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(default_db_path(), "/home/ann/.local/share/nightjar/results.db");
  setenv("XDG_DATA_HOME", "relative/data", 1);  // not absolute: ignored, as the XDG spec says
  EXPECT_EQ(default_db_path(), "/home/ann/.local/share/nightjar/results.db");
  setenv("XDG_DATA_HOME", "/data", 1);
  EXPECT_EQ(default_db_path(), "/data/nightjar/results.db");
  setenv("NIGHTJAR_DB", "/tmp/x.db", 1);
  EXPECT_EQ(default_db_path(), "/tmp/x.db");

  restore("NIGHTJAR_DB", db);
  restore("XDG_DATA_HOME", xdg);
  restore("HOME", home);
}

TEST_F(StoreTest, BaselinePinsARunAndGoesWithIt) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  const std::string a = store->save(named("a", 1)).value();
  clock.advance(1'000'000);
  const std::string b = store->save(named("b", 2)).value();

  auto none = store->baseline("main");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("there are none"), std::string::npos);

  ASSERT_TRUE(store->set_baseline("main", a.substr(0, 10)).ok());
  EXPECT_EQ(store->baseline("main")->run_id, a);
  clock.advance(1'000'000);
  ASSERT_TRUE(store->set_baseline("main", b).ok());  // re-pinned, not duplicated
  ASSERT_TRUE(store->set_baseline("release", a).ok());
  auto all = store->baselines();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "main");
  EXPECT_EQ((*all)[0].run_id, b);
  EXPECT_EQ((*all)[0].set_unix_ns, clock.unix_ns());
  auto missing = store->baseline("nightly");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("there are: main, release"), std::string::npos)
      << missing.status().message();

  EXPECT_EQ(store->set_baseline("x", "ZZZZ").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->set_baseline("", a).code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(store->remove({a}).ok());  // the run goes, and "release" with it
  all = store->baselines();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "main");
  ASSERT_TRUE(store->remove_baseline("main").ok());
  EXPECT_EQ(store->remove_baseline("main").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store->summary(b).ok());  // unpinning keeps the run
}

TEST_F(StoreTest, ProfilesAreCreatedReplacedAndRemoved) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->save_profile("checkout", "duration: 30s\n", false).ok());
  Status again = store->save_profile("checkout", "duration: 60s\n", false);
  EXPECT_EQ(again.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(again.message().find("already exists"), std::string::npos) << again.message();
  EXPECT_EQ(store->profile("checkout")->definition, "duration: 30s\n");

  const int64_t created = clock.unix_ns();
  clock.advance(5'000'000'000);
  ASSERT_TRUE(store->save_profile("checkout", "duration: 60s\n", true).ok());
  ASSERT_TRUE(store->save_profile("browse", "duration: 1s\n", true).ok());
  auto p = store->profile("checkout");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->definition, "duration: 60s\n");
  EXPECT_EQ(p->created_unix_ns, created);
  EXPECT_EQ(p->updated_unix_ns, clock.unix_ns());
  auto all = store->profiles();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "browse");

  SaveInfo info;
  info.profile = "checkout";
  const std::string run = store->save(named("r", 1), info).value();
  ASSERT_TRUE(store->remove_profile("checkout").ok());
  auto gone = store->profile("checkout");
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.status().message().find("there are: browse"), std::string::npos);
  EXPECT_EQ(store->remove_profile("checkout").code(), StatusCode::kNotFound);
  // Its runs keep the name they ran under, so their history stays findable.
  EXPECT_EQ(store->summary(run)->profile, "checkout");
  ListFilter filter;
  filter.profile = "checkout";
  EXPECT_EQ(store->list(filter)->size(), 1u);
}

TEST_F(StoreTest, ProfileRunsCountEachProfilesRunsAndNameTheNewest) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->profile_runs()->empty());
  SaveInfo checkout;
  checkout.profile = "checkout";
  SaveInfo browse;
  browse.profile = "browse";
  ASSERT_TRUE(store->save(named("a", 30), checkout).ok());
  const std::string newest = store->save(named("b", 50), checkout).value();
  ASSERT_TRUE(store->save(named("c", 40), checkout).ok());
  const std::string only = store->save(named("d", 10), browse).value();
  ASSERT_TRUE(store->save(named("e", 99)).ok());  // no profile
  auto runs = store->profile_runs();
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ(runs->at("checkout").count, 3);
  EXPECT_EQ(runs->at("checkout").last_id, newest);
  EXPECT_EQ(runs->at("checkout").last_started_unix_ns, 50);
  EXPECT_EQ(runs->at("browse").count, 1);
  EXPECT_EQ(runs->at("browse").last_id, only);
}

TEST_F(StoreTest, ExperimentsHoldTheirRunsAndSummary) {
  ManualClock clock;
  auto store = open_store(clock);
  ASSERT_NE(store, nullptr);
  auto id = store->create_experiment("find-max", "checkout");
  ASSERT_TRUE(id.ok()) << id.status().message();
  SaveInfo info;
  info.experiment = *id;
  for (int step = 0; step < 3; ++step) ASSERT_TRUE(store->save(named("step", step), info).ok());
  ASSERT_TRUE(store->save(named("other", 9)).ok());
  clock.advance(7);
  ASSERT_TRUE(store->set_experiment_summary(*id, R"({"max_rps":1200})").ok());

  auto e = store->experiment(id->substr(0, 11));
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->kind, "find-max");
  EXPECT_EQ(e->name, "checkout");
  EXPECT_EQ(e->summary, R"({"max_rps":1200})");
  EXPECT_EQ(e->saved_unix_ns, e->started_unix_ns + 7);
  ListFilter filter;
  filter.experiment = *id;
  auto steps = store->list(filter);
  ASSERT_TRUE(steps.ok());
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].experiment, *id);
  EXPECT_EQ(store->experiments()->size(), 1u);
  EXPECT_EQ(store->set_experiment_summary("0000000000ZZ", "{}").code(), StatusCode::kNotFound);
  auto unknown = store->experiment("ZZ");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no experiment ZZ"), std::string::npos);
}

TEST_F(StoreTest, ReadOnlyOpenReadsAndNeverWrites) {
  auto missing = Store::open_read_only(db_path_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(db_path_));  // nothing created

  std::string id;
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    id = store->save(named("kept", 1)).value();
  }
  auto reader = Store::open_read_only(db_path_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->get(id)->options.test_name, "kept");
  EXPECT_EQ((*reader)->list({})->size(), 1u);
  auto write = (*reader)->save(named("refused", 2));
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), StatusCode::kIoError);
  EXPECT_NE(write.status().message().find("readonly"), std::string::npos)
      << write.status().message();
  EXPECT_EQ((*reader)->list({})->size(), 1u);
}

TEST_F(StoreTest, ReadOnlyOpenOfAVersion1DatabaseMigratesItFirst) {
  fs::copy_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/store/results_v1.db", db_path_);
  auto reader = Store::open_read_only(db_path_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto runs = (*reader)->list({});
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_FALSE(runs->empty());
  EXPECT_FALSE(runs->front().experiment.has_value());
  EXPECT_TRUE((*reader)->baselines()->empty());
  EXPECT_EQ(raw().query_int("PRAGMA user_version").value(), kSchemaVersion);
}

TEST_F(StoreTest, ReadOnlyOpenRefusesANewerDatabase) {
  { ASSERT_NE(open_store(), nullptr); }
  ASSERT_TRUE(raw().exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1)).ok());
  auto reader = Store::open_read_only(db_path_);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.status().message().find("is newer"), std::string::npos)
      << reader.status().message();
}

}  // namespace
}  // namespace nightjar::store
