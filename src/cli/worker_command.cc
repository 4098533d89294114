// `nightjar worker`: the gRPC agent a controller drives, until SIGINT or SIGTERM.
#include <pthread.h>

#include <csignal>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/worker_flags.h"

namespace nightjar::cli {
namespace {

int run_worker_command(const WorkerFlags& f) {
  auto options = build_worker_options(f);
  if (!options.ok()) return usage_error(options.status().message());
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = distributed::WorkerServer::start(*options);
  if (!server.ok()) return error_exit(server.status());
  std::cout << "listening on " << (*server)->listen_address() << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->stop();
  return kExitOk;
}

}  // namespace

Command add_worker_command(CLI::App& app) {
  auto flags = std::make_shared<WorkerFlags>();
  CLI::App* worker = app.add_subcommand("worker", "Run as a gRPC worker that a controller (--workers) drives");
  add_worker_flags(*worker, *flags);
  return {worker, [flags] { return run_worker_command(*flags); }};
}

}  // namespace nightjar::cli
