// HdrHistogram: a high dynamic range histogram of int64 values (nanoseconds here).
//
// Our own implementation (Debian packages no C/C++ one) of Gil Tene's HdrHistogram:
// values from `lowest_discernible_value` to `highest_trackable_value` are kept to
// `significant_figures` decimal digits of precision in constant memory. Recording is O(1)
// and allocation-free; merging two histograms is exact; percentiles are computed for
// exactly the quantile asked for (99 means the 99th percentile, nothing rounded to a
// power of two).
//
// Thread-safety: none. Each thread records into its own histogram; merge them with add().
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"

namespace nightjar::stats {

// One point of a percentile spectrum (see HdrHistogram::percentile_spectrum).
struct PercentilePoint {
  double percentile;          // in [0, 100]
  int64_t value;              // value at that percentile (highest equivalent value)
  int64_t count_at_or_below;  // cumulative count
};

class HdrHistogram {
 public:
  static constexpr int64_t kDefaultLowest = 1;                   // 1 ns
  static constexpr int64_t kDefaultHighest = 3'600'000'000'000;  // 1 hour in ns
  static constexpr int kDefaultSignificantFigures = 3;

  // The default range: 1 ns to 1 hour, 3 significant figures.
  HdrHistogram();

  // Validates the configuration: 1 <= lowest, 2 * lowest <= highest,
  // 1 <= significant_figures <= 5. The error names the offending argument.
  static Result<HdrHistogram> create(int64_t lowest_discernible_value,
                                     int64_t highest_trackable_value, int significant_figures);
  // The counts_len() create() would give, or its error; allocates nothing (the decoder
  // checks a header's demand with it before creating the histogram).
  static Result<int32_t> counts_len_for(int64_t lowest_discernible_value,
                                        int64_t highest_trackable_value, int significant_figures);

  // Records one value (or `count` of it). A value outside [0, highest_trackable_value]
  // is not recorded: it is counted (`count` times) in out_of_range_count() and false is
  // returned. A negative `count` records nothing and returns false.
  bool record(int64_t value) { return record_n(value, 1); }
  bool record_n(int64_t value, int64_t count);

  // Adds every count of `other` to this histogram. Exact when both share a configuration;
  // otherwise each of other's buckets is re-recorded at its median-equivalent value
  // (values beyond this histogram's range go to out_of_range_count()). other's
  // out_of_range_count() is added to this one's.
  void add(const HdrHistogram& other);

  // Forgets every recorded value (configuration is kept).
  void reset();

  int64_t total_count() const { return total_count_; }
  int64_t out_of_range_count() const { return out_of_range_count_; }
  int64_t min() const;    // 0 when empty; lowest equivalent value of the smallest recorded value
  int64_t max() const;    // 0 when empty; highest equivalent value of the largest recorded value
  double mean() const;    // 0 when empty
  double stddev() const;  // 0 when empty
  int64_t sum_approx() const;  // sum of median-equivalent values times counts

  // The value below which `percentile` percent of recorded values fall:
  // the highest equivalent value of the value at rank ceil(percentile/100 * total_count)
  // (at least rank 1). percentile is clamped to [0, 100]. 0 when empty. The rank is computed
  // in floating point with a 1e-14 relative guard, so a decimally exact rank is not overshot
  // (99.9% of 1000 values is rank 999). Unlike HdrHistogram Java, percentile 0 also reports
  // the highest (not lowest) equivalent value of the smallest bucket.
  int64_t value_at_percentile(double percentile) const;

  // The cumulative distribution at exponentially closer percentiles, as HdrHistogram's
  // percentile iterator produces it: `ticks_per_half_distance` points between 0 and 50%,
  // as many between 50% and 75%, and so on, ending with the 100% point. Used for
  // percentile-spectrum charts.
  std::vector<PercentilePoint> percentile_spectrum(int ticks_per_half_distance = 5) const;

  // Calls f(lowest_equivalent_value, highest_equivalent_value, count) for every bucket
  // with a non-zero count, in increasing value order.
  template <typename F>
  void for_each_recorded(F&& f) const {
    for (int32_t i = 0; i < counts_len_; ++i) {
      if (counts_[static_cast<size_t>(i)] != 0) {
        const int64_t v = value_at_index(i);
        f(lowest_equivalent_value(v), highest_equivalent_value(v), counts_[static_cast<size_t>(i)]);
      }
    }
  }

  int64_t lowest_discernible_value() const { return lowest_discernible_value_; }
  int64_t highest_trackable_value() const { return highest_trackable_value_; }
  int significant_figures() const { return significant_figures_; }

  // Equivalence ranges: the values sharing `value`'s bucket. value must be >= 0.
  int64_t lowest_equivalent_value(int64_t value) const;
  int64_t highest_equivalent_value(int64_t value) const;
  int64_t median_equivalent_value(int64_t value) const;
  int64_t size_of_equivalent_value_range(int64_t value) const;
  bool values_are_equivalent(int64_t a, int64_t b) const;

  // Low-level access used by the encoder/decoder.
  int32_t counts_len() const { return counts_len_; }
  int64_t count_at_index(int32_t index) const { return counts_[static_cast<size_t>(index)]; }
  int64_t value_at_index(int32_t index) const;
  int32_t counts_index_for(int64_t value) const;
  // Adds `count` at the bucket index (used when decoding); index must be < counts_len().
  void add_count_at_index(int32_t index, int64_t count);

  bool operator==(const HdrHistogram& other) const;  // same configuration and counts

 private:
  HdrHistogram(int64_t lowest, int64_t highest, int significant_figures);
  int32_t bucket_index_for(int64_t value) const;

  // Constant after construction.
  int64_t lowest_discernible_value_ = 0;
  int64_t highest_trackable_value_ = 0;
  int significant_figures_ = 0;
  int32_t unit_magnitude_ = 0;
  int32_t sub_bucket_half_count_magnitude_ = 0;
  int32_t sub_bucket_count_ = 0;
  int32_t sub_bucket_half_count_ = 0;
  int64_t sub_bucket_mask_ = 0;
  int32_t bucket_count_ = 0;
  int32_t counts_len_ = 0;

  // Recorded state.
  std::vector<int64_t> counts_;
  int64_t total_count_ = 0;
  int64_t out_of_range_count_ = 0;
  int64_t min_value_ = INT64_MAX;  // smallest raw value recorded (bucket value after decode)
  int64_t max_value_ = 0;          // largest raw value recorded (bucket value after decode)
};

}  // namespace nightjar::stats
