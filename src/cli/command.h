// One subcommand of the nightjar binary. Each command file adds its subcommand, with its
// flags, to the app and returns how to run it; run_cli (commands.cc) only wires them up.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

namespace nightjar::cli {

struct Command {
  CLI::App* app = nullptr;   // the subcommand; true once the command line chose it
  std::function<int()> run;  // runs it with the parsed flags; returns the exit code
};

// A command whose flags are one struct `Flags`: `add_flags(CLI::App&, Flags&)` binds them
// to the new subcommand, `run(const Flags&)` gets them once parsed.
template <typename Flags, typename AddFlags, typename Run>
Command make_command(CLI::App& app, const std::string& name, const std::string& description,
                     AddFlags add_flags, Run run) {
  auto flags = std::make_shared<Flags>();
  CLI::App* command = app.add_subcommand(name, description);
  add_flags(*command, *flags);
  return {command, [flags, run] { return run(*flags); }};
}

// One per command file, in the order `nightjar --help` lists them.
Command add_load_command(CLI::App& app);    // load_command.cc
Command add_serve_command(CLI::App& app);   // serve_command.cc
Command add_run_command(CLI::App& app);     // run_command.cc
Command add_worker_command(CLI::App& app);  // worker_command.cc
Command add_certs_command(CLI::App& app);   // certs_command.cc
Command add_report_command(CLI::App& app);  // report_command.cc
Command add_demo_command(CLI::App& app);    // demo_command.cc
Command add_results_command(CLI::App& app); // results_command.cc
Command add_profiles_command(CLI::App& app);  // profiles_command.cc
Command add_find_max_command(CLI::App& app);  // findmax_command.cc

}  // namespace nightjar::cli
