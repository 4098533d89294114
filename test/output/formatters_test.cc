// Golden-file tests of the report formats. To regenerate after an intended change:
//   NIGHTJAR_UPDATE_GOLDEN=1 build/test/output/output_test
// then review the diff of test/data/output/ like any other change. The sample results and
// the golden check live in sample_result.h.
#include "output/formatters.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "output/sample_result.h"

namespace nightjar::output {
namespace {

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
