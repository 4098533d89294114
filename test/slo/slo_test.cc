// The SLO library: the grammar (every metric and unit, errors that point at the character),
// measuring constructed results exactly, windows of a constructed timeline, and the live
// judge fed seconds one by one (the seconds are simulated: nothing here reads a clock).
#include "slo/slo.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/duration.h"
#include "stats/hdr_encoding.h"

namespace nightjar::slo {
namespace {

struct GrammarCase {
  std::string expr;
  Metric metric;
  double percentile;
  Op op;
  double threshold;
  std::string name;
};

TEST(SloGrammar, ParsesEveryMetricAndUnit) {
  const std::vector<GrammarCase> cases = {
      {"p99<20ms", Metric::kLatencyPercentile, 99, Op::kLess, 20e6, "latency.p99"},
      {"p99.9<=1.5s", Metric::kLatencyPercentile, 99.9, Op::kLessEqual, 1.5e9, "latency.p99.9"},
      {"latency.p50<500us", Metric::kLatencyPercentile, 50, Op::kLess, 500e3, "latency.p50"},
      {"p50<3\xC2\xB5s", Metric::kLatencyPercentile, 50, Op::kLess, 3e3, "latency.p50"},
      {"service.p90>1ns", Metric::kServicePercentile, 90, Op::kGreater, 1, "service.p90"},
      {"service.p99.99>=2m", Metric::kServicePercentile, 99.99, Op::kGreaterEqual, 120e9, "service.p99.99"},
      {"mean<10ms", Metric::kLatencyMean, 0, Op::kLess, 10e6, "latency.mean"},
      {"latency.mean<1h", Metric::kLatencyMean, 0, Op::kLess, 3600e9, "latency.mean"},
      {"max<1s", Metric::kLatencyMax, 0, Op::kLess, 1e9, "latency.max"},
      {"latency.max<2s", Metric::kLatencyMax, 0, Op::kLess, 2e9, "latency.max"},
      {"service.mean<2ms", Metric::kServiceMean, 0, Op::kLess, 2e6, "service.mean"},
      {"service.max<3ms", Metric::kServiceMax, 0, Op::kLess, 3e6, "service.max"},
      {"error_rate<0.1%", Metric::kErrorRate, 0, Op::kLess, 0.001, "error_rate"},
      {"error_rate<0.001", Metric::kErrorRate, 0, Op::kLess, 0.001, "error_rate"},
      {"non2xx_rate<=1%", Metric::kNon2xxRate, 0, Op::kLessEqual, 0.01, "non2xx_rate"},
      {"achieved_rate>=99%", Metric::kAchievedRate, 0, Op::kGreaterEqual, 0.99, "achieved_rate"},
      {"dropped<=0", Metric::kDropped, 0, Op::kLessEqual, 0, "dropped"},
      {"rps>=5000", Metric::kRps, 0, Op::kGreaterEqual, 5000, "rps"},
      {"rps>4999.5/s", Metric::kRps, 0, Op::kGreater, 4999.5, "rps"},
      {"  p99 < 20ms  ", Metric::kLatencyPercentile, 99, Op::kLess, 20e6, "latency.p99"},
  };
  for (const GrammarCase& c : cases) {
    SCOPED_TRACE(c.expr);
    auto slo = parse_slo(c.expr);
    ASSERT_TRUE(slo.ok()) << slo.status().message();
    EXPECT_EQ(slo->metric, c.metric);
    EXPECT_DOUBLE_EQ(slo->percentile, c.percentile);
    EXPECT_EQ(slo->op, c.op);
    EXPECT_DOUBLE_EQ(slo->threshold, c.threshold);
    EXPECT_EQ(metric_name(*slo), c.name);
  }
  EXPECT_EQ(parse_slo("  p99 < 20ms  ")->expr, "p99 < 20ms");
}

struct BadCase {
  std::string expr;
  int character;     // 1-based, where the caret points
  std::string says;
};

TEST(SloGrammar, ABadExpressionPointsAtTheCharacter) {
  const std::vector<BadCase> cases = {
      {"p99<2x0ms", 6, "unknown time unit 'x0ms'"},
      {"foo<1", 1, "unknown metric 'foo'"},
      {"p99", 4, "expected one of < <= > >="},
      {"p99=20ms", 4, "expected one of < <= > >="},
      {"p99<", 5, "expected a number"},
      {"rps>-5", 5, "expected a number"},
      {"p99<20", 7, "a time needs a unit"},
      {"p0<1ms", 1, "above 0 and at most 100"},
      {"p101<1ms", 1, "above 0 and at most 100"},
      {"pxx<1ms", 1, "not a percentile"},
      {"p 99<1ms", 1, "'p' is not a percentile"},
      {"error_rate<1ms", 13, "a rate is a percentage"},
      {"dropped<5%", 10, "a count takes no unit"},
      {"rps>5k", 6, "no unit or '/s'"},
      {"p99<20ms x", 10, "unexpected text after the value"},
      {"<20ms", 1, "expected a metric"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.expr);
    auto slo = parse_slo(c.expr);
    ASSERT_FALSE(slo.ok());
    EXPECT_EQ(slo.status().code(), StatusCode::kInvalidArgument);
    const std::string& m = slo.status().message();
    EXPECT_NE(m.find("at character " + std::to_string(c.character) + ":"), std::string::npos) << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << m;
    // The expression, then a caret under the character.
    EXPECT_NE(m.find("\n  " + c.expr + "\n  " + std::string(static_cast<size_t>(c.character - 1), ' ') + "^"),
              std::string::npos)
        << m;
  }
  EXPECT_FALSE(parse_slo("   ").ok());
}

TEST(SloGrammar, AchievedRateIsRefusedForAClosedLoop) {
  const std::vector<Slo> slos = {*parse_slo("p99<1s"), *parse_slo("achieved_rate>=99%")};
  const Status closed = check_applicable(slos, 0);
  EXPECT_FALSE(closed.ok());
  EXPECT_NE(closed.message().find("closed loop"), std::string::npos);
  EXPECT_TRUE(check_applicable(slos, 100).ok());
}

TEST(SloGrammar, FormatsValuesInTheirUnits) {
  EXPECT_EQ(format_value(Unit::kNanoseconds, 20e6), "20ms");
  EXPECT_EQ(format_value(Unit::kFraction, 0.001), "0.1%");
  EXPECT_EQ(format_value(Unit::kCount, 3), "3");
  EXPECT_EQ(format_value(Unit::kPerSecond, 4998.25), "4998.2/s");
  EXPECT_EQ(unit_of_name("latency.p99.9"), Unit::kNanoseconds);
  EXPECT_EQ(unit_of_name("non2xx_rate"), Unit::kFraction);
  EXPECT_EQ(unit_of_name("dropped"), Unit::kCount);
  EXPECT_EQ(unit_of_name("rps"), Unit::kPerSecond);
}

// Values below 2048 ns are exact at 3 significant digits: 98 x 100ns, 1 x 200ns, 1 x 1000ns.
model::RunResult constructed_result() {
  model::RunResult r;
  for (int i = 0; i < 98; ++i) r.latency.record(100);
  r.latency.record(200);
  r.latency.record(1000);
  for (int i = 0; i < 100; ++i) r.service_time.record(50);
  r.counters.completed = 100;
  r.counters.errors_of(model::ErrorKind::kTimeout) = 25;  // 25 of 125 ended: 20%
  r.counters.dropped = 3;
  r.status_codes = {{200, 90}, {503, 10}};
  r.measured_ns = 10 * kNanosPerSecond;
  r.options.requested_rps = 20;
  return r;
}

TEST(SloJudge, MeasuresEveryMetricOfTheWholeRunExactly) {
  const model::RunResult r = constructed_result();
  const Sample whole = whole_run(r);
  auto m = [&](const std::string& expr) { return measure(*parse_slo(expr), whole); };
  EXPECT_EQ(m("p50<1s"), 100);
  EXPECT_EQ(m("p99<1s"), 200);
  EXPECT_EQ(m("p100<1s"), 1000);
  EXPECT_EQ(m("max<1s"), 1000);
  EXPECT_EQ(m("mean<1s"), 110);
  EXPECT_EQ(m("service.p99<1s"), 50);
  EXPECT_EQ(m("service.max<1s"), 50);
  EXPECT_EQ(m("service.mean<1s"), 50);
  EXPECT_EQ(m("error_rate<1%"), 0.2);
  EXPECT_EQ(m("non2xx_rate<1%"), 0.1);
  EXPECT_EQ(m("rps>1"), 10);
  EXPECT_EQ(m("achieved_rate>=99%"), 0.5);
  EXPECT_EQ(m("dropped<=0"), 3);
}

TEST(SloJudge, VerdictsCompareWithTheThreshold) {
  const model::RunResult r = constructed_result();
  std::vector<Slo> slos;
  for (const char* e : {"p99<200ns", "p99<=200ns", "mean>110ns", "mean>=110ns", "error_rate<20.5%", "dropped<=0"}) {
    slos.push_back(*parse_slo(e));
  }
  const std::vector<model::SloVerdict> v = judge(r, slos, 0);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_FALSE(v[0].pass);
  EXPECT_TRUE(v[1].pass);
  EXPECT_FALSE(v[2].pass);
  EXPECT_TRUE(v[3].pass);
  EXPECT_TRUE(v[4].pass);
  EXPECT_FALSE(v[5].pass);
  EXPECT_EQ(v[0].expr, "p99<200ns");
  EXPECT_EQ(v[0].metric, "latency.p99");
  EXPECT_EQ(v[0].op, "<");
  EXPECT_DOUBLE_EQ(v[0].threshold, 200);
  EXPECT_TRUE(v[0].has_measured);
  EXPECT_DOUBLE_EQ(v[0].measured, 200);
  EXPECT_EQ(v[0].window_s, 0);
  EXPECT_FALSE(v[0].has_worst_window);
}

TEST(SloJudge, ARunWithNoSamplesFailsItsLatencySlos) {
  const model::RunResult empty;
  std::vector<Slo> slos;
  for (const char* e : {"p99<10s", "p50>0ns", "mean<10s", "max<10s", "service.p99<10s", "error_rate<=100%",
                        "non2xx_rate<=100%", "rps>=0"}) {
    slos.push_back(*parse_slo(e));
  }
  for (const model::SloVerdict& v : judge(empty, slos, 0)) {
    SCOPED_TRACE(v.expr);
    EXPECT_FALSE(v.pass);
    EXPECT_FALSE(v.has_measured);
  }
  // And with windows: no window at all is no pass either.
  for (const model::SloVerdict& v : judge(empty, {*parse_slo("dropped<=0")}, 1)) {
    EXPECT_FALSE(v.pass);
    EXPECT_EQ(v.windows, 0);
  }
}

// A second of the timeline: `count` latencies of `latency_ns`, `errors` failures.
model::TimelineEntry second(int64_t index, int64_t latency_ns, int64_t count, int64_t errors = 0,
                            double duration_s = 1.0) {
  model::TimelineEntry e;
  e.second = index;
  e.duration_s = duration_s;
  stats::HdrHistogram h;
  for (int64_t i = 0; i < count; ++i) h.record(latency_ns);
  e.latency_histogram = stats::encode_base64(h);
  e.service_time_histogram = stats::encode_base64(h);
  e.counters.completed = count;
  e.counters.sent = count + errors;
  e.counters.errors_of(model::ErrorKind::kOther) = errors;
  return e;
}

TEST(SloWindows, SecondsMergeExactlyIntoWindows) {
  std::vector<model::TimelineEntry> timeline;
  for (int64_t k = 0; k < 5; ++k) timeline.push_back(second(k, (k + 1) * 100, 10));
  const std::vector<Window> windows = build_windows(timeline, 2, 0);
  ASSERT_EQ(windows.size(), 3u);  // [0,2) [2,4) [4,5): the last is half a window, kept
  EXPECT_EQ(windows[0].start_s, 0);
  EXPECT_EQ(windows[0].end_s, 2);
  EXPECT_EQ(windows[0].sample.latency.total_count(), 20);
  EXPECT_EQ(windows[0].sample.latency.value_at_percentile(50), 100);
  EXPECT_EQ(windows[0].sample.latency.max(), 200);
  EXPECT_EQ(windows[1].sample.counters.completed, 20);
  EXPECT_EQ(windows[1].sample.latency.max(), 400);
  EXPECT_EQ(windows[2].start_s, 4);
  EXPECT_EQ(windows[2].end_s, 5);
  EXPECT_DOUBLE_EQ(windows[2].sample.duration_s, 1);
}

TEST(SloWindows, AShortLastWindowIsFoldedIntoTheOneBefore) {
  std::vector<model::TimelineEntry> timeline;
  for (int64_t k = 0; k < 4; ++k) timeline.push_back(second(k, 100, 10));
  timeline.push_back(second(4, 900, 3, 0, 0.25));
  const std::vector<Window> windows = build_windows(timeline, 4, 0);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_DOUBLE_EQ(windows[0].end_s, 4.25);
  EXPECT_EQ(windows[0].sample.counters.completed, 43);
  EXPECT_EQ(windows[0].sample.latency.max(), 900);
}

TEST(SloWindows, TheVerdictNamesTheWorstWindow) {
  model::RunResult r;
  for (int64_t k = 0; k < 5; ++k) r.timeline.push_back(second(k, (k + 1) * 100, 10, k == 3 ? 5 : 0));
  for (const auto& e : r.timeline) {
    if (auto h = stats::decode_base64(e.latency_histogram); h.ok()) r.latency.add(*h);
    r.counters.add(e.counters);
  }
  r.measured_ns = 5 * kNanosPerSecond;
  const std::vector<model::SloVerdict> v =
      judge(r, {*parse_slo("max<350ns"), *parse_slo("error_rate<10%"), *parse_slo("p50<1s")}, 2);
  ASSERT_EQ(v.size(), 3u);
  // max: windows [2,4) (400) and [4,5) (500) fail; the worst is the last.
  EXPECT_FALSE(v[0].pass);
  EXPECT_EQ(v[0].window_s, 2);
  EXPECT_EQ(v[0].windows, 3);
  EXPECT_EQ(v[0].failed_windows, 2);
  ASSERT_TRUE(v[0].has_worst_window);
  EXPECT_EQ(v[0].worst_start_s, 4);
  EXPECT_EQ(v[0].worst_end_s, 5);
  EXPECT_EQ(v[0].worst_measured, 500);
  // error_rate: 5 of 55 over the run (9.1%) passes, but [2,4) has 5 of 25 (20%).
  EXPECT_TRUE(v[1].has_measured);
  EXPECT_NEAR(v[1].measured, 5.0 / 55, 1e-12);
  EXPECT_FALSE(v[1].pass);
  EXPECT_EQ(v[1].failed_windows, 1);
  EXPECT_EQ(v[1].worst_start_s, 2);
  EXPECT_EQ(v[1].worst_end_s, 4);
  EXPECT_DOUBLE_EQ(v[1].worst_measured, 0.2);
  // p50 < 1s everywhere.
  EXPECT_TRUE(v[2].pass);
  EXPECT_EQ(v[2].failed_windows, 0);
  EXPECT_EQ(v[2].worst_measured, 500);  // the highest is still named
}

TEST(SloWindows, AWindowWithoutResponsesFailsItsLatencySlos) {
  model::RunResult r;
  r.timeline = {second(0, 100, 10), second(1, 0, 0, 4), second(2, 100, 10)};
  for (const auto& e : r.timeline) r.counters.add(e.counters);
  r.latency.record(100);
  r.measured_ns = 3 * kNanosPerSecond;
  const std::vector<model::SloVerdict> v = judge(r, {*parse_slo("p99<1s")}, 1);
  EXPECT_FALSE(v[0].pass);
  EXPECT_EQ(v[0].failed_windows, 1);
  EXPECT_EQ(v[0].worst_start_s, 1);
  EXPECT_FALSE(v[0].worst_has_measured);
}

TEST(SloLiveJudge, AFailingWindowAfterTheGraceAborts) {
  LiveJudge judge({*parse_slo("p99<150ns")}, 1, 2.0, 0);
  EXPECT_FALSE(judge.add(second(0, 900, 10)));  // inside the grace: not judged
  EXPECT_FALSE(judge.add(second(1, 900, 10)));
  EXPECT_FALSE(judge.add(second(2, 100, 10)));  // judged, passes
  EXPECT_FALSE(judge.abort().aborted);
  EXPECT_TRUE(judge.add(second(3, 900, 10)));
  const model::SloAbort& a = judge.abort();
  EXPECT_TRUE(a.aborted);
  EXPECT_EQ(a.expr, "p99<150ns");
  EXPECT_EQ(a.window_start_s, 3);
  EXPECT_EQ(a.window_end_s, 4);
  EXPECT_TRUE(a.has_measured);
  EXPECT_EQ(a.measured, 900);
  EXPECT_FALSE(judge.add(second(4, 900, 10)));  // once only
}

TEST(SloLiveJudge, AWindowIsJudgedWhenItsLastSecondComes) {
  LiveJudge judge({*parse_slo("error_rate<10%")}, 3, 0, 0);
  EXPECT_FALSE(judge.add(second(0, 100, 10, 5)));  // 5 of 15 so far, but the window is open
  EXPECT_FALSE(judge.add(second(1, 100, 10)));
  EXPECT_TRUE(judge.add(second(2, 100, 10)));      // 5 of 35: 14% over [0,3)
  EXPECT_EQ(judge.abort().window_start_s, 0);
  EXPECT_EQ(judge.abort().window_end_s, 3);
  EXPECT_NEAR(judge.abort().measured, 5.0 / 35, 1e-12);

  LiveJudge passing({*parse_slo("error_rate<15%")}, 3, 0, 0);
  for (int64_t k = 0; k < 3; ++k) EXPECT_FALSE(passing.add(second(k, 100, 10, k == 0 ? 5 : 0)));
  EXPECT_FALSE(passing.abort().aborted);
}

TEST(SloLiveJudge, AGapClosesTheOpenWindow) {
  LiveJudge judge({*parse_slo("p50<150ns")}, 2, 0, 0);
  EXPECT_FALSE(judge.add(second(0, 900, 10)));  // window [0,2) open
  EXPECT_TRUE(judge.add(second(2, 100, 10)));   // second 1 never came: [0,2) is judged now
  EXPECT_EQ(judge.abort().window_start_s, 0);
  EXPECT_EQ(judge.abort().window_end_s, 1);
}

}  // namespace
}  // namespace nightjar::slo
