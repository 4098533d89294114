// The .hlog reader (output/hlog_reader.h): it reads back what render_hlog writes and what
// HdrHistogram's Java writer writes, and refuses malformed or oversized logs with a message
// naming the line.
#include "output/hlog_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "output/hlog.h"
#include "output/sample_result.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using stats::HdrHistogram;

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Log {
  Status status;
  HlogHeader header;
  std::vector<HlogInterval> intervals;
};

Log read(std::string_view text) {
  Log log;
  log.status = read_hlog(
      text, [&](const HlogInterval& interval) { log.intervals.push_back(interval); }, &log.header);
  return log;
}

HdrHistogram histogram_of(std::initializer_list<int64_t> values) {
  HdrHistogram h;
  for (int64_t v : values) h.record(v);
  return h;
}

TEST(HlogReader, ReadsBackWhatRenderHlogWrites) {
  model::RunResult r = sample_result(true);
  r.timeline.clear();
  const HdrHistogram first = histogram_of({1'000, 2'000, 3'000'000});
  const HdrHistogram second = histogram_of({5'000, 7'000'000});
  for (int64_t s = 0; s < 2; ++s) {
    model::TimelineEntry e;
    e.second = s;
    e.duration_s = s == 0 ? 1.0 : 0.5;
    e.latency_histogram = stats::encode_base64(s == 0 ? first : second);
    e.service_time_histogram = stats::encode_base64(second);
    r.timeline.push_back(e);
  }
  const Log log = read(render_hlog(r));
  ASSERT_TRUE(log.status.ok()) << log.status.message();
  ASSERT_EQ(log.intervals.size(), 4u);
  EXPECT_EQ(log.intervals[0].tag, kHlogLatencyTag);
  EXPECT_EQ(log.intervals[1].tag, kHlogServiceTimeTag);
  EXPECT_EQ(log.intervals[0].line, 6u);  // after 4 comments and the legend
  EXPECT_DOUBLE_EQ(log.intervals[2].start_timestamp_s, 1.0);
  EXPECT_DOUBLE_EQ(log.intervals[2].length_s, 0.5);
  // The max column: the histogram's max in ms, rounded to the microsecond as written.
  EXPECT_NEAR(log.intervals[0].max_value, std::round(static_cast<double>(first.max()) / 1e3) / 1e3,
              1e-9);
  EXPECT_TRUE(log.intervals[0].histogram == first);
  EXPECT_TRUE(log.intervals[2].histogram == second);
  ASSERT_TRUE(log.header.start_time_s.has_value());
  EXPECT_DOUBLE_EQ(*log.header.start_time_s, 1764172800.123);
  EXPECT_DOUBLE_EQ(log.header.base_time_s.value_or(0), 1764172800.123);
}

TEST(HlogReader, ReadsTheGoldenLogAndAJavaStyleLogWithoutTagsOrBaseTime) {
  const Log golden = read(read_data("timeline.hlog"));
  ASSERT_TRUE(golden.status.ok()) << golden.status.message();
  ASSERT_EQ(golden.intervals.size(), 8u);
  // HistogramLogWriter without tags, CRLF line ends, no BaseTime (log format 1.2).
  std::string java;
  std::istringstream in(read_data("timeline.hlog"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#[BaseTime", 0) == 0) continue;
    if (line.rfind("Tag=", 0) == 0) line.erase(0, line.find(',') + 1);
    java += line + "\r\n";
  }
  const Log untagged = read(java);
  ASSERT_TRUE(untagged.status.ok()) << untagged.status.message();
  ASSERT_EQ(untagged.intervals.size(), 8u);
  EXPECT_FALSE(untagged.header.base_time_s.has_value());
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(untagged.intervals[i].tag, "");
    EXPECT_TRUE(untagged.intervals[i].histogram == golden.intervals[i].histogram) << i;
    EXPECT_EQ(untagged.intervals[i].start_timestamp_s, golden.intervals[i].start_timestamp_s) << i;
  }
}

TEST(HlogReader, ErrorsNameTheLineAndWhatIsWrongWithIt) {
  const std::string good =
      "Tag=latency,0.000,1.000,0.001," + stats::encode_base64(histogram_of({1000}));
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"#[comment]\n" + good + "\nTag=latency,0.000,1.000\n",
       "line 3: expected 4 comma-separated fields (start, length, max, histogram), got 2"},
      {"Tag=latency\n", "line 1: a tag but no interval"},
      {"Tag=x,abc,1.000,0.001,HISTFAAAAA==\n", "line 1: start timestamp 'abc' is not a number"},
      {"Tag=x,0.0,inf,0.001,HISTFAAAAA==\n", "line 1: interval length 'inf' is not a number"},
      {"0.0,1.0,1e999,HISTFAAAAA==\n", "line 1: interval max '1e999' is not a number"},
      {"\n\n0.0,1.0,0.0,not base64!\n",
       "line 3: histogram: HdrHistogram decode: bad base64: length 11"},
      {"#[StartTime: soon (seconds since epoch)]\n",
       "line 1: the time in '#[StartTime: soon (seconds since epoch)]' is not a number"},
      {"0.0,1.0,0.0," + stats::encode_base64(*HdrHistogram::create(1, INT64_MAX, 5)) + "\n",
       "line 1: histogram: HdrHistogram decode: the header's range (1 to 9223372036854775807 at 5 "
       "significant figures) needs 6160384 buckets, more than the limit of 4194304"},
  };
  for (const auto& c : cases) {
    const Log log = read(c.text);
    ASSERT_FALSE(log.status.ok()) << c.text;
    EXPECT_EQ(log.status.message().substr(0, c.message.size()), c.message) << log.status.message();
  }
  // The intervals before the bad line were delivered.
  EXPECT_EQ(read(cases[0].text).intervals.size(), 1u);
}

TEST(HlogReader, RefusesALogOverTheSizeLimitBeforeReadingIt) {
  std::string text(kMaxHlogBytes + 1, '#');
  text[kMaxHlogBytes / 2] = '\n';
  int delivered = 0;
  const Status status = read_hlog(text, [&](const HlogInterval&) { ++delivered; });
  EXPECT_EQ(status.message(), "the log is 268435457 bytes, more than the limit of 268435456");
  EXPECT_EQ(delivered, 0);
}

}  // namespace
}  // namespace nightjar::output
