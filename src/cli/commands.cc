#include "cli/commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "common/version.h"

namespace nightjar::cli {

int run_cli(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "nightjar: an exact, open-loop load generator and test server for HTTP services and meshes"};
  app.set_version_flag("--version", std::string("nightjar ") + kVersion);
  app.require_subcommand(1);

  const Command commands[] = {
      add_load_command(app),   add_serve_command(app),   add_run_command(app),
      add_worker_command(app), add_certs_command(app),   add_report_command(app),
      add_demo_command(app),   add_results_command(app), add_profiles_command(app), add_find_max_command(app)};

  const std::string first = argc > 1 ? argv[1] : "";
  const bool known = std::any_of(std::begin(commands), std::end(commands),
                                 [&](const Command& c) { return c.app->get_name() == first; });
  if (!first.empty() && first[0] != '-' && !known) {
    return usage_error(
        std::string("unknown command '") + argv[1] +
        "' (commands: load, run, serve, worker, certs, report, demo, results, profiles; "
        "see --help)");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "nightjar: error: " << e.what()
              << "\nRun 'nightjar --help' or 'nightjar COMMAND --help'.\n";
    return kExitUsage;
  }

  for (const Command& c : commands) {
    if (*c.app) return c.run();
  }
  return kExitUsage;
}

}  // namespace nightjar::cli
