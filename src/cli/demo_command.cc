// `nightjar demo`: the test server in-process, a short load test against it, the report
// on the terminal and the HTML report in a file.
#include <fmt/format.h>

#include <iostream>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/load_flags.h"
#include "cli/run_report.h"
#include "server/test_server.h"

namespace nightjar::cli {
namespace {

struct DemoFlags {
  double rps = 1000;
  std::string duration = "5s";
  int connections = 10;
  std::string html_file = "nightjar-demo-report.html";
  SaveFlags save;
};

int run_demo_command(const DemoFlags& f) {
  auto server = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
  if (!server.ok()) {
    std::cerr << "nightjar: error: cannot start the demo server: " << server.status().message()
              << "\n";
    return kExitFailure;
  }
  const std::string url = "http://" + (*server)->listen_address() + "/?size=128";
  std::cout << "nightjar demo: test server listening on " << (*server)->listen_address() << "\n"
            << fmt::format("nightjar demo: {} req/s for {} over {} connections against {}\n\n",
                           f.rps, f.duration, f.connections, url)
            << std::flush;
  LoadFlags flags;
  flags.urls = {url};
  flags.rps = f.rps;
  flags.duration = f.duration;
  flags.connections = f.connections;
  flags.duration_given = true;
  auto options = build_load_options(flags);
  if (!options.ok()) return usage_error(options.status().message());
  const int code = run_and_report(
      *options, ReportTargets{output::Format::kHuman, "", "", f.html_file, save_path(f.save), ""},
      true);
  (*server)->stop();
  return code;
}

void add_demo_flags(CLI::App& demo, DemoFlags& f) {
  demo.add_option("--rps", f.rps, "Request rate")->capture_default_str();
  demo.add_option("-d,--duration", f.duration, "Duration")->capture_default_str();
  demo.add_option("-c,--connections", f.connections, "Connections")->capture_default_str();
  demo.add_option("--html", f.html_file, "Where to write the HTML report")->capture_default_str();
  add_save_flags(demo, f.save);
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  return make_command<DemoFlags>(app, "demo",
                                 "Start the test server in-process and load it for a few seconds",
                                 add_demo_flags, run_demo_command);
}

}  // namespace nightjar::cli
