// `nightjar load URL...`: one load test from this machine, or from remote workers.
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/load_flags.h"
#include "cli/run_report.h"

namespace nightjar::cli {
namespace {

int run_load_command(const LoadFlags& f) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto options = build_load_options(f);
  if (!options.ok()) return usage_error(options.status().message());
  if (Status s = check_output_paths(f.output_file, f.hlog_file); !s.ok())
    return usage_error(s.message());
  auto controller = controller_options(f.controller);
  if (!controller.ok()) return usage_error(controller.status().message());
  auto slos = build_slo_options(f.slo, {}, options->run.requested_rps);
  if (!slos.ok()) return usage_error(slos.status().message());
  return run_and_report(
      *options, ReportTargets{*format, f.output_file, f.hlog_file, "", save_path(f.save), ""},
      !f.no_progress, &*controller, *slos);
}

}  // namespace

Command add_load_command(CLI::App& app) {
  return make_command<LoadFlags>(
      app, "load", "Run a load test from this machine",
      [](CLI::App& command, LoadFlags& flags) { add_load_flags(command, flags, true); },
      run_load_command);
}

}  // namespace nightjar::cli
