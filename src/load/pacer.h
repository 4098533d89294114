// The open-loop pacer's decisions, apart from the event loop that carries them out: which
// arrivals of a worker's shard are due at a given time, how many one loop turn may release,
// and when the loop must wake for the next. Pure: the time comes in as `now_ns`, read by
// the caller from its Clock, so the pacing is tested in simulated time
// (test/load/pacer_test.cc). Not thread-safe: one worker's loop owns it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "load/arrival_plan.h"

namespace nightjar::load {

class Pacer {
 public:
  // At most this many arrivals per loop turn: a late wake-up catches up over several turns,
  // and the handlers waiting between them (reads, timeouts, a stop) are never starved.
  static constexpr int kMaxBurst = 4096;

  struct Arrival {
    int64_t intended_ns;  // when it was meant to start (steady clock): latency counts from here
    uint64_t index;       // its index in the whole plan
  };

  // Arrivals shard, shard+shards, ... of `plan`, before `end_offset_ns` and below index
  // `max_arrivals`, for a run that started at `start_ns` (steady clock).
  Pacer(const ArrivalPlan& plan, uint64_t shard, uint64_t shards, int64_t end_offset_ns,
        int64_t start_ns, uint64_t max_arrivals = std::numeric_limits<uint64_t>::max())
      : cursor_(plan, shard, shards, end_offset_ns, max_arrivals), start_ns_(start_ns) {}

  // Begins one loop turn: the burst count starts again.
  void begin_turn() { released_in_turn_ = 0; }

  // The next arrival, taken, if it is due at `now_ns` (intended at or before it) and this
  // turn has not released kMaxBurst yet. Late arrivals keep their intended time.
  std::optional<Arrival> take_due(int64_t now_ns) {
    if (released_in_turn_ >= kMaxBurst || cursor_.done()) return std::nullopt;
    const int64_t intended = start_ns_ + cursor_.offset_ns();
    if (intended > now_ns) return std::nullopt;
    const Arrival arrival{intended, cursor_.index()};
    cursor_.advance();
    ++released_in_turn_;
    return arrival;
  }

  // No arrival is left in the shard.
  bool done() const { return cursor_.done(); }

  // When the loop must wake next: the next arrival's intended time. If that has passed (a
  // capped burst), the loop should run again at once. Only while !done().
  int64_t next_wake_ns() const { return start_ns_ + cursor_.offset_ns(); }

 private:
  ShardCursor cursor_;
  const int64_t start_ns_;
  int released_in_turn_ = 0;
};

}  // namespace nightjar::load
