#include "server/http1_connection.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>
#include <utility>

#include "server/http2_connection.h"
#include "server/transport.h"

namespace nightjar::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

// The read buffer holds a header at its limit plus the start of the next request.
constexpr size_t kMinReadBufferBytes = size_t{16} * 1024;
constexpr size_t kReadBufferSlackBytes = size_t{4} * 1024;
// Requests parsed ahead of their responses; beyond this the connection stops reading, so a
// client pipelining delayed requests cannot grow the queue without bound.
constexpr size_t kMaxPendingResponses = 64;

std::string_view reason_phrase(int status) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  if (reason.empty() || reason.front() == '<') return "Unknown";  // "<unknown-status>"
  return {reason.data(), reason.size()};
}

}  // namespace

void RequestHead::reset() {
  version = 11;
  head_method = false;
  expect_continue = false;
  target.clear();
  control.clear();
  fields = 0;
  too_many_fields = false;
}

RequestParser::RequestParser(RequestHead& head, const ConnectionLimits& limits)
    : head_(head), max_fields_(limits.max_header_fields) {
  header_limit(limits.max_header_bytes);
  // Bodies are discarded as they arrive, so the limit is not about memory: a body larger
  // than a client may send is refused (413), as nginx and Envoy do.
  body_limit(limits.max_body_bytes);
  eager(true);
}

void RequestParser::on_request_impl(http::verb method, string_view /*method_str*/,
                                    string_view target, int version, error_code& /*ec*/) {
  head_.version = version;
  head_.head_method = method == http::verb::head;
  head_.target.assign(target.data(), target.size());
}

void RequestParser::on_field_impl(http::field name, string_view name_string, string_view value,
                                  error_code& ec) {
  if (++head_.fields > max_fields_) {
    head_.too_many_fields = true;
    ec = http::error::header_limit;
    return;
  }
  if (name == http::field::expect) {
    head_.expect_continue = boost::beast::iequals(value, "100-continue");
  } else if (name == http::field::unknown &&
             boost::beast::iequals(name_string, "x-nightjar-control")) {
    if (!head_.control.empty()) head_.control.push_back('&');
    head_.control.append(value.data(), value.size());
  }
}

template <typename Transport>
Http1Connection<Transport>::Http1Connection(Transport transport, ConnectionContext& context,
                                            int64_t opened_ns, bool detect_http2)
    : Base(std::move(transport), context, opened_ns,
           std::max(kMinReadBufferBytes,
                    size_t{context.limits.max_header_bytes} + kReadBufferSlackBytes)),
      last_write_ns_(opened_ns),
      detecting_http2_(detect_http2) {
  new_parser();
  header_started_ns_ = opened_ns;  // the first request's header is due from the start
}

template <typename Transport>
void Http1Connection<Transport>::start() {
  guarded(*this, [&] {
    this->read_more();
    on_guard();  // arms the guard
  });
}

template <typename Transport>
void Http1Connection<Transport>::new_parser() {
  head_.reset();
  continue_queued_ = false;
  header_started_ns_ = 0;
  parser_.emplace(head_, limits_);
}

template <typename Transport>
void Http1Connection<Transport>::on_guard() {
  if (closed_ || lingering_) return;
  if (this->timeout_passed(header_started_ns_, std::max(last_read_ns_, last_write_ns_),
                           this->timer_armed())) {
    this->abort();
  }
}

template <typename Transport>
bool Http1Connection<Transport>::protocol_is_http1() {
  if (!detecting_http2_) return true;
  const size_t compared = std::min(in_end_, kHttp2Preface.size());
  if (std::memcmp(in_.get(), kHttp2Preface.data(), compared) != 0) {
    detecting_http2_ = false;
    return true;
  }
  if (compared < kHttp2Preface.size()) return false;  // a prefix of the preface so far
  // HTTP/2: the new connection takes the socket and the bytes read; this one just ends.
  closed_ = true;
  guard_.cancel();
  auto http2 = std::make_shared<Http2Connection<Transport>>(std::move(transport_), context_,
                                                            std::string_view(in_.get(), in_end_),
                                                            last_read_ns_, opened_ns_);
  http2->start();
  return false;
}

// Parses what arrived, answers what is ready, then reads again. Every event ends here.
template <typename Transport>
void Http1Connection<Transport>::pump() {
  if (closed_ || lingering_) return;
  parse_input();
  flush();
  if (closed_ || lingering_) return;
  this->read_more();
  finish_if_done();
}

template <typename Transport>
std::span<char> Http1Connection<Transport>::input_space() {
  if (stop_parsing_ || pending_count_ - pending_head_ >= kMaxPendingResponses) return {};
  return {in_.get() + in_end_, read_buffer_bytes_ - in_end_};
}

template <typename Transport>
void Http1Connection<Transport>::on_input(const error_code& ec, size_t bytes) {
  if (ec == asio::error::eof) {
    // Answer what is complete; an unfinished request is dropped.
    peer_eof_ = true;
    stop_parsing_ = true;
    detecting_http2_ = false;
  } else if (ec) {
    this->abort();
    return;
  } else {
    in_end_ += bytes;
    last_read_ns_ = context_.clock.steady_ns();
    if (!protocol_is_http1()) {
      this->read_more();  // no-op once handed over (closed_)
      return;
    }
  }
  pump();
}

template <typename Transport>
void Http1Connection<Transport>::on_writable() {
  last_write_ns_ = context_.clock.steady_ns();  // the client reads: progress
  pump();
}

template <typename Transport>
void Http1Connection<Transport>::parse_input() {
  while (!stop_parsing_ && in_begin_ < in_end_ &&
         pending_count_ - pending_head_ < kMaxPendingResponses) {
    if (header_started_ns_ == 0 && !parser_->got_some()) header_started_ns_ = last_read_ns_;
    error_code ec;
    const size_t used =
        parser_->put(asio::const_buffer(in_.get() + in_begin_, in_end_ - in_begin_), ec);
    in_begin_ += used;
    if (parser_->is_header_done()) header_started_ns_ = 0;
    if (ec == http::error::need_more) break;
    if (ec) {
      queue_bad_request(ec);
      break;
    }
    if (parser_->is_done()) {
      on_request_complete();
      new_parser();
    } else if (used == 0) {
      break;
    }
  }
  if (!stop_parsing_ && head_.expect_continue && head_.version >= 11 && !continue_queued_ &&
      parser_->is_header_done() && !parser_->is_done()) {
    PendingResponse& interim = push_pending();
    interim.interim_continue = true;
    continue_queued_ = true;
  }
  // A header arriving in pieces: its timeout runs (a whole one costs nothing here).
  if (header_started_ns_ != 0) this->watch(header_started_ns_ + limits_.header_timeout_ns);
  // Keep the unparsed tail (at most a partial request) at the front of the buffer.
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_begin_ > 0) {
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
}

template <typename Transport>
typename Http1Connection<Transport>::PendingResponse& Http1Connection<Transport>::push_pending() {
  if (pending_head_ == pending_count_) pending_head_ = pending_count_ = 0;
  if (pending_count_ == pending_.size() && pending_head_ > 0) {
    // Reuse the answered slots (rotation swaps strings, so capacities travel along).
    std::rotate(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pending_head_),
                pending_.begin() + static_cast<ptrdiff_t>(pending_count_));
    pending_count_ -= pending_head_;
    pending_head_ = 0;
  }
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  PendingResponse& response = pending_[pending_count_++];
  response.controls.reset();
  response.error_body.clear();
  response.ready_at_ns = last_read_ns_;
  response.arrival_gap_ns = 0;
  response.version = 11;
  response.keep_alive = true;
  response.head_method = false;
  response.bad_request = false;
  response.interim_continue = false;
  return response;
}

template <typename Transport>
void Http1Connection<Transport>::on_request_complete() {
  PendingResponse& response = push_pending();
  response.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  response.version = head_.version;
  response.keep_alive = parser_->keep_alive();
  response.head_method = head_.head_method;

  const Status status = this->apply_controls(head_.target, head_.control, response.controls);
  if (!status.ok()) {
    response.controls.reset();
    response.controls.status = 400;
    response.error_body.assign(status.message()).push_back('\n');
    response.bad_request = true;
  }
  response.ready_at_ns =
      ready_at_ns(shared_.capacity_release_ns(last_read_ns_), response.controls.delay_ns);
  // Nothing after a closing response will be answered, so stop reading requests.
  if (response.controls.close || !response.keep_alive) stop_parsing_ = true;
}

template <typename Transport>
void Http1Connection<Transport>::queue_bad_request(const error_code& ec) {
  if (ec == http::error::body_limit) {
    WorkerCounters::bump(counters_.bodies_too_large);
    queue_refusal(413, body_limit_message(limits_.max_body_bytes));
    return;
  }
  if (ec == http::error::header_limit) {
    WorkerCounters::bump(counters_.headers_too_large);
    queue_refusal(431, header_limit_message(head_.too_many_fields, limits_));
    return;
  }
  PendingResponse& response = push_pending();
  response.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  response.controls.status = 400;
  response.controls.close = true;  // the framing is lost: nothing after this can be trusted
  response.error_body.assign("bad request: ").append(ec.message()).push_back('\n');
  response.bad_request = true;
  stop_parsing_ = true;
}

// A request the server will not take (413, 431): answered, then the connection closes, as
// the rest of the request is not read.
template <typename Transport>
void Http1Connection<Transport>::queue_refusal(int status, std::string_view why) {
  PendingResponse& response = push_pending();
  response.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  response.controls.status = status;
  response.controls.close = true;
  response.error_body.assign(why).push_back('\n');
  stop_parsing_ = true;
}

template <typename Transport>
void Http1Connection<Transport>::flush() {
  if (closed_ || lingering_) return;
  if (!closing_) {
    int64_t now_ns = 0;  // read lazily: a response without delay or stall needs no clock
    while (pending_head_ < pending_count_) {
      const PendingResponse& response = pending_[pending_head_];
      if (!response.interim_continue) {
        const int64_t held_until_ns = this->held_until_ns(response.ready_at_ns, now_ns);
        if (held_until_ns != 0) {
          // A wait armed before ends no later: it is for the same head response.
          this->arm_timer(held_until_ns);
          break;
        }
      }
      serialize(response);
      last_write_ns_ = now_ns != 0 ? now_ns : last_read_ns_;
      ++pending_head_;
      if (closing_) {
        pending_head_ = pending_count_;
        break;
      }
    }
    if (pending_head_ == pending_count_) pending_head_ = pending_count_ = 0;
  }
  if (!write_waiting_ && !out_.empty()) write_now();
}

template <typename Transport>
void Http1Connection<Transport>::serialize(const PendingResponse& response) {
  std::string& out = out_.bytes();
  if (response.interim_continue) {
    append_literal(out, "HTTP/1.1 100 Continue\r\n\r\n");
    return;
  }
  const ResponseControls& controls = response.controls;
  const int status = controls.status;
  const bool closes = controls.close || !response.keep_alive;
  // RFC 9110: these never carry content, so no Content-Length either.
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  const uint64_t body_bytes =
      response.error_body.empty() ? controls.size_bytes : response.error_body.size();

  append_literal(out, "HTTP/1.1 ");
  append_number(out, status);
  out.push_back(' ');
  out.append(reason_phrase(status));
  append_literal(out, "\r\n");
  if (!bodiless_status) {
    append_literal(out, "Content-Length: ");
    append_number(out, body_bytes);
    append_literal(out, "\r\n");
  }
  if (!controls.has_content_type) append_literal(out, "Content-Type: text/plain\r\n");
  append_literal(out, "X-Nightjar-Arrival-Gap-Ns: ");
  append_number(out, response.arrival_gap_ns);
  append_literal(out, "\r\n");
  out.append(controls.extra_headers);
  if (closes) {
    append_literal(out, "Connection: close\r\n");
  } else if (response.version < 11) {
    append_literal(out, "Connection: keep-alive\r\n");
  }
  append_literal(out, "\r\n");

  if (!bodiless_status && !response.head_method) {
    if (response.error_body.empty()) {
      out_.append_filler_bytes(controls.size_bytes);
    } else {
      out.append(response.error_body);
    }
  }
  WorkerCounters::bump(counters_.requests);
  if (response.bad_request) WorkerCounters::bump(counters_.bad_requests);
  if (closes) closing_ = true;
}

template <typename Transport>
void Http1Connection<Transport>::write_now() {
  if (this->write_out() && closing_) start_linger();
}

template <typename Transport>
void Http1Connection<Transport>::start_linger() {
  if (peer_eof_) {
    this->abort();  // the client already finished sending: nothing to drain
    return;
  }
  this->linger();
}

template <typename Transport>
void Http1Connection<Transport>::finish_if_done() {
  if (!peer_eof_ || closing_ || pending_head_ != pending_count_ || !out_.empty()) return;
  transport_.shutdown_both();
  this->abort();
}

template class Http1Connection<PlainTransport>;
template class Http1Connection<TlsTransport>;

}  // namespace nightjar::server
