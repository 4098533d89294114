#include "common/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace nightjar {
namespace {

TEST(SplitMix64, MatchesTheReferenceOutputForSeedZero) {
  // The first outputs of Vigna's splitmix64.c seeded with 0.
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64(state), 0x6e789e6aa1b965f4ULL);
}

TEST(SeededRandom, TheSequenceIsFixedBySeed) {
  // Pinned (computed by an independent Python xoshiro256** seeded through splitmix64): a
  // change of generator or seeding would silently change every seeded run.
  SeededRandom random(42);
  EXPECT_EQ(random.next_u64(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(random.next_u64(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(random.next_u64(), 0xae17533239e499a1ULL);
}

TEST(SeededRandom, SameSeedSameStreamOtherSeedOtherStream) {
  SeededRandom a(7);
  SeededRandom b(7);
  SeededRandom c(8);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    if (x != c.next_u64()) ++differ;
  }
  EXPECT_EQ(differ, 100);
}

TEST(RandomSource, UnitDrawsStayInTheHalfOpenInterval) {
  SeededRandom random(1);
  double sum = 0;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = random.next_unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.01);  // seeded: the same sum on every run
}

// A source that returns what it is told, to check the draws at their edges.
class ScriptedRandom final : public RandomSource {
 public:
  explicit ScriptedRandom(std::vector<uint64_t> values) : values_(std::move(values)) {}
  uint64_t next_u64() override { return values_.at(next_++); }

 private:
  std::vector<uint64_t> values_;
  size_t next_ = 0;
};

TEST(RandomSource, UnitDrawsMapTheExtremesInsideTheInterval) {
  ScriptedRandom random({0, UINT64_MAX});
  EXPECT_EQ(random.next_unit(), 0.0);
  EXPECT_EQ(random.next_unit(), 1.0 - 0x1.0p-53);
}

TEST(RandomSource, ExponentialDrawsAreFiniteAndHaveTheirMean) {
  ScriptedRandom edge({0, UINT64_MAX});
  EXPECT_EQ(edge.next_exponential(2.0), 0.0);
  const double largest = edge.next_exponential(2.0);
  EXPECT_TRUE(std::isfinite(largest));
  EXPECT_NEAR(largest, 2.0 * 53 * std::log(2.0), 1e-9);

  SeededRandom random(3);
  double sum = 0;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) sum += random.next_exponential(250.0);
  EXPECT_NEAR(sum / kDraws, 250.0, 250.0 * 0.02);
}

TEST(RandomSource, BoundedDrawsCoverTheRangeEvenly) {
  SeededRandom random(4);
  std::vector<int> counts(6, 0);
  constexpr int kDraws = 60'000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = random.next_below(6);
    ASSERT_LT(x, 6u);
    ++counts[x];
  }
  for (int c : counts) EXPECT_NEAR(c, kDraws / 6, kDraws / 6 / 20);
  EXPECT_EQ(random.next_below(1), 0u);
}

}  // namespace
}  // namespace nightjar
