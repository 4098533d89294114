// One HTTP/1.1 connection of the test server: reads requests, answers each as its controls
// ask, in order. A connection whose first bytes are the HTTP/2 client preface is handed to
// an Http2Connection instead (h2c with prior knowledge on the same port). Enforces the
// header and idle timeouts and the header and body limits (see ServerOptions). Internal to
// the server component.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/connection.h"
#include "server/connection_base.h"
#include "server/control.h"

namespace nightjar::server {

// What the parser saw of the current request's header. Strings keep their capacity from
// one request to the next.
struct RequestHead {
  int version = 11;              // 10 or 11
  bool head_method = false;      // HEAD: answer without a body
  bool expect_continue = false;  // Expect: 100-continue
  std::string target;
  std::string control;  // X-Nightjar-Control values, joined with '&'
  uint32_t fields = 0;  // header fields so far
  bool too_many_fields = false;

  void reset();
};

// A beast parser that records the head and discards the body. A new one is emplaced for
// each request (beast parsers are single-use); that does not allocate. Fails with
// header_limit past `limits.max_header_bytes` or `limits.max_header_fields` (the head says
// which) and with body_limit past `limits.max_body_bytes`.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(RequestHead& head, const ConnectionLimits& limits);

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<uint64_t>&, error_code&) override {}
  size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  RequestHead& head_;
  const uint32_t max_fields_;
};

// The HTTP/1.1 protocol over a ConnectionBase (its lifetime and thread are described there).
template <typename Transport>
class Http1Connection final : public ConnectionBase<Http1Connection<Transport>, Transport> {
  using Base = ConnectionBase<Http1Connection<Transport>, Transport>;

 public:
  // `context` must outlive the connection. `opened_ns`: when the connection was accepted (or
  // its TLS handshake done), the start of its first request's header timeout. With
  // `detect_http2`, a connection that opens with the HTTP/2 preface becomes an
  // Http2Connection.
  Http1Connection(Transport transport, ConnectionContext& context, int64_t opened_ns,
                  bool detect_http2);

  // Starts reading requests.
  void start();

 private:
  struct PendingResponse {
    ResponseControls controls;
    std::string error_body;  // non-empty: this body replaces the filler (400s)
    int64_t ready_at_ns = 0;
    int64_t arrival_gap_ns = 0;
    int version = 11;
    bool keep_alive = true;  // what the request's version and Connection header allow
    bool head_method = false;
    bool bad_request = false;
    bool interim_continue = false;  // a "100 Continue", not a response
  };

  friend Base;  // it calls the hooks below
  // The state of ConnectionBase used here.
  using Base::closed_, Base::context_, Base::counters_, Base::guard_, Base::in_,
      Base::last_read_ns_, Base::limits_, Base::lingering_, Base::opened_ns_, Base::out_,
      Base::read_buffer_bytes_, Base::shared_, Base::transport_, Base::write_waiting_;

  // ConnectionBase's hooks.
  std::span<char> input_space();
  void on_input(const boost::system::error_code& ec, size_t bytes);
  void on_writable();
  void on_timer() { pump(); }
  // The header timeout runs while the current request's header is incomplete and the
  // connection waits for the client's bytes; the idle timeout whenever the server holds no
  // response for a delay or the stall. Any bytes read, and any response written, restart it.
  void on_guard();

  void pump();
  void parse_input();
  void on_request_complete();
  void queue_bad_request(const boost::beast::error_code& ec);
  void queue_refusal(int status, std::string_view why);
  PendingResponse& push_pending();
  void new_parser();
  // False while the first bytes may still be the HTTP/2 preface; hands the connection over
  // when they are.
  bool protocol_is_http1();

  void flush();
  void serialize(const PendingResponse& response);
  void write_now();
  void start_linger();
  void finish_if_done();

  int64_t last_write_ns_ = 0;      // when a response was last serialized or written out
  int64_t header_started_ns_ = 0;  // the current request's header began then; 0: not begun
  // Input: bytes [in_begin_, in_end_) of in_ are received and not yet parsed.
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  RequestHead head_;
  std::optional<RequestParser> parser_;
  bool continue_queued_ = false;  // a 100 Continue is queued for the current request

  // Requests parsed and not yet serialized: pending_[pending_head_, pending_count_). Slots
  // are reused (with their string capacity) once the queue drains.
  std::vector<PendingResponse> pending_;
  size_t pending_head_ = 0;
  size_t pending_count_ = 0;

  bool detecting_http2_;       // the first bytes have not ruled the HTTP/2 preface out yet
  bool stop_parsing_ = false;  // after garbage, a close request, or end of input
  bool peer_eof_ = false;      // the client shut its side down
  bool closing_ = false;       // a response saying Connection: close is serialized
};

}  // namespace nightjar::server
