// `nightjar run -f TEST.yaml` or `nightjar run --profile NAME`: an SMPS test file, or the one
// a profile holds (profiles.h), every client at once (config/test_plan_runner.h); each
// client's report and the combination. A profile's run is saved linked to it.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/load_flags.h"
#include "cli/profiles.h"
#include "cli/run_report.h"
#include "config/smps_test.h"
#include "config/test_plan_runner.h"

namespace nightjar::cli {
namespace {

struct RunFlags {
  std::string file;
  std::string profile;
  std::string output_format = "human";
  std::string output_file;
  bool no_progress = false;
  std::string hlog_file;
  ControllerFlags controller;
  SaveFlags save;
  SloFlags slo;  // after the file's slos:
};

void add_run_flags(CLI::App& run, RunFlags& f) {
  run.add_option("-f,--file", f.file, "The test file");
  run.add_option("--profile", f.profile,
                 "Run this profile (nightjar profiles) instead of a file; the run is linked to it");
  run.add_option("--output-format", f.output_format, "One of: " + output::format_names())
      ->capture_default_str();
  run.add_option("-o,--output", f.output_file,
                 "Write the report to this file instead of standard output");
  run.add_flag("--no-progress", f.no_progress, "No live progress line");
  run.add_option("--hlog", f.hlog_file, "Also write an HdrHistogram interval log (.hlog)");
  add_controller_flags(run, f.controller);
  add_save_flags(run, f.save);
  add_slo_flags(run, f.slo);
}

// The report of several clients: the human one has each client's report before the
// combination; other formats render the combination alone.
int report_clients(const config::TestPlan& plan, const config::TestPlanResult& outcome,
                   const ReportTargets& targets) {
  const model::RunResult& combined = outcome.combined;
  std::string text = output::render(combined, targets.format);
  if (targets.format == output::Format::kHuman) {
    std::string human;
    for (size_t i = 0; i < outcome.clients.size(); ++i) {
      human += "== " + config::client_label(plan.clients[i]) + "\n" +
               output::render_human(outcome.clients[i]) + "\n";
    }
    text = human + fmt::format("== combined: {} clients\n", outcome.clients.size()) + text;
  }
  RunSaver saver(targets);  // the combination is kept, its clients as its shards
  saver.save(combined);
  const bool written = write_reports(combined, text, targets.output_file, targets.hlog_file);
  const bool saved = saver.say();
  if (!written) return kExitFailure;
  if (combined.interrupted) return kExitInterrupted;
  if (combined.counters.completed == 0 &&
      combined.counters.errors() + combined.counters.dropped > 0) {
    return kExitFailure;
  }
  return with_save(slo_exit_code(combined), saved);
}

// The test of -f FILE or --profile NAME (from the database --db names).
Result<config::TestPlan> read_test(const RunFlags& f) {
  return f.profile.empty() ? read_test_file(f.file) : read_profile(db_path(f.save.db), f.profile);
}

int run_test_file_command(const RunFlags& f) {
  if (!f.file.empty() && !f.profile.empty()) {
    return usage_error("-f and --profile cannot be used together: run a test file or a profile");
  }
  if (f.file.empty() && f.profile.empty())
    return usage_error("run needs -f TEST.yaml or --profile NAME");
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto plan = read_test(f);
  if (!plan.ok()) return error_exit(plan.status());
  if (Status s = check_output_paths(f.output_file, f.hlog_file); !s.ok())
    return usage_error(s.message());
  auto controller = controller_options(f.controller);
  if (!controller.ok()) return usage_error(controller.status().message());
  const bool several = plan->clients.size() > 1;
  if (several && !controller->workers.empty()) {
    return usage_error("--workers runs a test file with one client; this one has " +
                       std::to_string(plan->clients.size()));
  }

  // achieved_rate needs every client to request a rate; their sum is the whole's.
  double requested_rps = 0;
  bool open_loop = true;
  for (const config::TestClient& client : plan->clients) {
    requested_rps += client.options.run.requested_rps;
    open_loop = open_loop && client.options.run.requested_rps > 0;
  }
  if (!open_loop) requested_rps = 0;
  auto slos = build_slo_options(f.slo, plan->slos, requested_rps);
  if (!slos.ok()) return usage_error(slos.status().message());
  if (several && slos->abort) {
    return usage_error("--abort-on-slo judges one client's seconds as they come; this test file has " +
                       std::to_string(plan->clients.size()) + " clients (their SLOs are judged after the run)");
  }

  RunMonitor monitor(!f.no_progress);
  SloRun slo_run(*slos);
  load::RunControl judged = monitor.control();
  slo_run.watch(judged, requested_rps);
  auto outcome =
      config::run_test_plan(*plan, judged,
                            [&](const load::LoadOptions& options, const load::RunControl& control) {
                              return run_here_or_on_workers(options, &*controller, control);
                            });
  monitor.done();
  if (outcome.ok()) slo_run.judge(outcome->combined);
  const ReportTargets targets{*format, f.output_file,     f.hlog_file,
                              "",      save_path(f.save), f.profile};
  if (!several)
    return outcome.ok() ? report_run(outcome->combined, targets) : error_exit(outcome.status());
  if (!outcome.ok()) {
    std::cerr << "nightjar: error: " << outcome.status().message() << "\n";
    return kExitFailure;
  }
  return report_clients(*plan, *outcome, targets);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  return make_command<RunFlags>(
      app, "run", "Run an SMPS test file (YAML or JSON; legacy or camelCase shape) or a profile",
      add_run_flags, run_test_file_command);
}

}  // namespace nightjar::cli
