// `nightjar worker`: the gRPC agent a controller drives, until SIGINT or SIGTERM.
#include <iostream>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/worker_flags.h"

namespace nightjar::cli {
namespace {

int run_worker_command(const WorkerFlags& f) {
  auto options = build_worker_options(f);
  if (!options.ok()) return usage_error(options.status().message());
  const StopSignals stop_signals;  // before any thread starts
  auto server = distributed::WorkerServer::start(*options);
  if (!server.ok()) return error_exit(server.status());
  std::cout << "listening on " << (*server)->listen_address() << std::endl;
  stop_signals.wait();
  (*server)->stop();
  return kExitOk;
}

}  // namespace

Command add_worker_command(CLI::App& app) {
  return make_command<WorkerFlags>(app, "worker",
                                   "Run as a gRPC worker that a controller (--workers) drives",
                                   add_worker_flags, run_worker_command);
}

}  // namespace nightjar::cli
