// HTTP/2 over one cleartext TCP connection with prior knowledge (h2c), on nghttp2:
// several requests in flight at once (--max-concurrent-streams), each timed on its own
// stream. GOAWAY, RST_STREAM and flow control are handled by nghttp2 and reported per
// stream; none is fatal to the run.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/session.h"

namespace nightjar::http {

// The HTTP/2 form of one URL's request, built once before the run.
struct Http2Request {
  std::vector<std::string> storage;  // names and values the header entries point into
  std::vector<nghttp2_nv> headers;   // :method, :scheme, :authority, :path, then the rest
  std::string body;
};

// Builds the pseudo-headers and lower-cased headers (connection-specific ones dropped;
// Host becomes :authority) for `url`.
Http2Request make_http2_request(const RequestSpec& spec, const Url& url);

class Http2Session final : public Session {
 public:
  // `requests[i]` is URL i's request; it must outlive the session.
  Http2Session(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
               const std::vector<Http2Request>& requests, int max_concurrent_streams, SessionObserver& observer,
               int id);
  ~Http2Session() override;

  void connect(int64_t now_ns) override;
  void send(const InFlight& request, int64_t now_ns) override;
  bool can_send() const override;
  int in_flight() const override { return active_; }
  void check_timeouts(int64_t now_ns, int64_t timeout_ns) override;
  void close() override;
  State state() const override { return state_; }
  int id() const override { return id_; }

 private:
  struct Stream {
    int32_t stream_id = 0;  // 0: the slot is free
    InFlight request;
    int status = 0;
    uint64_t bytes = 0;
    const Http2Request* source = nullptr;
    size_t body_offset = 0;
  };
  struct Completion {
    InFlight request;
    int status;
    uint64_t bytes;
    bool failed;
    model::ErrorKind kind;
    bool refused;  // never processed by the server: may be retried
  };

  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t, const uint8_t*, size_t,
                       uint8_t, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*, nghttp2_data_source*, void*);

  Stream* find(int32_t stream_id);
  void start_session();
  void flush();
  void arm_read();
  void on_read(const boost::system::error_code& ec, size_t bytes, uint64_t generation);
  void deliver();  // hands completions gathered during a parse to the observer
  void fail_all(model::ErrorKind kind);

  // Constant after construction.
  boost::asio::ip::tcp::endpoint endpoint_;
  const std::vector<Http2Request>& requests_;
  const int max_streams_;
  SessionObserver& observer_;
  const int id_;

  boost::asio::ip::tcp::socket socket_;
  State state_ = State::kDisconnected;
  uint64_t generation_ = 0;
  int64_t connect_started_ns_ = 0;
  nghttp2_session* session_ = nullptr;
  std::vector<Stream> streams_;        // max_streams_ slots, found by stream id
  int active_ = 0;
  bool goaway_ = false;
  bool reading_ = false;
  bool writing_ = false;
  std::string pending_out_;            // bytes nghttp2 produced that the socket did not take yet
  std::unique_ptr<uint8_t[]> buffer_;
  std::vector<Completion> completions_;
};

}  // namespace nightjar::http
