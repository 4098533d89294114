// `nightjar find-max URL... --slo EXPR...`: the highest request rate that meets every SLO
// (docs/find-max.md). The search (src/findmax/search.h) decides the rates; each trial is an
// open-loop run of the same code path as `nightjar load`, judged against the SLOs and kept in
// the results store under one experiment.
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/load_flags.h"
#include "cli/run_report.h"
#include "common/clock.h"
#include "common/duration.h"
#include "findmax/report.h"
#include "findmax/search.h"
#include "store/store.h"

namespace nightjar::cli {
namespace {

struct FindMaxFlags {
  LoadFlags load;  // the test (URLs, connections, protocol, ...), --slo, --db, --no-save
  double start_rps = 100;
  double max_rps = 1'000'000;
  std::string step_duration = "10s";
  std::string precision = "2%";
  int trials = 3;
  std::string cool_down = "2s";
  std::string max_time;  // "": no budget
  bool also_closed_loop = false;
  std::string output_format = "human";
  std::string output_file;
  bool no_progress = false;
};

void add_find_max_flags(CLI::App& cmd, FindMaxFlags& f) {
  add_test_flags(cmd, f.load, true);
  // find-max sets the rate and the length of every trial itself.
  for (const char* name : {"--rps", "--stages", "--start-rps", "--pace-file", "--duration",
                           "--requests"}) {
    cmd.remove_option(cmd.get_option(name));
  }
  add_slo_flags(cmd, f.load.slo);
  add_save_flags(cmd, f.load.save);
  add_controller_flags(cmd, f.load.controller);
  cmd.add_option("--start-rps", f.start_rps, "The first rate tried")->capture_default_str();
  cmd.add_option("--max-rps", f.max_rps, "Never try a rate above this")->capture_default_str();
  cmd.add_option("--step-duration", f.step_duration, "How long each trial measures")
      ->capture_default_str();
  cmd.add_option("--precision", f.precision,
                 "Stop when (first failing - max passing) / max passing is at most this "
                 "(a percentage, or a fraction)")
      ->capture_default_str();
  cmd.add_option("--trials", f.trials,
                 "Trials per rate; a rate passes when a strict majority of them pass every SLO")
      ->capture_default_str();
  cmd.add_option("--cool-down", f.cool_down, "Pause before every trial but the first")
      ->capture_default_str();
  cmd.add_option("--max-time", f.max_time,
                 "Budget of the whole search; when the next trial would overrun it, stop and "
                 "report what is known (marked incomplete)");
  cmd.add_flag("--also-closed-loop", f.also_closed_loop,
               "Also run one closed loop (same connections, --step-duration) and report its "
               "achieved rate beside the open-loop maximum");
  cmd.add_option("--output-format", f.output_format, "One of: human, json, html")
      ->capture_default_str();
  cmd.add_option("-o,--output", f.output_file,
                 "Write the report to this file instead of standard output");
  cmd.add_flag("--no-progress", f.no_progress,
               "No live progress line (it is only shown on a terminal)");
}

// "2%" -> 0.02; "0.02" -> 0.02.
Result<double> parse_precision(const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  try {
    size_t used = 0;
    const double value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(text);
    return percent ? value / 100 : value;
  } catch (const std::exception&) {
    return Status::invalid_argument("--precision: '" + text + "' is not a percentage (e.g. 2%)");
  }
}

Result<int64_t> duration_flag(const std::string& flag, const std::string& text) {
  auto ns = parse_duration_ns(text);
  if (!ns.ok()) return Status::invalid_argument(flag + ": " + ns.status().message());
  if (*ns < 0) return Status::invalid_argument(flag + " must not be negative");
  return *ns;
}

// Waits `ns`, or less when Ctrl-C comes; false when it came.
bool cool_down(int64_t ns, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

// No response at all, only errors or drops: the target is not there (refused, unresolvable
// TLS, ...), which is no rate's verdict.
bool nothing_got_through(const model::RunResult& result) {
  return result.counters.completed == 0 && result.counters.errors() + result.counters.dropped > 0;
}

// The store the trials are kept in, and their experiment; empty with --no-save.
struct Keeper {
  std::unique_ptr<store::Store> store;
  std::string experiment_id;
};

class FindMax {
 public:
  FindMax(const FindMaxFlags& flags, findmax::SearchOptions search, SloOptions slos,
          int64_t step_ns, int64_t cool_down_ns, distributed::ControllerOptions controller)
      : f_(flags), search_options_(search), slos_(std::move(slos)), step_ns_(step_ns),
        cool_down_ns_(cool_down_ns), controller_(std::move(controller)) {
    report_.urls = flags.load.urls;
    for (const slo::Slo& s : slos_.slos) report_.slos.push_back(s.expr);
    report_.search = search;
    report_.step_duration_ns = step_ns;
    report_.cool_down_ns = cool_down_ns;
  }

  // Runs the search; an error when a trial cannot run at all.
  Status run(Keeper& keeper) {
    RunMonitor monitor(!f_.no_progress);
    const std::atomic<bool>& stop = *monitor.control().stop;
    findmax::Search search(search_options_);
    const Clock& clock = system_clock();
    const int64_t start_ns = clock.steady_ns();
    bool first = true;
    while (true) {
      auto trial = search.next(clock.steady_ns() - start_ns);
      if (!trial) break;
      if (!first && !cool_down(cool_down_ns_, stop)) break;
      first = false;
      auto result = run_trial(trial->rps, monitor);
      if (!result.ok()) return result.status();
      if (result->interrupted) break;
      if (report_.steps.empty() && nothing_got_through(*result)) {
        std::string why = "no request succeeded at the start rate";
        for (const auto& [kind, detail] : result->error_details) why += "; " + kind + ": " + detail;
        return Status::unavailable(why);
      }
      findmax::TrialRecord record = findmax::trial_record(*result, trial->rps, trial->trial);
      record.run_id = save(*result, keeper);
      search.record(record.pass);
      report_.steps.push_back(std::move(record));
    }
    report_.interrupted = stop.load();
    report_.complete = search.complete();
    report_.out_of_time = !report_.complete && !report_.interrupted;
    report_.max_rps = search.max_rps();
    report_.first_failing_rps = search.first_failing_rps();
    if (f_.also_closed_loop && !report_.interrupted && cool_down(cool_down_ns_, stop)) {
      auto closed = run_trial(0, monitor);
      if (!closed.ok()) return closed.status();
      if (!closed->interrupted) {
        report_.closed_loop_rps = closed->achieved_rps();
        save(*closed, keeper);
      }
      report_.interrupted = stop.load();
    }
    monitor.done();
    return Status();
  }

  const findmax::Report& report() const { return report_; }

 private:
  // One run at `rps` (0: closed loop), judged against the SLOs.
  Result<model::RunResult> run_trial(double rps, RunMonitor& monitor) {
    LoadFlags flags = f_.load;
    flags.rps = rps;
    flags.duration = format_duration_ns(step_ns_);
    flags.duration_given = true;
    auto options = build_load_options(flags);
    if (!options.ok()) return options.status();
    // The closed loop (rps 0) is measured, not judged: it has no requested rate.
    SloRun slo_run(slos_);
    load::RunControl control = monitor.control();
    if (rps > 0) slo_run.watch(control, rps);
    auto result = run_here_or_on_workers(*options, &controller_, control);
    if (!result.ok()) return result.status();
    if (rps > 0) slo_run.judge(*result);
    return result;
  }

  std::string save(const model::RunResult& result, Keeper& keeper) {
    if (!keeper.store) return "";
    store::SaveInfo info;
    info.experiment = keeper.experiment_id;
    auto id = keeper.store->save(result, info);
    if (!id.ok()) {
      std::cerr << "nightjar: error: a trial was not saved: " << id.status().message() << "\n";
      save_failed_ = true;
      return "";
    }
    return *id;
  }

 public:
  bool save_failed() const { return save_failed_; }

 private:
  const FindMaxFlags& f_;
  const findmax::SearchOptions search_options_;
  const SloOptions slos_;
  const int64_t step_ns_;
  const int64_t cool_down_ns_;
  const distributed::ControllerOptions controller_;  // no workers: trials run here
  findmax::Report report_;
  bool save_failed_ = false;
};

int run_find_max_command(const FindMaxFlags& f) {
  if (f.output_format != "human" && f.output_format != "json" && f.output_format != "html") {
    return usage_error("--output-format: find-max writes human, json or html, not '" +
                       f.output_format + "'");
  }
  if (f.load.slo.slos.empty()) {
    return usage_error("find-max needs at least one --slo: the rate it finds is the highest that meets them");
  }
  auto precision = parse_precision(f.precision);
  if (!precision.ok()) return usage_error(precision.status().message());
  auto step_ns = duration_flag("--step-duration", f.step_duration);
  if (!step_ns.ok()) return usage_error(step_ns.status().message());
  if (*step_ns <= 0) return usage_error("--step-duration must be more than 0");
  auto cool_down_ns = duration_flag("--cool-down", f.cool_down);
  if (!cool_down_ns.ok()) return usage_error(cool_down_ns.status().message());
  int64_t max_time_ns = 0;
  if (!f.max_time.empty()) {
    auto budget = duration_flag("--max-time", f.max_time);
    if (!budget.ok()) return usage_error(budget.status().message());
    max_time_ns = *budget;
  }
  auto warmup_ns = duration_flag("--warmup", f.load.warmup);
  if (!warmup_ns.ok()) return usage_error(warmup_ns.status().message());
  findmax::SearchOptions search{.start_rps = f.start_rps,
                                .max_rps = f.max_rps,
                                .precision = *precision,
                                .trials = f.trials,
                                .trial_ns = *warmup_ns + *step_ns + *cool_down_ns,
                                .max_time_ns = max_time_ns};
  if (Status s = findmax::validate(search); !s.ok()) return usage_error(s.message());
  auto slos = build_slo_options(f.load.slo, {}, f.start_rps);
  if (!slos.ok()) return usage_error(slos.status().message());
  {  // Every flag of the test, checked once before anything runs.
    LoadFlags first = f.load;
    first.rps = f.start_rps;
    first.duration = f.step_duration;
    first.duration_given = true;
    auto options = build_load_options(first);
    if (!options.ok()) return usage_error(options.status().message());
  }
  if (Status s = check_output_paths(f.output_file, ""); !s.ok()) return usage_error(s.message());
  auto controller = controller_options(f.load.controller);
  if (!controller.ok()) return usage_error(controller.status().message());

  Keeper keeper;
  if (const std::string db = save_path(f.load.save); !db.empty()) {
    auto store = store::Store::open(db);
    if (!store.ok()) return error_exit(store.status());
    keeper.store = std::move(store).value();
    const std::string name = f.load.test_name.empty() ? f.load.urls.front() : f.load.test_name;
    auto id = keeper.store->create_experiment("find-max", name);
    if (!id.ok()) return error_exit(id.status());
    keeper.experiment_id = *id;
  }

  FindMax find_max(f, search, std::move(*slos), *step_ns, *cool_down_ns, std::move(*controller));
  if (Status s = find_max.run(keeper); !s.ok()) {
    std::cerr << "nightjar: error: find-max cannot go on: " << s.message() << "\n";
    return kExitFailure;
  }
  findmax::Report report = find_max.report();
  report.experiment_id = keeper.experiment_id;
  const std::string json = findmax::render_json(report);
  bool saved = !find_max.save_failed();
  if (keeper.store) {
    if (Status s = keeper.store->set_experiment_summary(keeper.experiment_id, json); !s.ok()) {
      std::cerr << "nightjar: error: the experiment's summary was not saved: " << s.message() << "\n";
      saved = false;
    }
  }
  const std::string text = f.output_format == "json"   ? json
                           : f.output_format == "html" ? findmax::render_html(report)
                                                       : findmax::render_human(report);
  if (Status s = write_output(text, f.output_file.empty() ? "-" : f.output_file); !s.ok()) {
    std::cerr << "nightjar: error: " << s.message() << "\n";
    return kExitFailure;
  }
  if (keeper.store) {
    const bool human = f.output_format == "human" && (f.output_file.empty() || f.output_file == "-");
    (human ? std::cout : std::cerr) << (human ? "\n" : "nightjar: ") << "experiment "
                                    << keeper.experiment_id << "\n";
  }
  if (report.interrupted) return kExitInterrupted;
  if (!saved) return kExitFailure;
  // Even the start rate failed: a gate failed, as an SLO failing in `load`.
  if (report.complete && !report.max_rps) return kExitGateFailed;
  return kExitOk;
}

}  // namespace

Command add_find_max_command(CLI::App& app) {
  return make_command<FindMaxFlags>(
      app, "find-max",
      "Find the highest request rate that meets every SLO (exponential search, then bisection)",
      add_find_max_flags, run_find_max_command);
}

}  // namespace nightjar::cli
