// One HTTP/2 connection of the test server (h2c with prior knowledge, or TLS with ALPN h2),
// on nghttp2's server session. Each stream is answered on its own, as its controls ask
// (the HTTP/1.1 controls, plus reset=1 and goaway=1), or as a gRPC call of the test service
// (see grpc_service.h). Enforces the header and idle timeouts and the header and body limits
// (see ServerOptions). Internal to the server component.
//
// This is the session core: nghttp2's callbacks, what a request may hold, when each stream
// is answered and the GOAWAY. Its parts: http2_headers.h (a request's header),
// http2_stream.h (per-stream state), http2_responder.h (responses and their DATA), and
// connection_base.h (the socket, timeouts and closing shared with HTTP/1.1).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "server/connection.h"
#include "server/connection_base.h"
#include "server/grpc_service.h"
#include "server/http2_responder.h"
#include "server/http2_stream.h"

namespace nightjar::server {

// The first bytes of every HTTP/2 connection (RFC 9113 section 3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// The nghttp2 session over a ConnectionBase (its lifetime and thread are described there).
template <typename Transport>
class Http2Connection final : public ConnectionBase<Http2Connection<Transport>, Transport> {
  using Base = ConnectionBase<Http2Connection<Transport>, Transport>;

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

 private:
  // nghttp2's callbacks; each catches what it calls (no exception unwinds through C).
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

  friend Base;  // it calls the hooks below
  // The state of ConnectionBase used here.
  using Base::closed_, Base::context_, Base::counters_, Base::in_, Base::last_read_ns_,
      Base::limits_, Base::lingering_, Base::opened_ns_, Base::out_, Base::read_buffer_bytes_,
      Base::shared_, Base::transport_, Base::write_waiting_;

  // ConnectionBase's hooks.
  std::span<char> input_space();
  void on_input(const boost::system::error_code& ec, size_t bytes);
  void on_writable();
  void on_timer();
  // The header timeout runs for the preface and SETTINGS, and for a header block in
  // progress, while the connection waits for the client's bytes. The idle timeout runs while
  // no response is held for a delay or the stall; HEADERS, DATA and response bytes going out
  // restart it (PING, SETTINGS and WINDOW_UPDATE do not, so they cannot keep a connection).
  void on_guard();

  Http2Stream* find(int32_t stream_id) const;
  void release_stream(Http2Stream* stream);

  bool create_session();
  void receive(const char* data, size_t size);
  void on_headers_done(Http2Stream& stream);
  void on_body_data(Http2Stream& stream, const uint8_t* data, size_t length);
  void refuse(Http2Stream& stream, int http_status, int grpc_status, std::string why);
  void release_grpc_request(Http2Stream& stream);
  bool beyond_goaway(const Http2Stream& stream) const;
  void on_request(Http2Stream& stream);
  void prepare_http(Http2Stream& stream);
  void schedule(Http2Stream& stream, int64_t ready_at_ns);
  void answer(Http2Stream& stream);
  void go_away(int32_t last_stream_id);

  void flush();
  void finish_if_done();

  nghttp2_session* session_ = nullptr;
  size_t received_bytes_ = 0;  // bytes handed over at construction, processed by start()

  Http2StreamPool streams_;
  Http2StreamWaits waits_;
  std::unique_ptr<GrpcService> grpc_;  // made on the first gRPC call
  Http2Responder responder_;

  bool settings_received_ = false;  // the client's first SETTINGS (after its preface) came
  int64_t header_block_since_ns_ = 0;  // a header block began then and is not complete; 0 none
  int64_t last_progress_ns_ = 0;  // latest HEADERS or DATA received, or response progress
  int32_t answering_streams_ = 0;  // streams answered and not yet closed
  uint64_t held_body_bytes_ = 0;   // gRPC request bytes held, over all streams

  int64_t requests_received_ = 0;
  int32_t goaway_last_stream_id_ = -1;  // >= 0: streams above it are not answered
  int32_t goaway_with_stream_id_ = 0;   // the GOAWAY goes out when this stream closes
  bool goaway_submitted_ = false;
};

}  // namespace nightjar::server
