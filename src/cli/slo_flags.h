// The SLO flags of a run (`load`, `run`): --slo, --slo-window, --abort-on-slo and
// --abort-grace (docs/slo.md), and what a run does with them: judge the windows as they
// complete and stop the run when one fails (--abort-on-slo), then judge the whole run.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "load/runner.h"
#include "model/run_result.h"
#include "slo/slo.h"

namespace nightjar::cli {

struct SloFlags {
  std::vector<std::string> slos;  // --slo, repeatable
  std::string window;             // --slo-window; "": the whole run only
  bool abort_on_slo = false;      // --abort-on-slo
  std::string abort_grace = "0s"; // --abort-grace
};

// Adds --slo, --slo-window, --abort-on-slo and --abort-grace to `command`.
void add_slo_flags(CLI::App& command, SloFlags& flags);

struct SloOptions {
  std::vector<slo::Slo> slos;
  int64_t window_s = 0;   // 0: the whole run only
  bool abort = false;     // --abort-on-slo
  double grace_s = 0;
};

// The flags' SLOs after `from_file`'s (an SMPS file's slos:), checked against the run's
// requested rate. Errors are usage errors naming the flag (a bad expression shows where).
// --abort-on-slo needs an SLO; it judges windows of --slo-window, 1s when not given.
Result<SloOptions> build_slo_options(const SloFlags& flags, const std::vector<slo::Slo>& from_file,
                                     double requested_rps);

// The SLOs of one run: installs a live judge on a RunControl (--abort-on-slo) and puts the
// verdicts into the result afterwards.
class SloRun {
 public:
  explicit SloRun(SloOptions options) : options_(std::move(options)) {}
  SloRun(const SloRun&) = delete;
  SloRun& operator=(const SloRun&) = delete;

  // With --abort-on-slo, feeds `control`'s completed seconds to a live judge that ends the
  // run early (RunControl::end_early) when a window fails. `control` must not outlive this.
  void watch(load::RunControl& control, double requested_rps);
  // Puts every SLO's verdict (and, when it stopped the run, the abort) into `result`.
  void judge(model::RunResult& result) const;

 private:
  const SloOptions options_;
  std::optional<slo::LiveJudge> live_;
  std::atomic<bool> end_early_{false};
};

// 4 when an SLO aborted the run, 3 when an SLO failed, else 0.
int slo_exit_code(const model::RunResult& result);

}  // namespace nightjar::cli
