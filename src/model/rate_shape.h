// The requested rate over time of an open-loop run: constant (--rps), linear ramps between
// targets (--stages), or steps (--pace-file). A shape is a list of segments, each a duration
// over which the rate goes linearly from one value to another; after the last segment the
// rate stays at its end value. Offsets count from the start of the plan (the start of the
// warm-up, when there is one).
//
// What a plan needs from it is the cumulative count of intended arrivals, Λ(t) = ∫₀ᵗ rate,
// and its inverse: arrival i is intended at Λ⁻¹(i) (uniform spacing), and a Poisson stream
// of the shape is a unit-rate one mapped through Λ⁻¹ (time rescaling). Both are closed forms
// per segment (Λ is piecewise quadratic), so a plan stays a pure function of the arrival
// index and splits exactly over threads and workers. Pure; nothing here allocates after
// construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace nightjar::model {

// One segment: over `duration_ns`, the rate goes linearly from `from_rps` to `to_rps`.
struct RateSegment {
  int64_t duration_ns = 0;
  double from_rps = 0;
  double to_rps = 0;
  bool operator==(const RateSegment&) const = default;
};

class RateShape {
 public:
  // Checks the segments: at least one, each with a duration above 0 and rates from 0 to
  // `max_rps`, and some rate above 0 somewhere. Errors name the segment ("stage 2: ...").
  static Result<RateShape> create(std::vector<RateSegment> segments, double max_rps);

  const std::vector<RateSegment>& segments() const { return segments_; }

  // The rate at offset `t_ns` (after the last segment: its end rate).
  double rate_at(int64_t t_ns) const;
  // Λ(t): arrivals intended in [0, t_ns).
  double cumulative(int64_t t_ns) const;
  // Λ⁻¹(x): the earliest offset at which Λ reaches `x` (>= 0); INT64_MAX when it never does
  // (the rate ends at 0 below x).
  int64_t inverse(double x) const;
  // Λ(end) / end in requests per second: the mean rate over [0, end_ns).
  double mean_rps(int64_t end_ns) const;
  // The mean rate over [from_ns, to_ns): what a shaped run requests over its measured window
  // (from the end of the warm-up to the end of the run). 0 for an empty span.
  double mean_rps_over(int64_t from_ns, int64_t to_ns) const;

 private:
  explicit RateShape(std::vector<RateSegment> segments);
  struct Piece {
    int64_t start_ns;
    double cumulative_at_start;  // Λ(start)
  };
  // The segment holding offset t (the last one for t past the end).
  size_t segment_at(int64_t t_ns) const;

  std::vector<RateSegment> segments_;
  std::vector<Piece> pieces_;  // one per segment
};

// `--stages '30s:1000,2m:1000,30s:5000'`: from `start_rps`, a linear ramp over each
// duration to each target. Errors name the stage and say what is wrong.
Result<std::vector<RateSegment>> parse_stages(std::string_view text, double start_rps);
// A pace file: CSV lines `offset,rate` (offset a duration such as 90s or a number of
// seconds; the first offset 0; increasing), '#' comments and blank lines ignored, an
// optional header line `offset,rate`. Each rate holds from its offset to the next; the last
// holds for `last_ns` (the rest of the run). Errors name the line: "FILE:3: ...".
Result<std::vector<RateSegment>> parse_pace_file(std::string_view text, const std::string& source,
                                                 int64_t run_end_ns);

// Limits on a shape (docs/limits.md).
inline constexpr size_t kMaxRateSegments = 100'000;
inline constexpr size_t kMaxPaceFileBytes = size_t{4} << 20;

}  // namespace nightjar::model
