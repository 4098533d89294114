#include "http/http1_session.h"
#include "common/clock.h"
#include "http/socket_errors.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
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
                           SessionObserver& observer, int id)
    : endpoint_(endpoint),
      requests_(requests),
      head_request_(head_request),
      observer_(observer),
      id_(id),
      socket_(io),
      buffer_(new char[kBufferSize]) {}

Http1Session::~Http1Session() { close(); }

void Http1Session::connect(int64_t now_ns) {
  if (state_ != State::kDisconnected) return;
  state_ = State::kConnecting;
  connect_started_ns_ = now_ns;
  const uint64_t generation = generation_;
  socket_.async_connect(endpoint_, [this, generation](const error_code& ec) {
    if (generation != generation_ || state_ != State::kConnecting) return;
    if (ec) {
      close();
      observer_.on_connect_failed(*this, classify_connect_error(ec));
      return;
    }
    prepare_connected_socket(socket_);
    state_ = State::kIdle;
    begin_ = end_ = 0;
    arm_read_wait();
    observer_.on_connected(*this);
  });
}

void Http1Session::close() {
  if (state_ == State::kDisconnected) return;
  ++generation_;
  error_code ignored;
  socket_.close(ignored);
  state_ = State::kDisconnected;
  read_wait_armed_ = false;
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
  error_code ec;
  const size_t written = socket_.write_some(asio::buffer(bytes), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again || (!ec && written < bytes.size())) {
    // The socket buffer is full (a large body): finish through the event loop.
    const size_t offset = ec ? 0 : written;
    const uint64_t generation = generation_;
    asio::async_write(socket_, asio::buffer(bytes.data() + offset, bytes.size() - offset),
                      [this, generation](const error_code& wec, size_t) {
                        on_write_done(wec, generation);
                      });
    return;
  }
  if (ec) fail(classify_io_error(ec));
}

void Http1Session::on_write_done(const error_code& ec, uint64_t generation) {
  if (generation != generation_ || state_ != State::kBusy) return;
  if (ec) fail(classify_io_error(ec));
}

void Http1Session::arm_read_wait() {
  if (read_wait_armed_) return;
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
  read_wait_armed_ = true;
  const uint64_t generation = generation_;
  // A read (not a readiness wait) stays armed: Asio queues it without an epoll_ctl once
  // the previous read drained the socket, so a response costs one recvmsg.
  socket_.async_read_some(asio::buffer(buffer_.get() + end_, kBufferSize - end_),
                          [this, generation](const error_code& ec, size_t n) { on_read(ec, n, generation); });
}

void Http1Session::on_read(const error_code& ec, size_t n, uint64_t generation) {
  if (generation != generation_) return;
  read_wait_armed_ = false;
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
  observer_.on_response(*this, request, status, response_bytes, steady_now_ns());
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
    observer_.on_response(*this, request, status, bytes_received_, steady_now_ns());
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
