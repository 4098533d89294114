#include "load/arrival_plan.h"

#include <gtest/gtest.h>

#include <set>

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

}  // namespace
}  // namespace nightjar::load
