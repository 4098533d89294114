// Comparing runs: the gate grammar (--fail-if), the numbers of a comparison (values, changes,
// marks, warnings), where gates fail, and the comparison in every format. Runs are built
// here with latencies below 2048 ns, which the histogram keeps exactly, so every
// percentile and change is known to the nanosecond.
#include "output/compare.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "output/html_checks.h"

namespace nightjar::output {
namespace {

using nlohmann::json;

// 1000 responses with latencies f(1) .. f(1000) ns, all 200, in 2 s at 500 req/s asked.
ComparedRun run_of(std::string id, const std::function<int64_t(int64_t)>& latency_of) {
  ComparedRun run;
  run.id = std::move(id);
  model::RunResult& r = run.result;
  r.options.test_name = "checkout";
  r.options.urls = {"http://127.0.0.1:8080/"};
  r.options.requested_rps = 500;
  r.options.connections = 10;
  r.options.duration_ns = 2'000'000'000;
  r.open_loop = true;
  r.start_unix_ns = 1'764'172'800'000'000'000;
  r.measured_ns = 2'000'000'000;
  r.counters.sent = 1000;
  r.counters.completed = 1000;
  r.status_codes = {{200, 1000}};
  for (int64_t i = 1; i <= 1000; ++i) r.latency.record(latency_of(i));
  for (int64_t s = 0; s < 2; ++s) {
    model::TimelineEntry e;
    e.second = s;
    e.counters.completed = 500;
    e.latency_p99_ns = r.latency.value_at_percentile(99);
    r.timeline.push_back(e);
  }
  return run;
}

// A: 1..1000 ns (p50 500, p99 990, mean 500.5). B: 100 ns slower throughout. C: A's
// latencies, but slower to finish (2.2 s) and with errors and 503s. D: 10% faster.
std::vector<ComparedRun> four_runs() {
  std::vector<ComparedRun> runs = {
      run_of("AAAAAAAAAAAA", [](int64_t i) { return i; }),
      run_of("BBBBBBBBBBBB", [](int64_t i) { return i + 100; }),
      run_of("CCCCCCCCCCCC", [](int64_t i) { return i; }),
      run_of("DDDDDDDDDDDD", [](int64_t i) { return i * 9 / 10; }),
  };
  model::RunResult& c = runs[2].result;
  c.measured_ns = 2'200'000'000;
  c.counters.sent = 1010;
  c.counters.errors_of(model::ErrorKind::kTimeout) = 10;
  c.status_codes = {{200, 990}, {503, 10}};
  return runs;
}

const MetricComparison& row(const Comparison& c, const std::string& name) {
  for (const MetricComparison& m : c.metrics) {
    if (m.metric.name() == name) return m;
  }
  ADD_FAILURE() << "no row " << name;
  return c.metrics.front();
}

// ---- the gate grammar ----

TEST(GateGrammar, ReadsEveryMetric) {
  struct Case {
    std::string expr;
    MetricKind kind;
    double percentile;
    std::string name;
  };
  const Case cases[] = {
      {"p50>+1%", MetricKind::kLatencyPercentile, 50, "p50"},
      {"p99.9>+1%", MetricKind::kLatencyPercentile, 99.9, "p99.9"},
      {"p99.999>+1%", MetricKind::kLatencyPercentile, 99.999, "p99.999"},
      {"p42>+1%", MetricKind::kLatencyPercentile, 42, "p42"},
      {"p0>+1%", MetricKind::kLatencyPercentile, 0, "p0"},
      {"p100>+1%", MetricKind::kLatencyPercentile, 100, "p100"},
      {"min>+1%", MetricKind::kLatencyMin, 0, "min"},
      {"mean>+1%", MetricKind::kLatencyMean, 0, "mean"},
      {"max>+1%", MetricKind::kLatencyMax, 0, "max"},
      {"error_rate>+1%", MetricKind::kErrorRate, 0, "error_rate"},
      {"non2xx_rate>+1%", MetricKind::kNon2xxRate, 0, "non2xx_rate"},
      {"achieved_rate<-1%", MetricKind::kAchievedRate, 0, "achieved_rate"},
      {"achieved_rps<-1%", MetricKind::kAchievedRate, 0, "achieved_rate"},
      {"errors>+1%", MetricKind::kErrors, 0, "errors"},
  };
  for (const Case& c : cases) {
    auto gate = parse_gate(c.expr);
    ASSERT_TRUE(gate.ok()) << c.expr << ": " << gate.status().message();
    EXPECT_EQ(gate->metric.kind, c.kind) << c.expr;
    EXPECT_DOUBLE_EQ(gate->metric.percentile, c.percentile) << c.expr;
    EXPECT_EQ(gate->metric.name(), c.name) << c.expr;
    EXPECT_EQ(gate->expr, c.expr);
  }
}

TEST(GateGrammar, ReadsOperatorsSignsAndUnits) {
  struct Case {
    std::string expr;
    GateOp op;
    GateUnit unit;
    double value;
  };
  const Case cases[] = {
      {"p99>+10%", GateOp::kGreater, GateUnit::kRelative, 10},
      {"p99>-1%", GateOp::kGreater, GateUnit::kRelative, -1},
      {"p99.9>+2ms", GateOp::kGreater, GateUnit::kNanoseconds, 2e6},
      {"mean<-1.5us", GateOp::kLess, GateUnit::kNanoseconds, -1500},
      {"max>+250ns", GateOp::kGreater, GateUnit::kNanoseconds, 250},
      {"p50>+0.5s", GateOp::kGreater, GateUnit::kNanoseconds, 5e8},
      {"p50>+3\u00b5s", GateOp::kGreater, GateUnit::kNanoseconds, 3000},
      // On the *_rate fractions, % is percentage points.
      {"error_rate>+0.1%", GateOp::kGreater, GateUnit::kPoints, 0.1},
      {"non2xx_rate>+1%", GateOp::kGreater, GateUnit::kPoints, 1},
      {"achieved_rate<-1%", GateOp::kLess, GateUnit::kRelative, -1},
      {"achieved_rps<-50", GateOp::kLess, GateUnit::kAbsolute, -50},
      {"errors>+10", GateOp::kGreater, GateUnit::kAbsolute, 10},
      {"errors>+5%", GateOp::kGreater, GateUnit::kRelative, 5},
      {" p99 > +10 % ", GateOp::kGreater, GateUnit::kRelative, 10},
      {"p99>+.5%", GateOp::kGreater, GateUnit::kRelative, 0.5},
  };
  for (const Case& c : cases) {
    auto gate = parse_gate(c.expr);
    ASSERT_TRUE(gate.ok()) << c.expr << ": " << gate.status().message();
    EXPECT_EQ(gate->op, c.op) << c.expr;
    EXPECT_EQ(gate->unit, c.unit) << c.expr;
    EXPECT_DOUBLE_EQ(gate->value, c.value) << c.expr;
  }
}

TEST(GateGrammar, RefusesBadExpressionsSayingWhatIsWrong) {
  struct Case {
    std::string expr;
    std::string says;
  };
  const Case cases[] = {
      {"", "empty gate"},
      {"   ", "empty gate"},
      {"p99", "'p99': no operator"},
      {"p99>=+1%", "'p99>=+1%': the operator must be > or < (got '>=')"},
      {"p99=+1%", "the operator must be > or < (got '=')"},
      {"p99>>+1%", "(got '>>')"},
      {"p99!=+1%", "(got '!=')"},
      {">+1%", "no metric before the operator"},
      {"latency>+1%", "unknown metric 'latency' (known: pNN[.N]"},
      {"P99>+1%", "unknown metric 'P99'"},
      {"p>+1%", "unknown metric 'p'"},
      {"p99.9.9>+1%", "unknown metric 'p99.9.9'"},
      {"requested_rate>+1%", "unknown metric 'requested_rate'"},
      {"p999>+1%", "percentile 999 is above 100 (p99.9 is written with a dot)"},
      {"p101>+1%", "percentile 101 is above 100"},
      {"p99>", "no value after the operator"},
      {"p99>10%", "'p99>10%': the value needs a sign (p99>+10% or p99<-10%)"},
      {"p99>+", "'+' is not a signed number"},
      {"p99>+abc", "'+abc' is not a signed number"},
      {"p99>++1%", "'++1%' is not a signed number"},
      {"p99>+5", "a change of p99 needs a unit: % (relative) or ns, us, ms, s"},
      {"p99>+5m", "unknown unit 'm'"},
      {"p99>+1e3%", "unknown unit 'e3%'"},
      {"p99>+5%%", "unknown unit '%%'"},
      {"error_rate>+5ms", "error_rate is not a latency, so a duration does not fit it: give "
                          "percentage points"},
      {"error_rate>+0.001", "error_rate is a fraction: give its change in percentage points"},
      {"non2xx_rate>+1", "non2xx_rate is a fraction"},
      {"achieved_rate>+1ms", "give requests per second (+50) or a relative change (+5%)"},
      {"errors>+1s", "give a count (+10) or a relative change (+5%)"},
  };
  for (const Case& c : cases) {
    auto gate = parse_gate(c.expr);
    ASSERT_FALSE(gate.ok()) << c.expr;
    EXPECT_EQ(gate.status().code(), StatusCode::kInvalidArgument) << c.expr;
    EXPECT_NE(gate.status().message().find(c.says), std::string::npos)
        << c.expr << " said: " << gate.status().message();
  }
}

// ---- the numbers ----

TEST(Compare, LatencyChangesAreExactAndMarkedAgainstTheFirstRun) {
  const Comparison c = compare(four_runs(), 0.05);
  EXPECT_DOUBLE_EQ(c.threshold, 0.05);
  const MetricComparison& p50 = row(c, "p50");
  EXPECT_EQ(p50.values, (std::vector<double>{500, 600, 500, 450}));
  ASSERT_EQ(p50.deltas.size(), 3u) << "one per later run";
  EXPECT_DOUBLE_EQ(p50.deltas[0].absolute, 100);
  EXPECT_DOUBLE_EQ(*p50.deltas[0].relative, 0.2);
  EXPECT_TRUE(p50.deltas[0].moved);
  EXPECT_EQ(p50.deltas[0].direction, Direction::kWorse) << "latency up is worse";
  EXPECT_DOUBLE_EQ(p50.deltas[1].absolute, 0);
  EXPECT_FALSE(p50.deltas[1].moved);
  EXPECT_EQ(p50.deltas[1].direction, Direction::kNone);
  EXPECT_DOUBLE_EQ(p50.deltas[2].absolute, -50);
  EXPECT_DOUBLE_EQ(*p50.deltas[2].relative, -0.1);
  EXPECT_TRUE(p50.deltas[2].moved);
  EXPECT_EQ(p50.deltas[2].direction, Direction::kBetter) << "latency down is better";

  const MetricComparison& p99 = row(c, "p99");
  EXPECT_EQ(p99.values, (std::vector<double>{990, 1090, 990, 891}));
  EXPECT_EQ(row(c, "min").values, (std::vector<double>{1, 101, 1, 0}));
  EXPECT_EQ(row(c, "max").values, (std::vector<double>{1000, 1100, 1000, 900}));
  EXPECT_EQ(row(c, "mean").values[0], 500.5);
  EXPECT_EQ(row(c, "mean").values[1], 600.5);
  // A value falling to 0 is -100%; the D run's min of 0 ns moved.
  EXPECT_DOUBLE_EQ(*row(c, "min").deltas[2].relative, -1);

  std::vector<std::string> names;
  for (const MetricComparison& m : c.metrics) names.push_back(m.metric.name());
  EXPECT_EQ(names, (std::vector<std::string>{"requested_rate", "achieved_rate", "sent",
                                             "completed", "errors", "error_rate", "non2xx_rate",
                                             "min", "p50", "p75", "p90", "p95", "p99", "p99.9",
                                             "p99.99", "max", "mean"}));
}

TEST(Compare, RatesAndErrorsMoveTheWayThatIsWorse) {
  const Comparison c = compare(four_runs(), 0.05);
  const MetricComparison& rate = row(c, "achieved_rate");
  EXPECT_DOUBLE_EQ(rate.values[0], 500);
  EXPECT_DOUBLE_EQ(rate.values[2], 1000 / 2.2);
  EXPECT_TRUE(rate.deltas[1].moved);
  EXPECT_EQ(rate.deltas[1].direction, Direction::kWorse) << "rate down is worse";
  EXPECT_NEAR(*rate.deltas[1].relative, -1.0 / 11, 1e-12);

  const MetricComparison& errors = row(c, "errors");
  EXPECT_EQ(errors.values, (std::vector<double>{0, 0, 10, 0}));
  EXPECT_FALSE(errors.deltas[1].relative.has_value()) << "no relative change from 0";
  EXPECT_TRUE(errors.deltas[1].moved) << "a change from 0 is beyond any threshold";
  EXPECT_EQ(errors.deltas[1].direction, Direction::kWorse);
  EXPECT_DOUBLE_EQ(*errors.deltas[0].relative, 0) << "0 against 0 is no change";
  EXPECT_FALSE(errors.deltas[0].moved);

  EXPECT_DOUBLE_EQ(row(c, "error_rate").values[2], 10.0 / 1010);
  EXPECT_DOUBLE_EQ(row(c, "non2xx_rate").values[2], 0.01);
  EXPECT_EQ(row(c, "non2xx_rate").deltas[1].direction, Direction::kWorse);

  // What describes the test has no better side: a change is marked, never worse or better.
  const MetricComparison& sent = row(c, "sent");
  EXPECT_FALSE(sent.deltas[1].moved) << "1010 against 1000 is 1%";
  EXPECT_EQ(sent.deltas[1].direction, Direction::kNone);
  EXPECT_EQ(row(c, "requested_rate").deltas[0].direction, Direction::kNone);
}

TEST(Compare, AChangeOfExactlyTheThresholdIsNotBeyondIt) {
  std::vector<ComparedRun> runs = {run_of("A", [](int64_t i) { return i; }),
                                   run_of("E", [](int64_t i) { return i + 25; })};
  const Comparison c = compare(runs, 0.05);
  const Delta& p50 = row(c, "p50").deltas[0];
  EXPECT_DOUBLE_EQ(*p50.relative, 0.05);  // 525 against 500
  EXPECT_FALSE(p50.moved);
  EXPECT_EQ(p50.direction, Direction::kWorse) << "the direction is known even when not marked";
  EXPECT_TRUE(compare(runs, 0.049).metrics[8].deltas[0].moved);
  // min: 26 against 1 is +2500%.
  EXPECT_TRUE(compare(runs, 24.9).metrics[7].deltas[0].moved);
  EXPECT_FALSE(compare(runs, 25).metrics[7].deltas[0].moved);
}

TEST(Compare, ShowsValuesAndChangesInTheirUnits) {
  const Comparison c = compare(four_runs(), 0.05);
  EXPECT_EQ(delta_text(row(c, "p50").metric, row(c, "p50").deltas[0]), "+100 ns (+20.0%)");
  EXPECT_EQ(delta_text(row(c, "p50").metric, row(c, "p50").deltas[1]), "same");
  EXPECT_EQ(delta_text(row(c, "p50").metric, row(c, "p50").deltas[2]), "-50 ns (-10.0%)");
  EXPECT_EQ(value_text(row(c, "p99").metric, 12'300'000), "12.3 ms");
  EXPECT_EQ(value_text(row(c, "achieved_rate").metric, 1234.4), "1,234 req/s");
  EXPECT_EQ(value_text(row(c, "achieved_rate").metric, 45.5), "45.50 req/s");
  EXPECT_EQ(delta_text(row(c, "achieved_rate").metric, row(c, "achieved_rate").deltas[1]),
            "-45.45 req/s (-9.1%)");
  EXPECT_EQ(value_text(row(c, "error_rate").metric, 0.0052), "0.52%");
  EXPECT_EQ(delta_text(row(c, "non2xx_rate").metric, row(c, "non2xx_rate").deltas[1]),
            "+1 pt") << "a change of a fraction in percentage points; none relative to 0";
  EXPECT_EQ(delta_text(row(c, "errors").metric, row(c, "errors").deltas[1]), "+10");
  EXPECT_EQ(value_text(row(c, "sent").metric, 12345), "12,345");
}

TEST(Compare, WarnsWhenTheRunsAreNotLikeForLike) {
  std::vector<ComparedRun> same = four_runs();
  EXPECT_TRUE(compare(same, 0.05).warnings.empty());

  std::vector<ComparedRun> runs = four_runs();
  runs[1].result.options.requested_rps = 1000;
  runs[2].result.options.connections = 50;
  runs[3].result.protocol = "h2c";
  runs[3].result.options.urls = {"http://127.0.0.1:9090/"};
  runs[1].result.interrupted = true;
  runs[2].result.partial = true;
  runs[3].source = "import:fortio";
  runs[3].result.latency.reset();
  const std::vector<std::string> w = compare(runs, 0.05).warnings;
  auto has = [&](const std::string& text) {
    for (const std::string& line : w) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("the runs differ in requested rate: 500 req/s (AAAAAAAAAAAA, CCCCCCCCCCCC, "
                  "DDDDDDDDDDDD); 1,000 req/s (BBBBBBBBBBBB); they are different tests"));
  EXPECT_TRUE(has("the runs differ in connections: 10 (AAAAAAAAAAAA, BBBBBBBBBBBB, DDDDDDDDDDDD); "
                  "50 (CCCCCCCCCCCC)"));
  EXPECT_TRUE(has("the runs differ in protocol: http/1.1 (AAAAAAAAAAAA, BBBBBBBBBBBB, "
                  "CCCCCCCCCCCC); h2c (DDDDDDDDDDDD)"));
  EXPECT_TRUE(has("the runs differ in URLs"));
  EXPECT_TRUE(has("run BBBBBBBBBBBB was interrupted: its figures cover only the 2 s it ran"));
  EXPECT_TRUE(has("run CCCCCCCCCCCC is partial"));
  EXPECT_TRUE(has("run DDDDDDDDDDDD was imported (import:fortio)"));
  EXPECT_TRUE(has("may be approximate"));
  EXPECT_TRUE(has("run DDDDDDDDDDDD has no responses"));
  EXPECT_FALSE(has("differ in method"));
  EXPECT_FALSE(has("differ in duration"));
}

// ---- gates ----

std::vector<std::string> failing_runs(const std::string& expr) {
  auto gate = parse_gate(expr);
  EXPECT_TRUE(gate.ok()) << expr << ": " << gate.status().message();
  if (!gate.ok()) return {};
  const std::vector<ComparedRun> runs = four_runs();
  std::vector<std::string> ids;
  for (const GateFailure& f : check(*gate, runs)) ids.push_back(runs[f.run].id);
  return ids;
}

TEST(Gate, FailsForEveryLaterRunBeyondIt) {
  using Ids = std::vector<std::string>;
  // p99: A 990, B 1090 (+10.1%), C 990, D 891 (-10%).
  EXPECT_EQ(failing_runs("p99>+10%"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("p99>+11%"), Ids{});
  EXPECT_EQ(failing_runs("p99>+0%"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("p99>-1%"), (Ids{"BBBBBBBBBBBB", "CCCCCCCCCCCC"}))
      << "did not get at least 1% faster";
  EXPECT_EQ(failing_runs("p99<-5%"), Ids{"DDDDDDDDDDDD"});
  EXPECT_EQ(failing_runs("p50>+100ns"), Ids{}) << "exactly +100 ns is not beyond +100 ns";
  EXPECT_EQ(failing_runs("p50>+99ns"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("p99.9>+0.09us"), Ids{"BBBBBBBBBBBB"});
  // Any percentile, not only the listed ones: p42 is 420, 520, 420, 378.
  EXPECT_EQ(failing_runs("p42>+23.8%"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("p42>+23.9%"), Ids{});
  EXPECT_EQ(failing_runs("mean>+19.9%"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("min>+99ns"), Ids{"BBBBBBBBBBBB"});
  EXPECT_EQ(failing_runs("max<-99ns"), Ids{"DDDDDDDDDDDD"});
  // achieved rate: 500, 500, 454.5 (-9.09%), 500.
  EXPECT_EQ(failing_runs("achieved_rate<-9%"), Ids{"CCCCCCCCCCCC"});
  EXPECT_EQ(failing_runs("achieved_rate<-9.1%"), Ids{});
  EXPECT_EQ(failing_runs("achieved_rps<-45"), Ids{"CCCCCCCCCCCC"});
  EXPECT_EQ(failing_runs("achieved_rps<-46"), Ids{});
  // error rate: 0, 0, 0.99% (+0.99 points), 0; non-2xx: 0, 0, 1% (+1 point), 0.
  EXPECT_EQ(failing_runs("error_rate>+0.9%"), Ids{"CCCCCCCCCCCC"});
  EXPECT_EQ(failing_runs("error_rate>+1%"), Ids{}) << "percentage points, not relative";
  EXPECT_EQ(failing_runs("non2xx_rate>+0.99%"), Ids{"CCCCCCCCCCCC"});
  EXPECT_EQ(failing_runs("non2xx_rate>+1%"), Ids{});
  EXPECT_EQ(failing_runs("errors>+9"), Ids{"CCCCCCCCCCCC"});
  EXPECT_EQ(failing_runs("errors>+10"), Ids{});
  EXPECT_EQ(failing_runs("errors>+1000%"), Ids{"CCCCCCCCCCCC"}) << "any rise from 0 is beyond";
}

TEST(Gate, SaysWhichRunFailedAndByHowMuch) {
  auto gate = parse_gate("p99>+10%");
  ASSERT_TRUE(gate.ok());
  const std::vector<ComparedRun> runs = four_runs();
  const std::vector<GateFailure> failures = check(*gate, runs);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].run, 1u);
  EXPECT_EQ(failures[0].baseline, 990);
  EXPECT_EQ(failures[0].value, 1090);
  EXPECT_EQ(failures[0].message, "run BBBBBBBBBBBB: p99 1.09 us vs 990 ns (+100 ns, +10.1%)");

  auto rate = parse_gate("error_rate>+0.5%");
  ASSERT_TRUE(rate.ok());
  const std::vector<GateFailure> errors = check(*rate, runs);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "run CCCCCCCCCCCC: error_rate 0.99% vs 0% (+0.99 pt)");

  const std::vector<GateResult> all = check_all({*gate, *rate}, runs);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].gate.expr, "p99>+10%");
  EXPECT_EQ(all[1].failures.size(), 1u);
}

TEST(Gate, ARunComparedWithItselfPassesEveryGateThatAllowsNoChange) {
  const std::vector<ComparedRun> runs = {run_of("A", [](int64_t i) { return i; }),
                                         run_of("A", [](int64_t i) { return i; })};
  for (const char* expr : {"p99>+0%", "p99.99>+0ns", "achieved_rate<-0%", "error_rate>+0%",
                           "errors>+0", "mean<-0us"}) {
    auto gate = parse_gate(expr);
    ASSERT_TRUE(gate.ok()) << expr;
    EXPECT_TRUE(check(*gate, runs).empty()) << expr;
  }
}

// ---- formats ----

TEST(CompareFormat, HumanIsATableWithAColumnPerRunAndMarkedChanges) {
  const std::vector<ComparedRun> runs = four_runs();
  const Comparison c = compare(runs, 0.05);
  auto gate = parse_gate("p99>+10%");
  ASSERT_TRUE(gate.ok());
  const std::string text = render_comparison_human(runs, c, check_all({*gate}, runs));
  EXPECT_NE(text.find("4 runs against the first; changes beyond 5% are marked"), std::string::npos)
      << text;
  const std::regex header(R"(\n  metric +AAAAAAAAAAAA +BBBBBBBBBBBB +change +CCCCCCCCCCCC +change)");
  EXPECT_TRUE(std::regex_search(text, header)) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(\n  p50 +500 ns +600 ns +\+100 ns \(\+20\.0%\)  worse +500 ns +same +450 ns +-50 ns \(-10\.0%\)  better\n)")))
      << text;
  EXPECT_NE(text.find("baseline  AAAAAAAAAAAA  checkout  2025-11-26T16:00:00Z  http/1.1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("FAIL p99>+10%: run BBBBBBBBBBBB: p99 1.09 us vs 990 ns (+100 ns, +10.1%)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("1 of 1 gate failed"), std::string::npos) << text;
  // Columns line up: every table row puts the first run's value in the same place.
  const size_t header_at = text.find("  metric ");
  const size_t p50_at = text.find("\n  p50 ") + 1;
  const size_t id_end = text.find("AAAAAAAAAAAA", header_at) + 12 - header_at;
  const size_t value_end = text.find("500 ns", p50_at) + 6 - p50_at;
  EXPECT_EQ(id_end, value_end) << text;
}

TEST(CompareFormat, JsonHasRunsMetricsAndGates) {
  std::vector<ComparedRun> runs = four_runs();
  runs[2].result.interrupted = true;
  const Comparison c = compare(runs, 0.05);
  auto gate = parse_gate("errors>+0");
  ASSERT_TRUE(gate.ok());
  const json j = json::parse(render_comparison_json(runs, c, check_all({*gate}, runs)));
  EXPECT_EQ(j["threshold"], 0.05);
  ASSERT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["runs"][0]["id"], "AAAAAAAAAAAA");
  EXPECT_EQ(j["runs"][0]["baseline"], true);
  EXPECT_EQ(j["runs"][1]["baseline"], false);
  EXPECT_EQ(j["runs"][0]["name"], "checkout");
  EXPECT_EQ(j["runs"][0]["started"], "2025-11-26T16:00:00.000000Z");
  EXPECT_EQ(j["runs"][0]["protocol"], "http/1.1");
  EXPECT_EQ(j["runs"][0]["requested_rps"], 500);
  EXPECT_EQ(j["runs"][0]["connections"], 10);
  EXPECT_EQ(j["runs"][2]["interrupted"], true);
  EXPECT_EQ(j["runs"][0]["source"], "run");
  ASSERT_EQ(j["metrics"].size(), c.metrics.size());
  const json& p50 = j["metrics"][8];
  EXPECT_EQ(p50["name"], "p50");
  EXPECT_EQ(p50["unit"], "ns");
  EXPECT_EQ(p50["better"], "lower");
  EXPECT_EQ(p50["values"], json::array({500, 600, 500, 450}));
  ASSERT_EQ(p50["deltas"].size(), 3u);
  EXPECT_EQ(p50["deltas"][0]["run"], "BBBBBBBBBBBB");
  EXPECT_EQ(p50["deltas"][0]["absolute"], 100);
  EXPECT_EQ(p50["deltas"][0]["relative"], 0.2);
  EXPECT_EQ(p50["deltas"][0]["moved"], true);
  EXPECT_EQ(p50["deltas"][0]["direction"], "worse");
  EXPECT_EQ(p50["deltas"][2]["direction"], "better");
  EXPECT_EQ(p50["deltas"][1]["direction"], "none");
  EXPECT_TRUE(j["metrics"][4]["deltas"][1]["relative"].is_null()) << "errors: from 0";
  EXPECT_EQ(j["metrics"][5]["unit"], "fraction");
  EXPECT_EQ(j["metrics"][1]["unit"], "req/s");
  ASSERT_EQ(j["warnings"].size(), 1u) << j["warnings"];
  ASSERT_EQ(j["gates"].size(), 1u);
  EXPECT_EQ(j["gates"][0]["expr"], "errors>+0");
  EXPECT_EQ(j["gates"][0]["pass"], false);
  ASSERT_EQ(j["gates"][0]["failures"].size(), 1u);
  EXPECT_EQ(j["gates"][0]["failures"][0]["run"], "CCCCCCCCCCCC");
  EXPECT_EQ(j["gates"][0]["failures"][0]["value"], 10);
  EXPECT_EQ(j["gates"][0]["failures"][0]["baseline"], 0);
  EXPECT_EQ(j["pass"], false);
  const json none = json::parse(render_comparison_json(runs, c, {}));
  EXPECT_TRUE(none["gates"].empty());
  EXPECT_EQ(none["pass"], true);
}

TEST(CompareFormat, HtmlDrawsOneSeriesPerRunOnEachChart) {
  std::vector<ComparedRun> runs = four_runs();
  runs[1].result.options.test_name = "<b id=\"x\">new</b> & \"better\"";
  const Comparison c = compare(runs, 0.05);
  auto gate = parse_gate("p99>+10%");
  ASSERT_TRUE(gate.ok());
  const std::string page = render_comparison_html(runs, c, check_all({*gate}, runs));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("</html>\n"), std::string::npos);
  for (const char* id : {"chart-compare-spectrum", "chart-compare-throughput", "chart-compare-p99"}) {
    const std::string svg = svg_by_id(page, id);
    ASSERT_FALSE(svg.empty()) << id;
    for (size_t i = 0; i < runs.size(); ++i) {
      EXPECT_EQ(count_of(svg, "<path class=\"series r" + std::to_string(i) + "\""), 1u)
          << id << " run " << i;
      EXPECT_EQ(count_of(svg, "<line class=\"swatch r" + std::to_string(i) + "\""), 1u)
          << id << " legend of run " << i;
    }
  }
  // Markup from a name is text, never an element; nothing is fetched.
  EXPECT_EQ(page.find("<b id=\"x\">"), std::string::npos);
  EXPECT_NE(page.find("&lt;b id=&quot;x&quot;&gt;new&lt;/b&gt; &amp; &quot;better&quot;"),
            std::string::npos);
  for (const char* fetch : {"src=", "href=", "url(", "@import"}) {
    EXPECT_EQ(page.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_NE(page.find("<span class=\"delta worse\">+100 ns (+20.0%)</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"delta better\">-50 ns (-10.0%)</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"gate-fail\">FAIL</span><code>p99&gt;+10%</code>"),
            std::string::npos);
  // The embedded comparison reads back as the JSON form.
  const std::string open = "<script type=\"application/json\" id=\"nightjar-comparison\">\n";
  const size_t at = page.find(open);
  ASSERT_NE(at, std::string::npos);
  const size_t end = page.find("</script>", at);
  const json island = json::parse(page.substr(at + open.size(), end - at - open.size()));
  EXPECT_EQ(island["runs"][1]["name"], runs[1].result.options.test_name);
  EXPECT_EQ(island["gates"][0]["pass"], false);
}

TEST(CompareFormat, TenRunsKeepTheirLegendInsideA560PixelChart) {
  std::vector<ComparedRun> runs;
  for (int i = 0; i < 12; ++i) {
    runs.push_back(run_of(std::string(12, static_cast<char>('A' + i)),
                          [i](int64_t v) { return v + 10 * i; }));
  }
  const std::string page = render_comparison_html(runs, compare(runs, 0.05), {});
  const std::string svg = svg_by_id(page, "chart-compare-spectrum");
  ASSERT_FALSE(svg.empty());
  std::smatch size;
  ASSERT_TRUE(std::regex_search(svg, size, std::regex(R"re(viewBox="0 0 560 ([0-9.]+)")re")));
  EXPECT_GT(std::stod(size[1]), 380) << "the legend's rows make the chart taller";
  const std::regex swatch(R"re(<line class="swatch [^"]*" x1="([0-9.]+)" y1="([0-9.]+)")re");
  size_t entries = 0;
  double lowest_row = 0;
  for (std::sregex_iterator it(svg.begin(), svg.end(), swatch), end; it != end; ++it) {
    ++entries;
    // Each entry: swatch, gap and "XXXXXXXXXXXX checkout" (21 characters, about 7 px each).
    EXPECT_LE(std::stod((*it)[1]) + 28 + 21 * 7, 560 - 20 + 1e-9) << (*it)[0];
    lowest_row = std::max(lowest_row, std::stod((*it)[2]));
  }
  EXPECT_EQ(entries, 12u);
  EXPECT_GT(lowest_row, 16);
  EXPECT_NE(svg.find("<path class=\"series r1 dashed\""), std::string::npos)
      << "the eleventh run reuses the second's colour, dashed";
}

}  // namespace
}  // namespace nightjar::output
