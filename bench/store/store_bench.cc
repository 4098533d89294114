// The results store's size and speed (bench/store.sh runs it; figures in bench/README.md).
//
//   nightjar_store_bench size DB SECONDS RPS     one synthetic run of SECONDS seconds at RPS,
//                                                saved into DB: bytes it adds, time to save
//   nightjar_store_bench fill DB COUNT SECONDS   COUNT runs of SECONDS seconds at 1000 req/s,
//                                                saved into DB (for timing list and compare)
//
// A synthetic run is shaped like what `nightjar load` keeps: a whole latency, service-time
// and schedule-lag histogram, two thread shards, and per second a latency and service-time
// histogram of RPS samples drawn from a log-normal around 1 ms with a 1-in-1000 tail near
// 50 ms (so each second's histogram has a realistic number of distinct buckets). Prints one
// JSON object per command on standard output.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "model/merge.h"
#include "model/result_proto.h"
#include "model/run_result.h"
#include "stats/hdr_encoding.h"
#include "stats/hdr_histogram.h"
#include "store/store.h"

namespace {

using namespace nightjar;

int64_t file_bytes(const std::string& path) {
  struct stat st {};
  int64_t total = 0;
  for (const std::string& p : {path, path + "-wal"}) {
    if (stat(p.c_str(), &st) == 0) total += st.st_size;
  }
  return total;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

model::RunResult synthetic_run(int64_t seconds, int64_t rps, uint64_t seed, int index) {
  std::mt19937_64 random(seed);
  std::lognormal_distribution<double> body(std::log(1e6), 0.35);
  std::uniform_real_distribution<double> tail(20e6, 80e6);
  std::uniform_int_distribution<int> one_in(0, 999);
  model::RunResult r;
  r.options.test_name = "bench-" + std::to_string(index);
  r.options.urls = {"http://127.0.0.1:8080/"};
  r.options.labels = {{"bench", "store"}, {"round", std::to_string(index % 10)}};
  r.options.requested_rps = static_cast<double>(rps);
  r.options.connections = 50;
  r.options.threads = 2;
  r.options.protocol = "http/1.1";
  r.protocol = "http/1.1";
  r.open_loop = true;
  r.start_unix_ns = int64_t{1'800'000'000} * 1'000'000'000 + index * int64_t{1'000'000'000};
  r.measured_ns = seconds * 1'000'000'000;
  r.end_unix_ns = r.start_unix_ns + r.measured_ns;
  model::ShardResult shards[2];
  shards[0].name = "thread-0";
  shards[1].name = "thread-1";
  for (int64_t s = 0; s < seconds; ++s) {
    model::SecondAccumulator second;
    stats::HdrHistogram& latency = second.latency;
    stats::HdrHistogram& service = second.service_time;
    for (int64_t i = 0; i < rps; ++i) {
      const int64_t service_ns = static_cast<int64_t>(one_in(random) == 0 ? tail(random) : body(random));
      const int64_t lag_ns = static_cast<int64_t>(random() % 50'000);
      latency.record(service_ns + lag_ns);
      service.record(service_ns);
      r.schedule_lag.record(lag_ns);
      model::ShardResult& shard = shards[i % 2];
      shard.latency.record(service_ns + lag_ns);
      shard.service_time.record(service_ns);
      ++shard.counters.sent;
      ++shard.counters.completed;
    }
    second.counters.sent = rps;
    second.counters.completed = rps;
    second.duration_s = 1;
    r.timeline.push_back(second.summarize(s));
    r.latency.add(latency);
    r.service_time.add(service);
  }
  for (model::ShardResult& shard : shards) {
    r.counters.add(shard.counters);
    r.shards.push_back(std::move(shard));
  }
  r.status_codes[200] = r.counters.completed;
  return r;
}

int usage() {
  std::cerr << "usage: nightjar_store_bench size DB SECONDS RPS | fill DB COUNT SECONDS\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) return usage();
  const std::string command = argv[1];
  const std::string db = argv[2];
  const int64_t a = std::atoll(argv[3]);
  const int64_t b = std::atoll(argv[4]);
  if (a <= 0 || b <= 0) return usage();

  if (command == "size") {
    const model::RunResult run = synthetic_run(a, b, 42, 0);
    const auto encode_start = std::chrono::steady_clock::now();
    const int64_t proto_bytes = static_cast<int64_t>(model::to_proto_bytes(run).size());
    const double encode_ms = ms_since(encode_start);
    // Three saves, each as a run's end does it: open the store, save, close. The database's
    // growth is measured once the last connection has closed (SQLite then folds the WAL
    // into the file and removes it).
    double save_ms[3] = {};
    int64_t before = 0;
    for (double& ms : save_ms) {
      if (&ms == &save_ms[2]) before = file_bytes(db);
      const auto start = std::chrono::steady_clock::now();
      auto store = store::Store::open(db);
      auto id = store.ok() ? (*store)->save(run) : Result<std::string>(store.status());
      ms = ms_since(start);
      if (!id.ok()) {
        std::cerr << id.status().message() << "\n";
        return 1;
      }
    }
    std::sort(std::begin(save_ms), std::end(save_ms));
    std::printf(
        "{\"seconds\": %lld, \"rps\": %lld, \"samples\": %lld, \"result_bytes\": %lld, "
        "\"database_bytes_per_run\": %lld, \"encode_ms\": %.2f, "
        "\"open_and_save_ms_median\": %.2f, \"open_and_save_ms_max\": %.2f}\n",
        static_cast<long long>(a), static_cast<long long>(b),
        static_cast<long long>(run.latency.total_count()), static_cast<long long>(proto_bytes),
        static_cast<long long>(file_bytes(db) - before), encode_ms, save_ms[1], save_ms[2]);
    return 0;
  }
  auto store = store::Store::open(db);
  if (!store.ok()) {
    std::cerr << store.status().message() << "\n";
    return 1;
  }
  if (command == "fill") {
    const auto start = std::chrono::steady_clock::now();
    // Runs differ by their seed: the same few shapes repeated would compress unrealistically
    // nowhere (SQLite does not compress), but would make percentiles identical.
    for (int64_t i = 0; i < a; ++i) {
      auto id = (*store)->save(synthetic_run(b, 1000, 1000 + static_cast<uint64_t>(i % 97),
                                             static_cast<int>(i)));
      if (!id.ok()) {
        std::cerr << id.status().message() << "\n";
        return 1;
      }
    }
    std::printf("{\"runs\": %lld, \"seconds_each\": %lld, \"fill_s\": %.1f, \"database_bytes\": %lld}\n",
                static_cast<long long>(a), static_cast<long long>(b), ms_since(start) / 1000,
                static_cast<long long>(file_bytes(db)));
    return 0;
  }
  return usage();
}
