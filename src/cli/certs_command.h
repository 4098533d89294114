// `nightjar certs`: the CA and certificates for mutual TLS between a controller and its
// workers, written in one command.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace nightjar::cli {

struct CertsFlags {
  std::string out_dir;
  std::vector<std::string> hosts;  // the workers' names or addresses, as the controller dials them
  int64_t days = 365;
  bool force = false;
};

// Adds the `certs` subcommand's options to `command`.
void add_certs_flags(CLI::App& command, CertsFlags& flags);

// Writes ca.pem, ca-key.pem, worker.pem, worker-key.pem, controller.pem and
// controller-key.pem into flags.out_dir (created if missing); keys get mode 0600. Refuses
// (exit 2) when any of them exists, unless flags.force. Returns the exit code.
int run_certs_command(const CertsFlags& flags);

}  // namespace nightjar::cli
