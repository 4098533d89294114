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

namespace nightjar::load {

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
};

// A constant rate: arrival i at floor(i * 1e9 / rate_per_s) ns.
class ConstantRatePlan final : public ArrivalPlan {
 public:
  explicit ConstantRatePlan(double rate_per_s) : ns_per_arrival_(1e9 / rate_per_s) {}
  int64_t offset_ns(uint64_t index) const override {
    return static_cast<int64_t>(static_cast<double>(index) * ns_per_arrival_);
  }
  uint64_t arrivals_before(int64_t offset) const override {
    if (offset <= 0) return 0;
    // The estimate is off by rounding at most; step to the exact boundary of offset_ns().
    auto n = static_cast<uint64_t>(std::ceil(static_cast<double>(offset) / ns_per_arrival_));
    while (n > 0 && offset_ns(n - 1) >= offset) --n;
    while (offset_ns(n) < offset) ++n;
    return n;
  }

 private:
  const double ns_per_arrival_;
};

// Walks one shard of a plan: arrivals shard, shard+shards, ... that start before
// end_offset_ns and whose index is below max_arrivals.
class ShardCursor {
 public:
  ShardCursor(const ArrivalPlan& plan, uint64_t shard, uint64_t shards, int64_t end_offset_ns,
              uint64_t max_arrivals = std::numeric_limits<uint64_t>::max())
      : plan_(plan), shards_(shards), end_offset_ns_(end_offset_ns), max_arrivals_(max_arrivals),
        index_(shard) {}

  bool done() const { return index_ >= max_arrivals_ || plan_.offset_ns(index_) >= end_offset_ns_; }
  uint64_t index() const { return index_; }
  int64_t offset_ns() const { return plan_.offset_ns(index_); }
  void advance() { index_ += shards_; }

 private:
  const ArrivalPlan& plan_;
  const uint64_t shards_;
  const int64_t end_offset_ns_;
  const uint64_t max_arrivals_;
  uint64_t index_;
};

}  // namespace nightjar::load
