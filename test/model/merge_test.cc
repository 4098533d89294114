#include "model/merge.h"

#include <gtest/gtest.h>

#include <random>

#include "stats/hdr_encoding.h"

namespace nightjar::model {
namespace {

RunResult part(uint64_t seed, int64_t samples, int status, int64_t start_unix_ns) {
  RunResult r;
  r.options.urls = {"http://127.0.0.1:1/" + std::to_string(seed)};
  r.options.requested_rps = 100;
  r.options.connections = 2;
  r.options.threads = 1;
  r.open_loop = true;
  r.start_unix_ns = start_unix_ns;
  r.measured_ns = 2'000'000'000;
  r.end_unix_ns = start_unix_ns + r.measured_ns;
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> dist(1.0 / 2e6);
  for (int second = 0; second < 2; ++second) {
    stats::HdrHistogram interval;
    for (int64_t i = 0; i < samples / 2; ++i) {
      const auto v = static_cast<int64_t>(dist(rng)) + 1;
      r.latency.record(v);
      r.service_time.record(v / 2 + 1);
      interval.record(v);
    }
    TimelineEntry e;
    e.second = second;
    e.counters.completed = samples / 2;
    e.latency_histogram = stats::encode_base64(interval);
    r.timeline.push_back(e);
  }
  r.counters.completed = samples;
  r.counters.sent = samples;
  r.counters.error_counts[static_cast<size_t>(ErrorKind::kTimeout)] = 1;
  r.status_codes[status] = samples;
  return r;
}

TEST(MergeResults, CountersAddAndPercentilesEqualOneHistogramOfEverything) {
  const std::vector<RunResult> parts = {part(1, 10000, 200, 1000), part(2, 20000, 200, 1500), part(3, 6000, 503, 900)};
  const RunResult merged = merge_results(parts, {"a", "b", "c"});
  EXPECT_EQ(merged.counters.completed, 36000);
  EXPECT_EQ(merged.counters.errors(), 3);
  EXPECT_EQ(merged.counters.error_counts[static_cast<size_t>(ErrorKind::kTimeout)], 3);
  EXPECT_EQ(merged.status_codes.at(200), 30000);
  EXPECT_EQ(merged.status_codes.at(503), 6000);
  stats::HdrHistogram all;
  for (const RunResult& p : parts) all.add(p.latency);
  EXPECT_TRUE(merged.latency == all);
  for (double q : {50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.latency.value_at_percentile(q), all.value_at_percentile(q)) << q;
  }
  EXPECT_DOUBLE_EQ(merged.options.requested_rps, 300);
  EXPECT_EQ(merged.options.connections, 6);
  EXPECT_EQ(merged.options.urls.size(), 3u);
  EXPECT_EQ(merged.start_unix_ns, 900);
  ASSERT_EQ(merged.shards.size(), 3u);
  EXPECT_EQ(merged.shards[1].name, "b");
  EXPECT_EQ(merged.shards[1].counters.completed, 20000);
}

TEST(MergeResults, TimelineSecondsMergeTheirHistograms) {
  const std::vector<RunResult> parts = {part(4, 1000, 200, 0), part(5, 3000, 200, 0)};
  const RunResult merged = merge_results(parts, {});
  ASSERT_EQ(merged.timeline.size(), 2u);
  EXPECT_EQ(merged.timeline[0].counters.completed, 2000);
  auto h = stats::decode_base64(merged.timeline[1].latency_histogram);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->total_count(), 2000);
  EXPECT_EQ(merged.timeline[1].latency_p99_ns, h->value_at_percentile(99));
  EXPECT_EQ(merged.shards[0].name, "part-0");
}

TEST(MergeResults, AClosedLoopPartMakesTheWholeClosedLoop) {
  std::vector<RunResult> parts = {part(6, 100, 200, 0), part(7, 100, 200, 0)};
  parts[1].open_loop = false;
  const RunResult merged = merge_results(parts, {});
  EXPECT_FALSE(merged.open_loop);
  EXPECT_EQ(merged.options.requested_rps, 0);
}

}  // namespace
}  // namespace nightjar::model
