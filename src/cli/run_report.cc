#include "cli/run_report.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/interrupt.h"
#include "store/store.h"

namespace nightjar::cli {

RunMonitor::RunMonitor(bool progress) : line_(progress && isatty(STDERR_FILENO) != 0) {
  control_.stop = &install_interrupt_handler();
  control_.on_progress = [this](const load::Progress& p) { line_.update(p); };
}

Result<model::RunResult> run_here_or_on_workers(const load::LoadOptions& options,
                                                const distributed::ControllerOptions* controller,
                                                const load::RunControl& control) {
  return controller != nullptr && !controller->workers.empty()
             ? distributed::run_distributed(options, *controller, control)
             : load::run_load(options, control);
}

void RunSaver::save(const model::RunResult& result) {
  if (targets_.db_path.empty()) return;
  store::SaveInfo info;
  if (!targets_.profile.empty()) info.profile = targets_.profile;
  auto store = store::Store::open(targets_.db_path);
  auto id = store.ok() ? (*store)->save(result, info) : Result<std::string>(store.status());
  if (id.ok()) {
    id_ = *id;
  } else {
    error_ = id.status().message();
  }
}

bool RunSaver::say() const {
  if (targets_.db_path.empty()) return true;
  if (!error_.empty()) {
    std::cerr << "nightjar: error: the run was not saved: " << error_ << "\n";
    return false;
  }
  const bool human = human_on_stdout(targets_);
  (human ? std::cout : std::cerr) << (human ? "\n" : "nightjar: ") << "saved as run " << id_ << "\n";
  return true;
}

namespace {

// Writes the report and returns the run's exit code (see report_run), saving aside.
int report_unsaved(const model::RunResult& result, const ReportTargets& targets) {
  const std::string& output_file = targets.output_file;
  if (!write_reports(result, output::render(result, targets.format), output_file,
                     targets.hlog_file)) {
    return kExitFailure;
  }
  if (!targets.html_file.empty()) {
    if (Status s = write_output(output::render_html(result), targets.html_file); !s.ok()) {
      std::cerr << "nightjar: error: " << s.message() << "\n";
      return kExitFailure;
    }
    std::cout << "\nHTML report: " << std::filesystem::absolute(targets.html_file).string() << "\n";
  }
  // A worker thread that failed (out of memory) also ends the run early, but is no Ctrl-C.
  if (result.interrupted)
    return result.error_details.count("internal") > 0 ? kExitFailure : kExitInterrupted;
  if (result.partial) return kExitFailure;
  if (result.counters.completed == 0 && result.counters.errors() + result.counters.dropped > 0) {
    // A report that is not on the terminal: say on stderr why nothing got through.
    if (targets.format != output::Format::kHuman || (!output_file.empty() && output_file != "-")) {
      for (const auto& [kind, detail] : result.error_details) {
        std::cerr << "nightjar: error: no request succeeded; " << kind << ": " << detail << "\n";
      }
    }
    return kExitFailure;
  }
  const int slo_code = slo_exit_code(result);
  if (slo_code != kExitOk && !human_on_stdout(targets)) {
    if (result.slo_abort.aborted) {
      std::cerr << "nightjar: the run was stopped by SLO '" << result.slo_abort.expr << "'\n";
    }
    for (const model::SloVerdict& v : result.slos) {
      if (!v.pass) std::cerr << "nightjar: SLO failed: " << output::slo_verdict_text(v) << "\n";
    }
  }
  return slo_code;
}

}  // namespace

bool human_on_stdout(const ReportTargets& targets) {
  return targets.format == output::Format::kHuman && (targets.output_file.empty() || targets.output_file == "-");
}

int with_save(int code, bool saved) {
  const bool judged = code == kExitOk || code == kExitGateFailed || code == kExitSloAborted;
  return judged && !saved ? kExitFailure : code;
}

int report_run(const model::RunResult& result, const ReportTargets& targets) {
  RunSaver saver(targets);
  saver.save(result);
  const int code = report_unsaved(result, targets);
  return with_save(code, saver.say());
}

int run_and_report(const load::LoadOptions& options, const ReportTargets& targets, bool progress,
                   const distributed::ControllerOptions* controller, const SloOptions& slos) {
  RunMonitor monitor(progress);
  SloRun slo_run(slos);
  load::RunControl control = monitor.control();
  slo_run.watch(control, options.run.requested_rps);
  auto result = run_here_or_on_workers(options, controller, control);
  monitor.done();
  if (!result.ok()) return error_exit(result.status());
  slo_run.judge(*result);
  return report_run(*result, targets);
}

}  // namespace nightjar::cli
