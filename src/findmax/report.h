// What `nightjar find-max` found (docs/find-max.md), and its outputs: a table for people,
// JSON (also the experiment's summary in the results store) and a self-contained HTML page
// charting latency and achieved rate against the requested rate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "findmax/search.h"
#include "model/run_result.h"

namespace nightjar::findmax {

// One trial of one step: a run at a requested rate, judged against every SLO.
struct TrialRecord {
  double rps = 0;  // requested
  int trial = 0;   // 1-based within its step
  bool pass = false;
  std::vector<model::SloVerdict> slos;
  int64_t p50_ns = 0;  // latency percentiles of the whole trial (0: no sample)
  int64_t p90_ns = 0;
  int64_t p99_ns = 0;
  int64_t p999_ns = 0;
  double error_rate = 0;    // requests with no response / requests that ended
  double achieved_rps = 0;  // responses per second
  std::string run_id;       // its ID in the results store; "": not saved
};

// The record of one run (its verdicts already judged) at `rps`, trial `trial`.
TrialRecord trial_record(const model::RunResult& result, double rps, int trial);

struct Report {
  std::vector<std::string> urls;
  std::vector<std::string> slos;  // the expressions, as given
  SearchOptions search;
  int64_t step_duration_ns = 0;
  int64_t cool_down_ns = 0;
  std::optional<double> max_rps;            // the highest rate whose step passed
  std::optional<double> first_failing_rps;  // the lowest rate whose step failed
  bool complete = false;     // the search reached its answer
  bool out_of_time = false;  // --max-time ended it
  bool interrupted = false;  // Ctrl-C ended it
  std::vector<TrialRecord> steps;  // every trial, in the order run
  std::string experiment_id;       // "": not saved
  std::optional<double> closed_loop_rps;  // --also-closed-loop: the closed loop's achieved rate
};

// The first trial at first_failing_rps that failed, whose failed verdicts say why; null
// when no step failed.
const TrialRecord* first_failure(const Report& report);

std::string render_json(const Report& report);
std::string render_human(const Report& report);
std::string render_html(const Report& report);

}  // namespace nightjar::findmax
