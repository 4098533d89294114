// The flags of a load test (`load`, and `run`'s controller flags) and the options built
// from them. Pure apart from reading the files the flags name (bodies, gRPC messages,
// certificates, tokens); every error is kInvalidArgument-style text naming the flag.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/save_flags.h"
#include "cli/slo_flags.h"
#include "common/status.h"
#include "distributed/controller.h"
#include "load/load_options.h"

namespace nightjar::cli {

// The controller's flags (`--workers` and friends), shared by `load` and `run`.
struct ControllerFlags {
  std::vector<std::string> workers;
  std::string worker_token_file;
  std::string worker_ca;
  std::string worker_cert;
  std::string worker_key;
  int min_workers = 0;
  std::string lease = "5s";
};

struct LoadFlags {
  std::vector<std::string> urls;
  double rps = 0;
  std::string duration = "10s";
  bool duration_given = false;  // --duration was on the command line (set while parsing)
  int64_t requests = 0;
  int connections = 10;
  int threads = 1;
  std::string warmup = "0";
  std::string timeout = "10s";
  int64_t max_pending = 10000;
  std::string method = "GET";
  std::vector<std::string> headers;
  std::string body;
  std::string body_file;
  std::string content_type;
  std::string output_format = "human";
  std::string output_file;
  bool no_progress = false;
  std::string test_name;
  std::vector<std::string> labels;
  std::string hlog_file;
  ControllerFlags controller;
  std::string protocol;
  int max_concurrent_streams = 1;
  std::string ca_file;
  bool insecure = false;
  std::string sni;
  std::string cert_file;
  std::string key_file;
  std::string grpc_method;
  std::string grpc_data_file;
  bool grpc_health = false;
  SaveFlags save;
  std::string arrival = "uniform";
  int64_t seed = -1;  // -1: not given (poisson picks one and the result says which)
  std::string stages;
  double start_rps = 0;
  std::string pace_file;
  SloFlags slo;
};

// Adds --workers, --worker-token-file, --worker-ca, --worker-cert, --worker-key,
// --min-workers and --lease to `command`.
void add_controller_flags(CLI::App& command, ControllerFlags& flags);

// Adds the flags that define the test itself, what build_load_options reads (the URLs, rate,
// duration, request, protocol, TLS, gRPC, name and labels), to `command`: what a profile
// keeps (`profiles save`).
void add_test_flags(CLI::App& command, LoadFlags& flags, bool urls_required);

// Adds the test's flags and those of one run of it (output, progress, --db and --no-save,
// --hlog, the controller's flags, SLOs) to `command`.
void add_load_flags(CLI::App& command, LoadFlags& flags, bool urls_required);

// The validated options of a load test (load::validate), from the flags add_test_flags
// adds. A run bounded by --requests has no duration bound unless --duration was given.
Result<load::LoadOptions> build_load_options(const LoadFlags& flags);

// The controller's options; no workers means a local run.
Result<distributed::ControllerOptions> controller_options(const ControllerFlags& flags);

}  // namespace nightjar::cli
