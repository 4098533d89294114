// Where a worker's per-second intervals begin and end, apart from the statistics they
// hold: which second a time falls in, when the current second closes, and how long the
// run's last, partial second was. Pure: times come in as arguments, read by the caller
// from its Clock, so the seconds are tested in simulated time
// (test/load/interval_roller_test.cc). Not thread-safe: one worker's loop owns it.
//
// Second k covers [measure_start + k s, measure_start + (k+1) s): a completion exactly on
// a boundary belongs to the later second.
#pragma once

#include <cstdint>

#include "common/duration.h"

namespace nightjar::load {

class IntervalRoller {
 public:
  // Second 0 starts at `measure_start_ns` (steady clock).
  void start(int64_t measure_start_ns) {
    measure_start_ns_ = measure_start_ns;
    index_ = 0;
  }

  // The current (open) second: its index since the start of measurement and its bounds.
  int64_t index() const { return index_; }
  int64_t start_ns() const { return measure_start_ns_ + index_ * kNanosPerSecond; }
  int64_t end_ns() const { return start_ns() + kNanosPerSecond; }

  // Whether the current second has ended at `now_ns`: then it is published and next()
  // called, as many times as it takes (an event may come after several quiet seconds).
  bool ended_by(int64_t now_ns) const { return now_ns >= end_ns(); }
  // The current second was published; the next one is open.
  void next() { ++index_; }

  // Which second `t_ns` falls in; negative before the start of measurement (warm-up).
  int64_t second_of(int64_t t_ns) const {
    const int64_t since = t_ns - measure_start_ns_;
    return since >= 0 ? since / kNanosPerSecond : -1 - (-since - 1) / kNanosPerSecond;
  }

  // Whether a run that ended at `end_ns` leaves part of the current second to publish.
  bool partial_at(int64_t end_ns) const { return end_ns > start_ns(); }

  // The current second's length in seconds when it is closed at `closed_at_ns`: 1 for a
  // whole second, less for the run's last one.
  double duration_s(int64_t closed_at_ns) const {
    const int64_t end = closed_at_ns < end_ns() ? closed_at_ns : end_ns();
    return static_cast<double>(end - start_ns()) / 1e9;
  }

 private:
  int64_t measure_start_ns_ = 0;
  int64_t index_ = 0;
};

}  // namespace nightjar::load
