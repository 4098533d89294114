// One event-loop thread of the test server: its io_context, its acceptor on the server's
// listening socket, and the connections it accepted. Internal to the server component.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>
#include <thread>

#include "common/status.h"
#include "server/connection.h"
#include "server/server_state.h"
#include "tls/server_context.h"

namespace nightjar::server {

class Worker {
 public:
  // `shared`, `connection_limit` and `tls` (null: plaintext) must outlive the worker.
  Worker(SharedState& shared, ConnectionLimit& connection_limit, const ConnectionLimits& limits,
         int64_t goaway_after_requests, const tls::ServerContext* tls);
  ~Worker();  // stops and joins if still running
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds and listens on `endpoint`. Errors name `listen_text` and the system's reason.
  Status listen(const boost::asio::ip::tcp::endpoint& endpoint, const std::string& listen_text);
  // Accepts on the same listening socket as `owner` (a duplicate of its descriptor), so
  // every worker takes connections from one queue on one port.
  Status share_listener(Worker& owner);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Starts the thread, which accepts and serves until stopped.
  void start();
  // Asks the loop to close its acceptor and every connection; returns at once. Any thread.
  void request_stop();
  // Waits for the thread to end after request_stop(). Idempotent.
  void join();

  const WorkerCounters& counters() const { return counters_; }

 private:
  // Never throw: a failure to start an accept or a wait is reported and backed off.
  void accept_next() noexcept;
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void back_off() noexcept;
  void serve(boost::asio::ip::tcp::socket socket, ConnectionSlot slot);
  void run() noexcept;

  const tls::ServerContext* const tls_;
  ConnectionLimit& connection_limit_;
  WorkerCounters counters_;
  // Declared before io_context_ so they outlive connections freed with the context's handlers.
  ConnectionSet connections_;  // loop thread only
  ConnectionContext context_;
  boost::asio::io_context io_context_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_context_};
  boost::asio::steady_timer accept_retry_timer_{io_context_};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  bool shutting_down_ = false;  // loop thread only
  std::thread thread_;
};

}  // namespace nightjar::server
