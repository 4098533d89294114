// `nightjar profiles save|list|show|rm|export|import`: saved tests, kept in the results
// database (docs/results.md#profiles). A profile's definition is an SMPS test file in the
// current camelCase shape with a `nightjar:` section (config/smps_writer.h), so it runs with
// `nightjar run --profile NAME` exactly as `run -f` runs the same YAML, and carries over to
// Meshery with `profiles export`.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/files.h"
#include "cli/load_flags.h"
#include "cli/profiles.h"
#include "cli/results_subcommands.h"
#include "common/duration.h"
#include "config/smps_writer.h"
#include "output/formatters.h"
#include "output/json_summary.h"
#include "slo/slo.h"
#include "store/store.h"

namespace nightjar::cli {
namespace {

// Meshery's limit on a profile's name; a name is also a test's name.
constexpr size_t kMaxProfileNameBytes = 255;

struct ProfilesFlags {
  std::string name;  // save: the profile; import: --name
  std::string file;  // save -f, import FILE
  bool force = false;
  LoadFlags test;  // save: the test's flags, as `nightjar load` takes them
  std::vector<const CLI::Option*> test_options;  // those flags, to tell whether any was given
  std::vector<std::string> names;                // show, rm, export
  std::string list_format = "human";
  std::string output_file;  // export -o
  bool meshery = false;     // export --meshery
  std::vector<std::string> slos;  // save --slo: kept with the test (its slos: list)
};

// The one check of a profile's name, wherever it comes from (save, import --name, a test's name).
Status check_profile_name(const std::string& name) {
  if (name.empty()) return Status::invalid_argument("a profile needs a name");
  if (name.size() > kMaxProfileNameBytes) {
    return Status::invalid_argument("profile name '" + name.substr(0, 32) + "...' is " +
                                    std::to_string(name.size()) + " bytes; at most " +
                                    std::to_string(kMaxProfileNameBytes) + " are allowed");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::invalid_argument("profile name '" + name + "' has a control character");
    }
  }
  return {};
}

// Files a test names (TLS trust, client certificate and key) are read where the run starts:
// kept as absolute paths, so the profile runs from any folder.
void make_paths_absolute(config::TestPlan& plan) {
  for (config::TestClient& client : plan.clients) {
    for (std::string* path : {&client.options.tls.ca_file, &client.options.tls.cert_file,
                              &client.options.tls.key_file}) {
      if (!path->empty()) *path = std::filesystem::absolute(*path).lexically_normal().string();
    }
  }
}

// Stores `plan` as the profile `name`. A plan without a test name takes the profile's, so its
// runs are named and Meshery (which needs a name) takes it.
int store_profile(const ResultsContext& context, const std::string& name, config::TestPlan plan,
                  bool force) {
  if (Status s = check_profile_name(name); !s.ok()) return usage_error(s.message());
  if (plan.name.empty()) {
    plan.name = name;
    for (config::TestClient& client : plan.clients) client.options.run.test_name = name;
  }
  make_paths_absolute(plan);
  auto definition = config::write_smps_test(plan);
  if (!definition.ok())
    return usage_error("profile '" + name + "': " + definition.status().message());
  // What is stored must run: read it back as `run --profile` will.
  if (auto back = config::parse_smps_test(*definition, "profile '" + name + "'"); !back.ok()) {
    return error_exit(
        Status::internal("the profile would not read back: " + back.status().message()));
  }
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  if (Status s = (*store)->save_profile(name, *definition, force); !s.ok()) return error_exit(s);
  std::cout << "saved profile " << name << "\n";
  return kExitOk;
}

int save_profile(const ResultsContext& context, const ProfilesFlags& f) {
  const bool flags_given =
      !f.slos.empty() || std::any_of(f.test_options.begin(), f.test_options.end(),
                                     [](const CLI::Option* o) { return o->count() > 0; });
  if (!f.file.empty()) {
    if (flags_given) {
      return usage_error(
          "-f takes the whole test from the file; give either -f TEST.yaml or the test's URLs and "
          "flags, not both");
    }
    auto plan = read_test_file(f.file);
    if (!plan.ok()) return usage_error(plan.status().message());
    return store_profile(context, f.name, std::move(*plan), f.force);
  }
  if (f.test.urls.empty()) {
    return usage_error("profiles save " + f.name +
                       ": give the test, as -f TEST.yaml or as the URLs and flags of "
                       "`nightjar load`");
  }
  auto options = build_load_options(f.test);
  if (!options.ok()) return usage_error(options.status().message());
  config::TestPlan plan = config::plan_of(*options);
  for (const std::string& text : f.slos) {
    auto slo = slo::parse_slo(text);
    if (!slo.ok()) return usage_error("--slo: " + slo.status().message());
    plan.slos.push_back(std::move(*slo));
  }
  return store_profile(context, f.name, std::move(plan), f.force);
}

int import_profile(const ResultsContext& context, const ProfilesFlags& f) {
  auto plan = read_test_file(f.file);
  if (!plan.ok()) return usage_error(plan.status().message());
  const std::string name = f.name.empty() ? plan->name : f.name;
  if (name.empty()) return usage_error(f.file + " has no test name: name the profile with --name");
  return store_profile(context, name, std::move(*plan), f.force);
}

// What `profiles list` shows of one profile, from its definition.
nlohmann::ordered_json describe(const store::Profile& profile, const store::ProfileRuns* runs,
                                const Result<config::TestPlan>& plan) {
  nlohmann::ordered_json out = {{"name", profile.name}};
  if (plan.ok()) {
    nlohmann::ordered_json urls = nlohmann::ordered_json::array();
    double rps = 0;
    bool closed_loop = false;
    int64_t connections = 0;
    int64_t requests = 0;
    for (const config::TestClient& client : plan->clients) {
      for (const std::string& url : client.options.run.urls) urls.push_back(url);
      rps += client.options.run.requested_rps;
      closed_loop = closed_loop || client.options.run.requested_rps == 0;
      connections += client.options.run.connections;
      requests += client.options.run.requests;
    }
    out["clients"] = plan->clients.size();
    out["urls"] = urls;
    out["rps"] = rps;
    out["closed_loop"] = closed_loop;
    out["duration_ns"] = plan->duration_ns;
    out["requests"] = requests;
    out["connections"] = connections;
    out["protocol"] = plan->clients.front().options.run.protocol;
  } else {
    out["error"] = plan.status().message();
  }
  out["created"] = output::rfc3339(profile.created_unix_ns);
  out["updated"] = output::rfc3339(profile.updated_unix_ns);
  out["runs"] = runs != nullptr ? runs->count : 0;
  out["last_run"] =
      runs != nullptr
          ? nlohmann::ordered_json{{"id", runs->last_id},
                                   {"started", output::rfc3339(runs->last_started_unix_ns)}}
          : nlohmann::ordered_json(nullptr);
  return out;
}

std::string render_human(const nlohmann::ordered_json& profiles) {
  std::string out =
      fmt::format("{:<20}{:<34}{:>8}{:>10}{:>6}  {:<9}{:<21}{:>5}  {}\n", "NAME", "URL", "RATE/s",
                  "DURATION", "CONN", "PROTO", "UPDATED", "RUNS", "LAST RUN");
  for (const auto& p : profiles) {
    const std::string name = p["name"].get<std::string>().substr(0, 19);
    const std::string updated = p["updated"].get<std::string>().substr(0, 19);
    const std::string last = p["last_run"].is_null() ? "-" : p["last_run"]["id"].get<std::string>();
    if (p.contains("error")) {
      out += fmt::format("{:<20}(cannot be read: {})\n", name, p["error"].get<std::string>());
      continue;
    }
    std::string url = p["urls"][0].get<std::string>();
    if (p["urls"].size() > 1) url += fmt::format(" +{}", p["urls"].size() - 1);
    const std::string rate =
        p["closed_loop"].get<bool>() ? "max" : fmt::format("{:g}", p["rps"].get<double>());
    const int64_t duration_ns = p["duration_ns"].get<int64_t>();
    const std::string bound = duration_ns > 0 ? format_duration_ns(duration_ns)
                                              : fmt::format("n={}", p["requests"].get<int64_t>());
    out += fmt::format("{:<20}{:<34}{:>8}{:>10}{:>6}  {:<9}{:<21}{:>5}  {}\n", name,
                       url.substr(0, 33), rate, bound, p["connections"].get<int64_t>(),
                       p["protocol"].get<std::string>(), updated, p["runs"].get<int64_t>(), last);
  }
  return out;
}

int list_profiles(const ResultsContext& context, const ProfilesFlags& f) {
  if (f.list_format != "human" && f.list_format != "json") {
    return usage_error("--output-format for profiles list must be human or json (got '" +
                       f.list_format + "')");
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  auto store = open_store_for_reading(context);
  if (!store.ok() && store.status().code() != StatusCode::kNotFound)
    return error_exit(store.status());
  if (store.ok()) {  // else nothing was saved yet: no profiles
    auto profiles = (*store)->profiles();
    if (!profiles.ok()) return error_exit(profiles.status());
    auto runs = (*store)->profile_runs();
    if (!runs.ok()) return error_exit(runs.status());
    for (const store::Profile& p : *profiles) {
      const auto found = runs->find(p.name);
      all.push_back(describe(p, found == runs->end() ? nullptr : &found->second,
                             config::parse_smps_test(p.definition, "profile '" + p.name + "'")));
    }
  }
  std::cout << (f.list_format == "json" ? output::dump_json(all, 2) + "\n" : render_human(all));
  return kExitOk;
}

int show_profile(const ResultsContext& context, const ProfilesFlags& f) {
  auto store = open_store_for_reading(context);
  if (!store.ok()) return error_exit(store.status());
  auto profile = (*store)->profile(f.names.front());
  if (!profile.ok()) return error_exit(profile.status());
  std::cout << profile->definition;
  return kExitOk;
}

// All or none: every name is checked before any is removed.
int remove_profiles(const ResultsContext& context, const ProfilesFlags& f) {
  auto store = open_store_for_writing(context);
  if (!store.ok()) return error_exit(store.status());
  for (const std::string& name : f.names) {
    if (auto p = (*store)->profile(name); !p.ok()) return error_exit(p.status());
  }
  for (const std::string& name : f.names) {
    if (Status s = (*store)->remove_profile(name); !s.ok()) return error_exit(s);
  }
  std::cout << "removed " << output::plural(static_cast<int64_t>(f.names.size()), "profile")
            << "\n";
  return kExitOk;
}

int export_profile(const ResultsContext& context, const ProfilesFlags& f) {
  auto store = open_store_for_reading(context);
  if (!store.ok()) return error_exit(store.status());
  const std::string& name = f.names.front();
  auto profile = (*store)->profile(name);
  if (!profile.ok()) return error_exit(profile.status());
  std::string text = profile->definition;
  if (f.meshery) {
    auto plan = config::parse_smps_test(profile->definition, "profile '" + name + "'");
    if (!plan.ok()) return error_exit(plan.status());
    auto meshery = config::write_meshery_test(*plan);
    if (!meshery.ok())
      return error_exit(
          Status::invalid_argument("profile '" + name + "': " + meshery.status().message()));
    if (!meshery->left_out.empty()) {
      std::string list;
      for (const std::string& item : meshery->left_out) list += (list.empty() ? "" : ", ") + item;
      std::cerr << "nightjar: note: Meshery's form leaves out what only nightjar runs: " << list
                << "\n";
    }
    text = std::move(meshery->text);
  }
  if (Status s = write_output(text, f.output_file); !s.ok()) return error_exit(s);
  return kExitOk;
}

}  // namespace

Result<config::TestPlan> read_test_file(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return Status::invalid_argument(text.status().message());
  return config::parse_smps_test(*text, path);
}

Result<config::TestPlan> read_profile(const std::string& db_path, const std::string& name) {
  auto store = store::Store::open_read_only(db_path);
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) {
      return Status::not_found("no profile '" + name + "': " + store.status().message());
    }
    return store.status();
  }
  auto profile = (*store)->profile(name);
  if (!profile.ok()) return profile.status();
  return config::parse_smps_test(profile->definition, "profile '" + name + "'");
}

Command add_profiles_command(CLI::App& app) {
  auto context = std::make_shared<ResultsContext>();
  auto f = std::make_shared<ProfilesFlags>();
  CLI::App* profiles = app.add_subcommand(
      "profiles",
      "Saved tests (SMPS YAML with nightjar's options) to run again with `run --profile`");
  profiles->require_subcommand(1);
  add_db_option(*profiles, *context);

  CLI::App* save = profiles->add_subcommand("save",
                                            "Save a test as a profile: from a test file (-f), or "
                                            "from the URLs and flags of `nightjar load`");
  save->add_option("name", f->name, "The profile's name")->required();
  save->add_option("-f,--file", f->file,
                   "An SMPS test file (YAML or JSON), checked as `run -f` checks it");
  save->add_flag("--force", f->force, "Replace the profile when it exists");
  const size_t before = save->get_options().size();
  add_test_flags(*save, f->test, false);
  save->add_option("--slo", f->slos,
                   "An SLO the profile's runs must meet (repeatable), kept as the test's slos:");
  for (size_t i = before; i < save->get_options().size(); ++i)
    f->test_options.push_back(save->get_options()[i]);

  CLI::App* list = profiles->add_subcommand("list", "List the profiles with their test and runs");
  list->add_option("--output-format", f->list_format, "human or json")->capture_default_str();

  CLI::App* show = profiles->add_subcommand("show", "Print a profile's definition (SMPS YAML)");
  show->add_option("name", f->names, "The profile")->required()->expected(1);

  CLI::App* rm =
      profiles->add_subcommand("rm", "Remove profiles (their runs stay, under the name)");
  rm->add_option("name", f->names, "The profiles")->required();

  CLI::App* exp = profiles->add_subcommand(
      "export", "Write a profile as an SMPS test file, for `run -f` or Meshery");
  exp->add_option("name", f->names, "The profile")->required()->expected(1);
  exp->add_option("-o,--output", f->output_file, "Write to this file instead of standard output");
  exp->add_flag("--meshery", f->meshery,
                "Only the fields of Meshery's PerformanceTestConfig, without the nightjar: section "
                "(standard error says what that leaves out)");

  CLI::App* imp = profiles->add_subcommand(
      "import", "Save an SMPS test file (YAML or JSON, either shape) as a profile");
  imp->add_option("file", f->file, "The test file")->required();
  imp->add_option("--name", f->name, "The profile's name (default: the test's name)");
  imp->add_flag("--force", f->force, "Replace the profile when it exists");

  for (CLI::App* sub : {save, list, show, rm, exp, imp}) add_db_option(*sub, *context);
  return {profiles, [context, f, save, list, show, rm, exp, imp]() -> int {
            if (*save) return save_profile(*context, *f);
            if (*list) return list_profiles(*context, *f);
            if (*show) return show_profile(*context, *f);
            if (*rm) return remove_profiles(*context, *f);
            if (*exp) return export_profile(*context, *f);
            if (*imp) return import_profile(*context, *f);
            return kExitUsage;
          }};
}

}  // namespace nightjar::cli
