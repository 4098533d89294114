// The flags of `nightjar worker` and the distributed::WorkerServerOptions built from them.
// Pure apart from reading the token and certificate files the flags name.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "distributed/worker_server.h"

namespace nightjar::cli {

struct WorkerFlags {
  std::string listen = "127.0.0.1:7070";
  std::string token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  std::vector<std::string> allow_targets;
  bool allow_plaintext_token = false;
};

// Adds the `worker` subcommand's options to `command`.
void add_worker_flags(CLI::App& command, WorkerFlags& flags);

// The worker server's options, with the token and PEM files read. Errors are
// kInvalidArgument naming the flag of a file that cannot be read (or an empty token).
Result<distributed::WorkerServerOptions> build_worker_options(const WorkerFlags& flags);

}  // namespace nightjar::cli
