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

class Http1Session final : public Session, private TransportEvents {
 public:
  // `requests[i]` holds the wire bytes for URL i; it must outlive the session.
  // `head_request`: the method is HEAD (responses carry no body). `tls`: null for plain
  // TCP, else the run's TLS context (it must outlive the session); `host` is verified.
  Http1Session(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
               const std::vector<std::string>& requests, bool head_request,
               SessionObserver& observer, int id, const tls::ClientContext* tls = nullptr,
               const std::string& host = "");
  ~Http1Session() override;

  void connect(int64_t now_ns) override;
  void send(const InFlight& request, int64_t now_ns) override;
  bool can_send() const override { return state_ == State::kIdle; }
  int in_flight() const override { return state_ == State::kBusy ? 1 : 0; }
  void check_timeouts(int64_t now_ns, int64_t timeout_ns) override;
  void close() override;
  State state() const override { return state_; }
  int id() const override { return id_; }
  const Transport& transport() const override { return transport_; }

 private:
  void on_transport_connected() override;
  void on_transport_connect_failed(model::ErrorKind kind) override;
  void on_transport_read(const boost::system::error_code& ec, size_t bytes) override;
  void on_transport_write_failed(const boost::system::error_code& ec) override;

  void arm_read_wait();
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

  Transport transport_;
  State state_ = State::kDisconnected;
  uint64_t generation_ = 0;       // bumped on close: tells a callback the observer reconnected us
  int64_t connect_started_ns_ = 0;
  InFlight current_;              // valid while kBusy
  uint64_t bytes_received_ = 0;   // of the current response
  Http1ResponseParser parser_;
  std::unique_ptr<char[]> buffer_;  // bytes read and not yet parsed live in [begin_, end_)
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace nightjar::http
