// The .hlog interval log: a golden file, a line-by-line check in C++ (every line parses and
// every histogram decodes), and HdrHistogram's own Java HistogramLogReader reading it back
// (test/data/output/HlogCheck.java; skipped without java, javac and libhdrhistogram-java).
// Regenerate the golden file with NIGHTJAR_UPDATE_GOLDEN=1 (see sample_result.h).
#include "output/hlog.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "model/merge.h"
#include "output/sample_result.h"
#include "stats/hdr_encoding.h"
#include "support/shell.h"

namespace nightjar::output {
namespace {

using testing::CommandResult;
using testing::find_executable;
using testing::run_command;
using testing::shell_quote;

using stats::HdrHistogram;

// A timeline of four intervals with real histograms: three whole seconds and a last
// partial one of 456'789'100 ns. 3400 values in all, so the 50th and 99th percentiles are
// whole ranks (1700, 3366) and no implementation's rounding of the rank matters.
struct Timeline {
  model::RunResult result;
  HdrHistogram latency;  // every interval's values together
  HdrHistogram service_time;
};

Timeline timeline_result() {
  Timeline t{sample_result(true), {}, {}};
  t.result.timeline.clear();
  struct Interval {
    int64_t count;
    int64_t duration_ns;
  };
  const Interval intervals[] = {
      {1000, 1'000'000'000}, {800, 1'000'000'000}, {1200, 1'000'000'000}, {400, 456'789'100}};
  uint64_t state = 0x9e3779b97f4a7c15ULL;  // a fixed LCG: the same values on every platform
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int64_t>(state >> 33);
  };
  for (size_t i = 0; i < std::size(intervals); ++i) {
    model::SecondAccumulator second;  // summarizes the entry as a run's merge does
    for (int64_t n = 0; n < intervals[i].count; ++n) {
      // Mostly 50 us .. 2 ms, one in 97 a slow outlier up to 40 ms; later seconds slower.
      int64_t v = 50'000 + next() % 2'000'000 + static_cast<int64_t>(i) * 100'000;
      if (next() % 97 == 0) v *= 20;
      second.latency.record(v);
      second.service_time.record(v * 3 / 4);
    }
    second.counters.completed = intervals[i].count;
    second.duration_s = static_cast<double>(intervals[i].duration_ns) / 1e9;
    t.result.timeline.push_back(second.summarize(static_cast<int64_t>(i)));
    t.latency.add(second.latency);
    t.service_time.add(second.service_time);
  }
  return t;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// One interval line, as HistogramLogReader splits it (fields delimited by ',').
struct IntervalLine {
  std::string tag;
  std::string start, length, max;  // as written, seconds / seconds / milliseconds
  std::string base64;
};

std::optional<IntervalLine> parse_interval_line(const std::string& line) {
  static const std::regex kLine(
      "Tag=([^, "
      "\\r\\n]+),([0-9]+\\.[0-9]{3}),([0-9]+\\.[0-9]{3}),([0-9]+\\.[0-9]{3}),([A-Za-z0-9+/"
      "]+={0,2})");
  std::smatch m;
  if (!std::regex_match(line, m, kLine)) return std::nullopt;
  return IntervalLine{m[1], m[2], m[3], m[4], m[5]};
}

// "12.345" from a count of thousandths.
std::string thousandths(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(n / 1000),
                static_cast<long long>(n % 1000));
  return buf;
}

// Golden comparison that does not depend on the zlib build: interval lines compare their
// text up to the histogram, and the histograms decoded.
void expect_hlog_golden(const std::string& name, const std::string& actual) {
  if (std::getenv("NIGHTJAR_UPDATE_GOLDEN") != nullptr) {
    expect_golden(name, actual);
    return;
  }
  const std::string path = std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/" + name;
  const std::vector<std::string> want = lines_of(read_text_file(path));
  const std::vector<std::string> got = lines_of(actual);
  ASSERT_EQ(got.size(), want.size())
      << "golden file " << path << " differs; regenerate with NIGHTJAR_UPDATE_GOLDEN=1 if intended";
  for (size_t i = 0; i < got.size(); ++i) {
    const auto g = parse_interval_line(got[i]);
    const auto w = parse_interval_line(want[i]);
    if (!g || !w) {
      EXPECT_EQ(got[i], want[i]) << "line " << i + 1 << " of " << path;
      continue;
    }
    EXPECT_EQ(got[i].substr(0, got[i].size() - g->base64.size()),
              want[i].substr(0, want[i].size() - w->base64.size()))
        << "line " << i + 1 << " of " << path;
    auto gh = stats::decode_base64(g->base64);
    auto wh = stats::decode_base64(w->base64);
    ASSERT_TRUE(gh.ok() && wh.ok()) << "line " << i + 1;
    EXPECT_TRUE(*gh == *wh) << "line " << i + 1 << "'s histogram differs from " << path;
  }
}

TEST(Hlog, MatchesGolden) {
  expect_hlog_golden("timeline.hlog", render_hlog(timeline_result().result));
}

TEST(Hlog, HeaderIsWhatJavasHistogramLogWriterWrites) {
  const std::vector<std::string> lines = lines_of(render_hlog(timeline_result().result));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[0], "#[Logged with nightjar 0.1.0]");
  EXPECT_EQ(lines[1], "#[Histogram log format version 1.3]");
  // start_unix_ns 1'764'172'800'123'456'789: whole milliseconds, as Java's long msec.
  EXPECT_EQ(lines[2],
            "#[StartTime: 1764172800.123 (seconds since epoch), Wed Nov 26 16:00:00 UTC 2025]");
  EXPECT_EQ(lines[3], "#[BaseTime: 1764172800.123 (seconds since epoch)]");
  EXPECT_EQ(
      lines[4],
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
}

TEST(Hlog, EveryIntervalLineParsesAndDecodesToTheTimelinesHistograms) {
  const Timeline t = timeline_result();
  const std::vector<std::string> lines = lines_of(render_hlog(t.result));
  std::map<std::string, HdrHistogram> totals;
  std::vector<IntervalLine> intervals;
  for (size_t i = 5; i < lines.size(); ++i) {
    const auto line = parse_interval_line(lines[i]);
    ASSERT_TRUE(line.has_value()) << "line " << i + 1 << " is not an interval line: " << lines[i];
    auto h = stats::decode_base64(line->base64);
    ASSERT_TRUE(h.ok()) << "line " << i + 1 << ": " << h.status().message();
    // Interval_Max: the histogram's max in milliseconds (ratio 1e6), rounded half up to 1 us.
    EXPECT_EQ(line->max, thousandths((h->max() + 500) / 1000)) << "line " << i + 1;
    totals[line->tag].add(*h);
    intervals.push_back(*line);
  }
  ASSERT_EQ(intervals.size(), 2 * t.result.timeline.size());  // one line per second per tag
  for (size_t i = 0; i < intervals.size(); ++i) {
    const model::TimelineEntry& e = t.result.timeline[i / 2];
    EXPECT_EQ(intervals[i].tag, i % 2 == 0 ? kHlogLatencyTag : kHlogServiceTimeTag);
    EXPECT_EQ(intervals[i].start, thousandths(e.second * 1000));
    EXPECT_EQ(intervals[i].base64, i % 2 == 0 ? e.latency_histogram : e.service_time_histogram);
  }
  EXPECT_EQ(intervals[0].length, "1.000");
  EXPECT_EQ(intervals.back().length, "0.457");  // 456'789'100 ns, rounded half up like "%.3f"
  EXPECT_EQ(totals.size(), 2u);
  EXPECT_TRUE(totals[kHlogLatencyTag] == t.latency);
  EXPECT_TRUE(totals[kHlogServiceTimeTag] == t.service_time);
}

TEST(Hlog, MissingOrCorruptHistogramsBecomeCommentsNotBrokenLines) {
  Timeline t = timeline_result();
  t.result.timeline[1].latency_histogram.clear();
  t.result.timeline[2].service_time_histogram = "not base64!\nTag=latency,0.000";
  const std::vector<std::string> lines = lines_of(render_hlog(t.result));
  int intervals = 0;
  int comments = 0;
  for (size_t i = 5; i < lines.size(); ++i) {
    if (lines[i].rfind("#", 0) == 0) {
      ++comments;
    } else {
      EXPECT_TRUE(parse_interval_line(lines[i]).has_value()) << lines[i];
      ++intervals;
    }
  }
  EXPECT_EQ(intervals, 6);
  EXPECT_EQ(comments, 2);
  EXPECT_EQ(lines[7], "#[nightjar: second 1 has no latency histogram]");
}

TEST(Hlog, AnEmptyTimelineIsAHeaderOnly) {
  model::RunResult r = sample_result(false);
  r.timeline.clear();
  EXPECT_EQ(lines_of(render_hlog(r)).size(), 5u);
}

// --- HdrHistogram's Java reader ---------------------------------------------------------

// Debian installs the jar as hdrhistogram.jar; other layouts use the project's casing.
std::optional<std::string> find_hdrhistogram_jar() {
  for (const char* jar : {"/usr/share/java/hdrhistogram.jar", "/usr/share/java/HdrHistogram.jar"}) {
    if (access(jar, R_OK) == 0) return std::string(jar);
  }
  return std::nullopt;
}

// Compiles HlogCheck.java once per test into a temporary directory, removed at the end.
class JavaHlogReader : public ::testing::Test {
 protected:
  void SetUp() override {
    java_ = find_executable("java");
    const auto javac = find_executable("javac");
    jar_ = find_hdrhistogram_jar();
    if (!java_ || !javac || !jar_)
      GTEST_SKIP() << "java, javac or libhdrhistogram-java is not installed";
    char dir[] = "/tmp/nightjar-hlog-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    const CommandResult compiled =
        run_command(*javac + " -d " + shell_quote(dir_) + " -cp " + shell_quote(*jar_) + " " +
            shell_quote(std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/HlogCheck.java"));
    ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs HlogCheck on `hlog`; returns "start_time_sec" and, per tag, its key=value fields.
  std::map<std::string, std::map<std::string, std::string>> read_with_java(
      const std::string& hlog) {
    const std::string file = dir_ + "/run.hlog";
    std::ofstream(file) << hlog;
    const CommandResult checked =
        run_command(*java_ + " -cp " + shell_quote(*jar_ + ":" + dir_) + " HlogCheck " + shell_quote(file));
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    std::map<std::string, std::map<std::string, std::string>> out;
    for (const std::string& line : lines_of(checked.output)) {
      std::istringstream words(line);
      std::map<std::string, std::string> fields;
      for (std::string word; words >> word;) {
        const size_t eq = word.find('=');
        if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
      }
      if (fields.count("tag") != 0) {
        out[fields["tag"]] = fields;
      } else if (fields.count("start_time_sec") != 0) {
        out["start"] = fields;
      }
    }
    return out;
  }

  std::optional<std::string> java_;
  std::optional<std::string> jar_;
  std::string dir_;
};

TEST_F(JavaHlogReader, ReadsTheSameCountsPercentilesAndTimesAsOurs) {
  const Timeline t = timeline_result();
  auto java = read_with_java(render_hlog(t.result));
  ASSERT_EQ(java.size(), 3u) << "expected a start time and two tags";
  EXPECT_EQ(java["start"]["start_time_sec"], "1764172800.123");
  const int64_t start_ms = t.result.start_unix_ns / 1'000'000;
  const model::TimelineEntry& last = t.result.timeline.back();
  const int64_t end_ms = start_ms + last.second * 1000 + 457;
  for (const auto& [tag, ours] : {std::pair{std::string(kHlogLatencyTag), &t.latency},
                                  std::pair{std::string(kHlogServiceTimeTag), &t.service_time}}) {
    auto& fields = java[tag];
    EXPECT_EQ(fields["intervals"], std::to_string(t.result.timeline.size())) << tag;
    EXPECT_EQ(fields["total_count"], std::to_string(ours->total_count())) << tag;
    EXPECT_EQ(fields["min"], std::to_string(ours->min())) << tag;
    EXPECT_EQ(fields["p50"], std::to_string(ours->value_at_percentile(50))) << tag;
    EXPECT_EQ(fields["p99"], std::to_string(ours->value_at_percentile(99))) << tag;
    EXPECT_EQ(fields["max"], std::to_string(ours->max())) << tag;
    // Java computes (long)(seconds * 1000.0): a millisecond of floating-point slack.
    EXPECT_NEAR(std::stod(fields["first_start_ms"]), static_cast<double>(start_ms), 1.0) << tag;
    EXPECT_NEAR(std::stod(fields["last_end_ms"]), static_cast<double>(end_ms), 1.0) << tag;
  }
}

TEST_F(JavaHlogReader, SkipsTheCommentsWrittenForMissingHistograms) {
  Timeline t = timeline_result();
  t.result.timeline[1].latency_histogram.clear();
  t.result.timeline[2].service_time_histogram = "not base64!";
  auto java = read_with_java(render_hlog(t.result));
  EXPECT_EQ(java[kHlogLatencyTag]["intervals"], "3");
  EXPECT_EQ(java[kHlogServiceTimeTag]["intervals"], "3");
  HdrHistogram expected;
  for (size_t i : {0u, 2u, 3u})
    expected.add(*stats::decode_base64(t.result.timeline[i].latency_histogram));
  EXPECT_EQ(java[kHlogLatencyTag]["total_count"], std::to_string(expected.total_count()));
  EXPECT_EQ(java[kHlogLatencyTag]["p99"], std::to_string(expected.value_at_percentile(99)));
}

}  // namespace
}  // namespace nightjar::output
