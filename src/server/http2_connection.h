// One HTTP/2 connection of the test server (h2c with prior knowledge, or TLS with ALPN h2),
// on nghttp2's server session. Each stream is answered on its own, as its controls ask
// (the HTTP/1.1 controls, plus reset=1 and goaway=1), or as a gRPC call of the test service
// (see grpc_service.h). Enforces the header and idle timeouts and the header and body limits
// (see ServerOptions). Internal to the server component.
#pragma once

#include <nghttp2/nghttp2.h>

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/connection.h"
#include "server/control.h"
#include "server/deadline.h"
#include "server/grpc_service.h"
#include "server/handler_memory.h"
#include "server/output_queue.h"
#include "server/server_state.h"

namespace nightjar::server {

// The first bytes of every HTTP/2 connection (RFC 9113 section 3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Header fields of one response being submitted: names lower-cased, values copied by
// nghttp2 at submission, so one block serves every stream of a connection in turn.
class Http2HeaderBlock {
 public:
  void clear();
  void add(std::string_view name, std::string_view value);
  void add_number(std::string_view name, int64_t value);
  const nghttp2_nv* data();  // valid until the next change
  size_t size() const { return fields_.size(); }

 private:
  struct Field {
    size_t name_at, name_length, value_at, value_length;
  };
  std::string text_;
  std::vector<Field> fields_;
  std::vector<nghttp2_nv> entries_;
};

// Lives in shared_ptrs held by its pending handlers; all its methods run on the thread of
// the io_context that owns its socket. `Transport` is PlainTransport or TlsTransport.
template <typename Transport>
class Http2Connection final : public ServerConnection,
                              public std::enable_shared_from_this<Http2Connection<Transport>> {
 public:
  // `received`: bytes already read from the client (the preface, maybe more), at
  // `received_at_ns` (steady clock). `opened_ns`: when the connection was accepted (or its
  // TLS handshake done), the start of the time the preface and SETTINGS have. `context`
  // must outlive the connection.
  Http2Connection(Transport transport, ConnectionContext& context, std::string_view received,
                  int64_t received_at_ns, int64_t opened_ns);
  ~Http2Connection() override;

  // Sends the server's SETTINGS, processes `received`, then reads.
  void start();

  void abort() noexcept override;

 private:
  // One request stream; recycled (with its strings' capacity) after the stream closes.
  struct Stream {
    int32_t id = 0;
    std::string path;
    std::string control;  // x-nightjar-control values, joined with '&'
    bool head_method = false;
    bool grpc = false;         // content-type application/grpc...
    std::string grpc_request;  // the call's DATA, up to a limit
    uint32_t header_bytes = 0;       // the header list size so far (RFC 9113 6.5.2)
    uint32_t header_fields = 0;
    bool header_too_large = false;   // past max_header_bytes or max_header_fields
    int64_t content_length = -1;     // the content-length field; -1 without one
    uint64_t body_bytes = 0;         // request DATA received
    bool request_ended = false;      // the client's END_STREAM came
    bool refused = false;            // answered early: the request is over a limit
    bool answering = false;          // answered; the stream has not closed yet

    ResponseControls controls;
    GrpcReply grpc_reply;
    std::string error_body;  // a 400's body, naming the bad control
    bool bad_request = false;
    int64_t arrival_gap_ns = 0;
    // The body being sent: the bytes of *body_source (error_body or grpc_reply.body), if
    // any, then filler.
    const std::string* body_source = nullptr;
    uint64_t body_left = 0;                    // not yet handed to nghttp2
    size_t body_sent = 0;                      // of *body_source, framed so far

    void reset();
  };
  // A stream waiting for its delay or the stall window to end.
  struct Wait {
    int64_t deadline_ns;
    int32_t stream_id;
    bool operator>(const Wait& other) const { return deadline_ns > other.deadline_ns; }
  };

  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd*, void*);
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t,
                       const uint8_t*, size_t, uint8_t, void*);
  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t, const uint8_t*, size_t, void*);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame*, int, void*);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame*, void*);
  static int on_stream_close(nghttp2_session*, int32_t, uint32_t, void*);
  static ssize_t on_send(nghttp2_session*, const uint8_t*, size_t, int, void*);
  static int on_send_data(nghttp2_session*, nghttp2_frame*, const uint8_t*, size_t,
                          nghttp2_data_source*, void*);
  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t*, size_t, uint32_t*,
                           nghttp2_data_source*, void*);

  Stream* find(int32_t stream_id) const;
  Stream* acquire_stream();
  void release_stream(Stream* stream);

  bool create_session();
  void receive(const char* data, size_t size);
  void on_headers_done(Stream& stream);
  void on_body_data(Stream& stream, const uint8_t* data, size_t length);
  void refuse(Stream& stream, int http_status, int grpc_status, std::string why);
  void release_grpc_request(Stream& stream);
  void on_request(Stream& stream);
  void prepare_http(Stream& stream);
  void schedule(Stream& stream, int64_t ready_at_ns);
  void answer(Stream& stream);
  void submit_http_response(Stream& stream);
  void submit_grpc_response(Stream& stream);
  void submit_grpc_trailers(Stream& stream);
  void add_extra_headers(const std::string& extra_headers);
  void go_away(int32_t last_stream_id);

  void flush();
  void read_more();
  void on_read(const boost::system::error_code& ec, size_t bytes);
  void arm_timer(int64_t deadline_ns);
  void on_timer();
  void finish_if_done();
  void start_linger();

  // The header and idle timeouts (see deadline.h): `watch` makes the guard fire by
  // `deadline_ns`; when it fires, on_guard closes the connection if a timeout has passed.
  void watch(int64_t deadline_ns);
  void on_guard();

  // Constant after construction.
  ConnectionContext& context_;
  SharedState& shared_;
  WorkerCounters& counters_;
  const ConnectionLimits& limits_;
  const int64_t opened_ns_;

  Transport transport_;
  boost::asio::steady_timer timer_;  // delays, the stall window, the lingering close
  Deadline guard_;                   // the header and idle timeouts
  HandlerMemory read_memory_;
  HandlerMemory write_memory_;
  HandlerMemory timer_memory_;
  nghttp2_session* session_ = nullptr;

  std::unique_ptr<char[]> in_;
  size_t received_bytes_ = 0;  // bytes handed over at construction, processed by start()
  int64_t last_read_ns_ = 0;   // when the latest bytes arrived: the arrival of their requests

  std::vector<std::unique_ptr<Stream>> streams_;  // every Stream made, live or free
  std::vector<Stream*> free_streams_;
  std::vector<Wait> waits_;  // a min-heap on deadline
  ControlParser control_parser_;
  std::unique_ptr<GrpcService> grpc_;  // made on the first gRPC call
  Http2HeaderBlock headers_;
  OutputQueue out_;

  bool settings_received_ = false;  // the client's first SETTINGS (after its preface) came
  int64_t header_block_since_ns_ = 0;  // a header block began then and is not complete; 0 none
  int64_t last_progress_ns_ = 0;  // latest HEADERS or DATA received, or response progress
  int32_t answering_streams_ = 0;  // streams answered and not yet closed
  uint64_t held_body_bytes_ = 0;   // gRPC request bytes held, over all streams

  int64_t requests_received_ = 0;
  int32_t goaway_last_stream_id_ = -1;  // >= 0: streams above it are not answered
  int32_t goaway_with_stream_id_ = 0;   // the GOAWAY goes out when this stream closes
  bool goaway_submitted_ = false;
  int64_t timer_deadline_ns_ = 0;
  bool timer_armed_ = false;
  bool reading_ = false;
  bool write_waiting_ = false;
  bool lingering_ = false;
  bool closed_ = false;
};

}  // namespace nightjar::server
