#include "server/worker.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <memory>
#include <string_view>
#include <utility>

#include "server/http1_connection.h"
#include "server/tls_handshake.h"
#include "server/transport.h"

namespace nightjar::server {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Other accept errors (out of descriptors or memory) would repeat at once, so wait a little
// rather than spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);

// The client gave up before it was taken: accept the next one at once.
bool is_transient(const error_code& ec) {
  return ec == asio::error::connection_aborted || ec == asio::error::connection_reset ||
         ec.value() == EPROTO;
}

// Without ALPN a TLS client may still open with the HTTP/2 preface, if h2 is allowed at all.
bool allows_http2(const tls::ServerContext* tls) {
  if (tls == nullptr) return true;
  const std::string_view wire = tls->alpn_wire();
  for (size_t at = 0; at < wire.size(); at += 1 + static_cast<unsigned char>(wire[at])) {
    if (wire.substr(at + 1, static_cast<unsigned char>(wire[at])) == "h2") return true;
  }
  return false;
}

}  // namespace

Worker::Worker(SharedState& shared, ConnectionLimit& connection_limit,
               const ConnectionLimits& limits, int64_t goaway_after_requests,
               const tls::ServerContext* tls)
    : tls_(tls),
      connection_limit_(connection_limit),
      context_{shared, counters_, connections_, system_clock(), limits, goaway_after_requests, allows_http2(tls)},
      work_(io_context_.get_executor()) {}

Worker::~Worker() {
  request_stop();
  join();
}

Status Worker::listen(const tcp::endpoint& endpoint, const std::string& listen_text) {
  error_code ec;
  const auto failed = [&](const char* step) {
    return Status::unavailable("cannot listen on " + listen_text + ": " + step + ": " +
                               ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return failed("socket");
  // Lets a restarted server take its port back from connections in TIME_WAIT; it does not
  // allow two listeners on one port.
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec)) return failed("setsockopt");
  if (acceptor_.bind(endpoint, ec)) return failed("bind");
  if (acceptor_.listen(tcp::acceptor::max_listen_connections, ec)) return failed("listen");
  return Status::ok_status();
}

Status Worker::share_listener(Worker& owner) {
  const int fd = ::dup(owner.acceptor_.native_handle());
  if (fd < 0) {
    return Status::unavailable("cannot share the listening socket: " +
                               error_code(errno, boost::system::system_category()).message());
  }
  error_code ec;
  const tcp protocol = owner.local_endpoint().protocol();
  if (acceptor_.assign(protocol, fd, ec)) {
    ::close(fd);
    return Status::unavailable("cannot share the listening socket: " + ec.message());
  }
  return Status::ok_status();
}

tcp::endpoint Worker::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Worker::start() {
  accept_next();
  thread_ = std::thread([this] { run(); });
}

void Worker::request_stop() {
  if (!thread_.joinable()) return;
  asio::post(io_context_, [this] {
    shutting_down_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    cancel_waits(accept_retry_timer_);
    // Closing cancels each connection's pending operations; their handlers then release
    // the connections, and run() returns once no work is left.
    for (ServerConnection* connection : connections_) connection->abort();
    work_.reset();
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() noexcept {
  for (;;) {
    try {
      io_context_.run();
      return;
    } catch (const std::exception& e) {
      // Handlers catch their own errors; this only keeps the thread alive if one slips by.
      std::fprintf(stderr, "nightjar test server: event loop error: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "nightjar test server: event loop error\n");
    }
  }
}

void Worker::accept_next() noexcept {
  try {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  } catch (...) {
    back_off();  // no memory for the accept operation: try again later
  }
}

void Worker::back_off() noexcept {
  WorkerCounters::bump(counters_.accept_backoffs);
  try {
    accept_retry_timer_.expires_after(kAcceptRetryDelay);
    accept_retry_timer_.async_wait([this](const error_code& wait_ec) {
      if (!wait_ec && !shutting_down_) accept_next();
    });
  } catch (...) {
    std::fprintf(stderr, "nightjar test server: out of memory, this thread stops accepting\n");
  }
}

void Worker::on_accept(const error_code& ec, tcp::socket socket) {
  if (shutting_down_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    if (is_transient(ec)) {
      accept_next();
    } else {
      back_off();  // out of descriptors or memory: accepting again at once would spin
    }
    return;
  }
  if (!connection_limit_.try_acquire()) {
    // Over the limit: closed at once, so the client learns it now rather than hanging.
    WorkerCounters::bump(counters_.connections_rejected);
    error_code ignored;
    socket.close(ignored);
    accept_next();
    return;
  }
  WorkerCounters::bump(counters_.connections_accepted);
  try {
    serve(std::move(socket), ConnectionSlot(connection_limit_));
  } catch (...) {
    // Out of memory for this one connection: it is dropped (closed with its socket, its
    // slot given back), the server keeps accepting.
  }
  accept_next();
}

void Worker::serve(tcp::socket socket, ConnectionSlot slot) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored);
  if (tls_ == nullptr) {
    std::make_shared<Http1Connection<PlainTransport>>(
        PlainTransport(std::move(socket), std::move(slot)), context_, context_.clock.steady_ns(),
        /*detect_http2=*/true)
        ->start();
    return;
  }
  SslPtr ssl = new_server_ssl(tls_->native(), socket.native_handle());
  if (!ssl) return;  // out of memory: dropped
  std::make_shared<TlsHandshake>(TlsTransport(std::move(socket), std::move(ssl), std::move(slot)),
                                 context_)
      ->start();
}

}  // namespace nightjar::server
