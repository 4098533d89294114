#include "model/rate_shape.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace nightjar::model {
namespace {

constexpr int64_t kS = 1'000'000'000;

RateShape shape(std::vector<RateSegment> segments) {
  auto s = RateShape::create(std::move(segments), 1e7);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return std::move(s).value();
}

TEST(RateShape, ARampCountsTheAreaUnderTheRate) {
  // 0 -> 1000 over 10 s, then 1000 for 10 s.
  const RateShape s = shape({{10 * kS, 0, 1000}, {10 * kS, 1000, 1000}});
  EXPECT_DOUBLE_EQ(s.cumulative(0), 0);
  EXPECT_DOUBLE_EQ(s.cumulative(5 * kS), 1250);   // 0.5 * 5 s * 500/s
  EXPECT_DOUBLE_EQ(s.cumulative(10 * kS), 5000);
  EXPECT_DOUBLE_EQ(s.cumulative(20 * kS), 15000);
  EXPECT_DOUBLE_EQ(s.cumulative(25 * kS), 20000);  // the last rate holds after the end
  EXPECT_DOUBLE_EQ(s.rate_at(5 * kS), 500);
  EXPECT_DOUBLE_EQ(s.rate_at(30 * kS), 1000);
  EXPECT_DOUBLE_EQ(s.mean_rps(20 * kS), 750);
}

TEST(RateShape, InverseUndoesCumulativeEverywhere) {
  const RateShape s = shape({{10 * kS, 0, 1000}, {5 * kS, 1000, 1000}, {7 * kS, 1000, 200},
                             {3 * kS, 0, 0}, {2 * kS, 50, 50}});
  for (int64_t t = 0; t <= 40 * kS; t += kS / 7) {
    const double x = s.cumulative(t);
    if (x <= 0) continue;
    const int64_t back = s.inverse(x);
    // In the flat stretch (rate 0) every t has the same count: the inverse gives the
    // earliest offset with it, where the stretch begins.
    if (t > 22 * kS && t <= 25 * kS) {
      EXPECT_EQ(back, 22 * kS) << t;
      continue;
    }
    EXPECT_NEAR(static_cast<double>(back), static_cast<double>(t), 2.0) << t;
  }
}

TEST(RateShape, ArrivalsOfARampFallWhereTheRateSaysEachSecond) {
  // A uniform plan puts arrival i at inverse(i): each second's count is the integral of the
  // rate over it, within one arrival.
  const RateShape s = shape({{30 * kS, 0, 3000}});
  std::vector<int64_t> per_second(30, 0);
  for (int64_t i = 0;; ++i) {
    const int64_t t = s.inverse(static_cast<double>(i));
    if (t >= 30 * kS) break;
    ++per_second[static_cast<size_t>(t / kS)];
  }
  for (int64_t second = 0; second < 30; ++second) {
    const double expected = s.cumulative((second + 1) * kS) - s.cumulative(second * kS);
    EXPECT_NEAR(static_cast<double>(per_second[static_cast<size_t>(second)]), expected, 1.0) << second;
  }
}

TEST(RateShape, ARateThatEndsAtZeroNeverReachesMore) {
  const RateShape s = shape({{10 * kS, 100, 0}});
  EXPECT_DOUBLE_EQ(s.cumulative(20 * kS), 500);
  EXPECT_EQ(s.inverse(500.5), std::numeric_limits<int64_t>::max());
  EXPECT_LE(s.inverse(499), 10 * kS);
}

TEST(RateShape, BadShapesAreRefusedNamingTheStage) {
  EXPECT_FALSE(RateShape::create({}, 1e7).ok());
  auto zero = RateShape::create({{kS, 0, 0}}, 1e7);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("above 0"), std::string::npos);
  auto fast = RateShape::create({{kS, 10, 10}, {kS, 10, 2e7}}, 1e7);
  ASSERT_FALSE(fast.ok());
  EXPECT_NE(fast.status().message().find("stage 2"), std::string::npos) << fast.status().message();
  EXPECT_FALSE(RateShape::create({{0, 10, 10}}, 1e7).ok());
  EXPECT_FALSE(RateShape::create({{kS, std::nan(""), 10}}, 1e7).ok());
}

TEST(Stages, ParseIntoRampsFromTheStartRate) {
  auto stages = parse_stages("30s:1000, 2m:1000,30s:5000", 0);
  ASSERT_TRUE(stages.ok()) << stages.status().message();
  EXPECT_EQ(*stages, (std::vector<RateSegment>{
                         {30 * kS, 0, 1000}, {120 * kS, 1000, 1000}, {30 * kS, 1000, 5000}}));
  auto from = parse_stages("1m:10", 500);
  ASSERT_TRUE(from.ok());
  EXPECT_EQ(from->front(), (RateSegment{60 * kS, 500, 10}));
  for (const char* bad : {"", "30s", "30s:", ":100", "30x:100", "30s:-1", "30s:abc", "0s:100",
                          "30s:100,", "30s:1e999"}) {
    auto r = parse_stages(bad, 0);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--stages: stage"), std::string::npos) << r.status().message();
  }
}

TEST(PaceFile, StepsHoldUntilTheNextAndTheLastUntilTheEnd) {
  auto steps = parse_pace_file("offset,rate\n# warm\n0,100\n\n30s,500\n90,0\n2m, 50 \n", "p.csv",
                               300 * kS);
  ASSERT_TRUE(steps.ok()) << steps.status().message();
  EXPECT_EQ(*steps, (std::vector<RateSegment>{{30 * kS, 100, 100},
                                              {60 * kS, 500, 500},
                                              {30 * kS, 0, 0},
                                              {180 * kS, 50, 50}}));
  struct Bad {
    const char* text;
    const char* says;
  };
  for (const Bad& bad : {Bad{"", "no steps"}, Bad{"5s,100\n", "p.csv:1: the first step"},
                         Bad{"0,100\n10,5\n10,6\n", "p.csv:3: offsets must increase"},
                         Bad{"0,100\nten,5\n", "p.csv:2: offset 'ten'"},
                         Bad{"0,100\n5s\n", "p.csv:2:"}, Bad{"0,-3\n", "p.csv:1"}}) {
    auto r = parse_pace_file(bad.text, "p.csv", 60 * kS);
    ASSERT_FALSE(r.ok()) << bad.text;
    EXPECT_NE(r.status().message().find(bad.says), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace nightjar::model
