#include "findmax/search.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nightjar::findmax {

Status validate(const SearchOptions& o) {
  if (!std::isfinite(o.start_rps) || o.start_rps <= 0) {
    return Status::invalid_argument("--start-rps must be more than 0");
  }
  if (!std::isfinite(o.max_rps) || o.max_rps < o.start_rps) {
    return Status::invalid_argument("--max-rps must be at least --start-rps");
  }
  if (!std::isfinite(o.precision) || o.precision <= 0 || o.precision >= 1) {
    return Status::invalid_argument("--precision must be more than 0% and less than 100%");
  }
  if (o.trials < 1) return Status::invalid_argument("--trials must be at least 1");
  if (o.max_time_ns < 0) return Status::invalid_argument("--max-time must not be negative");
  if (o.max_time_ns > 0 && o.max_time_ns < o.trial_ns) {
    return Status::invalid_argument(
        "--max-time must leave room for one trial (its warm-up, --step-duration and --cool-down)");
  }
  return Status();
}

bool majority_passes(int passed, int trials) { return 2 * passed > trials; }

Search::Search(const SearchOptions& options) : options_(options) {}

std::optional<Trial> Search::next(int64_t elapsed_ns) {
  if (complete_) return std::nullopt;
  if (!step_open_) {
    const std::optional<double> rate = next_rate();
    if (!rate) return std::nullopt;
    step_rps_ = *rate;
    step_trials_run_ = 0;
    step_passed_ = 0;
    step_open_ = true;
  }
  if (options_.max_time_ns > 0 && elapsed_ns + options_.trial_ns > options_.max_time_ns) {
    return std::nullopt;
  }
  return Trial{step_rps_, step_trials_run_ + 1};
}

void Search::record(bool pass) {
  if (!step_open_) return;
  ++step_trials_run_;
  if (pass) ++step_passed_;
  const int failed = step_trials_run_ - step_passed_;
  // Decided once the rest cannot change the majority.
  if (majority_passes(step_passed_, options_.trials)) {
    finish_step(true);
  } else if (!majority_passes(options_.trials - failed, options_.trials)) {
    finish_step(false);
  }
}

void Search::finish_step(bool pass) {
  step_open_ = false;
  if (pass) {
    highest_pass_ = std::max(highest_pass_.value_or(step_rps_), step_rps_);
  } else {
    lowest_fail_ = std::min(lowest_fail_.value_or(step_rps_), step_rps_);
  }
}

std::optional<double> Search::next_rate() {
  if (!highest_pass_ && !lowest_fail_) return options_.start_rps;
  if (!lowest_fail_) {  // exponential phase
    if (*highest_pass_ >= options_.max_rps) {
      complete_ = true;  // the maximum rate met every SLO
      return std::nullopt;
    }
    return std::min(*highest_pass_ * 2, options_.max_rps);
  }
  if (!highest_pass_) {
    complete_ = true;  // the start rate failed
    return std::nullopt;
  }
  const double pass = *highest_pass_;
  const double fail = *lowest_fail_;
  if ((fail - pass) / pass <= options_.precision) {
    complete_ = true;
    return std::nullopt;
  }
  // Whole rates read better; an exact midpoint when no whole rate lies strictly between.
  const double mid = (pass + fail) / 2;
  const double rounded = std::round(mid);
  return rounded > pass && rounded < fail ? rounded : mid;
}

}  // namespace nightjar::findmax
