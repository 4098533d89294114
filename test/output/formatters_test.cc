// Golden-file tests of the report formats. To regenerate after an intended change:
//   NIGHTJAR_UPDATE_GOLDEN=1 build/test/output/output_test
// then review the diff of test/data/output/ like any other change.
#include "output/formatters.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nightjar::output {
namespace {

// A result with fixed numbers: 1000 responses with latencies 1..1000 us, a few errors,
// two status codes, two timeline seconds.
model::RunResult sample_result(bool open_loop) {
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
  r.sent = 1003;
  r.completed = 1000;
  r.errors = 3;
  r.queued = 12;
  r.error_counts[static_cast<size_t>(model::ErrorKind::kTimeout)] = 2;
  r.error_counts[static_cast<size_t>(model::ErrorKind::kReset)] = 1;
  r.status_codes = {{200, 990}, {503, 10}};
  r.connections_opened = 11;
  r.bytes_received = 150'000;
  for (int64_t us = 1; us <= 1000; ++us) {
    r.latency.record(us * 1000 + 500);
    r.service_time.record(us * 1000);
    r.schedule_lag.record(us * (open_loop ? 3000 : 0));
  }
  model::TimelineEntry second;
  second.completed = 500;
  second.latency_p50_ns = 500'000;
  second.latency_p90_ns = 900'000;
  second.latency_p99_ns = 990'000;
  second.latency_max_ns = 1'000'000;
  second.service_time_p50_ns = 499'000;
  second.service_time_p99_ns = 989'000;
  r.timeline = {second, second};
  r.timeline[1].second = 1;
  r.timeline[1].errors = 3;
  r.options.test_name = "golden";
  r.options.labels = {{"mesh", "none"}};
  r.options.headers = {{"X-Test", "1"}};
  r.end_unix_ns = r.start_unix_ns + r.measured_ns;
  model::ShardResult shard;
  shard.name = "thread-0";
  shard.sent = r.sent;
  shard.completed = r.completed;
  shard.errors = r.errors;
  shard.latency = r.latency;
  shard.service_time = r.service_time;
  r.shards = {shard};
  return r;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/" + name;
  if (std::getenv("NIGHTJAR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(actual, read(path)) << "golden file " << path
                                << " differs; regenerate with NIGHTJAR_UPDATE_GOLDEN=1 if intended";
}

TEST(Formatters, HumanReportOpenLoopMatchesGolden) { expect_golden("open_loop.txt", render_human(sample_result(true))); }
TEST(Formatters, HumanReportClosedLoopMatchesGolden) {
  expect_golden("closed_loop.txt", render_human(sample_result(false)));
}
TEST(Formatters, JsonReportMatchesGolden) { expect_golden("open_loop.json", render_json(sample_result(true))); }

TEST(Formatters, JsonHasTheContractFieldsWithTheRightTypes) {
  const nlohmann::json j = nlohmann::json::parse(render_json(sample_result(true)));
  EXPECT_DOUBLE_EQ(j["achieved_rps"].get<double>(), 500.0);
  EXPECT_EQ(j["requests"]["completed"].get<int64_t>(), 1000);
  EXPECT_EQ(j["requests"]["errors"].get<int64_t>(), 3);
  EXPECT_EQ(j["status_codes"]["503"].get<int64_t>(), 10);
  EXPECT_EQ(j["errors_by_kind"]["timeout"].get<int64_t>(), 2);
  // Nearest-rank percentiles of 1..1000 us (+500 ns), reported as the top of their
  // histogram bucket: 500'500 lies in [500'480, 500'736), 999'500 in [999'424, 999'936).
  EXPECT_EQ(j["latency_ns"]["percentiles"]["50"].get<int64_t>(), 500'735);
  EXPECT_EQ(j["latency_ns"]["percentiles"]["99.9"].get<int64_t>(), 999'935);
  EXPECT_EQ(j["service_time_ns"]["min"].get<int64_t>(), 1000);
  EXPECT_EQ(j["timeline"].size(), 2u);
  EXPECT_EQ(j["start_time"].get<std::string>(), "2025-11-26T16:00:00.123456Z");
}

TEST(ResultJson, ReadsBackWhatItWrites) {
  const model::RunResult original = sample_result(true);
  const std::string text = render_json(original);
  auto parsed = parse_result_json(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(render_json(*parsed), text);
  EXPECT_EQ(render_human(*parsed), render_human(original));
  EXPECT_TRUE(parsed->latency == original.latency);
  EXPECT_TRUE(parsed->shards.at(0).service_time == original.service_time);
  EXPECT_EQ(parsed->options.labels.at("mesh"), "none");
}

TEST(ResultJson, ErrorsNameTheFieldThatIsWrong) {
  nlohmann::json j = nlohmann::json::parse(render_json(sample_result(true)));
  j["requests"]["completed"] = "many";
  auto r = parse_result_json(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("requests.completed"), std::string::npos) << r.status().message();

  j = nlohmann::json::parse(render_json(sample_result(true)));
  j["histograms"]["latency"] = "not base64!";
  r = parse_result_json(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("histograms.latency"), std::string::npos) << r.status().message();

  EXPECT_NE(parse_result_json("{}").status().message().find("not a nightjar result"), std::string::npos);
  EXPECT_NE(parse_result_json("{").status().message().find("not valid JSON"), std::string::npos);
}

TEST(Formatters, WarnsWhenSendsFellBehindBecauseConnectionsWereBusy) {
  const auto w = warnings(sample_result(true));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("sends fell behind schedule"), std::string::npos);
  EXPECT_NE(w[0].find("12 requests waited for a free connection"), std::string::npos);
}

TEST(Formatters, NoScheduleWarningForClosedLoop) { EXPECT_TRUE(warnings(sample_result(false)).empty()); }

TEST(Formatters, ParseFormatNamesTheUnknownOne) {
  EXPECT_TRUE(parse_format("json").ok());
  auto bad = parse_format("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'xml'"), std::string::npos);
}

TEST(Formatters, PercentileKeysAreShortestForm) {
  EXPECT_EQ(percentile_key(50), "50");
  EXPECT_EQ(percentile_key(99.9), "99.9");
  EXPECT_EQ(percentile_key(99.99), "99.99");
}

}  // namespace
}  // namespace nightjar::output
