// `nightjar results compare A B [C...]`: runs side by side against the first, with gates
// (--fail-if) for CI; and `nightjar results baseline set|list|rm`: names pinned to runs, so
// `compare baseline:NAME ID` compares with them (docs/results.md#comparing-runs).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/results_subcommands.h"
#include "output/compare.h"
#include "output/formatters.h"
#include "output/json_summary.h"

namespace nightjar::cli {
namespace {

constexpr std::string_view kBaselinePrefix = "baseline:";

struct CompareFlags {
  std::vector<std::string> runs;  // IDs, unique prefixes or baseline:NAME; the first is the baseline
  std::string threshold = "5%";
  std::vector<std::string> fail_if;
  std::string output_format = "human";
  std::string output_file;
};

struct BaselineFlags {
  std::string name;
  std::string run;
  std::string list_format = "human";
};

// "5%" or "5": five percent, as a fraction (0.05).
Result<double> parse_threshold(const std::string& text) {
  std::string number = text;
  if (!number.empty() && number.back() == '%') number.pop_back();
  size_t used = 0;
  double percent = -1;
  try {
    percent = std::stod(number, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (number.empty() || used != number.size() || !std::isfinite(percent) || percent < 0) {
    return Status::invalid_argument("--threshold '" + text +
                                    "' is not a percentage such as 5% (0 or more)");
  }
  return percent / 100;
}

// The full ID a command-line argument names: an ID or unique prefix, or baseline:NAME.
Result<std::string> run_id_of(store::Store& store, const std::string& arg) {
  if (arg.rfind(kBaselinePrefix, 0) == 0) {
    auto baseline = store.baseline(arg.substr(kBaselinePrefix.size()));
    if (!baseline.ok()) return baseline.status();
    return baseline->run_id;
  }
  return store.resolve(arg);
}

int compare_runs(const ResultsContext& context, const CompareFlags& f) {
  // Everything the command line says is checked before the store is opened.
  if (f.runs.size() < 2) {
    return usage_error("results compare needs two runs or more (the first is the baseline)");
  }
  if (f.output_format != "human" && f.output_format != "json" && f.output_format != "html") {
    return usage_error("--output-format for results compare must be human, json or html (got '" +
                       f.output_format + "')");
  }
  auto threshold = parse_threshold(f.threshold);
  if (!threshold.ok()) return usage_error(threshold.status().message());
  std::vector<output::Gate> gates;
  for (const std::string& expr : f.fail_if) {
    auto gate = output::parse_gate(expr);
    if (!gate.ok()) return usage_error("--fail-if " + gate.status().message());
    gates.push_back(std::move(*gate));
  }
  if (Status s = check_output_paths(f.output_file, ""); !s.ok()) return error_exit(s);

  auto store = open_store_for_reading(context);
  if (!store.ok()) return error_exit(store.status());
  std::vector<output::ComparedRun> runs;
  runs.reserve(f.runs.size());
  for (const std::string& arg : f.runs) {
    auto id = run_id_of(**store, arg);
    if (!id.ok()) return error_exit(id.status());
    auto summary = (*store)->summary(*id);
    if (!summary.ok()) return error_exit(summary.status());
    auto result = (*store)->get(*id);  // each run decoded once
    if (!result.ok()) return error_exit(result.status());
    runs.push_back({*id, summary->source, std::move(*result)});
  }

  const output::Comparison comparison = output::compare(runs, *threshold);
  const std::vector<output::GateResult> results = output::check_all(gates, runs);
  const std::string text =
      f.output_format == "json"   ? output::render_comparison_json(runs, comparison, results)
      : f.output_format == "html" ? output::render_comparison_html(runs, comparison, results)
                                  : output::render_comparison_human(runs, comparison, results);
  if (Status s = write_output(text, f.output_file); !s.ok()) return error_exit(s);

  const bool failed = std::any_of(results.begin(), results.end(),
                                  [](const output::GateResult& g) { return !g.failures.empty(); });
  const bool report_on_terminal =
      f.output_format == "human" && (f.output_file.empty() || f.output_file == "-");
  if (failed && !report_on_terminal) {
    // The report went elsewhere or is for machines: the failures go to standard error too.
    for (const output::GateResult& g : results) {
      for (const output::GateFailure& failure : g.failures) {
        std::cerr << "nightjar: FAIL " << g.gate.expr << ": " << failure.message << "\n";
      }
    }
  }
  return failed ? kExitGateFailed : kExitOk;
}

int set_baseline(const ResultsContext& context, const BaselineFlags& f) {
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  if (Status s = (*store)->set_baseline(f.name, f.run); !s.ok()) return error_exit(s);
  auto baseline = (*store)->baseline(f.name);
  if (!baseline.ok()) return error_exit(baseline.status());
  std::cout << "baseline " << f.name << " is run " << baseline->run_id << "\n";
  return kExitOk;
}

// The baselines as a table or JSON, each with its run's start and name.
Result<std::string> render_baselines(store::Store& store,
                                     const std::vector<store::Baseline>& baselines,
                                     const std::string& format) {
  nlohmann::ordered_json json = nlohmann::ordered_json::array();
  constexpr std::string_view kRow = "{:<16}  {:<12}  {:<20}  {:<20}  {}\n";
  std::string text = baselines.empty() ? ""
                                       : fmt::format(kRow, "NAME", "RUN", "SET", "RUN STARTED",
                                                     "RUN NAME");
  for (const store::Baseline& b : baselines) {
    auto run = store.summary(b.run_id);
    if (!run.ok()) return run.status();
    json.push_back({{"name", b.name},
                    {"run", b.run_id},
                    {"set", output::rfc3339(b.set_unix_ns)},
                    {"run_started", output::rfc3339(run->started_unix_ns)},
                    {"run_name", run->name}});
    text += fmt::format(kRow, b.name, b.run_id, output::rfc3339(b.set_unix_ns).substr(0, 19) + "Z",
                        output::rfc3339(run->started_unix_ns).substr(0, 19) + "Z",
                        run->name.empty() ? "-" : run->name);
  }
  return format == "json" ? output::dump_json(json, 2) + "\n" : text;
}

int list_baselines(const ResultsContext& context, const BaselineFlags& f) {
  if (f.list_format != "human" && f.list_format != "json") {
    return usage_error("--output-format for results baseline list must be human or json (got '" +
                       f.list_format + "')");
  }
  auto store = open_store_for_reading(context);
  if (!store.ok() && store.status().code() == StatusCode::kNotFound) {
    std::cout << (f.list_format == "json" ? "[]\n" : "");  // nothing saved yet: no baselines
    return kExitOk;
  }
  if (!store.ok()) return error_exit(store.status());
  auto baselines = (*store)->baselines();
  if (!baselines.ok()) return error_exit(baselines.status());
  auto text = render_baselines(**store, *baselines, f.list_format);
  if (!text.ok()) return error_exit(text.status());
  std::cout << *text;
  return kExitOk;
}

int remove_baseline(const ResultsContext& context, const BaselineFlags& f) {
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  if (Status s = (*store)->remove_baseline(f.name); !s.ok()) return error_exit(s);
  std::cout << "removed baseline " << f.name << "\n";
  return kExitOk;
}

}  // namespace

Command add_results_compare(CLI::App& results, std::shared_ptr<ResultsContext> context) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* compare = results.add_subcommand(
      "compare", "Compare stored runs side by side against the first (the baseline)");
  compare->add_option("runs", f->runs,
                      "Two runs or more: IDs, unique prefixes, or baseline:NAME; the first is "
                      "the baseline")
      ->required();
  compare->add_option("--threshold", f->threshold,
                      "Mark what moved by more than this percentage (5% or 5), relative to the "
                      "first run")
      ->capture_default_str();
  // One value per --fail-if, so `--fail-if p99>+10% A B` leaves A and B to the runs.
  compare
      ->add_option("--fail-if", f->fail_if,
                   "A gate, METRIC OP SIGNED_VALUE: exit 3 when the change of any later run "
                   "against the first is beyond it (repeatable). Examples: p99>+10%, p99.9>+2ms, "
                   "error_rate>+0.1% (percentage points), achieved_rate<-1%, achieved_rps<-50")
      ->allow_extra_args(false);
  compare->add_option("--output-format", f->output_format, "human, json or html")
      ->capture_default_str();
  compare->add_option("-o,--output", f->output_file, "Write to this file instead of standard output");
  add_db_option(*compare, *context);
  compare->footer(
      "Gates (--fail-if METRIC OP SIGNED_VALUE):\n"
      "  METRIC  pNN[.N] (any latency percentile), min, mean, max, error_rate, non2xx_rate,\n"
      "          achieved_rate (or achieved_rps), errors\n"
      "  OP      > (fail when the change is above VALUE) or < (below it)\n"
      "  VALUE   +10%  relative change (latencies, achieved_rate, errors)\n"
      "          +0.1% on error_rate and non2xx_rate: percentage points\n"
      "          +2ms  absolute change of a latency (ns, us, ms, s)\n"
      "          -50   absolute change in the metric's unit (req/s, count)\n"
      "Exit codes: 0 done (every gate passed); 1 the database or a run cannot be read;\n"
      "2 bad usage; 3 a gate failed (the report is still written).");
  return {compare, [context, f] { return compare_runs(*context, *f); }};
}

Command add_results_baseline(CLI::App& results, std::shared_ptr<ResultsContext> context) {
  auto f = std::make_shared<BaselineFlags>();
  CLI::App* baseline = results.add_subcommand(
      "baseline", "Names pinned to runs, for `results compare baseline:NAME ID`");
  baseline->require_subcommand(1);
  CLI::App* set = baseline->add_subcommand("set", "Pin NAME to a run (replacing what it named)");
  set->add_option("name", f->name, "The baseline's name")->required();
  set->add_option("id", f->run, "The run's ID or a unique prefix")->required();
  CLI::App* list = baseline->add_subcommand(
      "list", "The baselines: name, run, when set, and the run's start and name");
  list->add_option("--output-format", f->list_format, "human or json")->capture_default_str();
  CLI::App* rm = baseline->add_subcommand("rm", "Remove a baseline (its run stays)");
  rm->add_option("name", f->name, "The baseline's name")->required();
  for (CLI::App* sub : {baseline, set, list, rm}) add_db_option(*sub, *context);
  return {baseline, [context, f, set, list, rm]() -> int {
            if (*set) return set_baseline(*context, *f);
            if (*list) return list_baselines(*context, *f);
            if (*rm) return remove_baseline(*context, *f);
            return kExitUsage;
          }};
}

}  // namespace nightjar::cli
