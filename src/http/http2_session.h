// HTTP/2 over one connection, on nghttp2: cleartext with prior knowledge (h2c) or TLS
// (after ALPN chose h2); gRPC unary calls are HTTP/2 requests with gRPC framing. Here:
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
  Http2Request() = default;
  // Moves keep the header entries valid (the storage vector's elements do not move); a copy
  // would leave them pointing into the original, so there is none.
  Http2Request(Http2Request&&) = default;
  Http2Request& operator=(Http2Request&&) = default;
  Http2Request(const Http2Request&) = delete;
  Http2Request& operator=(const Http2Request&) = delete;

  std::vector<std::string> storage;  // names and values the header entries point into
  std::vector<nghttp2_nv> headers;   // :method, :scheme, :authority, :path, then the rest
  std::string body;
};

// Builds the pseudo-headers and lower-cased headers (connection-specific ones dropped;
// Host becomes :authority) for `url`.
Http2Request make_http2_request(const RequestSpec& spec, const Url& url);

class Http2Session final : public Session, private TransportEvents {
 public:
  // `requests[i]` is URL i's request; it must outlive the session. `tls`: null for h2c,
  // else the run's TLS context (offering h2 by ALPN); `host` is verified.
  Http2Session(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
               const std::vector<Http2Request>& requests, int max_concurrent_streams, SessionObserver& observer,
               int id, const tls::ClientContext* tls = nullptr, const std::string& host = "");
  ~Http2Session() override;

  void connect(int64_t now_ns) override;
  void send(const InFlight& request, int64_t now_ns) override;
  bool can_send() const override;
  // Streams open, plus those that ended and are not yet reported (a refused one may still
  // have to be sent again, so the run is not over while any is left).
  int in_flight() const override { return active_ + static_cast<int>(completions_.size()) + undelivered_; }
  void check_timeouts(int64_t now_ns, int64_t timeout_ns) override;
  void close() override;
  State state() const override { return state_; }
  int id() const override { return id_; }
  const Transport& transport() const override { return transport_; }
  // Appends every response body byte to `sink` (one-off calls such as a health check), at
  // most kMaxBodySinkBytes: a server that sends more fails the session.
  void set_body_sink(std::string* sink) { body_sink_ = sink; }
  static constexpr size_t kMaxBodySinkBytes = 1 << 20;

 private:
  void on_transport_connected() override;
  void on_transport_connect_failed(model::ErrorKind kind) override;
  void on_transport_read(const boost::system::error_code& ec, size_t bytes) override;
  void on_transport_write_failed(const boost::system::error_code& ec) override;
  void on_transport_drained() override { flush(); }

  struct Stream {
    int32_t stream_id = 0;  // 0: the slot is free
    InFlight request;
    int status = 0;
    int grpc_status = -1;  // -1: no grpc-status seen
    uint64_t bytes = 0;
    const Http2Request* source = nullptr;
    size_t body_offset = 0;
    bool body_pending = false;  // part of the body is not yet handed to nghttp2
    bool stalled = false;       // counted as waiting for the flow-control window
  };
  struct Completion {
    InFlight request;
    int status;
    int grpc_status;
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
  void deliver();  // hands completions gathered during a parse to the observer
  void fail_all(model::ErrorKind kind);
  void note_flow_control_stalls();
  void end_body(Stream& s);

  // Constant after construction.
  boost::asio::ip::tcp::endpoint endpoint_;
  const std::vector<Http2Request>& requests_;
  const int max_streams_;
  SessionObserver& observer_;
  const int id_;

  Transport transport_;
  State state_ = State::kDisconnected;
  uint64_t generation_ = 0;
  int64_t connect_started_ns_ = 0;
  nghttp2_session* session_ = nullptr;
  std::vector<Stream> streams_;        // max_streams_ slots, found by stream id
  int active_ = 0;
  bool goaway_ = false;
  std::string pending_out_;            // bytes nghttp2 produced that the socket did not take yet
  std::unique_ptr<uint8_t[]> buffer_;
  std::vector<Completion> completions_;
  std::vector<Completion> delivering_list_;  // what deliver() is reporting
  std::string* body_sink_ = nullptr;
  bool delivering_ = false;  // in deliver(): sends wait for the one write after it
  int undelivered_ = 0;      // completions deliver() has taken and not yet reported
  int bodies_pending_ = 0;   // streams with body bytes not yet sent (flow control may hold them)
};

}  // namespace nightjar::http
