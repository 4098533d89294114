// `nightjar results list|show|rm|export`: the runs kept in the results store
// (docs/results.md).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/results_subcommands.h"
#include "cli/save_flags.h"
#include "common/duration.h"
#include "output/formatters.h"
#include "output/json_summary.h"
#include "store/store.h"

namespace nightjar::cli {
namespace {

struct ResultsFlags {
  // list
  std::string name_glob;
  std::vector<std::string> labels;
  std::string since;
  std::string profile;
  int64_t limit = 0;
  std::string list_format = "human";
  // show, rm, export
  std::vector<std::string> ids;
  std::string output_format = "human";
  std::string output_file;
};


// "7d", "12h", "30m": how far back --since looks.
Result<int64_t> parse_since(const std::string& text) {
  if (!text.empty() && text.back() == 'd') {
    auto days = parse_duration_ns(text.substr(0, text.size() - 1) + "h");
    if (days.ok()) return *days * 24;
  }
  auto d = parse_duration_ns(text);
  if (!d.ok()) {
    return Status::invalid_argument("--since '" + text +
                                    "' is not a duration such as 30m, 12h or 7d");
  }
  return *d;
}

std::string rate_text(double rps) { return rps > 0 ? fmt::format("{:.0f}", rps) : "max"; }

std::string ms_text(int64_t ns) { return fmt::format("{:.2f}", static_cast<double>(ns) / 1e6); }

std::string labels_text(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

std::string render_list(const std::vector<store::RunSummary>& runs, const std::string& format) {
  if (format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const store::RunSummary& r : runs) {
      out.push_back({{"id", r.id},
                     {"started", output::rfc3339(r.started_unix_ns)},
                     {"name", r.name},
                     {"labels", r.labels},
                     {"protocol", r.protocol},
                     {"requested_rps", r.requested_rps},
                     {"achieved_rps", r.achieved_rps},
                     {"p50_ns", r.p50_ns},
                     {"p99_ns", r.p99_ns},
                     {"p99_9_ns", r.p999_ns},
                     {"sent", r.sent},
                     {"completed", r.completed},
                     {"errors", r.errors},
                     {"duration_ns", r.duration_ns},
                     {"workers", r.worker_count},
                     {"interrupted", r.interrupted},
                     {"partial", r.partial},
                     {"profile", r.profile.value_or("")},
                     {"source", r.source}});
    }
    return output::dump_json(out, 2) + "\n";
  }
  const bool csv = format == "csv";
  std::string out = csv ? "id,started,name,labels,protocol,requested_rps,achieved_rps,p50_ms,p99_ms,"
                          "p99_9_ms,errors,duration_s,workers,flags\n"
                        : fmt::format("{:<13}{:<21}{:<16}{:<9}{:>9}{:>9}{:>9}{:>9}{:>9}{:>8}{:>8}{:>4}  {}\n",
                                      "ID", "STARTED", "NAME", "PROTO", "ASKED/s", "GOT/s",
                                      "P50 ms", "P99 ms", "P99.9", "ERRORS", "TIME", "W", "LABELS");
  for (const store::RunSummary& r : runs) {
    std::string flags = r.interrupted ? "interrupted" : "";
    if (r.source != "run") flags += std::string(flags.empty() ? "" : " ") + r.source;  // import:fortio
    if (r.partial) flags += std::string(flags.empty() ? "" : " ") + "partial";
    const std::string started = output::rfc3339(r.started_unix_ns).substr(0, 19);
    if (csv) {
      auto quoted = [](const std::string& text) {
        std::string q = "\"";
        for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        return q + "\"";
      };
      out += fmt::format("{},{},{},{},{},{},{:.3f},{},{},{},{},{:.3f},{},{}\n", r.id, started,
                         quoted(r.name), quoted(labels_text(r.labels)), r.protocol,
                         r.requested_rps, r.achieved_rps, ms_text(r.p50_ns), ms_text(r.p99_ns),
                         ms_text(r.p999_ns), r.errors, static_cast<double>(r.duration_ns) / 1e9,
                         r.worker_count, flags);
    } else {
      out += fmt::format("{:<13}{:<21}{:<16}{:<9}{:>9}{:>9.0f}{:>9}{:>9}{:>9}{:>8}{:>8}{:>4}  {}{}\n",
                         r.id, started, r.name.empty() ? "-" : r.name.substr(0, 15), r.protocol,
                         rate_text(r.requested_rps), r.achieved_rps, ms_text(r.p50_ns),
                         ms_text(r.p99_ns), ms_text(r.p999_ns), r.errors,
                         format_duration_ns(r.duration_ns), r.worker_count, labels_text(r.labels),
                         flags.empty() ? "" : " (" + flags + ")");
    }
  }
  return out;
}

int list_runs(const ResultsContext& context, const ResultsFlags& f) {
  if (f.list_format != "human" && f.list_format != "json" && f.list_format != "csv") {
    return usage_error("--output-format for results list must be human, json or csv (got '" +
                       f.list_format + "')");
  }
  store::ListFilter filter;
  filter.name_glob = f.name_glob;
  for (const std::string& label : f.labels) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage_error("--label '" + label + "' must have the form key=value");
    }
    filter.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
  }
  if (!f.since.empty()) {
    auto since = parse_since(f.since);
    if (!since.ok()) return usage_error(since.status().message());
    filter.since_unix_ns = unix_now_ns() - *since;
  }
  if (!f.profile.empty()) filter.profile = f.profile;
  if (f.limit < 0) return usage_error("--limit must not be negative");
  filter.limit = f.limit;
  auto store = open_store_for_reading(context);
  if (!store.ok() && store.status().code() == StatusCode::kNotFound) {
    std::cout << render_list({}, f.list_format);  // nothing saved yet: no runs
    return kExitOk;
  }
  if (!store.ok()) return error_exit(store.status());
  auto runs = (*store)->list(filter);
  if (!runs.ok()) return error_exit(runs.status());
  std::cout << render_list(*runs, f.list_format);
  return kExitOk;
}

int show_run(const ResultsContext& context, const ResultsFlags& f) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto store = open_store_for_reading(context);
  if (!store.ok()) return error_exit(store.status());
  auto result = (*store)->get(f.ids.front());
  if (!result.ok()) return error_exit(result.status());
  return write_reports(*result, output::render(*result, *format), f.output_file, "") ? kExitOk
                                                                                    : kExitFailure;
}

int remove_runs(const ResultsContext& context, const ResultsFlags& f) {
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  if (Status s = (*store)->remove(f.ids); !s.ok()) return error_exit(s);
  std::cout << "removed " << output::plural(static_cast<int64_t>(f.ids.size()), "run") << "\n";
  return kExitOk;
}

// One run: its nightjar JSON, as `--output-format json` wrote it; several: a JSON array of them.
int export_runs(const ResultsContext& context, const ResultsFlags& f) {
  auto store = open_store_for_reading(context);
  if (!store.ok()) return error_exit(store.status());
  std::string text = f.ids.size() > 1 ? "[\n" : "";
  for (size_t i = 0; i < f.ids.size(); ++i) {
    auto result = (*store)->get(f.ids[i]);
    if (!result.ok()) return error_exit(result.status());
    std::string json = output::render_json(*result);
    if (f.ids.size() > 1) {
      json.pop_back();  // the newline
      json += i + 1 < f.ids.size() ? ",\n" : "\n]\n";
    }
    text += json;
  }
  if (Status s = write_output(text, f.output_file); !s.ok()) return error_exit(s);
  return kExitOk;
}

}  // namespace

Result<std::unique_ptr<store::Store>> open_store_for_reading(const ResultsContext& context) {
  return store::Store::open_read_only(db_path(context.db));
}

Result<std::unique_ptr<store::Store>> open_store_for_writing(const ResultsContext& context) {
  return store::Store::open(db_path(context.db));
}

void add_db_option(CLI::App& subcommand, ResultsContext& context) {
  subcommand.add_option("--db", context.db,
                        "The results database (default: $NIGHTJAR_DB, else "
                        "$XDG_DATA_HOME/nightjar/results.db)");
}

Command add_results_command(CLI::App& app) {
  auto context = std::make_shared<ResultsContext>();
  auto f = std::make_shared<ResultsFlags>();
  CLI::App* results = app.add_subcommand("results", "The runs kept in the results database");
  results->require_subcommand(1);
  add_db_option(*results, *context);

  CLI::App* list = results->add_subcommand("list", "List the stored runs, newest first");
  list->add_option("--name", f->name_glob, "Only runs whose name matches this glob");
  list->add_option("--label", f->labels, "Only runs with this label, key=value (repeatable)");
  list->add_option("--since", f->since, "Only runs started within this long (30m, 12h, 7d)");
  list->add_option("--profile", f->profile, "Only runs started from this profile");
  list->add_option("--limit", f->limit, "At most this many runs (0: all)");
  list->add_option("--output-format", f->list_format, "human, json or csv")->capture_default_str();

  CLI::App* show = results->add_subcommand("show", "A stored run's report, in any format");
  show->add_option("id", f->ids, "The run's ID or a unique prefix")->required()->expected(1);
  show->add_option("--output-format", f->output_format, "One of: " + output::format_names())
      ->capture_default_str();
  show->add_option("-o,--output", f->output_file, "Write to this file instead of standard output");

  CLI::App* rm = results->add_subcommand("rm", "Remove stored runs");
  rm->add_option("id", f->ids, "IDs or unique prefixes")->required();

  CLI::App* exp = results->add_subcommand("export", "Write stored runs as nightjar JSON");
  exp->add_option("id", f->ids, "IDs or unique prefixes")->required();
  exp->add_option("-o,--output", f->output_file, "Write to this file instead of standard output");

  for (CLI::App* sub : {list, show, rm, exp}) add_db_option(*sub, *context);

  // The subcommands in files of their own (results_subcommands.h).
  const std::vector<Command> more = {
      add_results_import(*results, context),
      add_results_compare(*results, context),
      add_results_baseline(*results, context),
  };
  return {results, [context, f, list, show, rm, exp, more]() -> int {
            if (*list) return list_runs(*context, *f);
            if (*show) return show_run(*context, *f);
            if (*rm) return remove_runs(*context, *f);
            if (*exp) return export_runs(*context, *f);
            for (const Command& sub : more) {
              if (*sub.app) return sub.run();
            }
            return kExitUsage;
          }};
}

}  // namespace nightjar::cli
