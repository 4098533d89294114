#include "stats/hdr_histogram.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace nightjar::stats {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// floor(log2(value)) for value >= 1. Exact, unlike the log()/log(2) of the Java code, which
// agrees for every value a valid configuration can have.
int32_t floor_log2(uint64_t value) { return 63 - std::countl_zero(value); }

// Smallest m with 2^m >= value (value >= 1).
int32_t ceil_log2(uint64_t value) { return value <= 1 ? 0 : 64 - std::countl_zero(value - 1); }

struct Layout {
  int32_t unit_magnitude;
  int32_t sub_bucket_half_count_magnitude;
};

Layout layout_for(int64_t lowest, int significant_figures) {
  int64_t largest_value_with_single_unit_resolution = 2;
  for (int i = 0; i < significant_figures; ++i) largest_value_with_single_unit_resolution *= 10;
  const int32_t sub_bucket_count_magnitude =
      ceil_log2(static_cast<uint64_t>(largest_value_with_single_unit_resolution));
  return {floor_log2(static_cast<uint64_t>(lowest)), std::max(sub_bucket_count_magnitude, 1) - 1};
}

// Buckets double the covered range each; the first covers sub_bucket_count units.
int32_t buckets_needed(const Layout& layout, int64_t highest) {
  int64_t smallest_untrackable_value =
      int64_t{2} << (layout.sub_bucket_half_count_magnitude + layout.unit_magnitude);
  int32_t buckets = 1;
  while (smallest_untrackable_value <= highest) {
    if (smallest_untrackable_value > kInt64Max / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable_value <<= 1;
    ++buckets;
  }
  return buckets;
}

}  // namespace

HdrHistogram::HdrHistogram()
    : HdrHistogram(kDefaultLowest, kDefaultHighest, kDefaultSignificantFigures) {}

HdrHistogram::HdrHistogram(int64_t lowest, int64_t highest, int significant_figures)
    : lowest_discernible_value_(lowest),
      highest_trackable_value_(highest),
      significant_figures_(significant_figures) {
  const Layout layout = layout_for(lowest, significant_figures);
  unit_magnitude_ = layout.unit_magnitude;
  sub_bucket_half_count_magnitude_ = layout.sub_bucket_half_count_magnitude;
  sub_bucket_count_ = int32_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (int64_t{sub_bucket_count_} - 1) << unit_magnitude_;
  bucket_count_ = buckets_needed(layout, highest);
  counts_len_ = (bucket_count_ + 1) * sub_bucket_half_count_;
  counts_.assign(static_cast<size_t>(counts_len_), 0);
}

Result<int32_t> HdrHistogram::counts_len_for(int64_t lowest_discernible_value,
                                             int64_t highest_trackable_value,
                                             int significant_figures) {
  if (lowest_discernible_value < 1) {
    return Status::invalid_argument("lowest_discernible_value must be >= 1, got " +
                                    std::to_string(lowest_discernible_value));
  }
  if (significant_figures < 1 || significant_figures > 5) {
    return Status::invalid_argument("significant_figures must be in [1, 5], got " +
                                    std::to_string(significant_figures));
  }
  if (highest_trackable_value / 2 < lowest_discernible_value) {
    return Status::invalid_argument(
        "highest_trackable_value must be >= 2 * lowest_discernible_value, got " +
        std::to_string(highest_trackable_value) + " with lowest " +
        std::to_string(lowest_discernible_value));
  }
  // Values are shifted by unit magnitude plus the sub-bucket magnitude; beyond 61 bits the
  // bucket arithmetic would overflow an int64.
  const Layout layout = layout_for(lowest_discernible_value, significant_figures);
  if (layout.unit_magnitude + layout.sub_bucket_half_count_magnitude > 61) {
    return Status::invalid_argument(
        "lowest_discernible_value " + std::to_string(lowest_discernible_value) +
        " is too large for " + std::to_string(significant_figures) + " significant figures");
  }
  // At most 64 buckets of at most 2^17 sub-buckets: fits an int32.
  return (buckets_needed(layout, highest_trackable_value) + 1) *
         (int32_t{1} << layout.sub_bucket_half_count_magnitude);
}

Result<HdrHistogram> HdrHistogram::create(int64_t lowest_discernible_value,
                                          int64_t highest_trackable_value,
                                          int significant_figures) {
  auto counts_len =
      counts_len_for(lowest_discernible_value, highest_trackable_value, significant_figures);
  if (!counts_len.ok()) return counts_len.status();
  return HdrHistogram(lowest_discernible_value, highest_trackable_value, significant_figures);
}

bool HdrHistogram::record_n(int64_t value, int64_t count) {
  if (count < 0) return false;
  if (value < 0 || value > highest_trackable_value_) {
    out_of_range_count_ += count;
    return false;
  }
  if (count == 0) return true;
  counts_[static_cast<size_t>(counts_index_for(value))] += count;
  total_count_ += count;
  min_value_ = std::min(min_value_, value);
  max_value_ = std::max(max_value_, value);
  return true;
}

void HdrHistogram::add(const HdrHistogram& other) {
  out_of_range_count_ += other.out_of_range_count_;
  if (other.total_count_ == 0) return;
  const bool same_layout =
      unit_magnitude_ == other.unit_magnitude_ &&
      sub_bucket_half_count_magnitude_ == other.sub_bucket_half_count_magnitude_ &&
      other.counts_len_ <= counts_len_ &&
      other.highest_trackable_value_ <= highest_trackable_value_;
  if (same_layout) {
    // Same index -> value mapping: bucket i means the same values in both histograms.
    for (int32_t i = 0; i < other.counts_len_; ++i) {
      counts_[static_cast<size_t>(i)] += other.counts_[static_cast<size_t>(i)];
    }
    total_count_ += other.total_count_;
    min_value_ = std::min(min_value_, other.min_value_);
    max_value_ = std::max(max_value_, other.max_value_);
    return;
  }
  other.for_each_recorded([this, &other](int64_t lowest, int64_t /*highest*/, int64_t count) {
    record_n(other.median_equivalent_value(lowest), count);
  });
}

void HdrHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = 0;
  out_of_range_count_ = 0;
  min_value_ = kInt64Max;
  max_value_ = 0;
}

int64_t HdrHistogram::min() const {
  return total_count_ == 0 ? 0 : lowest_equivalent_value(min_value_);
}

int64_t HdrHistogram::max() const {
  return total_count_ == 0 ? 0 : highest_equivalent_value(max_value_);
}

double HdrHistogram::mean() const {
  if (total_count_ == 0) return 0.0;
  double total = 0.0;
  for (int32_t i = 0; i < counts_len_; ++i) {
    const int64_t count = counts_[static_cast<size_t>(i)];
    if (count != 0)
      total += static_cast<double>(median_equivalent_value(value_at_index(i))) *
               static_cast<double>(count);
  }
  return total / static_cast<double>(total_count_);
}

double HdrHistogram::stddev() const {
  if (total_count_ == 0) return 0.0;
  const double mean_value = mean();
  double sum_of_squares = 0.0;
  for (int32_t i = 0; i < counts_len_; ++i) {
    const int64_t count = counts_[static_cast<size_t>(i)];
    if (count == 0) continue;
    const double deviation =
        static_cast<double>(median_equivalent_value(value_at_index(i))) - mean_value;
    sum_of_squares += deviation * deviation * static_cast<double>(count);
  }
  return std::sqrt(sum_of_squares / static_cast<double>(total_count_));
}

int64_t HdrHistogram::sum_approx() const {
  // Saturates instead of overflowing: a billion hour-long samples exceed int64.
  int64_t sum = 0;
  for (int32_t i = 0; i < counts_len_; ++i) {
    const int64_t count = counts_[static_cast<size_t>(i)];
    if (count == 0) continue;
    int64_t product = 0;
    if (__builtin_mul_overflow(median_equivalent_value(value_at_index(i)), count, &product) ||
        __builtin_add_overflow(sum, product, &sum)) {
      return kInt64Max;
    }
  }
  return sum;
}

int64_t HdrHistogram::value_at_percentile(double percentile) const {
  if (total_count_ == 0) return 0;
  if (!(percentile > 0.0)) percentile = 0.0;  // also maps NaN to 0
  if (percentile >= 100.0) return max();
  // Nearest rank: ceil(p/100 * n). The product is computed in binary floating point, so a
  // rank that is an exact integer in decimal (99.9% of 1000 = 999) can come out a hair above
  // it (999.0000000000001) and ceil would overshoot by one. That rounding error is a few
  // 1e-16 relative; shrinking by 1e-14 relative absorbs it while staying below any real
  // fractional part for percentiles given with up to ~6 decimals and counts up to ~10^12.
  // (HdrHistogram Java instead steps the percentile one ulp down, a similar size.)
  const double fp_rank = percentile / 100.0 * static_cast<double>(total_count_);
  int64_t rank = static_cast<int64_t>(std::ceil(fp_rank * (1.0 - 1e-14)));
  rank = std::clamp<int64_t>(rank, 1, total_count_);
  int64_t cumulative = 0;
  for (int32_t i = 0; i < counts_len_; ++i) {
    cumulative += counts_[static_cast<size_t>(i)];
    if (cumulative >= rank) return highest_equivalent_value(value_at_index(i));
  }
  return max();  // unreachable while counts sum to total_count_
}

std::vector<PercentilePoint> HdrHistogram::percentile_spectrum(int ticks_per_half_distance) const {
  std::vector<PercentilePoint> points;
  if (total_count_ == 0) return points;
  const double ticks = static_cast<double>(std::max(ticks_per_half_distance, 1));
  const double total = static_cast<double>(total_count_);
  double level = 0.0;  // the next percentile to report
  int64_t cumulative = 0;
  for (int32_t i = 0; i < counts_len_; ++i) {
    const int64_t count = counts_[static_cast<size_t>(i)];
    if (count == 0) continue;
    cumulative += count;
    const int64_t value = highest_equivalent_value(value_at_index(i));
    // A bucket may satisfy several levels; it is reported once per level, like Java's iterator.
    while (100.0 * static_cast<double>(cumulative) / total >= level) {
      points.push_back({level, value, cumulative});
      if (cumulative == total_count_) {
        points.push_back({100.0, value, cumulative});
        return points;
      }
      // Java: ticks * 2^(floor(log2(100 / (100 - level))) + 1) steps per 100%, so the step
      // halves each time the remaining distance to 100% halves.
      const double remaining = 100.0 - level;
      const double halvings = remaining > 0.0 ? std::log(100.0 / remaining) / std::log(2.0) : 62.0;
      const double exponent = std::min(std::floor(halvings), 61.0) + 1.0;
      const double next_level =
          level + 100.0 / (ticks * std::ldexp(1.0, static_cast<int>(exponent)));
      if (next_level <= level) break;  // steps below double resolution: move to the next bucket
      level = next_level;
    }
  }
  return points;  // unreachable while counts sum to total_count_
}

int32_t HdrHistogram::bucket_index_for(int64_t value) const {
  assert(value >= 0);
  // The bucket is the power of two above the value, counted from the first bucket's range;
  // or-ing the mask puts every value below the first bucket's top into bucket 0.
  const int32_t pow2_ceiling =
      64 - std::countl_zero(static_cast<uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
}

int32_t HdrHistogram::counts_index_for(int64_t value) const {
  const int32_t bucket_index = bucket_index_for(value);
  const int32_t sub_bucket_index = static_cast<int32_t>(value >> (bucket_index + unit_magnitude_));
  // Buckets after the first share their lower half with the previous bucket, so each
  // contributes only its upper half (sub_bucket_half_count entries) to the counts array.
  return ((bucket_index + 1) << sub_bucket_half_count_magnitude_) +
         (sub_bucket_index - sub_bucket_half_count_);
}

int64_t HdrHistogram::value_at_index(int32_t index) const {
  int32_t bucket_index = (index >> sub_bucket_half_count_magnitude_) - 1;
  int32_t sub_bucket_index = (index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket_index < 0) {
    sub_bucket_index -= sub_bucket_half_count_;
    bucket_index = 0;
  }
  return int64_t{sub_bucket_index} << (bucket_index + unit_magnitude_);
}

int64_t HdrHistogram::size_of_equivalent_value_range(int64_t value) const {
  return int64_t{1} << (unit_magnitude_ + bucket_index_for(value));
}

int64_t HdrHistogram::lowest_equivalent_value(int64_t value) const {
  const int32_t shift = unit_magnitude_ + bucket_index_for(value);
  return (value >> shift) << shift;
}

int64_t HdrHistogram::highest_equivalent_value(int64_t value) const {
  // Saturates for the topmost bucket of a histogram reaching INT64_MAX.
  const int64_t lowest = lowest_equivalent_value(value);
  const int64_t size = size_of_equivalent_value_range(value);
  return lowest > kInt64Max - size ? kInt64Max : lowest + size - 1;
}

int64_t HdrHistogram::median_equivalent_value(int64_t value) const {
  return lowest_equivalent_value(value) + (size_of_equivalent_value_range(value) >> 1);
}

bool HdrHistogram::values_are_equivalent(int64_t a, int64_t b) const {
  return lowest_equivalent_value(a) == lowest_equivalent_value(b);
}

void HdrHistogram::add_count_at_index(int32_t index, int64_t count) {
  assert(index >= 0 && index < counts_len_);
  if (count == 0) return;
  counts_[static_cast<size_t>(index)] += count;
  total_count_ += count;
  const int64_t value = value_at_index(index);
  min_value_ = std::min(min_value_, value);
  max_value_ = std::max(max_value_, value);
}

bool HdrHistogram::operator==(const HdrHistogram& other) const {
  return lowest_discernible_value_ == other.lowest_discernible_value_ &&
         highest_trackable_value_ == other.highest_trackable_value_ &&
         significant_figures_ == other.significant_figures_ && total_count_ == other.total_count_ &&
         counts_ == other.counts_;
}

}  // namespace nightjar::stats
