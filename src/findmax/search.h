// The search of `nightjar find-max` (docs/find-max.md): the highest request rate at which a
// service meets every SLO. Exponential search up from a start rate, doubling until a step
// fails (or the maximum rate passes), then bisection between the highest passing and the
// lowest failing rate until they are within the precision.
//
// A step is one rate tried `trials` times; it passes when a strict majority of its trials
// pass (ties fail), so one noisy trial cannot decide. A step stops early once its majority
// is decided. The time budget is checked before each trial: a trial that would not end
// within it is not started, and the search ends incomplete.
//
// Pure: no I/O, no clock (the caller passes the elapsed time), no threads. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/status.h"

namespace nightjar::findmax {

struct SearchOptions {
  double start_rps = 100;      // the first rate tried; > 0
  double max_rps = 1'000'000;  // never tried above; >= start_rps
  double precision = 0.02;     // stop when (failing - passing) / passing <= this; in (0, 1)
  int trials = 3;              // per step, >= 1
  int64_t trial_ns = 0;        // how long one trial lasts (its warm-up and cool-down included)
  int64_t max_time_ns = 0;     // the whole search's budget; 0: none
};

// Errors: InvalidArgument naming the option's flag (--start-rps, --max-rps, --precision,
// --trials, --max-time; a budget shorter than one trial is refused).
Status validate(const SearchOptions& options);

// The trial to run next.
struct Trial {
  double rps = 0;
  int trial = 0;  // 1-based within its step
};

// Whether a step's trials pass it: a strict majority of `trials` passed.
bool majority_passes(int passed, int trials);

class Search {
 public:
  // `options` must be valid (validate).
  explicit Search(const SearchOptions& options);

  // The trial to run when `elapsed_ns` of the budget are spent; nullopt when the search is
  // over: found (complete()) or out of time.
  std::optional<Trial> next(int64_t elapsed_ns);
  // The outcome of the trial next() returned.
  void record(bool pass);

  // The highest rate whose step passed; nullopt when none did.
  std::optional<double> max_rps() const { return highest_pass_; }
  // The lowest rate whose step failed; nullopt when none did.
  std::optional<double> first_failing_rps() const { return lowest_fail_; }
  // True once the search reached its answer (rather than running out of time).
  bool complete() const { return complete_; }

 private:
  void finish_step(bool pass);
  // The next step's rate, or nullopt when the answer is known (sets complete_).
  std::optional<double> next_rate();

  // Constant after construction.
  const SearchOptions options_;

  std::optional<double> highest_pass_;
  std::optional<double> lowest_fail_;
  double step_rps_ = 0;      // the rate of the step under way
  int step_trials_run_ = 0;  // of the step under way
  int step_passed_ = 0;
  bool step_open_ = false;   // a step is under way
  bool complete_ = false;
};

}  // namespace nightjar::findmax
