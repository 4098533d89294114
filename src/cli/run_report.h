// A load test started from the command line, from the run to the report: Ctrl-C and the
// progress line around the run, then the report written where the flags say and the exit
// code that follows from the result. Shared by `load`, `run` and `demo`.
#pragma once

#include <string>

#include "cli/progress_line.h"
#include "cli/slo_flags.h"
#include "distributed/controller.h"
#include "load/runner.h"
#include "model/run_result.h"
#include "output/formatters.h"

namespace nightjar::cli {

// Where and how a run's report goes.
struct ReportTargets {
  output::Format format = output::Format::kHuman;
  std::string output_file;  // empty or "-": standard output
  std::string hlog_file;    // empty: none
  std::string html_file;    // empty: none; else also the HTML report, and a line saying where
  std::string db_path;      // empty: not saved; else the results database the run is kept in
  std::string profile;      // the profile the run was started from (`run --profile`); empty: none
};

// Keeps `result` in targets.db_path (nothing when it is empty), linked to targets.profile when
// it names one, and says so after the report:
// "saved as run ID" at the end of a human report on standard output, on standard error
// otherwise. A save that fails is said on standard error. Call `save` before writing the
// report and `say` after it.
class RunSaver {
 public:
  explicit RunSaver(const ReportTargets& targets) : targets_(targets) {}
  void save(const model::RunResult& result);
  // Prints the line; returns false when the save failed (the run's exit code becomes 1).
  bool say() const;

 private:
  const ReportTargets& targets_;
  std::string id_;
  std::string error_;
};

// The control of one run from the command line: Ctrl-C or SIGTERM stops it (interrupt.h);
// with `progress`, and standard error on a terminal, the progress line shows it.
class RunMonitor {
 public:
  explicit RunMonitor(bool progress);
  RunMonitor(const RunMonitor&) = delete;
  RunMonitor& operator=(const RunMonitor&) = delete;

  const load::RunControl& control() const { return control_; }
  // Erases the progress line; call once the run ended, before anything is printed.
  void done() { line_.clear(); }

 private:
  ProgressLine line_;
  load::RunControl control_;
};

// Runs `options` on the workers `controller` names, or on this machine when it is null or
// names none.
Result<model::RunResult> run_here_or_on_workers(const load::LoadOptions& options,
                                                const distributed::ControllerOptions* controller,
                                                const load::RunControl& control);

// Saves a finished run (targets.db_path), writes its report and returns the exit code, the
// first that applies: 1 when a report cannot be written; 130 interrupted (1 when a worker
// thread failed); 1 when the distributed result is partial or no request succeeded (then,
// when the report is not the human one on the terminal, standard error says why); 4 when an
// SLO aborted the run; 3 when an SLO failed (standard error names it when the report is not
// the human one on the terminal); 1 when the run cannot be saved; else 0.
int report_run(const model::RunResult& result, const ReportTargets& targets);

// Runs the load test (on `controller`'s workers when it names any) under a RunMonitor,
// judges `slos` and reports it; returns the exit code (2 or 1 when the run cannot start).
int run_and_report(const load::LoadOptions& options, const ReportTargets& targets, bool progress,
                   const distributed::ControllerOptions* controller = nullptr, const SloOptions& slos = {});

// Whether the report goes to standard output in the human form (the terminal).
bool human_on_stdout(const ReportTargets& targets);

// The exit code a saved run ends with: `code` (report_run's without the save), or 1 when
// the save failed and the code was 0, 3 or 4.
int with_save(int code, bool saved);

}  // namespace nightjar::cli
