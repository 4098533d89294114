#include "stats/hdr_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace nightjar::stats {
namespace {

HdrHistogram make(int64_t lowest, int64_t highest, int significant_figures) {
  auto result = HdrHistogram::create(lowest, highest, significant_figures);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return std::move(result).value();
}

// Percentiles as hundredths of a percent, so the exact nearest rank is integer arithmetic:
// rank = ceil(p/100 * n) = ceil(p_e2 * n / 10000).
constexpr int64_t kPercentilesE2[] = {5000, 7500, 9000, 9900, 9990, 9999, 10000};

int64_t nearest_rank(int64_t percentile_e2, int64_t n) {
  return std::max<int64_t>(1, (percentile_e2 * n + 9999) / 10000);
}

struct Distribution {
  std::string name;
  std::function<int64_t(std::mt19937_64&)> draw;
};

// GoogleTest prints parameters through this name.
// NOLINTNEXTLINE(readability-identifier-naming)
void PrintTo(const Distribution& distribution, std::ostream* os) { *os << distribution.name; }

constexpr int64_t kHighest = HdrHistogram::kDefaultHighest;

std::vector<Distribution> distributions() {
  auto clamp = [](double v) { return std::clamp<int64_t>(std::llround(v), 0, kHighest); };
  return {
      {"uniform",
       [](std::mt19937_64& rng) {
         return std::uniform_int_distribution<int64_t>(0, 10'000'000)(rng);
       }},
      {"exponential",
       [clamp](std::mt19937_64& rng) {
         return clamp(std::exponential_distribution<double>(1.0 / 1e6)(rng));
       }},
      // Median 2 ms with sigma 1.5: the 99.99th percentile is ~500x the median.
      {"lognormal_long_tail",
       [clamp](std::mt19937_64& rng) {
         return clamp(std::lognormal_distribution<double>(std::log(2e6), 1.5)(rng));
       }},
      // 90% fast responses around 200 us, 10% slow ones around 50 ms.
      {"bimodal",
       [clamp](std::mt19937_64& rng) {
         if (std::bernoulli_distribution(0.9)(rng))
           return clamp(std::normal_distribution<double>(2e5, 2e4)(rng));
         return clamp(std::normal_distribution<double>(5e7, 5e6)(rng));
       }},
  };
}

std::vector<int64_t> draw_samples(const Distribution& distribution, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> samples(n);
  for (auto& s : samples) s = distribution.draw(rng);
  return samples;
}

class HdrHistogramDistributionTest : public ::testing::TestWithParam<Distribution> {};

TEST_P(HdrHistogramDistributionTest, PercentilesMatchExactNearestRankWithinPrecision) {
  constexpr size_t kSamples = 1'000'000;
  std::vector<int64_t> samples = draw_samples(GetParam(), kSamples, 42);
  HdrHistogram h;
  for (int64_t s : samples) ASSERT_TRUE(h.record(s));
  std::sort(samples.begin(), samples.end());

  EXPECT_EQ(h.total_count(), static_cast<int64_t>(kSamples));
  EXPECT_EQ(h.out_of_range_count(), 0);
  EXPECT_EQ(h.min(), h.lowest_equivalent_value(samples.front()));
  EXPECT_EQ(h.max(), h.highest_equivalent_value(samples.back()));

  for (int64_t p_e2 : kPercentilesE2) {
    const double percentile = static_cast<double>(p_e2) / 100.0;
    const int64_t exact = samples[static_cast<size_t>(nearest_rank(p_e2, kSamples) - 1)];
    const int64_t got = h.value_at_percentile(percentile);
    SCOPED_TRACE("percentile " + std::to_string(percentile));
    // Counts are exact, so the reported value is the top of the exact sample's bucket...
    EXPECT_TRUE(h.values_are_equivalent(got, exact)) << got << " vs exact " << exact;
    EXPECT_EQ(got, h.highest_equivalent_value(exact));
    // ...which is within 3 significant figures of it.
    EXPECT_GE(got, exact);
    EXPECT_LE(static_cast<double>(got - exact), 1e-3 * static_cast<double>(exact));
  }

  const double exact_mean =
      std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(kSamples);
  EXPECT_NEAR(h.mean(), exact_mean, 1e-3 * exact_mean);
  double squares = 0;
  for (int64_t s : samples)
    squares += (static_cast<double>(s) - exact_mean) * (static_cast<double>(s) - exact_mean);
  const double exact_stddev = std::sqrt(squares / static_cast<double>(kSamples));
  EXPECT_NEAR(h.stddev(), exact_stddev, 1e-2 * exact_stddev);
  EXPECT_NEAR(static_cast<double>(h.sum_approx()), exact_mean * static_cast<double>(kSamples),
              1e-3 * exact_mean * static_cast<double>(kSamples));
}

INSTANTIATE_TEST_SUITE_P(Distributions, HdrHistogramDistributionTest,
                         ::testing::ValuesIn(distributions()),
                         [](const ::testing::TestParamInfo<Distribution>& p) {
                           return p.param.name;
                         });

TEST(HdrHistogram, DefaultCoversOneNanosecondToOneHourAtThreeFigures) {
  HdrHistogram h;
  EXPECT_EQ(h.lowest_discernible_value(), 1);
  EXPECT_EQ(h.highest_trackable_value(), 3'600'000'000'000);
  EXPECT_EQ(h.significant_figures(), 3);
  // 2048 sub-buckets, of which each further bucket adds the upper 1024.
  EXPECT_EQ(h.counts_len(), 33 * 1024);
  EXPECT_TRUE(h.record(3'600'000'000'000));
  EXPECT_EQ(h.total_count(), 1);
}

TEST(HdrHistogram, CreateRejectsBadConfigurationNamingTheArgument) {
  auto bad_lowest = HdrHistogram::create(0, 1000, 3);
  ASSERT_FALSE(bad_lowest.ok());
  EXPECT_EQ(bad_lowest.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_lowest.status().message().find("lowest_discernible_value"), std::string::npos);

  auto bad_highest = HdrHistogram::create(10, 19, 3);
  ASSERT_FALSE(bad_highest.ok());
  EXPECT_NE(bad_highest.status().message().find("highest_trackable_value"), std::string::npos);

  for (int figures : {0, 6, -1}) {
    auto bad_figures = HdrHistogram::create(1, 1000, figures);
    ASSERT_FALSE(bad_figures.ok()) << figures;
    EXPECT_NE(bad_figures.status().message().find("significant_figures"), std::string::npos);
  }
  // Too large a unit for the sub-bucket resolution would overflow the index arithmetic.
  EXPECT_FALSE(HdrHistogram::create(int64_t{1} << 52, INT64_MAX, 3).ok());
  EXPECT_TRUE(HdrHistogram::create(int64_t{1} << 51, INT64_MAX, 3).ok());
  EXPECT_TRUE(HdrHistogram::create(10, 20, 3).ok());
  EXPECT_TRUE(HdrHistogram::create(1, INT64_MAX, 5).ok());
}

TEST(HdrHistogram, EquivalentValueRangesFollowTheBucketLayout) {
  HdrHistogram h;
  // Below 2048 every value is its own bucket.
  EXPECT_EQ(h.size_of_equivalent_value_range(2047), 1);
  EXPECT_EQ(h.lowest_equivalent_value(2047), 2047);
  EXPECT_EQ(h.highest_equivalent_value(2047), 2047);
  // 2048..4095 in steps of 2, 4096..8191 in steps of 4.
  EXPECT_EQ(h.size_of_equivalent_value_range(2049), 2);
  EXPECT_EQ(h.lowest_equivalent_value(2049), 2048);
  EXPECT_EQ(h.highest_equivalent_value(2048), 2049);
  EXPECT_EQ(h.median_equivalent_value(2048), 2049);
  EXPECT_EQ(h.size_of_equivalent_value_range(4096), 4);
  EXPECT_EQ(h.lowest_equivalent_value(4099), 4096);
  EXPECT_EQ(h.highest_equivalent_value(4096), 4099);
  EXPECT_TRUE(h.values_are_equivalent(4096, 4099));
  EXPECT_FALSE(h.values_are_equivalent(4099, 4100));
  // 1 s lies in [2^29, 2^30): buckets of 2^19 ns, 0.05% of the value.
  EXPECT_EQ(h.size_of_equivalent_value_range(1'000'000'000), 1 << 19);
  EXPECT_EQ(h.lowest_equivalent_value(1'000'000'000), 999'817'216);

  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{2047}, int64_t{2048}, int64_t{123'456'789},
                    int64_t{3'600'000'000'000}}) {
    const int32_t index = h.counts_index_for(v);
    ASSERT_LT(index, h.counts_len());
    EXPECT_EQ(h.value_at_index(index), h.lowest_equivalent_value(v)) << v;
  }
}

TEST(HdrHistogram, LargeUnitPutsSmallValuesInTheZeroBucket) {
  HdrHistogram h = make(1000, 10'000'000, 3);  // unit 512
  EXPECT_EQ(h.size_of_equivalent_value_range(5), 512);
  EXPECT_TRUE(h.values_are_equivalent(0, 511));
  EXPECT_FALSE(h.values_are_equivalent(511, 512));
  EXPECT_TRUE(h.record(5));
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 511);
  EXPECT_TRUE(h.record(0));
  EXPECT_EQ(h.total_count(), 2);
  EXPECT_EQ(h.count_at_index(0), 2);
}

TEST(HdrHistogram, OutOfRangeValuesAreCountedNotRecorded) {
  HdrHistogram h = make(1, 1'000'000, 3);
  EXPECT_FALSE(h.record(-1));
  EXPECT_FALSE(h.record(1'000'001));
  EXPECT_FALSE(h.record(INT64_MAX));
  EXPECT_FALSE(h.record_n(-5, 10));
  EXPECT_EQ(h.out_of_range_count(), 13);
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.value_at_percentile(100), 0);

  EXPECT_TRUE(h.record(1'000'000));
  EXPECT_TRUE(h.record(0));
  EXPECT_EQ(h.total_count(), 2);
  EXPECT_EQ(h.out_of_range_count(), 13);
  EXPECT_EQ(h.min(), 0);
  EXPECT_TRUE(h.values_are_equivalent(h.max(), 1'000'000));
}

TEST(HdrHistogram, RecordNAddsCountAtOnce) {
  HdrHistogram h;
  EXPECT_TRUE(h.record_n(1000, 250));
  EXPECT_TRUE(h.record_n(3000, 750));
  EXPECT_TRUE(h.record_n(5000, 0));  // nothing recorded
  EXPECT_FALSE(h.record_n(7000, -3));
  EXPECT_EQ(h.total_count(), 1000);
  EXPECT_EQ(h.count_at_index(h.counts_index_for(1000)), 250);
  EXPECT_EQ(h.count_at_index(h.counts_index_for(3000)), 750);
  EXPECT_EQ(h.value_at_percentile(25), 1000);
  EXPECT_EQ(h.value_at_percentile(25.1), h.highest_equivalent_value(3000));
  EXPECT_EQ(h.max(), h.highest_equivalent_value(3000));
  EXPECT_EQ(h.min(), 1000);
  EXPECT_EQ(h.out_of_range_count(), 0);
}

TEST(HdrHistogram, EmptyHistogramReportsZeros) {
  HdrHistogram h;
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stddev(), 0.0);
  EXPECT_EQ(h.sum_approx(), 0);
  EXPECT_EQ(h.value_at_percentile(50), 0);
  EXPECT_TRUE(h.percentile_spectrum().empty());
}

TEST(HdrHistogram, ValueAtPercentileUsesNearestRankWithoutFloatingPointOvershoot) {
  // Values 1..n once each (all below 2048, so exact): the value at p is the rank itself.
  for (int64_t n : {1, 3, 7, 10, 100, 999, 1000, 2000}) {
    HdrHistogram h;
    for (int64_t v = 1; v <= n; ++v) h.record(v);
    // Percentiles in thousandths of a percent, including ones whose product with n is an
    // integer in decimal but not in binary (99.9% of 1000, 0.3% of 1000, 33.3% of 10).
    for (int64_t p_e3 :
         {0, 1, 300, 10'000, 33'300, 50'000, 66'700, 90'000, 99'000, 99'900, 99'990, 100'000}) {
      const int64_t rank = std::max<int64_t>(1, (p_e3 * n + 99'999) / 100'000);
      EXPECT_EQ(h.value_at_percentile(static_cast<double>(p_e3) / 1000.0), rank)
          << "n=" << n << " p=" << p_e3;
    }
  }
}

TEST(HdrHistogram, ValueAtPercentileClampsItsArgument) {
  HdrHistogram h;
  for (int64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.value_at_percentile(-5), 1);
  EXPECT_EQ(h.value_at_percentile(0), 1);
  EXPECT_EQ(h.value_at_percentile(100), 100);
  EXPECT_EQ(h.value_at_percentile(250), 100);
  EXPECT_EQ(h.value_at_percentile(std::nan("")), 1);
}

TEST(HdrHistogram, PercentileSpectrumHalvesItsStepsTowardsOneHundred) {
  HdrHistogram h;
  for (int64_t v = 1; v <= 1000; ++v) h.record(v);
  const auto points = h.percentile_spectrum(5);
  ASSERT_GE(points.size(), 3u);
  EXPECT_EQ(points.front().percentile, 0.0);
  EXPECT_EQ(points.front().value, 1);
  EXPECT_EQ(points.front().count_at_or_below, 1);
  // 0..50% in steps of 10, 50..75% in steps of 5, 75..87.5% in steps of 2.5.
  const double expected_levels[] = {0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80};
  for (size_t i = 0; i < std::size(expected_levels); ++i) {
    EXPECT_DOUBLE_EQ(points[i].percentile, expected_levels[i]);
    if (i > 0) {
      EXPECT_EQ(points[i].value, static_cast<int64_t>(expected_levels[i] * 10)) << i;
    }
  }
  EXPECT_EQ(points.back().percentile, 100.0);
  EXPECT_EQ(points.back().value, 1000);
  EXPECT_EQ(points.back().count_at_or_below, 1000);
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_GT(points[i].percentile, points[i - 1].percentile);
    EXPECT_GE(points[i].value, points[i - 1].value);
    EXPECT_GE(points[i].count_at_or_below, points[i - 1].count_at_or_below);
  }
  // More ticks, more points.
  EXPECT_GT(h.percentile_spectrum(10).size(), points.size());
}

TEST(HdrHistogram, PercentileSpectrumOfOneValueIsTwoPoints) {
  HdrHistogram h;
  h.record_n(42, 7);
  const auto points = h.percentile_spectrum();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].percentile, 0.0);
  EXPECT_EQ(points[1].percentile, 100.0);
  EXPECT_EQ(points[1].value, 42);
  EXPECT_EQ(points[1].count_at_or_below, 7);
}

TEST(HdrHistogram, MergeOfPartsEqualsHistogramOfTheWhole) {
  const auto samples = draw_samples(distributions()[2], 200'000, 7);
  HdrHistogram whole;
  std::vector<HdrHistogram> parts(4);
  for (size_t i = 0; i < samples.size(); ++i) {
    whole.record(samples[i]);
    parts[i % 4].record(samples[i]);
  }
  parts[3].record(-1);
  HdrHistogram merged;
  for (const auto& part : parts) merged.add(part);
  EXPECT_TRUE(merged == whole);
  EXPECT_EQ(merged.total_count(), whole.total_count());
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  EXPECT_EQ(merged.out_of_range_count(), 1);
  for (int64_t p_e2 : kPercentilesE2) {
    const double p = static_cast<double>(p_e2) / 100.0;
    EXPECT_EQ(merged.value_at_percentile(p), whole.value_at_percentile(p)) << p;
  }
  EXPECT_DOUBLE_EQ(merged.mean(), whole.mean());
}

TEST(HdrHistogram, MergeAcrossConfigurationsIsApproximate) {
  const auto samples = draw_samples(distributions()[3], 100'000, 11);
  HdrHistogram reference;
  HdrHistogram coarse = make(1000, 1'000'000'000'000, 2);
  for (int64_t s : samples) {
    reference.record(s);
    coarse.record(s);
  }
  HdrHistogram merged;
  merged.add(coarse);
  EXPECT_FALSE(merged == reference);  // precision was lost on the way
  EXPECT_EQ(merged.total_count(), reference.total_count());
  for (int64_t p_e2 : kPercentilesE2) {
    const double p = static_cast<double>(p_e2) / 100.0;
    const double want = static_cast<double>(reference.value_at_percentile(p));
    // Two significant figures: buckets are at most 1/64 of their value wide.
    EXPECT_NEAR(static_cast<double>(merged.value_at_percentile(p)), want, want / 64 + 1) << p;
  }
}

TEST(HdrHistogram, MergeIntoNarrowerRangeCountsTheOverflow) {
  HdrHistogram wide;
  wide.record(100);
  wide.record_n(2'000'000'000, 3);
  HdrHistogram narrow = make(1, 1'000'000, 3);
  narrow.add(wide);
  EXPECT_EQ(narrow.total_count(), 1);
  EXPECT_EQ(narrow.out_of_range_count(), 3);
  EXPECT_EQ(narrow.max(), 100);
}

TEST(HdrHistogram, ResetForgetsValuesButKeepsConfiguration) {
  HdrHistogram h = make(10, 1'000'000, 2);
  h.record(500);
  h.record(-1);
  h.reset();
  EXPECT_EQ(h.total_count(), 0);
  EXPECT_EQ(h.out_of_range_count(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.significant_figures(), 2);
  EXPECT_TRUE(h == make(10, 1'000'000, 2));
  h.record(80);  // unit 8
  EXPECT_EQ(h.min(), 80);
  EXPECT_EQ(h.max(), 87);
}

TEST(HdrHistogram, EqualityComparesConfigurationAndCounts) {
  HdrHistogram a;
  HdrHistogram b;
  a.record(5);
  EXPECT_FALSE(a == b);
  b.record(5);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(make(1, 1'000'000, 3) == make(1, 1'000'000, 2));
  EXPECT_FALSE(make(1, 1'000'000, 3) == make(1, 2'000'000, 3));
}

TEST(HdrHistogram, ForEachRecordedVisitsNonEmptyBucketsInOrder) {
  HdrHistogram h;
  h.record_n(3000, 2);
  h.record(10);
  std::vector<std::tuple<int64_t, int64_t, int64_t>> seen;
  h.for_each_recorded(
      [&](int64_t lo, int64_t hi, int64_t count) { seen.emplace_back(lo, hi, count); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_tuple(int64_t{10}, int64_t{10}, int64_t{1}));
  EXPECT_EQ(seen[1], std::make_tuple(int64_t{3000}, int64_t{3001}, int64_t{2}));
}

TEST(HdrHistogram, WidestRangeHandlesValuesNearInt64Max) {
  HdrHistogram h = make(1, INT64_MAX, 3);
  EXPECT_TRUE(h.record(INT64_MAX));
  EXPECT_TRUE(h.record(INT64_MAX - 1));
  EXPECT_EQ(h.max(), INT64_MAX);
  EXPECT_EQ(h.value_at_percentile(50), INT64_MAX);
  EXPECT_LT(h.counts_index_for(INT64_MAX), h.counts_len());
}

}  // namespace
}  // namespace nightjar::stats
