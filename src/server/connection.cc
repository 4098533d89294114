#include "server/connection.h"

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <utility>

namespace nightjar::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;

// Room for a header at its limit plus the start of the next request.
constexpr size_t kReadBufferBytes = size_t{16} * 1024;
constexpr uint32_t kHeaderLimitBytes = 8 * 1024;
// Requests parsed ahead of their responses; beyond this the connection stops reading, so a
// client pipelining delayed requests cannot grow the queue without bound.
constexpr size_t kMaxPendingResponses = 64;
// Buffers per write_some (asio gathers at most 64 into one sendmsg).
constexpr size_t kMaxWriteBuffers = 64;
// After `Connection: close` the server stops sending and drains input this long so that
// unread request bytes do not turn the close into a reset that loses the response.
constexpr auto kLingerTime = std::chrono::seconds(1);

constexpr size_t kFillerBytes = size_t{64} * 1024;

// Response bodies are slices of this, so no body is ever allocated or copied.
const char* filler() {
  static const std::array<char, kFillerBytes> bytes = [] {
    constexpr std::string_view kPattern = "nightjar test server filler.\n";
    std::array<char, kFillerBytes> pattern{};
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = kPattern[i % kPattern.size()];
    return pattern;
  }();
  return bytes.data();
}

// Handlers must not let an exception (std::bad_alloc, in practice) escape into the event
// loop: it would stop every connection of the thread. The failing connection is dropped.
template <typename F>
void guarded(Connection& connection, F&& body) {
  try {
    body();
  } catch (const std::exception&) {
    connection.abort();
  }
}

template <typename Integer>
void append_number(std::string& out, Integer value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

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
}

RequestParser::RequestParser(RequestHead& head) : head_(head) {
  header_limit(kHeaderLimitBytes);
  // Bodies are discarded as they arrive, so any size is fine. (Not boost::none: Boost 1.74
  // compares a Content-Length against an empty limit as if it were exceeded.)
  body_limit(std::numeric_limits<uint64_t>::max());
  eager(true);
}

void RequestParser::on_request_impl(http::verb method, string_view /*method_str*/,
                                    string_view target, int version, error_code& /*ec*/) {
  head_.version = version;
  head_.head_method = method == http::verb::head;
  head_.target.assign(target.data(), target.size());
}

void RequestParser::on_field_impl(http::field name, string_view name_string, string_view value,
                                  error_code& /*ec*/) {
  if (name == http::field::expect) {
    head_.expect_continue = boost::beast::iequals(value, "100-continue");
  } else if (name == http::field::unknown &&
             boost::beast::iequals(name_string, "x-nightjar-control")) {
    if (!head_.control.empty()) head_.control.push_back('&');
    head_.control.append(value.data(), value.size());
  }
}

Connection::Connection(asio::ip::tcp::socket socket, SharedState& shared, WorkerCounters& counters,
                       ConnectionSet& registry)
    : shared_(shared),
      counters_(counters),
      registry_(registry),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      in_(new char[kReadBufferBytes]) {
  registry_.insert(this);
  out_.reserve(512);
  new_parser();
}

Connection::~Connection() { registry_.erase(this); }

void Connection::start() { read_more(); }

void Connection::abort() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
}

void Connection::new_parser() {
  head_.reset();
  continue_queued_ = false;
  parser_.emplace(head_);
}

// Parses what arrived, answers what is ready, then reads again. Every event ends here.
void Connection::pump() {
  if (closed_ || lingering_) return;
  parse_input();
  flush();
  if (closed_ || lingering_) return;
  read_more();
  finish_if_done();
}

void Connection::read_more() {
  if (closed_ || reading_) return;
  if (!lingering_) {
    if (stop_parsing_ || write_waiting_ || pending_count_ - pending_head_ >= kMaxPendingResponses ||
        in_end_ == kReadBufferBytes) {
      return;
    }
  }
  reading_ = true;
  // Lingering input is discarded, so it may overwrite the whole buffer.
  char* data = lingering_ ? in_.get() : in_.get() + in_end_;
  const size_t size = lingering_ ? kReadBufferBytes : kReadBufferBytes - in_end_;
  socket_.async_read_some(
      asio::buffer(data, size),
      bind_memory(read_memory_, [self = shared_from_this()](const error_code& ec, size_t bytes) {
        self->on_read(ec, bytes);
      }));
}

void Connection::on_read(const error_code& ec, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  guarded(*this, [&] {
    if (lingering_) {
      if (ec) {
        abort();
      } else {
        read_more();
      }
      return;
    }
    if (ec == asio::error::eof) {
      // Answer what is complete; an unfinished request is dropped.
      peer_eof_ = true;
      stop_parsing_ = true;
    } else if (ec) {
      abort();
      return;
    } else {
      in_end_ += bytes;
      last_read_ns_ = steady_now_ns();
    }
    pump();
  });
}

void Connection::parse_input() {
  while (!stop_parsing_ && in_begin_ < in_end_ &&
         pending_count_ - pending_head_ < kMaxPendingResponses) {
    error_code ec;
    const size_t used =
        parser_->put(asio::const_buffer(in_.get() + in_begin_, in_end_ - in_begin_), ec);
    in_begin_ += used;
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
  // Keep the unparsed tail (at most a partial request) at the front of the buffer.
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_begin_ > 0) {
    std::memmove(in_.get(), in_.get() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
}

Connection::PendingResponse& Connection::push_pending() {
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

void Connection::on_request_complete() {
  PendingResponse& response = push_pending();
  response.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  response.version = head_.version;
  response.keep_alive = parser_->keep_alive();
  response.head_method = head_.head_method;

  Status status = control_parser_.apply(query_of(head_.target), response.controls);
  if (status.ok() && !head_.control.empty()) {
    status = control_parser_.apply(head_.control, response.controls);
  }
  if (!status.ok()) {
    response.controls.reset();
    response.controls.status = 400;
    response.error_body.assign(status.message()).push_back('\n');
    response.bad_request = true;
  }
  const int64_t delay_ns = response.controls.delay_ns;
  response.ready_at_ns = delay_ns > std::numeric_limits<int64_t>::max() - last_read_ns_
                             ? std::numeric_limits<int64_t>::max()
                             : last_read_ns_ + delay_ns;
  // Nothing after a closing response will be answered, so stop reading requests.
  if (response.controls.close || !response.keep_alive) stop_parsing_ = true;
}

void Connection::queue_bad_request(const error_code& ec) {
  PendingResponse& response = push_pending();
  response.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  response.controls.status = 400;
  response.controls.close = true;  // the framing is lost: nothing after this can be trusted
  response.error_body.assign("bad request: ").append(ec.message()).push_back('\n');
  response.bad_request = true;
  stop_parsing_ = true;
}

void Connection::flush() {
  if (closed_ || lingering_) return;
  if (!closing_) {
    int64_t now_ns = 0;  // read lazily: a response without delay or stall needs no clock
    const auto now = [&] { return now_ns != 0 ? now_ns : (now_ns = steady_now_ns()); };
    while (pending_head_ < pending_count_) {
      const PendingResponse& response = pending_[pending_head_];
      if (!response.interim_continue) {
        // ready_at <= last_read <= now needs no clock read.
        if (response.ready_at_ns > last_read_ns_ && response.ready_at_ns > now()) {
          arm_timer(response.ready_at_ns);
          break;
        }
        if (shared_.stall_configured()) {
          const int64_t stall_end_ns = shared_.stall_end_if_held(now());
          if (stall_end_ns != 0) {
            arm_timer(stall_end_ns);
            break;
          }
        }
      }
      serialize(response);
      ++pending_head_;
      if (closing_) {
        pending_head_ = pending_count_;
        break;
      }
    }
    if (pending_head_ == pending_count_) pending_head_ = pending_count_ = 0;
  }
  if (!write_waiting_ && write_segment_ < segments_.size()) write_now();
}

void Connection::serialize(const PendingResponse& response) {
  const size_t start = out_.size();
  if (response.interim_continue) {
    out_.append("HTTP/1.1 100 Continue\r\n\r\n");
    segments_.push_back({start, out_.size() - start, 0});
    return;
  }
  const ResponseControls& controls = response.controls;
  const int status = controls.status;
  const bool closes = controls.close || !response.keep_alive;
  // RFC 9110: these never carry content, so no Content-Length either.
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  const uint64_t body_bytes =
      response.error_body.empty() ? controls.size_bytes : response.error_body.size();

  out_.append("HTTP/1.1 ");
  append_number(out_, status);
  out_.push_back(' ');
  out_.append(reason_phrase(status));
  out_.append("\r\n");
  if (!bodiless_status) {
    out_.append("Content-Length: ");
    append_number(out_, body_bytes);
    out_.append("\r\n");
  }
  if (!controls.has_content_type) out_.append("Content-Type: text/plain\r\n");
  out_.append("X-Nightjar-Arrival-Gap-Ns: ");
  append_number(out_, response.arrival_gap_ns);
  out_.append("\r\n");
  out_.append(controls.extra_headers);
  if (closes) {
    out_.append("Connection: close\r\n");
  } else if (response.version < 11) {
    out_.append("Connection: keep-alive\r\n");
  }
  out_.append("\r\n");

  uint64_t filler_bytes = 0;
  if (!bodiless_status && !response.head_method) {
    if (response.error_body.empty()) {
      filler_bytes = controls.size_bytes;
    } else {
      out_.append(response.error_body);
    }
  }
  segments_.push_back({start, out_.size() - start, filler_bytes});
  WorkerCounters::bump(counters_.requests);
  if (response.bad_request) WorkerCounters::bump(counters_.bad_requests);
  if (closes) closing_ = true;
}

// Writes directly while the socket takes it; only when it is full does the connection
// wait for writability. Waiting (rather than async_write) keeps one gather list built from
// the segments, so responses queued meanwhile join the same write.
void Connection::write_now() {
  std::array<asio::const_buffer, kMaxWriteBuffers> buffers;
  const char* const filler_bytes = filler();
  for (;;) {
    size_t count = 0;
    size_t segment = write_segment_;
    uint64_t offset = write_offset_;
    while (segment < segments_.size() && count < kMaxWriteBuffers) {
      const Segment& s = segments_[segment];
      if (offset < s.length) {
        buffers[count++] = asio::const_buffer(out_.data() + s.offset + offset, s.length - offset);
        offset = s.length;
      }
      uint64_t filler_left = s.length + s.filler_bytes - offset;
      while (filler_left > 0 && count < kMaxWriteBuffers) {
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(filler_left, kFillerBytes));
        buffers[count++] = asio::const_buffer(filler_bytes, chunk);
        filler_left -= chunk;
      }
      if (filler_left > 0) break;
      ++segment;
      offset = 0;
    }
    if (count == 0) break;

    error_code ec;
    const size_t written = socket_.write_some(std::span(buffers.data(), count), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      write_waiting_ = true;
      socket_.async_wait(
          asio::ip::tcp::socket::wait_write,
          bind_memory(write_memory_, [self = shared_from_this()](const error_code& wait_ec) {
            self->write_waiting_ = false;
            if (self->closed_) return;
            guarded(*self, [&] {
              if (wait_ec) {
                self->abort();
              } else {
                self->pump();
              }
            });
          }));
      return;
    }
    if (ec) {
      abort();
      return;
    }
    advance_write(written);
  }
  segments_.clear();
  out_.clear();
  write_segment_ = 0;
  write_offset_ = 0;
  if (closing_) start_linger();
}

void Connection::advance_write(size_t bytes) {
  uint64_t left = bytes;
  while (left > 0) {
    const Segment& s = segments_[write_segment_];
    const uint64_t total = s.length + s.filler_bytes;
    const uint64_t take = std::min(left, total - write_offset_);
    write_offset_ += take;
    left -= take;
    if (write_offset_ == total) {
      ++write_segment_;
      write_offset_ = 0;
    }
  }
}

void Connection::arm_timer(int64_t deadline_ns) {
  // A pending wait ends no later than the deadline wanted now (it is for the same head
  // response), and on expiry everything is re-evaluated.
  if (timer_pending_) return;
  timer_pending_ = true;
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
  timer_.async_wait(bind_memory(timer_memory_, [self = shared_from_this()](const error_code& ec) {
    self->timer_pending_ = false;
    if (ec || self->closed_ || self->lingering_) return;
    guarded(*self, [&] { self->pump(); });
  }));
}

void Connection::start_linger() {
  if (peer_eof_) {
    abort();  // the client already finished sending: nothing to drain
    return;
  }
  lingering_ = true;
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  timer_.expires_after(kLingerTime);  // also cancels a delay wait, no longer needed
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->abort();
  });
  read_more();
}

void Connection::finish_if_done() {
  if (!peer_eof_ || closing_ || pending_head_ != pending_count_ || !segments_.empty()) return;
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  abort();
}

}  // namespace nightjar::server
