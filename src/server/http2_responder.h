// How the test server's HTTP/2 connections answer a stream: the response's header block
// (an HTTP response, or a gRPC reply with its trailers), submitted to nghttp2, and its body
// framed into DATA frames straight into the connection's OutputQueue (filler slices, so no
// body is copied). Internal to the server component; one per connection, on its thread.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/http2_stream.h"
#include "server/output_queue.h"

namespace nightjar::server {

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

class Http2Responder {
 public:
  // Submits the answer of `stream` on `session`: RST_STREAM (INTERNAL_ERROR) when its
  // controls ask for a reset, else its gRPC reply or its HTTP response (error_body or
  // filler of the size asked). Its body is then pulled by nghttp2 (see write_data). A
  // response nghttp2 refuses resets the stream instead. Throws only std::bad_alloc.
  void submit(nghttp2_session* session, Http2Stream& stream);

  // Appends the DATA frame nghttp2 asks for (on_send_data: `frame_header`, `length` bytes
  // of body and the frame's padding) to `out`. `stream` is the frame's stream, or null when
  // it closed since the frame was made: the body is then filler. Throws only std::bad_alloc.
  static void write_data(OutputQueue& out, const nghttp2_frame& frame, const uint8_t* frame_header,
                         size_t length, Http2Stream* stream);

 private:
  // nghttp2's data source callback for a body: hands over lengths only (NO_COPY: framed
  // by write_data), then ends the stream, or for gRPC submits the trailers that end it.
  static ssize_t read_body(nghttp2_session* session, int32_t stream_id, uint8_t* buffer,
                           size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                           void* user_data) noexcept;

  void submit_http(nghttp2_session* session, Http2Stream& stream);
  void submit_grpc(nghttp2_session* session, Http2Stream& stream);
  void submit_with_body(nghttp2_session* session, Http2Stream& stream);
  void add_extra_headers(const std::string& extra_headers);

  Http2HeaderBlock headers_;
};

}  // namespace nightjar::server
