// Incremental HTTP/1.1 response parsing for the load client, on Boost.Beast's parser.
//
// The client feeds whatever bytes the socket gave; the parser says how many it consumed
// and whether the response is complete. Bodies are counted, never stored, so huge or
// endless responses cost no memory. Malformed input of any kind ends in kError with a
// message; it never crashes (test/http has a fuzzer for it).
//
// Thread-safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nightjar::http {

class Http1ResponseParser {
 public:
  enum class State {
    kNeedMore,  // the response is incomplete; feed more bytes (or feed_eof)
    kDone,      // a complete final response was parsed
    kError,     // the bytes are not a valid response; see error()
  };

  Http1ResponseParser();
  ~Http1ResponseParser();
  Http1ResponseParser(const Http1ResponseParser&) = delete;
  Http1ResponseParser& operator=(const Http1ResponseParser&) = delete;

  // Prepares for the next response. `head_request`: the response has no body.
  void start(bool head_request);

  // Parses from data[0, size). Returns the number of bytes consumed; unconsumed bytes
  // must be presented again, followed by new ones (a header split across reads waits in
  // the caller's buffer until it is complete). Interim 1xx responses are skipped.
  size_t feed(const char* data, size_t size);

  // The connection was closed by the peer: completes a read-until-close body, or errors.
  void feed_eof();

  State state() const { return state_; }
  int status_code() const { return status_code_; }
  bool keep_alive() const;        // valid once kDone
  uint64_t body_bytes() const { return body_bytes_; }
  uint64_t header_bytes() const { return header_bytes_; }
  const std::string& error() const { return error_; }
  // True once any byte of the current response has been consumed.
  bool started() const { return header_bytes_ > 0 || consumed_any_; }

 private:
  class BeastParser;
  void restart();

  std::unique_ptr<BeastParser> parser_;  // rebuilt in place per response (Beast parsers are single-use)
  bool head_request_ = false;
  State state_ = State::kNeedMore;
  int status_code_ = 0;
  uint64_t body_bytes_ = 0;
  uint64_t header_bytes_ = 0;
  bool consumed_any_ = false;
  std::string error_;
};

}  // namespace nightjar::http
