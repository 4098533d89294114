#include "cli/commands.h"
#include "cli/certs_command.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <tuple>

#include "common/duration.h"
#include "config/smps_test.h"
#include "distributed/controller.h"
#include "distributed/worker_server.h"
#include "http/grpc.h"
#include "model/merge.h"
#include "load/runner.h"
#include "output/formatters.h"
#include "output/hlog.h"
#include "server/test_server.h"

namespace nightjar::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_interrupt(int) {
  if (g_stop.load()) {
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
    std::raise(SIGINT);
    return;
  }
  g_stop.store(true);
}

void install_interrupt_handler() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

int usage_error(const std::string& message) {
  std::cerr << "nightjar: error: " << message << "\n";
  return kExitUsage;
}

// Files named on the command line are read whole; none may be larger than this (a body or
// gRPC message is limited further by load::validate).
constexpr size_t kMaxInputFileBytes = 256u << 20;

Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxInputFileBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::not_found("cannot read '" + path + "': " + std::strerror(errno));
  // Read in pieces up to the cap (the file may be a pipe, whose size is not known).
  std::string data;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      return Status::invalid_argument("'" + path + "' is larger than " + std::to_string(max_bytes >> 20) +
                                      " MiB, the most nightjar reads");
    }
  }
  if (in.bad()) return Status::io_error("error while reading '" + path + "'");
  return data;
}

Status write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::io_error("cannot write '" + path + "': " + std::strerror(errno));
  return {};
}

// The progress line on a terminal: elapsed/remaining, rate, p50/p99, errors.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  void update(const load::Progress& p) {
    if (!enabled_) return;
    const int64_t elapsed = std::max<int64_t>(p.elapsed_ns, 0);
    std::string when = p.elapsed_ns < 0 ? fmt::format("warm-up {}", format_duration_ns(-p.elapsed_ns))
                                        : format_duration_ns(elapsed / kNanosPerMilli * kNanosPerMilli);
    if (p.total_ns > 0 && p.elapsed_ns >= 0) {
      const int64_t left_s = (std::max<int64_t>(p.total_ns - elapsed, 0) + kNanosPerSecond - 1) / kNanosPerSecond;
      when += fmt::format(" of {}, {}s left", format_duration_ns(p.total_ns), left_s);
    }
    std::fprintf(stderr, "\r\033[K[%s] %.0f req/s  p50 %s  p99 %s  done %lld  errors %lld",
                 when.c_str(), p.current_rps, format_duration_ns(p.last_p50_ns).c_str(),
                 format_duration_ns(p.last_p99_ns).c_str(), static_cast<long long>(p.completed),
                 static_cast<long long>(p.errors));
    std::fflush(stderr);
    drawn_ = true;
  }
  void clear() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }

 private:
  const bool enabled_;
  bool drawn_ = false;
};

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
};

// Reads a secret file, without its trailing line break.
Result<std::string> read_secret(const std::string& flag, const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return Status::invalid_argument(flag + ": " + text.status().message());
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) text->pop_back();
  if (text->empty()) return Status::invalid_argument(flag + ": '" + path + "' is empty");
  return std::move(*text);
}

// The controller's options; no workers means a local run.
Result<distributed::ControllerOptions> controller_options(const ControllerFlags& f) {
  distributed::ControllerOptions c;
  c.workers = f.workers;
  c.min_workers = f.min_workers;
  auto lease = parse_duration_ns(f.lease);
  if (!lease.ok()) return Status::invalid_argument("--lease: " + lease.status().message());
  if (*lease < 100 * kNanosPerMilli) return Status::invalid_argument("--lease must be at least 100ms");
  c.lease_ns = *lease;
  if (!f.worker_token_file.empty()) {
    auto token = read_secret("--worker-token-file", f.worker_token_file);
    if (!token.ok()) return token.status();
    c.token = *token;
  }
  if (!f.worker_ca.empty()) {
    auto ca = read_file(f.worker_ca);
    if (!ca.ok()) return Status::invalid_argument("--worker-ca: " + ca.status().message());
    c.ca_pem = *ca;
    c.tls = true;
  }
  if (f.worker_cert.empty() != f.worker_key.empty()) {
    return Status::invalid_argument("--worker-cert and --worker-key go together");
  }
  if (!f.worker_cert.empty()) {
    auto cert = read_file(f.worker_cert);
    if (!cert.ok()) return Status::invalid_argument("--worker-cert: " + cert.status().message());
    auto key = read_file(f.worker_key);
    if (!key.ok()) return Status::invalid_argument("--worker-key: " + key.status().message());
    c.cert_pem = *cert;
    c.key_pem = *key;
    c.tls = true;
  }
  if (c.workers.empty() && (c.tls || !c.token.empty() || c.min_workers > 0)) {
    return Status::invalid_argument("worker options need --workers");
  }
  return c;
}

void add_worker_flags(CLI::App& cmd, ControllerFlags& f) {
  cmd.add_option("--workers", f.workers,
                 "Run on these nightjar workers: HOST:PORT,... or dns:NAME:PORT (every address of NAME)")
      ->delimiter(',');
  cmd.add_option("--worker-token-file", f.worker_token_file, "Bearer token the workers require");
  cmd.add_option("--worker-ca", f.worker_ca, "Talk TLS to the workers, trusting this CA (PEM)");
  cmd.add_option("--worker-cert", f.worker_cert, "Client certificate for workers that require mutual TLS");
  cmd.add_option("--worker-key", f.worker_key, "Key of --worker-cert");
  cmd.add_option("--min-workers", f.min_workers, "Start with at least this many reachable workers (default: all)");
  cmd.add_option("--lease", f.lease, "Workers stop a run when the controller is silent this long")
      ->capture_default_str();
}

void add_load_flags(CLI::App& cmd, LoadFlags& f, bool urls_required) {
  auto* urls = cmd.add_option("url", f.urls, "Target URL(s), e.g. http://127.0.0.1:8080/ (several: round robin)");
  if (urls_required) urls->required();
  cmd.add_option("--rps", f.rps, "Total request rate per second; 0 = closed loop at maximum rate")
      ->capture_default_str();
  cmd.add_option("-d,--duration", f.duration, "How long to measure (ns us ms s m h; e.g. 30s, 1m30s)")
      ->capture_default_str();
  cmd.add_option("-n,--requests", f.requests, "Stop after this many requests (after warm-up)");
  cmd.add_option("-c,--connections", f.connections, "Connections, split over the threads")
      ->capture_default_str();
  cmd.add_option("-t,--threads", f.threads, "Worker threads, each with its own event loop")
      ->capture_default_str();
  cmd.add_option("--warmup", f.warmup, "Warm-up before measuring, excluded from statistics")
      ->capture_default_str();
  cmd.add_option("--timeout", f.timeout, "Per-request timeout")->capture_default_str();
  cmd.add_option("--max-pending", f.max_pending,
                 "Open loop: arrivals that may wait for a free connection; more are dropped and counted")
      ->capture_default_str();
  cmd.add_option("-m,--method", f.method, "HTTP method")->capture_default_str();
  cmd.add_option("-H,--header", f.headers, "Request header 'Name: value' (repeatable)");
  cmd.add_option("--body", f.body, "Request body");
  cmd.add_option("--body-file", f.body_file, "Read the request body from a file");
  cmd.add_option("--content-type", f.content_type, "Content-Type header for the body");
  cmd.add_option("--output-format", f.output_format, "One of: " + output::format_names())->capture_default_str();
  cmd.add_option("-o,--output", f.output_file, "Write the report to this file instead of standard output");
  cmd.add_flag("--no-progress", f.no_progress, "No live progress line (it is only shown on a terminal)");
  cmd.add_option("--hlog", f.hlog_file, "Also write an HdrHistogram interval log (.hlog), one histogram per second");
  cmd.add_option("--protocol", f.protocol,
                 "http1 or h2: force HTTP/1.1 or HTTP/2 (http:// with h2: prior knowledge; https://: what ALPN "
                 "offers; default there: h2 when the server agrees)");
  cmd.add_option("--ca-file", f.ca_file, "TLS: trust the CA certificates in this PEM file (default: the system store)");
  cmd.add_flag("--insecure", f.insecure, "TLS: do not verify the server's certificate (the report says so)");
  cmd.add_option("--sni", f.sni, "TLS: server name to send and verify (default: the URL's host)");
  cmd.add_option("--cert", f.cert_file, "TLS: client certificate (PEM) for mutual TLS");
  cmd.add_option("--key", f.key_file, "TLS: the key of --cert (PEM)");
  cmd.add_option("--grpc-method", f.grpc_method,
                 "gRPC: /package.Service/Method to call (default: nightjar's test service Ping)");
  cmd.add_option("--grpc-data-file", f.grpc_data_file, "gRPC: the request message, binary protobuf");
  cmd.add_flag("--grpc-health", f.grpc_health, "gRPC: check the standard health service answers SERVING first");
  cmd.add_option("--max-concurrent-streams", f.max_concurrent_streams, "HTTP/2: requests in flight per connection")
      ->capture_default_str();
  add_worker_flags(cmd, f.controller);
  cmd.add_option("--name", f.test_name, "Test name, kept in the result");
  cmd.add_option("--label", f.labels, "Label key=value kept in the result, e.g. mesh=istio (repeatable)");
}

// --ca-file, --insecure, --sni, --cert, --key: only for https:// and grpcs:// targets.
Status add_tls_options(const LoadFlags& f, load::LoadOptions& o) {
  o.run.tls = load::uses_tls(o.urls.front());
  const bool tls_flags = !f.ca_file.empty() || f.insecure || !f.sni.empty() || !f.cert_file.empty() || !f.key_file.empty();
  if (!o.run.tls) {
    if (tls_flags) {
      return Status::invalid_argument("--ca-file, --insecure, --sni, --cert and --key apply to https:// and grpcs:// URLs");
    }
    return Status();
  }
  if (f.insecure && !f.ca_file.empty()) return Status::invalid_argument("--insecure and --ca-file cannot be used together");
  o.tls.ca_file = f.ca_file;
  o.tls.insecure = f.insecure;
  o.tls.sni = f.sni;
  o.tls.cert_file = f.cert_file;
  o.tls.key_file = f.key_file;
  // Checked now, so a bad file is a usage error before anything starts.
  auto context = tls::ClientContext::create(o.tls);
  return context.ok() ? Status() : context.status();
}

// --grpc-method, --grpc-data-file, --grpc-health: only for grpc:// and grpcs:// targets.
Status add_grpc_options(const LoadFlags& f, load::LoadOptions& o) {
  const bool grpc = o.run.protocol == "grpc";
  if (!grpc) {
    if (!f.grpc_method.empty() || !f.grpc_data_file.empty() || f.grpc_health) {
      return Status::invalid_argument("--grpc-method, --grpc-data-file and --grpc-health apply to grpc:// and grpcs:// URLs");
    }
    return Status();
  }
  if (!f.body.empty() || !f.body_file.empty()) {
    return Status::invalid_argument("gRPC requests take their message from --grpc-data-file, not --body");
  }
  if (f.method != "GET") return Status::invalid_argument("--method does not apply to gRPC (calls are POSTs)");
  if (!f.grpc_data_file.empty() && f.grpc_method.empty()) {
    return Status::invalid_argument("--grpc-data-file needs --grpc-method (the built-in ping sends its own message)");
  }
  for (const http::Url& url : o.urls) {
    if (url.path_and_query != "/") {
      return Status::invalid_argument("gRPC URLs name no path ('" + url.to_string() + "'); give the call with --grpc-method");
    }
  }
  o.run.method = "POST";
  o.request.method = "POST";
  o.grpc_health = f.grpc_health;
  if (f.grpc_method.empty()) {
    o.run.grpc_method = std::string(http::kBuiltinPingMethod);
    o.grpc_message = http::builtin_ping_message();
  } else {
    if (Status s = http::validate_grpc_method(f.grpc_method); !s.ok()) return s;
    o.run.grpc_method = f.grpc_method;
    if (!f.grpc_data_file.empty()) {
      auto data = read_file(f.grpc_data_file, load::limits::kMaxBodyBytes);
      if (!data.ok()) return Status::invalid_argument("--grpc-data-file: " + data.status().message());
      o.grpc_message = std::move(*data);
    }
  }
  o.run.body_bytes = static_cast<int64_t>(o.grpc_message.size());
  return Status();
}

Result<load::LoadOptions> build_load_options(const LoadFlags& f, bool duration_given) {
  load::LoadOptions o;
  for (const std::string& text : f.urls) {
    auto url = http::parse_url(text);
    if (!url.ok()) return url.status();
    o.urls.push_back(*url);
    o.run.urls.push_back(url->to_string());
  }
  o.run.requested_rps = f.rps;
  if (f.requests > 0 && !duration_given) {
    o.run.duration_ns = 0;  // bounded by count only
  } else {
    auto d = parse_duration_ns(f.duration);
    if (!d.ok()) return Status::invalid_argument("--duration: " + d.status().message());
    o.run.duration_ns = *d;
  }
  auto warmup = parse_duration_ns(f.warmup);
  if (!warmup.ok()) return Status::invalid_argument("--warmup: " + warmup.status().message());
  auto timeout = parse_duration_ns(f.timeout);
  if (!timeout.ok()) return Status::invalid_argument("--timeout: " + timeout.status().message());
  o.run.warmup_ns = *warmup;
  o.run.timeout_ns = *timeout;
  o.run.requests = f.requests;
  o.run.connections = f.connections;
  o.run.threads = f.threads;
  o.run.max_pending = f.max_pending;
  o.run.method = f.method;
  o.request.method = f.method;
  for (const std::string& text : f.headers) {
    auto header = http::parse_header(text);
    if (!header.ok()) return Status::invalid_argument("-H: " + header.status().message());
    o.request.headers.push_back(*header);
  }
  if (!f.body.empty() && !f.body_file.empty()) {
    return Status::invalid_argument("--body and --body-file cannot be used together");
  }
  o.request.body = f.body;
  if (!f.body_file.empty()) {
    auto data = read_file(f.body_file, load::limits::kMaxBodyBytes);
    if (!data.ok()) return Status::invalid_argument("--body-file: " + data.status().message());
    o.request.body = std::move(*data);
  }
  if (!f.content_type.empty()) o.request.headers.emplace_back("Content-Type", f.content_type);
  o.run.headers = o.request.headers;
  o.run.body_bytes = static_cast<int64_t>(o.request.body.size());
  auto protocol = load::resolve_protocol(o.urls, f.protocol);
  if (!protocol.ok()) return protocol.status();
  o.run.protocol = *protocol;
  // Checked by validate() even where HTTP/1.1 then ignores it.
  o.run.max_concurrent_streams = f.max_concurrent_streams;
  if (Status s = add_tls_options(f, o); !s.ok()) return s;
  if (Status s = add_grpc_options(f, o); !s.ok()) return s;
  o.run.test_name = f.test_name;
  for (const std::string& label : f.labels) {
    const size_t eq = label.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::invalid_argument("--label '" + label + "' needs the form key=value");
    }
    o.run.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  if (Status s = load::validate(o); !s.ok()) return s;
  if (o.run.protocol == "http/1.1") o.run.max_concurrent_streams = 1;
  return o;
}

// Checked before a run starts, so a report that cannot be written is a usage error up front
// instead of a surprise after the test (a full disk is still only found at the end).
Status check_output_paths(const std::string& output_file, const std::string& hlog_file) {
  if (hlog_file == "-") return Status::invalid_argument("--hlog needs a file name, not '-'");
  for (const auto& [flag, path] : {std::pair{"-o", &output_file}, std::pair{"--hlog", &hlog_file}}) {
    if (path->empty() || *path == "-") continue;
    std::error_code ec;
    const std::filesystem::path target(*path);
    if (std::filesystem::is_directory(target, ec)) {
      return Status::invalid_argument(std::string(flag) + ": '" + *path + "' is a directory");
    }
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::invalid_argument(std::string(flag) + ": the folder '" + dir.string() + "' does not exist");
    }
    const bool exists = std::filesystem::exists(target, ec);
    if (access(exists ? path->c_str() : dir.c_str(), W_OK) != 0) {
      return Status::invalid_argument(std::string(flag) + ": cannot write '" + *path + "': " + std::strerror(errno));
    }
  }
  return {};
}

// Writes the report (and the .hlog when asked). On failure the human report still goes to
// standard output, so the statistics are not lost.
bool write_reports(const model::RunResult& result, const std::string& text, const std::string& output_file,
                   const std::string& hlog_file) {
  Status status = write_output(text, output_file);
  if (status.ok() && !hlog_file.empty()) {
    status = hlog_file == "-" ? Status::invalid_argument("--hlog needs a file name, not '-'")
                              : write_output(output::render_hlog(result), hlog_file);
  }
  if (status.ok()) return true;
  std::cerr << "nightjar: error: " << status.message() << "\n";
  if (output_file.empty() || output_file == "-") return false;
  std::cout << output::render_human(result);
  return false;
}

// Runs the load test and writes the report; returns the exit code.
// `html_file`: also write the HTML report there and say where it is.
// `controller` with workers: run on them instead of here.
int run_and_report(const load::LoadOptions& options, output::Format format, const std::string& output_file,
                   bool progress, const std::string& hlog_file = "", const std::string& html_file = "",
                   const distributed::ControllerOptions* controller = nullptr) {
  install_interrupt_handler();
  ProgressLine line(progress && isatty(STDERR_FILENO) != 0);
  load::RunControl control;
  control.stop = &g_stop;
  control.on_progress = [&line](const load::Progress& p) { line.update(p); };
  auto result = controller != nullptr && !controller->workers.empty()
                    ? distributed::run_distributed(options, *controller, control)
                    : load::run_load(options, control);
  line.clear();
  if (!result.ok()) {
    std::cerr << "nightjar: error: " << result.status().message() << "\n";
    return result.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (!write_reports(*result, output::render(*result, format), output_file, hlog_file)) return kExitFailure;
  if (!html_file.empty()) {
    if (Status s = write_output(output::render_html(*result), html_file); !s.ok()) {
      std::cerr << "nightjar: error: " << s.message() << "\n";
      return kExitFailure;
    }
    std::cout << "\nHTML report: " << std::filesystem::absolute(html_file).string() << "\n";
  }
  // A worker thread that failed (out of memory) also ends the run early, but is no Ctrl-C.
  if (result->interrupted) return result->error_details.count("internal") > 0 ? kExitFailure : kExitInterrupted;
  if (result->partial) return kExitFailure;
  if (result->counters.completed == 0 && result->counters.errors() + result->counters.dropped > 0) {
    // A report that is not on the terminal: say on stderr why nothing got through.
    if (format != output::Format::kHuman || (!output_file.empty() && output_file != "-")) {
      for (const auto& [kind, detail] : result->error_details) {
        std::cerr << "nightjar: error: no request succeeded; " << kind << ": " << detail << "\n";
      }
    }
    return kExitFailure;
  }
  return kExitOk;
}

int run_load_command(const LoadFlags& f, bool duration_given) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto options = build_load_options(f, duration_given);
  if (!options.ok()) return usage_error(options.status().message());
  if (Status s = check_output_paths(f.output_file, f.hlog_file); !s.ok()) return usage_error(s.message());
  auto controller = controller_options(f.controller);
  if (!controller.ok()) return usage_error(controller.status().message());
  return run_and_report(*options, *format, f.output_file, !f.no_progress, f.hlog_file, "", &*controller);
}

struct RunFlags {
  std::string file;
  std::string output_format = "human";
  std::string output_file;
  bool no_progress = false;
  std::string hlog_file;
  ControllerFlags controller;
  std::string protocol;
  int max_concurrent_streams = 1;
};

// Runs every client of an SMPS test at the same time; reports each and the combination.
int run_test_file_command(const RunFlags& f) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto text = read_file(f.file);
  if (!text.ok()) return usage_error(text.status().message());
  auto plan = config::parse_smps_test(*text, f.file);
  if (!plan.ok()) return usage_error(plan.status().message());
  if (Status s = check_output_paths(f.output_file, f.hlog_file); !s.ok()) return usage_error(s.message());
  auto controller = controller_options(f.controller);
  if (!controller.ok()) return usage_error(controller.status().message());
  if (plan->clients.size() == 1) {
    return run_and_report(plan->clients.front().options, *format, f.output_file, !f.no_progress, f.hlog_file, "",
                          &*controller);
  }
  if (!controller->workers.empty()) {
    return usage_error("--workers runs a test file with one client; this one has " +
                       std::to_string(plan->clients.size()));
  }

  install_interrupt_handler();
  std::vector<Result<model::RunResult>> results(plan->clients.size(), Status::internal("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < plan->clients.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        load::RunControl control;
        control.stop = &g_stop;
        results[i] = load::run_load(plan->clients[i].options, control);
      } catch (const std::exception& e) {  // run_load returns its errors; this is the last guard
        results[i] = Status::internal(std::string("the client's thread failed: ") + e.what());
      }
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<model::RunResult> parts;
  std::vector<std::string> names;
  std::string human;
  for (size_t i = 0; i < results.size(); ++i) {
    const config::TestClient& client = plan->clients[i];
    if (!results[i].ok()) {
      std::cerr << "nightjar: error: " << client.name << ": " << results[i].status().message() << "\n";
      return kExitFailure;
    }
    names.push_back(client.name + " " + client.options.run.urls.front());
    human += "== " + names.back() + "\n" + output::render_human(*results[i]) + "\n";
    parts.push_back(std::move(*results[i]));
  }
  model::RunResult combined = model::merge_results(parts, names);
  combined.options.test_name = plan->name;
  combined.options.labels = plan->labels;
  std::string text_out = output::render(combined, *format);
  if (*format == output::Format::kHuman) {
    text_out = human + fmt::format("== combined: {} clients\n", parts.size()) + text_out;
  }
  if (!write_reports(combined, text_out, f.output_file, f.hlog_file)) return kExitFailure;
  if (combined.interrupted) return kExitInterrupted;
  if (combined.counters.completed == 0 && combined.counters.errors() + combined.counters.dropped > 0) return kExitFailure;
  return kExitOk;
}

struct ReportFlags {
  std::string input;
  std::string output_format = "human";
  std::string output_file;
  std::string hlog_file;
};

int run_report_command(const ReportFlags& f) {
  auto format = output::parse_format(f.output_format);
  if (!format.ok()) return usage_error("--output-format: " + format.status().message());
  auto text = read_file(f.input);
  if (!text.ok()) return usage_error(text.status().message());
  auto result = output::parse_result_json(*text);
  if (!result.ok()) return usage_error("'" + f.input + "': " + result.status().message());
  return write_reports(*result, output::render(*result, *format), f.output_file, f.hlog_file) ? kExitOk
                                                                                               : kExitFailure;
}

struct ServeFlags {
  std::string listen = "127.0.0.1:8080";
  int threads = 1;
  std::string stall_after;
  std::string stall_for = "1s";
  int64_t goaway_after = 0;
  bool tls = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_cert_out;
  std::string tls_client_ca;
  std::string alpn;  // empty: h2,http/1.1
  // Limits (see ServerOptions).
  std::string header_timeout = "10s";
  std::string idle_timeout = "60s";
  std::string tls_handshake_timeout = "10s";
  int64_t max_connections = server::ServerOptions::kDefaultMaxConnections;
  std::string max_body_bytes = "16m";
  std::string max_header_bytes = "16k";
  int64_t max_headers = server::ServerOptions::kDefaultMaxHeaderFields;
};

// A byte count for a serve flag: digits with an optional k, m or g suffix (powers of 1024).
Result<uint64_t> parse_serve_bytes(const std::string& flag, const std::string& text) {
  uint64_t multiplier = 1;
  std::string digits = text;
  if (!digits.empty()) {
    const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
    multiplier = unit == 'k' ? 1024 : unit == 'm' ? 1024 * 1024 : unit == 'g' ? 1024 * 1024 * 1024 : 1;
    if (multiplier != 1) digits.pop_back();
  }
  if (digits.empty() || digits.size() > 15 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return Status::invalid_argument(flag + ": expected a byte count such as 65536, 64k or 16m, not '" + text + "'");
  }
  const uint64_t count = std::stoull(digits);
  if (count > (uint64_t{1} << 50) / multiplier) return Status::invalid_argument(flag + ": '" + text + "' is too large");
  return count * multiplier;
}

// The limits of `serve` from its flags; a usage error names the flag.
Result<server::ServerOptions> serve_limit_options(const ServeFlags& f, server::ServerOptions options) {
  constexpr int64_t kMaxTimeoutNs = server::ServerOptions::kMaxTimeoutNs;
  for (const auto& [flag, text, into] :
       {std::tuple{"--header-timeout", &f.header_timeout, &options.header_timeout_ns},
        std::tuple{"--idle-timeout", &f.idle_timeout, &options.idle_timeout_ns},
        std::tuple{"--tls-handshake-timeout", &f.tls_handshake_timeout, &options.tls_handshake_timeout_ns}}) {
    auto ns = parse_duration_ns(*text);
    if (!ns.ok()) return Status::invalid_argument(std::string(flag) + ": " + ns.status().message());
    if (*ns <= 0 || *ns > kMaxTimeoutNs) {
      return Status::invalid_argument(std::string(flag) + " must be more than 0 and at most 24h, not '" + *text + "'");
    }
    *into = *ns;
  }
  if (f.max_connections < 1) return Status::invalid_argument("--max-connections must be at least 1");
  options.max_connections = f.max_connections;
  auto body = parse_serve_bytes("--max-body-bytes", f.max_body_bytes);
  if (!body.ok()) return body.status();
  if (*body == 0) return Status::invalid_argument("--max-body-bytes must be at least 1");
  options.max_body_bytes = *body;
  auto header = parse_serve_bytes("--max-header-bytes", f.max_header_bytes);
  if (!header.ok()) return header.status();
  if (*header < server::ServerOptions::kMinHeaderBytes || *header > server::ServerOptions::kMaxHeaderBytes) {
    return Status::invalid_argument("--max-header-bytes must be from 1k to 1m, not '" + f.max_header_bytes + "'");
  }
  options.max_header_bytes = static_cast<uint32_t>(*header);
  if (f.max_headers < 1 || f.max_headers > 10000) {
    return Status::invalid_argument("--max-headers must be from 1 to 10000");
  }
  options.max_header_fields = static_cast<uint32_t>(f.max_headers);
  return options;
}

// Raises the soft descriptor limit toward the hard one so that `max_connections` fit; warns
// when they still do not (connections beyond wait in the listen queue until others close).
void raise_descriptor_limit(int64_t max_connections) {
  constexpr rlim_t kSpareDescriptors = 64;  // listener, event loops, standard streams, files
  const rlim_t wanted = static_cast<rlim_t>(max_connections) + kSpareDescriptors;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  if (limit.rlim_cur < wanted) {
    std::cerr << "nightjar: warning: --max-connections " << max_connections << " needs about " << wanted
              << " file descriptors, the limit is " << limit.rlim_cur
              << " (ulimit -n): connections beyond it wait until others close\n";
  }
}

// The TLS side of `serve` from its flags; a usage error names the flag.
Result<server::ServerOptions> serve_tls_options(const ServeFlags& f, server::ServerOptions options) {
  const bool tls = f.tls || !f.tls_cert.empty() || !f.tls_key.empty();
  if (f.tls && (!f.tls_cert.empty() || !f.tls_key.empty())) {
    return Status::invalid_argument("--tls generates a certificate; give either --tls or --tls-cert with --tls-key");
  }
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    return Status::invalid_argument(f.tls_cert.empty() ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key");
  }
  if (!tls) {
    for (const auto& [flag, value] : {std::pair{"--tls-cert-out", &f.tls_cert_out},
                                      std::pair{"--tls-client-ca", &f.tls_client_ca}, std::pair{"--alpn", &f.alpn}}) {
      if (!value->empty()) return Status::invalid_argument(std::string(flag) + " needs --tls or --tls-cert");
    }
    return options;
  }
  tls::ServerTlsOptions t;
  t.cert_name = "--tls-cert";
  t.key_name = "--tls-key";
  t.client_ca_name = "--tls-client-ca";
  for (const auto& [flag, path, into] : {std::tuple{"--tls-cert", &f.tls_cert, &t.cert_pem},
                                         std::tuple{"--tls-key", &f.tls_key, &t.key_pem},
                                         std::tuple{"--tls-client-ca", &f.tls_client_ca, &t.client_ca_pem}}) {
    if (path->empty()) continue;
    auto pem = read_file(*path);
    if (!pem.ok()) return Status::invalid_argument(std::string(flag) + ": " + pem.status().message());
    *into = *pem;
  }
  if (!f.alpn.empty()) {
    t.alpn.clear();
    std::stringstream list(f.alpn);
    for (std::string protocol; std::getline(list, protocol, ',');) {
      protocol.erase(0, protocol.find_first_not_of(' '));
      protocol.erase(protocol.find_last_not_of(' ') + 1);
      if (protocol != "h2" && protocol != "http/1.1") {
        return Status::invalid_argument("--alpn: unknown protocol '" + protocol + "' (use h2, http/1.1 or both)");
      }
      t.alpn.push_back(protocol);
    }
  }
  options.tls = std::move(t);
  return options;
}

int run_serve_command(const ServeFlags& f) {
  server::ServerOptions options;
  options.listen = f.listen;
  options.threads = f.threads;
  if (f.threads < 1) return usage_error("--threads must be at least 1");
  if (f.goaway_after < 0) return usage_error("--goaway-after must not be negative (0: never)");
  options.goaway_after_requests = f.goaway_after;
  if (!f.stall_after.empty()) {
    auto after = parse_duration_ns(f.stall_after);
    if (!after.ok()) return usage_error("--stall-after: " + after.status().message());
    auto length = parse_duration_ns(f.stall_for);
    if (!length.ok()) return usage_error("--stall-for: " + length.status().message());
    options.stall_after_ns = *after;
    options.stall_for_ns = *length;
  }
  auto with_tls = serve_tls_options(f, options);
  if (!with_tls.ok()) return usage_error(with_tls.status().message());
  auto with_limits = serve_limit_options(f, std::move(with_tls).value());
  if (!with_limits.ok()) return usage_error(with_limits.status().message());
  options = std::move(with_limits).value();
  raise_descriptor_limit(options.max_connections);
  // Block the stop signals before any thread starts, then wait for one here.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = server::TestServer::start(options);
  if (!server.ok()) {
    std::cerr << "nightjar: error: " << server.status().message() << "\n";
    return server.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (!f.tls_cert_out.empty()) {
    // Written before "listening on", so whoever waits for that line finds the file complete.
    std::ofstream out(f.tls_cert_out, std::ios::binary | std::ios::trunc);
    out << (*server)->tls_certificate_pem();
    out.close();
    if (!out) {
      std::cerr << "nightjar: error: --tls-cert-out: cannot write '" << f.tls_cert_out << "': " << std::strerror(errno)
                << "\n";
      return kExitFailure;
    }
  }
  std::cout << "listening on " << (*server)->listen_address() << std::endl;
  if (options.tls) {
    std::cout << "tls: " << (f.tls ? "self-signed certificate" : "certificate " + f.tls_cert)
              << ", SHA-256 fingerprint " << (*server)->tls_certificate_fingerprint() << std::endl;
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->stop();
  const server::ServerStats stats = (*server)->stats();
  std::string summary = fmt::format("nightjar serve: stopped after {} requests on {} connections ({} HTTP/2, {} gRPC, "
                                    "{} bad",
                                    stats.requests, stats.connections_accepted, stats.http2_requests,
                                    stats.grpc_requests, stats.bad_requests);
  if (options.tls) {
    summary += fmt::format("; {} TLS handshakes, {} resumed, {} failed", stats.tls_handshakes,
                           stats.tls_resumed_handshakes, stats.tls_handshake_failures);
  }
  std::cerr << summary << ")\n";
  std::string limits = fmt::format(
      "nightjar serve: closed {} connections over --max-connections, {} at --header-timeout, {} at --idle-timeout",
      stats.connections_rejected, stats.header_timeouts, stats.idle_timeouts);
  if (options.tls) limits += fmt::format(", {} at --tls-handshake-timeout", stats.tls_handshake_timeouts);
  limits += fmt::format(
      "; refused {} request bodies over --max-body-bytes, {} headers over --max-header-bytes or --max-headers; "
      "{} accept back-offs",
      stats.bodies_too_large, stats.headers_too_large, stats.accept_backoffs);
  std::cerr << limits << "\n";
  return kExitOk;
}

struct WorkerFlags {
  std::string listen = "127.0.0.1:7070";
  std::string token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string client_ca;
  std::vector<std::string> allow_targets;
  bool allow_plaintext_token = false;
};

int run_worker_command(const WorkerFlags& f) {
  distributed::WorkerServerOptions options;
  options.listen = f.listen;
  options.allow_targets = f.allow_targets;
  options.allow_plaintext_token = f.allow_plaintext_token;
  if (!f.token_file.empty()) {
    auto token = read_secret("--token-file", f.token_file);
    if (!token.ok()) return usage_error(token.status().message());
    options.token = *token;
  }
  for (const auto& [flag, path, into] : {std::tuple{"--tls-cert", &f.tls_cert, &options.tls_cert_pem},
                                         std::tuple{"--tls-key", &f.tls_key, &options.tls_key_pem},
                                         std::tuple{"--client-ca", &f.client_ca, &options.client_ca_pem}}) {
    if (path->empty()) continue;
    auto pem = read_file(*path);
    if (!pem.ok()) return usage_error(std::string(flag) + ": " + pem.status().message());
    *into = *pem;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = distributed::WorkerServer::start(options);
  if (!server.ok()) {
    std::cerr << "nightjar: error: " << server.status().message() << "\n";
    return server.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  std::cout << "listening on " << (*server)->listen_address() << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->stop();
  return kExitOk;
}

struct DemoFlags {
  double rps = 1000;
  std::string duration = "5s";
  int connections = 10;
  std::string html_file = "nightjar-demo-report.html";
};

int run_demo_command(const DemoFlags& f) {
  auto server = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
  if (!server.ok()) {
    std::cerr << "nightjar: error: cannot start the demo server: " << server.status().message() << "\n";
    return kExitFailure;
  }
  const std::string url = "http://" + (*server)->listen_address() + "/?size=128";
  std::cout << "nightjar demo: test server listening on " << (*server)->listen_address() << "\n"
            << fmt::format("nightjar demo: {} req/s for {} over {} connections against {}\n\n", f.rps,
                           f.duration, f.connections, url)
            << std::flush;
  LoadFlags flags;
  flags.urls = {url};
  flags.rps = f.rps;
  flags.duration = f.duration;
  flags.connections = f.connections;
  auto options = build_load_options(flags, true);
  if (!options.ok()) return usage_error(options.status().message());
  const int code = run_and_report(*options, output::Format::kHuman, "", true, "", f.html_file);
  (*server)->stop();
  return code;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"nightjar: an exact, open-loop load generator and test server for HTTP services and meshes"};
  app.set_version_flag("--version", "nightjar 0.1.0");
  app.require_subcommand(1);

  LoadFlags load_flags;
  CLI::App* load = app.add_subcommand("load", "Run a load test from this machine");
  add_load_flags(*load, load_flags, true);

  ServeFlags serve_flags;
  CLI::App* serve = app.add_subcommand("serve", "Run the test server (responses controlled per request)");
  serve->add_option("--listen", serve_flags.listen, "Address to listen on; port 0 picks a free port")
      ->capture_default_str();
  serve->add_option("--threads", serve_flags.threads, "Event-loop threads")->capture_default_str();
  serve->add_option("--stall-after", serve_flags.stall_after,
                    "Freeze every response this long after the first request (coordinated-omission demo)");
  serve->add_option("--stall-for", serve_flags.stall_for, "How long the freeze lasts")->capture_default_str();
  serve->add_option("--goaway-after", serve_flags.goaway_after,
                    "HTTP/2: each connection sends GOAWAY after this many requests (0: never)")
      ->capture_default_str();
  serve->add_flag("--tls", serve_flags.tls,
                  "Serve TLS with a self-signed certificate made at start (its fingerprint is printed)");
  serve->add_option("--tls-cert", serve_flags.tls_cert, "Serve TLS with this certificate (PEM, chain after it)");
  serve->add_option("--tls-key", serve_flags.tls_key, "Private key of --tls-cert (PEM)");
  serve->add_option("--tls-cert-out", serve_flags.tls_cert_out,
                    "Write the served certificate (PEM) here, for clients to trust as a CA file");
  serve->add_option("--tls-client-ca", serve_flags.tls_client_ca,
                    "Require client certificates signed by this CA (PEM)");
  serve->add_option("--alpn", serve_flags.alpn,
                    "TLS application protocols accepted, in preference order (default h2,http/1.1)");
  serve->add_option("--header-timeout", serve_flags.header_timeout,
                    "Close a connection whose request header (HTTP/2: preface, header block) takes longer")
      ->capture_default_str();
  serve->add_option("--idle-timeout", serve_flags.idle_timeout,
                    "Close a keep-alive connection with nothing in flight after this long")
      ->capture_default_str();
  serve->add_option("--tls-handshake-timeout", serve_flags.tls_handshake_timeout,
                    "Close a connection whose TLS handshake takes longer")
      ->capture_default_str();
  serve->add_option("--max-connections", serve_flags.max_connections,
                    "Connections open at once; more are accepted and closed at once")
      ->capture_default_str();
  serve->add_option("--max-body-bytes", serve_flags.max_body_bytes,
                    "Largest request body (413 / RESOURCE_EXHAUSTED beyond); also the gRPC request bytes "
                    "one HTTP/2 connection may hold (suffixes k, m, g)")
      ->capture_default_str();
  serve->add_option("--max-header-bytes", serve_flags.max_header_bytes,
                    "Largest request header, 1k to 1m (431 beyond)")
      ->capture_default_str();
  serve->add_option("--max-headers", serve_flags.max_headers, "Most request header fields (431 beyond)")
      ->capture_default_str();

  RunFlags run_flags;
  CLI::App* run = app.add_subcommand("run", "Run an SMPS test file (YAML or JSON; legacy or camelCase shape)");
  run->add_option("-f,--file", run_flags.file, "The test file")->required();
  run->add_option("--output-format", run_flags.output_format, "One of: " + output::format_names())
      ->capture_default_str();
  run->add_option("-o,--output", run_flags.output_file, "Write the report to this file instead of standard output");
  run->add_flag("--no-progress", run_flags.no_progress, "No live progress line");
  run->add_option("--hlog", run_flags.hlog_file, "Also write an HdrHistogram interval log (.hlog)");
  add_worker_flags(*run, run_flags.controller);

  WorkerFlags worker_flags;
  CLI::App* worker = app.add_subcommand("worker", "Run as a gRPC worker that a controller (--workers) drives");
  worker->add_option("--listen", worker_flags.listen,
                     "Address to listen on; beyond loopback only with mutual TLS, or TLS and --token-file")
      ->capture_default_str();
  worker->add_option("--token-file", worker_flags.token_file, "Require this bearer token (file content)");
  worker->add_option("--tls-cert", worker_flags.tls_cert, "Serve TLS with this certificate (PEM)");
  worker->add_option("--tls-key", worker_flags.tls_key, "Key of --tls-cert");
  worker->add_option("--client-ca", worker_flags.client_ca, "Require client certificates signed by this CA");
  worker->add_option("--allow-target", worker_flags.allow_targets,
                     "Only send load to these hosts or CIDRs (repeatable; default: any)");
  worker->add_flag("--allow-plaintext-token", worker_flags.allow_plaintext_token,
                   "Beyond loopback, accept --token-file without TLS (the token then travels in clear)");

  CertsFlags certs_flags;
  CLI::App* certs = app.add_subcommand("certs", "Write a CA and worker/controller certificates for mutual TLS");
  add_certs_flags(*certs, certs_flags);

  ReportFlags report_flags;
  CLI::App* report = app.add_subcommand("report", "Re-render a saved JSON result in any output format");
  report->add_option("result", report_flags.input, "A result written with --output-format json")->required();
  report->add_option("--output-format", report_flags.output_format, "One of: " + output::format_names())
      ->capture_default_str();
  report->add_option("-o,--output", report_flags.output_file, "Write to this file instead of standard output");
  report->add_option("--hlog", report_flags.hlog_file, "Also write an HdrHistogram interval log (.hlog)");

  DemoFlags demo_flags;
  CLI::App* demo = app.add_subcommand("demo", "Start the test server in-process and load it for a few seconds");
  demo->add_option("--rps", demo_flags.rps, "Request rate")->capture_default_str();
  demo->add_option("-d,--duration", demo_flags.duration, "Duration")->capture_default_str();
  demo->add_option("-c,--connections", demo_flags.connections, "Connections")->capture_default_str();
  demo->add_option("--html", demo_flags.html_file, "Where to write the HTML report")->capture_default_str();

  const std::string first = argc > 1 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' && first != "load" && first != "serve" && first != "demo" &&
      first != "report" && first != "run" && first != "worker" && first != "certs") {
    return usage_error(std::string("unknown command '") + argv[1] +
                       "' (commands: load, run, serve, worker, certs, report, demo; see --help)");
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
    std::cerr << "nightjar: error: " << e.what() << "\nRun 'nightjar --help' or 'nightjar COMMAND --help'.\n";
    return kExitUsage;
  }

  if (*load) return run_load_command(load_flags, load->count("--duration") > 0);
  if (*serve) return run_serve_command(serve_flags);
  if (*demo) return run_demo_command(demo_flags);
  if (*report) return run_report_command(report_flags);
  if (*run) return run_test_file_command(run_flags);
  if (*worker) return run_worker_command(worker_flags);
  if (*certs) return run_certs_command(certs_flags);
  return kExitUsage;
}

}  // namespace nightjar::cli
