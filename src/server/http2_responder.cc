#include "server/http2_responder.h"

#include <algorithm>
#include <iterator>

#include "server/grpc_service.h"
#include "server/http2_headers.h"

namespace nightjar::server {
namespace {

// Fields HTTP/2 forbids (RFC 9113 section 8.2.2); a header= control naming one is dropped.
bool is_connection_specific(std::string_view name) {
  for (std::string_view forbidden :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"}) {
    if (ascii_iequals(name, forbidden)) return true;
  }
  return false;
}

void reset_stream(nghttp2_session* session, int32_t stream_id) {
  nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_INTERNAL_ERROR);
}

}  // namespace

void Http2HeaderBlock::clear() {
  text_.clear();
  fields_.clear();
}

void Http2HeaderBlock::add(std::string_view name, std::string_view value) {
  Field field{text_.size(), name.size(), 0, value.size()};
  for (const char c : name) text_.push_back(ascii_lower(c));
  field.value_at = text_.size();
  text_.append(value);
  fields_.push_back(field);
}

void Http2HeaderBlock::add_number(std::string_view name, int64_t value) {
  Field field{text_.size(), name.size(), 0, 0};
  text_.append(name);
  field.value_at = text_.size();
  append_number(text_, value);
  field.value_length = text_.size() - field.value_at;
  fields_.push_back(field);
}

const nghttp2_nv* Http2HeaderBlock::data() {
  entries_.resize(fields_.size());
  for (size_t i = 0; i < fields_.size(); ++i) {
    const Field& field = fields_[i];
    entries_[i] = nghttp2_nv{reinterpret_cast<uint8_t*>(text_.data() + field.name_at),
                             reinterpret_cast<uint8_t*>(text_.data() + field.value_at),
                             field.name_length, field.value_length, NGHTTP2_NV_FLAG_NONE};
  }
  return entries_.data();
}

void Http2Responder::submit(nghttp2_session* session, Http2Stream& stream) {
  if (stream.controls.reset_stream) {
    reset_stream(session, stream.id);
  } else if (stream.head.grpc) {
    submit_grpc(session, stream);
  } else {
    submit_http(session, stream);
  }
}

void Http2Responder::submit_http(nghttp2_session* session, Http2Stream& stream) {
  const ResponseControls& controls = stream.controls;
  const bool bodiless_status = controls.status == 204 || controls.status == 304;
  const uint64_t body_bytes =
      stream.error_body.empty() ? controls.size_bytes : stream.error_body.size();
  headers_.clear();
  headers_.add_number(":status", controls.status);
  if (!bodiless_status) headers_.add_number("content-length", static_cast<int64_t>(body_bytes));
  if (!controls.has_content_type) headers_.add("content-type", "text/plain");
  headers_.add_number("x-nightjar-arrival-gap-ns", stream.arrival_gap_ns);
  add_extra_headers(controls.extra_headers);

  stream.body_source = stream.error_body.empty() ? nullptr : &stream.error_body;
  stream.body_left = bodiless_status || stream.head.head_method ? 0 : body_bytes;
  submit_with_body(session, stream);
}

// header= controls are kept as "Name: value\r\n" lines (the HTTP/1.1 form).
void Http2Responder::add_extra_headers(const std::string& extra_headers) {
  const std::string_view all = extra_headers;
  size_t at = 0;
  while (at < all.size()) {
    const size_t end = all.find("\r\n", at);
    const std::string_view line = all.substr(at, end - at);
    at = end == std::string_view::npos ? all.size() : end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    if (is_connection_specific(name)) continue;
    headers_.add(name, colon + 2 <= line.size() ? line.substr(colon + 2) : std::string_view{});
  }
}

void Http2Responder::submit_grpc(nghttp2_session* session, Http2Stream& stream) {
  const GrpcReply& reply = stream.grpc_reply;
  headers_.clear();
  headers_.add(":status", "200");
  headers_.add("content-type", "application/grpc");
  headers_.add_number("x-nightjar-arrival-gap-ns", stream.arrival_gap_ns);
  if (reply.status != kGrpcOk) {
    // Trailers-only: the status in the one HEADERS frame, which ends the stream.
    headers_.add_number("grpc-status", reply.status);
    if (!reply.message.empty()) {
      std::string encoded;
      append_grpc_message(encoded, reply.message);
      headers_.add("grpc-message", encoded);
    }
    stream.body_left = 0;
  } else {
    stream.body_source = &reply.body;
    stream.body_left = reply.body.size() + reply.filler_bytes;
  }
  submit_with_body(session, stream);
}

// The header block in headers_, then body_left bytes of body (none: the HEADERS frame ends
// the stream).
void Http2Responder::submit_with_body(nghttp2_session* session, Http2Stream& stream) {
  stream.body_sent = 0;
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = &read_body;
  if (nghttp2_submit_response(session, stream.id, headers_.data(), headers_.size(),
                              stream.body_left > 0 ? &provider : nullptr) != 0) {
    reset_stream(session, stream.id);
  }
}

ssize_t Http2Responder::read_body(nghttp2_session* session, int32_t stream_id, uint8_t* /*buffer*/,
                                  size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                                  void* /*user_data*/) noexcept {
  auto* stream = static_cast<Http2Stream*>(source->ptr);
  const auto bytes = static_cast<size_t>(std::min<uint64_t>(length, stream->body_left));
  stream->body_left -= bytes;
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;  // write_data frames it
  if (stream->body_left == 0) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (stream->head.grpc) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;  // the trailers end it
      static const char kName[] = "grpc-status";
      static const char kOk[] = "0";
      nghttp2_nv trailer{reinterpret_cast<uint8_t*>(const_cast<char*>(kName)),
                         reinterpret_cast<uint8_t*>(const_cast<char*>(kOk)), sizeof kName - 1,
                         sizeof kOk - 1, NGHTTP2_NV_FLAG_NONE};
      if (nghttp2_submit_trailer(session, stream_id, &trailer, 1) != 0) {
        reset_stream(session, stream_id);
      }
    }
  }
  return static_cast<ssize_t>(bytes);
}

void Http2Responder::write_data(OutputQueue& out_queue, const nghttp2_frame& frame,
                                const uint8_t* frame_header, size_t length, Http2Stream* stream) {
  std::string& out = out_queue.bytes();
  out.append(reinterpret_cast<const char*>(frame_header), 9);
  const size_t padding = frame.data.padlen;
  if (padding > 0) out.push_back(static_cast<char>(padding - 1));
  // The body: bytes of *body_source, if any, then filler.
  size_t from_source = 0;
  if (stream != nullptr && stream->body_source != nullptr &&
      stream->body_sent < stream->body_source->size()) {
    from_source = std::min(length, stream->body_source->size() - stream->body_sent);
    out.append(*stream->body_source, stream->body_sent, from_source);
    stream->body_sent += from_source;
  }
  out_queue.append_filler_bytes(length - from_source);
  if (padding > 1) out.append(padding - 1, '\0');
}

}  // namespace nightjar::server
