#include "http/http1_session.h"
#include "common/clock.h"
#include "http/socket_errors.h"

#include <chrono>
#include <cstring>

namespace nightjar::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using model::ErrorKind;

constexpr size_t kBufferSize = 128 * 1024;


}  // namespace

Http1Session::Http1Session(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                           const std::vector<std::string>& requests, bool head_request,
                           SessionObserver& observer, int id, const tls::ClientContext* tls,
                           const std::string& host)
    : endpoint_(endpoint),
      requests_(requests),
      head_request_(head_request),
      observer_(observer),
      id_(id),
      transport_(io, tls, host, *this),
      buffer_(new char[kBufferSize]) {}

Http1Session::~Http1Session() { close(); }

void Http1Session::connect(int64_t now_ns) {
  if (state_ != State::kDisconnected) return;
  state_ = State::kConnecting;
  connect_started_ns_ = now_ns;
  transport_.connect(endpoint_);
}

void Http1Session::on_transport_connected() {
  if (state_ != State::kConnecting) return;
  state_ = State::kIdle;
  begin_ = end_ = 0;
  arm_read_wait();
  observer_.on_connected(*this);
}

void Http1Session::on_transport_connect_failed(ErrorKind kind) {
  if (state_ != State::kConnecting) return;
  close();
  observer_.on_connect_failed(*this, kind);
}

void Http1Session::close() {
  if (state_ == State::kDisconnected) return;
  ++generation_;
  transport_.close();
  state_ = State::kDisconnected;
  begin_ = end_ = 0;
}

void Http1Session::fail(ErrorKind kind) {
  const InFlight request = current_;
  const bool was_busy = state_ == State::kBusy;
  close();
  if (was_busy) {
    observer_.on_request_failed(*this, request, kind, steady_now_ns());
  } else {
    observer_.on_idle_close(*this);
  }
}

void Http1Session::send(const InFlight& request, int64_t now_ns) {
  current_ = request;
  current_.sent_ns = now_ns;
  state_ = State::kBusy;
  bytes_received_ = 0;
  parser_.start(head_request_);
  const std::string& bytes = requests_[request.url_index];
  // One direct write; what the socket does not take (a large body) goes in the background.
  if (const error_code ec = transport_.write(bytes.data(), bytes.size())) fail(classify_io_error(ec));
}

void Http1Session::on_transport_write_failed(const error_code& ec) {
  if (state_ == State::kBusy) fail(classify_io_error(ec));
}

void Http1Session::arm_read_wait() {
  if (transport_.reading()) return;
  if (end_ == kBufferSize) {
    // The parser holds back an incomplete header; make room or give up on it.
    if (begin_ == 0) {
      fail(ErrorKind::kBadResponse);
      return;
    }
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  transport_.read(buffer_.get() + end_, kBufferSize - end_);
}

void Http1Session::on_transport_read(const error_code& ec, size_t n) {
  if (ec == asio::error::eof) {
    handle_eof();
    return;
  }
  if (ec) {
    fail(classify_io_error(ec));
    return;
  }
  end_ += n;
  bytes_received_ += n;
  if (state_ != State::kBusy) {
    // Bytes nobody asked for: the connection is out of step; start afresh.
    fail(ErrorKind::kBadResponse);
    return;
  }
  if (!process_buffer()) return;
  arm_read_wait();
}

bool Http1Session::process_buffer() {
  const size_t used = parser_.feed(buffer_.get() + begin_, end_ - begin_);
  begin_ += used;
  if (begin_ == end_) begin_ = end_ = 0;
  switch (parser_.state()) {
    case Http1ResponseParser::State::kNeedMore:
      return true;
    case Http1ResponseParser::State::kError:
      fail(ErrorKind::kBadResponse);
      return false;
    case Http1ResponseParser::State::kDone:
      break;
  }
  const InFlight request = current_;
  const int status = parser_.status_code();
  const bool keep_alive = parser_.keep_alive() && begin_ == end_;
  const uint64_t response_bytes = bytes_received_ - (end_ - begin_);  // leftovers are not this response's
  state_ = State::kIdle;
  if (!keep_alive) close();
  const uint64_t generation = generation_;
  observer_.on_response(*this, request, status, -1, response_bytes, steady_now_ns());
  // The observer may have closed and reconnected this session: then the socket is a new one
  // and its read is armed by the connect handler, not here.
  return generation == generation_ && state_ != State::kDisconnected;
}

void Http1Session::handle_eof() {
  if (state_ != State::kBusy) {
    fail(ErrorKind::kClosedMidResponse);  // idle: reported as an idle close, no request lost
    return;
  }
  parser_.feed_eof();
  if (parser_.state() == Http1ResponseParser::State::kDone) {  // a body that ends at close
    const InFlight request = current_;
    const int status = parser_.status_code();
    close();
    observer_.on_response(*this, request, status, -1, bytes_received_, steady_now_ns());
    return;
  }
  fail(ErrorKind::kClosedMidResponse);
}

void Http1Session::check_timeouts(int64_t now_ns, int64_t timeout_ns) {
  if (timeout_ns <= 0) return;
  if (state_ == State::kBusy && now_ns - current_.sent_ns > timeout_ns) {
    fail(ErrorKind::kTimeout);
  } else if (state_ == State::kConnecting && now_ns - connect_started_ns_ > timeout_ns) {
    close();
    observer_.on_connect_failed(*this, ErrorKind::kConnectTimeout);
  }
}

}  // namespace nightjar::http
