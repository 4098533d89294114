// Results with fixed numbers for the output tests, and the golden-file check they share.
//
// Golden files live in test/data/output/. To regenerate them after an intended change:
//   NIGHTJAR_UPDATE_GOLDEN=1 build/test/output/output_test
// then review the diff of test/data/output/ like any other change.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "model/run_result.h"

namespace nightjar::output {

// 1000 responses with latencies 1..1000 us (+500 ns), a few errors, two status codes, two
// timeline seconds. Open loop at 500 rps for 2 s, or closed loop (--rps 0) for 2 s.
inline model::RunResult sample_result(bool open_loop) {
  model::RunResult r;
  r.options.urls = {"http://127.0.0.1:8080/?size=128"};
  r.options.requested_rps = open_loop ? 500 : 0;
  r.options.duration_ns = 2'000'000'000;
  r.options.timeout_ns = 10'000'000'000;
  r.options.connections = 10;
  r.options.threads = 1;
  r.options.max_pending = 10000;
  r.open_loop = open_loop;
  r.start_unix_ns = 1'764'172'800'123'456'789;  // 2025-11-26T16:00:00.123456Z
  r.measured_ns = 2'000'000'000;
  r.counters.sent = 1003;
  r.counters.completed = 1000;
  r.counters.queued = 12;
  r.counters.error_counts[static_cast<size_t>(model::ErrorKind::kTimeout)] = 2;
  r.counters.error_counts[static_cast<size_t>(model::ErrorKind::kReset)] = 1;
  r.status_codes = {{200, 990}, {503, 10}};
  r.counters.connections_opened = 11;
  r.counters.bytes_received = 150'000;
  for (int64_t us = 1; us <= 1000; ++us) {
    r.latency.record(us * 1000 + 500);
    r.service_time.record(us * 1000);
    r.schedule_lag.record(us * (open_loop ? 3000 : 0));
  }
  model::TimelineEntry second;
  second.counters.completed = 500;
  second.latency_p50_ns = 500'000;
  second.latency_p90_ns = 900'000;
  second.latency_p99_ns = 990'000;
  second.latency_max_ns = 1'000'000;
  second.service_time_p50_ns = 499'000;
  second.service_time_p99_ns = 989'000;
  r.timeline = {second, second};
  r.timeline[1].second = 1;
  r.timeline[1].counters.errors_of(model::ErrorKind::kOther) = 3;
  r.options.test_name = "golden";
  r.options.labels = {{"mesh", "none"}};
  r.options.headers = {{"X-Test", "1"}};
  r.end_unix_ns = r.start_unix_ns + r.measured_ns;
  model::ShardResult shard;
  shard.name = "thread-0";
  shard.counters = r.counters;
  shard.latency = r.latency;
  shard.service_time = r.service_time;
  r.shards = {shard};
  return r;
}

// The closed-loop sample bounded by a request count (--requests 1003) instead of a
// duration, run against a mesh named in its labels.
inline model::RunResult sample_count_bound_result() {
  model::RunResult r = sample_result(false);
  r.options.duration_ns = 0;
  r.options.requests = 1003;
  r.options.labels = {{"mesh", "istio"}, {"mesh_version", "1.22.1"}};
  return r;
}

// A gRPC run over TLS without verification, some answers UNAVAILABLE, some handshakes
// failed: every protocol field of the model set.
inline model::RunResult sample_grpc_tls_result() {
  model::RunResult r = sample_result(true);
  r.options.urls = {"grpcs://127.0.0.1:8443/"};
  r.options.method = "POST";
  r.options.protocol = "grpc";
  r.options.max_concurrent_streams = 8;
  r.options.tls = true;
  r.options.tls_insecure = true;
  r.options.tls_sni = "api.internal";
  r.options.grpc_method = "/nightjar.test.v1.TestService/Ping";
  r.grpc_status_codes = {{0, 990}, {14, 10}};
  r.error_details = {{"tls", "certificate verify failed: certificate has expired"}};
  r.counters.error_counts[static_cast<size_t>(model::ErrorKind::kTls)] = 3;
  r.counters.tls_handshakes = 12;
  r.counters.tls_resumed = 8;
  return r;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Compares `actual` with test/data/output/<name>, or rewrites the file (and skips the
// test) when NIGHTJAR_UPDATE_GOLDEN is set.
inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/" + name;
  if (std::getenv("NIGHTJAR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(actual, read_text_file(path))
      << "golden file " << path << " differs; regenerate with NIGHTJAR_UPDATE_GOLDEN=1 if intended";
}

}  // namespace nightjar::output
