// The result JSON reader (parse_result_json) on hostile input: wrong types anywhere, values out
// of range, and inputs beyond its limits all give an error naming the field or the limit, never
// an exception (`nightjar report FILE` turns the error into exit 2).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "output/formatters.h"
#include "output/json_paths.h"
#include "output/sample_result.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using nlohmann::json;

json sample_json() { return json::parse(render_json(sample_result(true))); }

TEST(ResultJsonReader, AToolFieldThatIsNotAStringIsNotAResultRatherThanAnException) {
  for (const char* text : {R"({"tool": 5})", R"({"tool": null})", R"({"tool": ["nightjar"]})",
                           "[1,2,3]", "5", R"("nightjar")"}) {
    auto r = parse_result_json(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("not a nightjar result"), std::string::npos)
        << r.status().message();
  }
}

TEST(ResultJsonReader, AnyLeafOfTheWrongTypeGivesAnErrorNamingItNeverAnException) {
  const json original = sample_json();
  const json flat = original.flatten();
  const json wrong_values[] = {"text", json::object(), json::array(), true, 1.5, -1, json(nullptr)};
  int failures = 0;
  for (const auto& [pointer_text, value] : flat.items()) {
    const json::json_pointer pointer(pointer_text);
    if (pointer_text == "/tool") continue;
    for (const json& wrong : wrong_values) {
      if (wrong.type() == value.type()) continue;
      json j = original;
      j[pointer] = wrong;
      Result<model::RunResult> r = Status::internal("not run");
      ASSERT_NO_THROW(r = parse_result_json(j.dump())) << pointer_text << " = " << wrong.dump();
      if (r.ok()) continue;  // a field the reader does not use, or one that may be null
      ++failures;
      EXPECT_TRUE(names_field_or_parent(r.status().message(), reader_path(pointer)))
          << pointer_text << " = " << wrong.dump() << ": " << r.status().message();
    }
  }
  EXPECT_GT(failures, 200);  // the reader checks most fields
}

TEST(ResultJsonReader, ReportsTheExactFieldForCommonMistakes) {
  const struct {
    const char* pointer;
    json value;
    const char* message;
  } cases[] = {
      {"/requests/completed", "x", "requests.completed is out of range or not a whole number"},
      {"/requests/errors", 1.5, "requests.errors is out of range or not a whole number"},
      {"/options/connections", 10'000'000'000, "options.connections is out of range"},
      {"/options/requested_rps", "fast", "options.requested_rps has the wrong type (string)"},
      {"/options/urls", "http://a/", "options.urls has the wrong type (string)"},
      {"/open_loop", 1, "open_loop has the wrong type (number)"},
      {"/timeline/1/second", json::array(), "timeline[1].second has the wrong type (array)"},
      {"/histograms/latency", 12, "histograms.latency has the wrong type (number)"},
      {"/status_codes/200", "many", "status_codes.200 is out of range or not a whole number"},
      {"/duration_ns", -1, "duration_ns must not be negative"},
      {"/options", "x", "options has the wrong type (string)"},
      {"/requests", json::array(), "requests has the wrong type (array)"},
      {"/histograms", 5, "histograms has the wrong type (number)"},
      {"/status_codes", json::array(), "status_codes has the wrong type (array)"},
      {"/timeline", json::object(), "timeline has the wrong type (object)"},
      {"/timeline/0", 5, "timeline[0] has the wrong type (number)"},
      {"/timeline/1/histograms", "x", "timeline[1].histograms has the wrong type (string)"},
      {"/shards/0/histograms", json::array(), "shards[0].histograms has the wrong type (array)"},
      {"/workers", "none", "workers has the wrong type (string)"},
      {"/start_unix_ns", 9'223'372'036'854'775'807, "beyond the year 2262"},
  };
  for (const auto& c : cases) {
    json j = sample_json();
    j[json::json_pointer(c.pointer)] = c.value;
    auto r = parse_result_json(j.dump());
    ASSERT_FALSE(r.ok()) << c.pointer;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
  json j = sample_json();
  j["requests"]["completed"] = 18'446'744'073'709'551'615u;  // above int64
  EXPECT_NE(
      parse_result_json(j.dump()).status().message().find("requests.completed is out of range"),
      std::string::npos);
  j = sample_json();
  j["requests"]["completed"] = "1000";  // protobuf's JSON form of an int64
  auto r = parse_result_json(j.dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->counters.completed, 1000);
}

TEST(ResultJsonReader, ReadsSchemaZeroAsItWasWritten) {
  // What nightjar wrote before schema versions: "format_version": 1, no "schema", and
  // options.protocol saying what ALPN chose.
  json j = json::parse(render_json(sample_result(true)));
  j.erase("schema");
  j.erase("protocol");
  j.erase("tls_version");
  j.erase("target_addresses");
  for (json& second : j["timeline"]) {
    second.erase("sent");
    second.erase("dropped");
  }
  j["format_version"] = 1;
  j["options"]["protocol"] = "h2";
  auto r = parse_result_json(j.dump());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->protocol, "h2");
  EXPECT_EQ(r->options.protocol, "h2");
  EXPECT_EQ(r->counters.completed, 1000);
  EXPECT_EQ(r->timeline.size(), 2u);
  EXPECT_NE(render_human(*r).find("protocol h2"), std::string::npos);
}

TEST(ResultJsonReader, RefusesANewerSchemaSayingSo) {
  json j = json::parse(render_json(sample_result(true)));
  j["schema"] = 2;
  auto r = parse_result_json(j.dump());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "schema 2 is not one this nightjar reads (0 to 1): it was written by a newer nightjar");
}

TEST(ResultJsonReader, RefusesTextBeyondItsSizeLimitBeforeParsing) {
  std::string text = render_json(sample_result(true));
  text.resize(kMaxResultJsonBytes + 1, ' ');  // still valid JSON: trailing whitespace
  auto r = parse_result_json(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than the limit of 67108864"), std::string::npos)
      << r.status().message();
}

TEST(ResultJsonReader, RefusesNestingBeyondItsDepthLimit) {
  const auto nested = [](int levels) {
    return R"({"tool":"nightjar","x":)" + std::string(static_cast<size_t>(levels - 1), '[') +
           std::string(static_cast<size_t>(levels - 1), ']') + "}";
  };
  // kMaxResultJsonDepth levels (the top object is one) are read; one more is refused.
  auto within = parse_result_json(nested(kMaxResultJsonDepth));
  EXPECT_EQ(within.status().message().find("nest deeper"), std::string::npos)
      << within.status().message();
  auto deeper = parse_result_json(nested(kMaxResultJsonDepth + 1));
  ASSERT_FALSE(deeper.ok());
  EXPECT_NE(deeper.status().message().find("nest deeper than 32 levels"), std::string::npos)
      << deeper.status().message();
  // A million levels: refused the same way, without exhausting the stack.
  EXPECT_FALSE(parse_result_json(nested(1'000'000)).ok());
}

TEST(ResultJsonReader, TheHistogramsOfOneFileShareABucketBudget) {
  // Each shard histogram declares 4,063,232 buckets (5 figures, 1 ns to a day): the ninth
  // exceeds 2^25 buckets in all, and is refused before it is allocated.
  auto wide = stats::HdrHistogram::create(1, 86'400'000'000'000, 5);
  ASSERT_TRUE(wide.ok());
  const std::string encoded = stats::encode_base64(*wide);
  json j = sample_json();
  j["histograms"] = {{"latency", ""}, {"service_time", ""}, {"schedule_lag", ""}};
  json shard = j["shards"][0];
  shard["histograms"] = {{"latency", encoded}, {"service_time", ""}};
  j["shards"] = json::array();
  for (int i = 0; i < 8; ++i) j["shards"].push_back(shard);
  auto eight = parse_result_json(j.dump());
  EXPECT_TRUE(eight.ok()) << eight.status().message();
  j["shards"].push_back(shard);
  auto nine = parse_result_json(j.dump());
  ASSERT_FALSE(nine.ok());
  EXPECT_NE(nine.status().message().find("shards[8].histograms.latency"), std::string::npos)
      << nine.status().message();
  EXPECT_NE(nine.status().message().find("together may hold 33554432 buckets"), std::string::npos)
      << nine.status().message();
}

}  // namespace
}  // namespace nightjar::output
