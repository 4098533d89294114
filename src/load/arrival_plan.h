// Arrival plans: when each request of an open-loop run is *intended* to start.
//
// Latency is measured from these intended times, so a stalled server cannot hide behind
// a sender that waited for it (coordinated omission). A plan is a pure function of the
// arrival index, which is what lets a run be split exactly: shard k of n takes arrivals
// k, k+n, k+2n, ... of the same plan, so the union of all shards is the plan itself,
// whether the shards are threads or machines.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "common/random.h"
#include "model/rate_shape.h"

namespace nightjar::load {

// What one shard's walk through a random plan keeps: its own random stream and where that
// stream has got to. Unused by the plans that are functions of the index.
struct ShardState {
  SeededRandom random{0};
  double unit_time = 0;  // the shard's unit-rate Poisson stream: the sum of its gaps so far
};

class ArrivalPlan {
 public:
  virtual ~ArrivalPlan() = default;
  // Nanoseconds from the start of the run at which arrival `index` (0-based) is intended
  // to start. Non-decreasing in index.
  virtual int64_t offset_ns(uint64_t index) const = 0;
  // How many arrivals are intended before `offset_ns` (the first index whose offset is at or
  // after it). In closed form: a warm-up of an hour at millions a second is not counted one
  // arrival at a time.
  virtual uint64_t arrivals_before(int64_t offset_ns) const = 0;

  // Walking shard `shard` of `shards`: the offset of its first arrival (index `shard`), then
  // of each next one (index + shards). A plan that is a function of the index answers
  // offset_ns(index); a random one (PoissonPlan) draws from the shard's own stream.
  virtual int64_t first_offset_ns(uint64_t shard, uint64_t /*shards*/, ShardState& /*state*/) const {
    return offset_ns(shard);
  }
  virtual int64_t next_offset_ns(uint64_t index, uint64_t /*shards*/, ShardState& /*state*/) const {
    return offset_ns(index);
  }
};

// arrivals_before() for a plan whose offset_ns() is non-decreasing and near `estimate`:
// steps from the estimate to the exact boundary.
template <typename Plan>
uint64_t exact_arrivals_before(const Plan& plan, int64_t offset, double estimate) {
  if (offset <= 0) return 0;
  auto n = static_cast<uint64_t>(std::max(0.0, std::ceil(estimate)));
  while (n > 0 && plan.offset_ns(n - 1) >= offset) --n;
  while (plan.offset_ns(n) < offset) ++n;
  return n;
}

// A constant rate: arrival i at floor(i * 1e9 / rate_per_s) ns.
class ConstantRatePlan final : public ArrivalPlan {
 public:
  explicit ConstantRatePlan(double rate_per_s) : ns_per_arrival_(1e9 / rate_per_s) {}
  int64_t offset_ns(uint64_t index) const override {
    return static_cast<int64_t>(static_cast<double>(index) * ns_per_arrival_);
  }
  uint64_t arrivals_before(int64_t offset) const override {
    // The estimate is off by rounding at most.
    return exact_arrivals_before(*this, offset, static_cast<double>(offset) / ns_per_arrival_);
  }

 private:
  const double ns_per_arrival_;
};

// A rate that changes over the run (--stages, --pace-file), arrivals spaced evenly in the
// cumulative count: arrival i at Λ⁻¹(i), so each second gets the integral of the rate over
// it, within one arrival.
class ShapedRatePlan final : public ArrivalPlan {
 public:
  explicit ShapedRatePlan(model::RateShape shape) : shape_(std::move(shape)) {}
  int64_t offset_ns(uint64_t index) const override {
    return shape_.inverse(static_cast<double>(index));
  }
  uint64_t arrivals_before(int64_t offset) const override {
    return exact_arrivals_before(*this, offset, shape_.cumulative(offset));
  }

 private:
  const model::RateShape shape_;
};

// Poisson arrivals (--arrival poisson) at a constant or shaped rate. Each shard of n walks a
// Poisson stream of its own, of 1/n of the rate, drawn from its own seeded generator
// (seed, shard): independent Poisson streams superpose to one of the summed rate, so the
// shards together are a Poisson stream of the whole rate (docs/statistics.md). A shaped rate
// maps a unit-rate stream through Λ⁻¹ (time rescaling), which gives the non-homogeneous
// Poisson process of that rate. offset_ns(i) is the mean: where the i-th arrival is expected
// (what a count bound with a warm-up uses).
class PoissonPlan final : public ArrivalPlan {
 public:
  PoissonPlan(model::RateShape shape, uint64_t seed) : shape_(std::move(shape)), seed_(seed) {}
  int64_t offset_ns(uint64_t index) const override {
    return shape_.inverse(static_cast<double>(index));
  }
  uint64_t arrivals_before(int64_t offset) const override {
    return exact_arrivals_before(*this, offset, shape_.cumulative(offset));
  }
  int64_t first_offset_ns(uint64_t shard, uint64_t shards, ShardState& state) const override {
    uint64_t mix = seed_ ^ (shard * 0x9E3779B97F4A7C15ULL);
    state.random = SeededRandom(splitmix64(mix));
    state.unit_time = 0;
    return next_offset_ns(shard, shards, state);
  }
  int64_t next_offset_ns(uint64_t /*index*/, uint64_t shards, ShardState& state) const override {
    state.unit_time += state.random.next_exponential(1.0);
    return shape_.inverse(state.unit_time * static_cast<double>(shards));
  }

 private:
  const model::RateShape shape_;
  const uint64_t seed_;
};

// Walks one shard of a plan: arrivals shard, shard+shards, ... that start before
// end_offset_ns and whose index is below max_arrivals.
class ShardCursor {
 public:
  ShardCursor(const ArrivalPlan& plan, uint64_t shard, uint64_t shards, int64_t end_offset_ns,
              uint64_t max_arrivals = std::numeric_limits<uint64_t>::max())
      : plan_(plan), shards_(shards), end_offset_ns_(end_offset_ns), max_arrivals_(max_arrivals),
        index_(shard), offset_ns_(plan.first_offset_ns(shard, shards, state_)) {}

  bool done() const { return index_ >= max_arrivals_ || offset_ns_ >= end_offset_ns_; }
  uint64_t index() const { return index_; }
  int64_t offset_ns() const { return offset_ns_; }
  void advance() {
    index_ += shards_;
    offset_ns_ = plan_.next_offset_ns(index_, shards_, state_);
  }

 private:
  const ArrivalPlan& plan_;
  const uint64_t shards_;
  const int64_t end_offset_ns_;
  const uint64_t max_arrivals_;
  uint64_t index_;
  ShardState state_;  // before offset_ns_: the first offset may draw from it
  int64_t offset_ns_;
};

}  // namespace nightjar::load
