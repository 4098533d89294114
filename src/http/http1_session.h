// HTTP/1.1 over one keep-alive TCP connection: one request at a time (no pipelining, as
// wrk and h2load --h1 send).
//
// The hot path avoids the event loop where it can: a request is written with one
// non-blocking write() straight from prebuilt bytes, and one read is always armed on a
// connected socket, so a response costs one recvmsg() and a share of one epoll_wait (no
// epoll_ctl), and a server closing an idle keep-alive connection is noticed at once.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/http1_response_parser.h"
#include "http/session.h"

namespace nightjar::http {

class Http1Session final : public Session {
 public:
  // `requests[i]` holds the wire bytes for URL i; it must outlive the session.
  // `head_request`: the method is HEAD (responses carry no body).
  Http1Session(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
               const std::vector<std::string>& requests, bool head_request,
               SessionObserver& observer, int id);
  ~Http1Session() override;

  void connect(int64_t now_ns) override;
  void send(const InFlight& request, int64_t now_ns) override;
  bool can_send() const override { return state_ == State::kIdle; }
  int in_flight() const override { return state_ == State::kBusy ? 1 : 0; }
  void check_timeouts(int64_t now_ns, int64_t timeout_ns) override;
  void close() override;
  State state() const override { return state_; }
  int id() const override { return id_; }

 private:
  void arm_read_wait();
  void on_read(const boost::system::error_code& ec, size_t bytes, uint64_t generation);
  void on_write_done(const boost::system::error_code& ec, uint64_t generation);
  // Parses what is buffered; returns false when the connection was closed.
  bool process_buffer();
  void fail(model::ErrorKind kind);
  void handle_eof();

  // Constant after construction.
  boost::asio::ip::tcp::endpoint endpoint_;
  const std::vector<std::string>& requests_;
  const bool head_request_;
  SessionObserver& observer_;
  const int id_;

  boost::asio::ip::tcp::socket socket_;
  State state_ = State::kDisconnected;
  uint64_t generation_ = 0;       // bumped on close, so stale handlers of an old socket are ignored
  bool read_wait_armed_ = false;   // an async read is outstanding
  int64_t connect_started_ns_ = 0;
  InFlight current_;              // valid while kBusy
  uint64_t bytes_received_ = 0;   // of the current response
  Http1ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;  // bytes read and not yet parsed live in [begin_, end_)
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace nightjar::http
