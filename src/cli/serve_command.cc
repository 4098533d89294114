// `nightjar serve`: the test server until SIGINT or SIGTERM, then its statistics.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/interrupt.h"
#include "cli/serve_flags.h"

namespace nightjar::cli {
namespace {

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
    std::cerr << "nightjar: warning: --max-connections " << max_connections << " needs about "
              << wanted << " file descriptors, the limit is " << limit.rlim_cur
              << " (ulimit -n): connections beyond it wait until others close\n";
  }
}

// The statistics printed when the server stops.
void print_stop_summary(const server::ServerStats& stats, bool tls) {
  std::string summary = fmt::format(
      "nightjar serve: stopped after {} requests on {} connections ({} HTTP/2, {} gRPC, "
      "{} bad",
      stats.requests, stats.connections_accepted, stats.http2_requests, stats.grpc_requests,
      stats.bad_requests);
  if (tls) {
    summary += fmt::format("; {} TLS handshakes, {} resumed, {} failed", stats.tls_handshakes,
                           stats.tls_resumed_handshakes, stats.tls_handshake_failures);
  }
  std::cerr << summary << ")\n";
  std::string limits = fmt::format(
      "nightjar serve: closed {} connections over --max-connections, {} at --header-timeout, {} at "
      "--idle-timeout",
      stats.connections_rejected, stats.header_timeouts, stats.idle_timeouts);
  if (tls) limits += fmt::format(", {} at --tls-handshake-timeout", stats.tls_handshake_timeouts);
  limits += fmt::format(
      "; refused {} request bodies over --max-body-bytes, {} headers over --max-header-bytes or "
      "--max-headers; "
      "{} accept back-offs",
      stats.bodies_too_large, stats.headers_too_large, stats.accept_backoffs);
  std::cerr << limits << "\n";
}

int run_serve_command(const ServeFlags& f) {
  auto built = build_serve_options(f);
  if (!built.ok()) return usage_error(built.status().message());
  const server::ServerOptions options = std::move(built).value();
  raise_descriptor_limit(options.max_connections);
  const StopSignals stop_signals;  // before any thread starts
  auto server = server::TestServer::start(options);
  if (!server.ok()) return error_exit(server.status());
  if (!f.tls_cert_out.empty()) {
    // Written before "listening on", so whoever waits for that line finds the file complete.
    std::ofstream out(f.tls_cert_out, std::ios::binary | std::ios::trunc);
    out << (*server)->tls_certificate_pem();
    out.close();
    if (!out) {
      std::cerr << "nightjar: error: --tls-cert-out: cannot write '" << f.tls_cert_out
                << "': " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
  }
  std::cout << "listening on " << (*server)->listen_address() << std::endl;
  if (options.tls) {
    std::cout << "tls: " << (f.tls ? "self-signed certificate" : "certificate " + f.tls_cert)
              << ", SHA-256 fingerprint " << (*server)->tls_certificate_fingerprint() << std::endl;
  }
  stop_signals.wait();
  (*server)->stop();
  print_stop_summary((*server)->stats(), options.tls.has_value());
  return kExitOk;
}

}  // namespace

Command add_serve_command(CLI::App& app) {
  return make_command<ServeFlags>(app, "serve",
                                  "Run the test server (responses controlled per request)",
                                  add_serve_flags, run_serve_command);
}

}  // namespace nightjar::cli
