#include "load/arrival_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

namespace nightjar::load {
namespace {

TEST(ConstantRatePlan, SpacesArrivalsByTheInverseRate) {
  ConstantRatePlan plan(1000);
  EXPECT_EQ(plan.offset_ns(0), 0);
  EXPECT_EQ(plan.offset_ns(1), 1'000'000);
  EXPECT_EQ(plan.offset_ns(1000), 1'000'000'000);
  ConstantRatePlan third(3);
  EXPECT_EQ(third.offset_ns(1), 333'333'333);
  EXPECT_EQ(third.offset_ns(3), 1'000'000'000);
}

TEST(ConstantRatePlan, CountsArrivalsBeforeAnOffsetInClosedForm) {
  // Against counting one at a time, for rates whose spacing is and is not a whole number.
  for (double rate : {1.0, 3.0, 7.0, 1000.0, 333.3, 1e6 / 7}) {
    ConstantRatePlan plan(rate);
    uint64_t counted = 0;
    for (int64_t offset : {int64_t{-5}, int64_t{0}, int64_t{1}, int64_t{999'999}, int64_t{1'000'000},
                           int64_t{333'333'333}, int64_t{333'333'334}, int64_t{2'000'000'001}}) {
      counted = 0;
      while (plan.offset_ns(counted) < offset) ++counted;
      EXPECT_EQ(plan.arrivals_before(offset), counted) << "rate " << rate << " offset " << offset;
    }
  }
  // An hour of warm-up at the highest rate: 3.6e10 arrivals, answered at once.
  ConstantRatePlan fast(10'000'000);
  EXPECT_EQ(fast.arrivals_before(3600LL * 1'000'000'000), 36'000'000'000ULL);
}

TEST(ShardCursor, ShardsTogetherWalkExactlyThePlan) {
  ConstantRatePlan plan(777);
  const int64_t end = 2'000'000'000;  // 2 s: arrivals 0..1553
  std::set<uint64_t> seen;
  std::vector<int64_t> offsets;
  for (uint64_t shard = 0; shard < 3; ++shard) {
    for (ShardCursor c(plan, shard, 3, end); !c.done(); c.advance()) {
      EXPECT_TRUE(seen.insert(c.index()).second) << "arrival " << c.index() << " taken twice";
      EXPECT_EQ(c.index() % 3, shard);
      EXPECT_EQ(c.offset_ns(), plan.offset_ns(c.index()));
    }
  }
  uint64_t expected = 0;
  while (plan.offset_ns(expected) < end) ++expected;
  EXPECT_EQ(seen.size(), expected);
  EXPECT_EQ(*seen.rbegin(), expected - 1);
}

TEST(ShardCursor, StopsAtTheArrivalBound) {
  ConstantRatePlan plan(100);
  int count = 0;
  for (ShardCursor c(plan, 1, 2, INT64_MAX, 10); !c.done(); c.advance()) ++count;
  EXPECT_EQ(count, 5);  // indices 1, 3, 5, 7, 9
}

constexpr int64_t kS = 1'000'000'000;

model::RateShape shape_of(std::vector<model::RateSegment> segments) {
  auto shape = model::RateShape::create(std::move(segments), 1e7);
  EXPECT_TRUE(shape.ok()) << shape.status().message();
  return std::move(shape).value();
}

// Every arrival of every shard's walk, as offsets (sorted).
std::vector<int64_t> walk(const ArrivalPlan& plan, uint64_t shards, int64_t end) {
  std::vector<int64_t> offsets;
  for (uint64_t shard = 0; shard < shards; ++shard) {
    int64_t last = -1;
    for (ShardCursor c(plan, shard, shards, end); !c.done(); c.advance()) {
      EXPECT_GE(c.offset_ns(), last) << "a shard's arrivals go forward in time";
      last = c.offset_ns();
      offsets.push_back(c.offset_ns());
    }
  }
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

std::vector<int64_t> per_second(const std::vector<int64_t>& offsets, int64_t seconds) {
  std::vector<int64_t> counts(static_cast<size_t>(seconds), 0);
  for (int64_t t : offsets) ++counts[static_cast<size_t>(t / kS)];
  return counts;
}

TEST(ShapedRatePlan, EachSecondGetsTheIntegralOfTheRateSplitExactlyOverShards) {
  // Stages 10s:0->1000, 10s:1000, 10s:1000->200.
  const model::RateShape shape = shape_of({{10 * kS, 0, 1000}, {10 * kS, 1000, 1000}, {10 * kS, 1000, 200}});
  const ShapedRatePlan plan(shape);
  const std::vector<int64_t> one = walk(plan, 1, 30 * kS);
  EXPECT_EQ(walk(plan, 7, 30 * kS), one) << "seven shards walk the same plan as one";
  const std::vector<int64_t> counts = per_second(one, 30);
  for (int64_t s = 0; s < 30; ++s) {
    const double expected = shape.cumulative((s + 1) * kS) - shape.cumulative(s * kS);
    EXPECT_NEAR(static_cast<double>(counts[static_cast<size_t>(s)]), expected, 1.0) << "second " << s;
  }
  EXPECT_NEAR(static_cast<double>(one.size()), shape.cumulative(30 * kS), 1.0);
  // The closed-form count agrees with counting.
  for (int64_t t : {int64_t{0}, kS / 3, 5 * kS, 17 * kS + 12345, 29 * kS}) {
    uint64_t counted = 0;
    while (plan.offset_ns(counted) < t) ++counted;
    EXPECT_EQ(plan.arrivals_before(t), counted) << t;
  }
}

// The Kolmogorov-Smirnov statistic of `gaps` (seconds) against the exponential distribution
// of rate `rate`.
double ks_exponential(std::vector<double> gaps, double rate) {
  std::sort(gaps.begin(), gaps.end());
  double d = 0;
  const double n = static_cast<double>(gaps.size());
  for (size_t i = 0; i < gaps.size(); ++i) {
    const double cdf = 1 - std::exp(-rate * gaps[i]);
    d = std::max({d, std::abs(cdf - static_cast<double>(i) / n), std::abs(static_cast<double>(i + 1) / n - cdf)});
  }
  return d;
}

TEST(PoissonPlan, GapsAreExponentialAndShardsSuperposeToTheWholeRate) {
  // 2000/s for 20 s over 4 shards of 500/s each, with a fixed seed (so this test is exact
  // and repeatable): the merged stream's gaps must pass a Kolmogorov-Smirnov test against
  // Exp(2000) at the 1% level (critical value 1.63/sqrt(n)), and its count must be within
  // 4 standard deviations of the mean 40,000 (sqrt(40,000) = 200).
  const PoissonPlan plan(shape_of({{kS, 2000, 2000}}), 12345);
  const std::vector<int64_t> offsets = walk(plan, 4, 20 * kS);
  EXPECT_NEAR(static_cast<double>(offsets.size()), 40'000, 800);
  std::vector<double> gaps;
  for (size_t i = 1; i < offsets.size(); ++i) gaps.push_back(static_cast<double>(offsets[i] - offsets[i - 1]) / 1e9);
  const double d = ks_exponential(gaps, 2000);
  EXPECT_LT(d, 1.63 / std::sqrt(static_cast<double>(gaps.size()))) << "KS statistic " << d;
  // Not evenly spaced: the gaps' coefficient of variation is about 1 (0 for uniform).
  double mean = 0;
  for (double g : gaps) mean += g;
  mean /= static_cast<double>(gaps.size());
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  EXPECT_NEAR(std::sqrt(var / static_cast<double>(gaps.size())) / mean, 1.0, 0.05);
}

TEST(PoissonPlan, TheSameSeedReplaysTheSameArrivalsAndAnotherDoesNot) {
  const PoissonPlan a(shape_of({{kS, 500, 500}}), 7);
  const PoissonPlan b(shape_of({{kS, 500, 500}}), 7);
  const PoissonPlan c(shape_of({{kS, 500, 500}}), 8);
  EXPECT_EQ(walk(a, 3, 2 * kS), walk(b, 3, 2 * kS));
  EXPECT_NE(walk(a, 3, 2 * kS), walk(c, 3, 2 * kS));
}

TEST(PoissonPlan, AShapedRateIsFollowedSecondBySecond) {
  // A ramp 0 -> 4000/s over 10 s: each second's count is Poisson with the integral of the
  // rate as its mean; over the 10 seconds, all within 5 standard deviations.
  const model::RateShape shape = shape_of({{10 * kS, 0, 4000}});
  const PoissonPlan plan(shape, 99);
  const std::vector<int64_t> counts = per_second(walk(plan, 2, 10 * kS), 10);
  for (int64_t s = 0; s < 10; ++s) {
    const double mean = shape.cumulative((s + 1) * kS) - shape.cumulative(s * kS);
    EXPECT_NEAR(static_cast<double>(counts[static_cast<size_t>(s)]), mean, 5 * std::sqrt(mean) + 1) << s;
  }
}

}  // namespace
}  // namespace nightjar::load
