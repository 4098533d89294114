#include "http/http1_response_parser.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <limits>
#include <new>

namespace nightjar::http {

namespace beast_http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

class Http1ResponseParser::BeastParser final : public beast_http::basic_parser<false> {
 public:
  explicit BeastParser(Http1ResponseParser& owner) : owner_(owner) {
    header_limit(64 * 1024);
    // Bodies are counted, not stored. (Beast 1.74 compares lengths against an empty
    // optional limit as if it were zero, so "no limit" is spelled as the largest one.)
    body_limit(std::numeric_limits<std::uint64_t>::max());
    eager(true);
  }

 private:
  void on_request_impl(beast_http::verb, string_view, string_view, int, error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override {
    owner_.status_code_ = code;
  }
  void on_field_impl(beast_http::field, string_view, string_view, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view body, error_code&) override {
    owner_.body_bytes_ += body.size();
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    owner_.body_bytes_ += body.size();
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  Http1ResponseParser& owner_;
};

Http1ResponseParser::Http1ResponseParser() : parser_(std::make_unique<BeastParser>(*this)) {}
Http1ResponseParser::~Http1ResponseParser() = default;

void Http1ResponseParser::restart() {
  // Reuse the allocation: destroy and rebuild in place, so the hot path never allocates.
  BeastParser* p = parser_.get();
  p->~BeastParser();
  new (p) BeastParser(*this);
  if (head_request_) p->skip(true);
}

void Http1ResponseParser::start(bool head_request) {
  head_request_ = head_request;
  state_ = State::kNeedMore;
  status_code_ = 0;
  body_bytes_ = 0;
  header_bytes_ = 0;
  consumed_any_ = false;
  error_.clear();
  restart();
}

size_t Http1ResponseParser::feed(const char* data, size_t size) {
  size_t total = 0;
  while (state_ == State::kNeedMore && total < size) {
    error_code ec;
    const bool had_header = parser_->is_header_done();
    const size_t used = parser_->put(boost::asio::const_buffer(data + total, size - total), ec);
    if (used > 0) consumed_any_ = true;
    if (!had_header && parser_->is_header_done()) header_bytes_ += used;  // approx: includes eager body
    total += used;
    if (ec == beast_http::error::need_more) break;
    if (ec) {
      state_ = State::kError;
      error_ = ec.message();
      break;
    }
    if (parser_->is_done()) {
      if (status_code_ >= 100 && status_code_ < 200 && status_code_ != 101) {
        restart();  // an interim response (100 Continue, 103 Early Hints): the final one follows
        continue;
      }
      state_ = State::kDone;
    } else if (used == 0) {
      break;
    }
  }
  return total;
}

void Http1ResponseParser::feed_eof() {
  if (state_ != State::kNeedMore) return;
  if (!started()) {  // Beast would call an empty message complete
    state_ = State::kError;
    error_ = "connection closed before any byte of the response";
    return;
  }
  error_code ec;
  parser_->put_eof(ec);
  if (!ec && parser_->is_done()) {
    state_ = State::kDone;
  } else {
    state_ = State::kError;
    error_ = ec ? ec.message() : "connection closed before the response was complete";
  }
}

bool Http1ResponseParser::keep_alive() const { return parser_->keep_alive(); }

}  // namespace nightjar::http
