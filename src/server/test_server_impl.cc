#include "server/test_server_impl.h"

#include <exception>
#include <string>
#include <utility>

#include "server/address.h"

namespace nightjar::server {

namespace {
constexpr int kMaxThreads = 1024;

// Nanoseconds between two releases of the capacity queue, rounded to the nearest.
int64_t service_interval_ns(int64_t capacity_rps) {
  return (int64_t{1'000'000'000} + capacity_rps / 2) / capacity_rps;
}
}  // namespace

Result<std::unique_ptr<TestServer>> TestServerImpl::start(const ServerOptions& options) {
  if (options.threads < 1 || options.threads > kMaxThreads) {
    return Status::invalid_argument("threads must be from 1 to " + std::to_string(kMaxThreads) +
                                    ", not " + std::to_string(options.threads));
  }
  if (options.stall_for_ns < 0) {
    return Status::invalid_argument("the stall duration must not be negative");
  }
  if (options.capacity_rps < 0 || options.capacity_rps > ServerOptions::kMaxCapacityRps) {
    return Status::invalid_argument("the capacity must be from 1 to " +
                                    std::to_string(ServerOptions::kMaxCapacityRps) +
                                    " requests per second (0: unlimited), not " +
                                    std::to_string(options.capacity_rps));
  }
  if (options.goaway_after_requests < 0) {
    return Status::invalid_argument("goaway-after must not be negative");
  }
  for (const auto& [name, value] : {std::pair{"the header timeout", options.header_timeout_ns},
                                    std::pair{"the idle timeout", options.idle_timeout_ns},
                                    std::pair{"the TLS handshake timeout",
                                              options.tls_handshake_timeout_ns},
                                    std::pair{"the maximum of connections", options.max_connections}}) {
    if (value <= 0) return Status::invalid_argument(std::string(name) + " must be positive");
  }
  for (const int64_t timeout_ns : {options.header_timeout_ns, options.idle_timeout_ns,
                                   options.tls_handshake_timeout_ns}) {
    if (timeout_ns > ServerOptions::kMaxTimeoutNs) {
      return Status::invalid_argument("a timeout of the test server must be at most 24h");
    }
  }
  if (options.max_body_bytes == 0) {
    return Status::invalid_argument("the maximum request body must be positive");
  }
  if (options.max_header_bytes < ServerOptions::kMinHeaderBytes ||
      options.max_header_bytes > ServerOptions::kMaxHeaderBytes) {
    return Status::invalid_argument(
        "the maximum request header must be from " + std::to_string(ServerOptions::kMinHeaderBytes) +
        " to " + std::to_string(ServerOptions::kMaxHeaderBytes) + " bytes, not " +
        std::to_string(options.max_header_bytes));
  }
  if (options.max_header_fields == 0) {
    return Status::invalid_argument("the maximum of request header fields must be positive");
  }
  std::unique_ptr<tls::ServerContext> tls;
  if (options.tls) {
    Result<std::unique_ptr<tls::ServerContext>> context = tls::ServerContext::create(*options.tls);
    if (!context.ok()) return context.status();
    tls = std::move(context).value();
  }
  Result<boost::asio::ip::tcp::endpoint> endpoint = parse_listen_address(options.listen);
  if (!endpoint.ok()) return endpoint.status();

  ConnectionLimits limits;
  limits.header_timeout_ns = options.header_timeout_ns;
  limits.idle_timeout_ns = options.idle_timeout_ns;
  limits.tls_handshake_timeout_ns = options.tls_handshake_timeout_ns;
  limits.max_body_bytes = options.max_body_bytes;
  limits.max_header_bytes = options.max_header_bytes;
  limits.max_header_fields = options.max_header_fields;

  // asio reports failing to create a reactor or a thread by exception; a partly started
  // server is stopped by its destructor.
  try {
    std::unique_ptr<TestServerImpl> server(new TestServerImpl(options));
    server->tls_ = std::move(tls);
    for (int i = 0; i < options.threads; ++i) {
      server->workers_.push_back(std::make_unique<Worker>(server->shared_,
                                                          server->connection_limit_, limits,
                                                          options.goaway_after_requests,
                                                          server->tls_.get()));
    }
    // One listening socket, bound once (so port 0 yields one port), shared by every worker.
    Worker& first = *server->workers_.front();
    if (Status status = first.listen(*endpoint, options.listen); !status.ok()) return status;
    for (size_t i = 1; i < server->workers_.size(); ++i) {
      if (Status status = server->workers_[i]->share_listener(first); !status.ok()) {
        return status;
      }
    }
    const boost::asio::ip::tcp::endpoint bound = first.local_endpoint();
    server->port_ = bound.port();
    server->listen_address_ = format_endpoint(bound);
    for (auto& worker : server->workers_) worker->start();
    return std::unique_ptr<TestServer>(std::move(server));
  } catch (const std::exception& e) {
    return Status::internal("cannot start the test server on " + options.listen + ": " + e.what());
  }
}

TestServerImpl::TestServerImpl(const ServerOptions& options)
    : shared_(options.stall_after_ns, options.stall_for_ns,
              options.capacity_rps > 0 ? service_interval_ns(options.capacity_rps) : 0),
      connection_limit_(options.max_connections) {}

TestServerImpl::~TestServerImpl() { stop(); }

ServerStats TestServerImpl::stats() const {
  ServerStats stats;
  for (const auto& worker : workers_) {
    const WorkerCounters& counters = worker->counters();
    stats.connections_accepted += counters.connections_accepted.load(std::memory_order_relaxed);
    stats.requests += counters.requests.load(std::memory_order_relaxed);
    stats.bad_requests += counters.bad_requests.load(std::memory_order_relaxed);
    stats.http2_requests += counters.http2_requests.load(std::memory_order_relaxed);
    stats.grpc_requests += counters.grpc_requests.load(std::memory_order_relaxed);
    stats.tls_handshakes += counters.tls_handshakes.load(std::memory_order_relaxed);
    stats.tls_resumed_handshakes += counters.tls_resumed_handshakes.load(std::memory_order_relaxed);
    stats.tls_handshake_failures += counters.tls_handshake_failures.load(std::memory_order_relaxed);
    stats.tls_handshake_timeouts += counters.tls_handshake_timeouts.load(std::memory_order_relaxed);
    stats.connections_rejected += counters.connections_rejected.load(std::memory_order_relaxed);
    stats.accept_backoffs += counters.accept_backoffs.load(std::memory_order_relaxed);
    stats.header_timeouts += counters.header_timeouts.load(std::memory_order_relaxed);
    stats.idle_timeouts += counters.idle_timeouts.load(std::memory_order_relaxed);
    stats.bodies_too_large += counters.bodies_too_large.load(std::memory_order_relaxed);
    stats.headers_too_large += counters.headers_too_large.load(std::memory_order_relaxed);
  }
  stats.open_connections = connection_limit_.open();
  return stats;
}

void TestServerImpl::stop() {
  std::lock_guard lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  // Ask every loop first so they wind down in parallel, then wait for each.
  for (auto& worker : workers_) worker->request_stop();
  for (auto& worker : workers_) worker->join();
}

}  // namespace nightjar::server
