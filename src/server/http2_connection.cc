#include "server/http2_connection.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <utility>

#include "server/transport.h"

namespace nightjar::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr size_t kReadBufferBytes = size_t{64} * 1024;
constexpr uint32_t kMaxConcurrentStreams = 1000;
// Large windows: flow control never throttles a test (the client's windows still bound
// what the server sends).
constexpr int32_t kWindowBytes = int32_t{1} << 30;
// nghttp2 is asked for more frames only once the queue is written out, and stops adding
// to it past this, so a large response does not sit in memory.
constexpr uint64_t kMaxQueuedBytes = uint64_t{512} * 1024;
constexpr auto kLingerTime = std::chrono::seconds(1);

std::string_view view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return to_lower(x) == to_lower(y);
         });
}

// "application/grpc", "application/grpc+proto", "application/grpc;..." (not
// "application/grpc-web").
bool is_grpc_content_type(std::string_view value) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (value.size() < kGrpc.size() || !iequals(value.substr(0, kGrpc.size()), kGrpc)) return false;
  return value.size() == kGrpc.size() || value[kGrpc.size()] == '+' || value[kGrpc.size()] == ';';
}

// Fields HTTP/2 forbids (RFC 9113 section 8.2.2); a header= control naming one is dropped.
bool is_connection_specific(std::string_view name) {
  for (std::string_view forbidden :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te"}) {
    if (iequals(name, forbidden)) return true;
  }
  return false;
}

// nghttp2 calls back from C: an exception must not unwind through it.
template <typename F>
int callback_guard(F&& body) {
  try {
    return body();
  } catch (const std::exception&) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

}  // namespace

void Http2HeaderBlock::clear() {
  text_.clear();
  fields_.clear();
}

void Http2HeaderBlock::add(std::string_view name, std::string_view value) {
  Field field{text_.size(), name.size(), 0, value.size()};
  for (const char c : name) text_.push_back(to_lower(c));
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

template <typename Transport>
void Http2Connection<Transport>::Stream::reset() {
  // A rare huge gRPC message should not pin its memory to a recycled stream.
  constexpr size_t kKeptCapacity = size_t{64} * 1024;
  if (grpc_request.capacity() > kKeptCapacity) std::string().swap(grpc_request);
  if (grpc_reply.body.capacity() > kKeptCapacity) std::string().swap(grpc_reply.body);
  id = 0;
  path.clear();
  control.clear();
  head_method = false;
  grpc = false;
  grpc_request.clear();
  grpc_too_large = false;
  controls.reset();
  grpc_reply.reset();
  error_body.clear();
  bad_request = false;
  arrival_gap_ns = 0;
  body_source = nullptr;
  body_left = 0;
  body_sent = 0;
}

template <typename Transport>
Http2Connection<Transport>::Http2Connection(Transport transport, ConnectionContext& context,
                                            std::string_view received, int64_t received_at_ns)
    : ServerConnection(context.registry),
      context_(context),
      shared_(context.shared),
      counters_(context.counters),
      transport_(std::move(transport)),
      timer_(transport_.get_executor()),
      in_(new char[kReadBufferBytes]),
      received_bytes_(std::min(received.size(), kReadBufferBytes)),
      last_read_ns_(received_at_ns) {
  assert(received.size() <= kReadBufferBytes);
  if (received_bytes_ > 0) std::memcpy(in_.get(), received.data(), received_bytes_);
}

template <typename Transport>
Http2Connection<Transport>::~Http2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

template <typename Transport>
bool Http2Connection<Transport>::create_session() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_stream_close);
  nghttp2_session_callbacks_set_send_callback(callbacks, &on_send);
  nghttp2_session_callbacks_set_send_data_callback(callbacks, &on_send_data);
  const int created = nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (created != 0) {
    session_ = nullptr;
    return false;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kWindowBytes)}};
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0 &&
         nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes) == 0;
}

template <typename Transport>
void Http2Connection<Transport>::start() {
  guarded(*this, [&] {
    if (!create_session()) {
      abort();
      return;
    }
    if (received_bytes_ > 0) receive(in_.get(), received_bytes_);
    flush();
    read_more();
  });
}

template <typename Transport>
void Http2Connection<Transport>::abort() {
  if (closed_) return;
  closed_ = true;
  transport_.close();
  timer_.cancel();
}

template <typename Transport>
typename Http2Connection<Transport>::Stream* Http2Connection<Transport>::find(
    int32_t stream_id) const {
  return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
}

template <typename Transport>
typename Http2Connection<Transport>::Stream* Http2Connection<Transport>::acquire_stream() {
  if (free_streams_.empty()) {
    streams_.push_back(std::make_unique<Stream>());
    free_streams_.reserve(streams_.size());
    return streams_.back().get();
  }
  Stream* stream = free_streams_.back();
  free_streams_.pop_back();
  return stream;
}

template <typename Transport>
void Http2Connection<Transport>::release_stream(Stream* stream) {
  stream->reset();
  free_streams_.push_back(stream);  // capacity reserved when the stream was made
}

// ---- Reading

template <typename Transport>
void Http2Connection<Transport>::read_more() {
  if (closed_ || reading_) return;
  if (!lingering_ &&
      (write_waiting_ || session_ == nullptr || nghttp2_session_want_read(session_) == 0))
    return;
  reading_ = true;
  transport_.async_read_some(in_.get(), kReadBufferBytes,
                             bind_memory(read_memory_, [self = this->shared_from_this()](
                                                           const error_code& ec, size_t bytes) {
                               self->on_read(ec, bytes);
                             }));
}

template <typename Transport>
void Http2Connection<Transport>::on_read(const error_code& ec, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  guarded(*this, [&] {
    if (lingering_) {
      if (ec) {
        abort();
      } else {
        read_more();
      }
      return;
    }
    if (ec) {
      abort();  // the client left: its streams cannot be answered any more
      return;
    }
    last_read_ns_ = steady_now_ns();
    receive(in_.get(), bytes);
    flush();
    read_more();
  });
}

template <typename Transport>
void Http2Connection<Transport>::receive(const char* data, size_t size) {
  const ssize_t used =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  if (used < 0) {
    // Something nghttp2 could not answer by itself (a bad preface, a flood): GOAWAY, and the
    // connection closes once that is written.
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
}

template <typename Transport>
int Http2Connection<Transport>::on_begin_headers(nghttp2_session* session,
                                                 const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  return callback_guard([&] {
    Stream* stream = self->acquire_stream();
    stream->reset();
    stream->id = frame->hd.stream_id;
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream);
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_header(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                                          const uint8_t* name, size_t name_length,
                                          const uint8_t* value, size_t value_length,
                                          uint8_t /*flags*/, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  return callback_guard([&] {
    const std::string_view field = view(name, name_length);  // nghttp2 has checked it is lower case
    const std::string_view text = view(value, value_length);
    if (field == ":path") {
      stream->path.assign(text);
    } else if (field == ":method") {
      stream->head_method = text == "HEAD";
    } else if (field == "content-type") {
      stream->grpc = is_grpc_content_type(text);
    } else if (field == "x-nightjar-control") {
      if (!stream->control.empty()) stream->control.push_back('&');
      stream->control.append(text);
    }
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_data_chunk(nghttp2_session* /*session*/, uint8_t /*flags*/,
                                              int32_t stream_id, const uint8_t* data, size_t length,
                                              void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  Stream* stream = self->find(stream_id);
  // Other request bodies are discarded (nghttp2 still opens the windows again).
  if (stream == nullptr || !stream->grpc || stream->grpc_too_large) return 0;
  return callback_guard([&] {
    if (stream->grpc_request.size() + length > kMaxGrpcRequestBytes + 5) {
      stream->grpc_too_large = true;
      stream->grpc_request.clear();
    } else {
      stream->grpc_request.append(view(data, length));
    }
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_frame_recv(nghttp2_session* /*session*/,
                                              const nghttp2_frame* frame, void* user_data) {
  const bool request_ends = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                            (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!request_ends) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  return callback_guard([&] {
    self->on_request(*stream);
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_stream_close(nghttp2_session* /*session*/, int32_t stream_id,
                                                uint32_t /*error_code*/, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  Stream* stream = self->find(stream_id);
  if (stream == nullptr) return 0;
  if (self->goaway_with_stream_id_ == stream_id) {
    // Its response is sent (or the client reset it): now the GOAWAY it asked for.
    self->goaway_with_stream_id_ = 0;
    self->go_away(stream_id);
  }
  self->release_stream(stream);
  return 0;
}

// ---- Answering

template <typename Transport>
void Http2Connection<Transport>::on_request(Stream& stream) {
  // Above the last stream of our GOAWAY: never answered, the GOAWAY refuses it.
  if (goaway_last_stream_id_ >= 0 && stream.id > goaway_last_stream_id_) return;
  ++requests_received_;
  stream.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  if (stream.grpc) {
    if (!grpc_) grpc_ = std::make_unique<GrpcService>();
    grpc_->handle(stream.path, stream.grpc_request, stream.grpc_too_large, stream.control,
                  stream.arrival_gap_ns, stream.controls, stream.grpc_reply);
  } else {
    prepare_http(stream);
  }
  const bool goaway_after =
      context_.goaway_after_requests > 0 && requests_received_ == context_.goaway_after_requests;
  if ((stream.controls.goaway || stream.controls.close || goaway_after) &&
      goaway_last_stream_id_ < 0) {
    goaway_last_stream_id_ = stream.id;
    goaway_with_stream_id_ = stream.id;
  }
  const int64_t delay_ns = stream.controls.delay_ns;
  const int64_t ready_at_ns = delay_ns > std::numeric_limits<int64_t>::max() - last_read_ns_
                                  ? std::numeric_limits<int64_t>::max()
                                  : last_read_ns_ + delay_ns;
  schedule(stream, ready_at_ns);
}

template <typename Transport>
void Http2Connection<Transport>::prepare_http(Stream& stream) {
  ResponseControls& controls = stream.controls;
  controls.reset();
  Status status = control_parser_.apply(query_of(stream.path), controls);
  if (status.ok() && !stream.control.empty())
    status = control_parser_.apply(stream.control, controls);
  if (status.ok() && controls.status < 200) {
    status = Status::invalid_argument("bad control 'status=" + std::to_string(controls.status) +
                                      "': HTTP/2 has no final 1xx response");
  }
  if (!status.ok()) {
    controls.reset();
    controls.status = 400;
    stream.error_body.assign(status.message()).push_back('\n');
    stream.bad_request = true;
  }
}

// Answers now, or once the delay and then the stall window are over.
template <typename Transport>
void Http2Connection<Transport>::schedule(Stream& stream, int64_t ready_at_ns) {
  int64_t now_ns = 0;
  // ready_at <= last_read <= now needs no clock read.
  if (ready_at_ns > last_read_ns_ && ready_at_ns > (now_ns = steady_now_ns())) {
    waits_.push_back({ready_at_ns, stream.id});
    std::push_heap(waits_.begin(), waits_.end(), std::greater<>());
    arm_timer(ready_at_ns);
    return;
  }
  if (shared_.stall_configured()) {
    const int64_t stall_end_ns = shared_.stall_end_if_held(now_ns != 0 ? now_ns : steady_now_ns());
    if (stall_end_ns != 0) {
      waits_.push_back({stall_end_ns, stream.id});
      std::push_heap(waits_.begin(), waits_.end(), std::greater<>());
      arm_timer(stall_end_ns);
      return;
    }
  }
  answer(stream);
}

template <typename Transport>
void Http2Connection<Transport>::answer(Stream& stream) {
  if (stream.controls.reset_stream) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
  } else if (stream.grpc) {
    submit_grpc_response(stream);
  } else {
    submit_http_response(stream);
  }
  WorkerCounters::bump(counters_.requests);
  WorkerCounters::bump(counters_.http2_requests);
  if (stream.grpc) WorkerCounters::bump(counters_.grpc_requests);
  if (stream.bad_request || stream.grpc_reply.bad_control)
    WorkerCounters::bump(counters_.bad_requests);
  // A GOAWAY asked for with this stream goes once its response is sent (on_stream_close).
}

template <typename Transport>
void Http2Connection<Transport>::submit_http_response(Stream& stream) {
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
  stream.body_left = bodiless_status || stream.head_method ? 0 : body_bytes;
  stream.body_sent = 0;
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = &read_body;
  if (nghttp2_submit_response(session_, stream.id, headers_.data(), headers_.size(),
                              stream.body_left > 0 ? &provider : nullptr) != 0) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
  }
}

// header= controls are kept as "Name: value\r\n" lines (the HTTP/1.1 form).
template <typename Transport>
void Http2Connection<Transport>::add_extra_headers(const std::string& extra_headers) {
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

template <typename Transport>
void Http2Connection<Transport>::submit_grpc_response(Stream& stream) {
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
    if (nghttp2_submit_response(session_, stream.id, headers_.data(), headers_.size(), nullptr) !=
        0) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
    }
    return;
  }
  stream.body_source = &reply.body;
  stream.body_left = reply.body.size();
  stream.body_sent = 0;
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = &read_body;
  if (nghttp2_submit_response(session_, stream.id, headers_.data(), headers_.size(), &provider) !=
      0) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
  }
}

template <typename Transport>
void Http2Connection<Transport>::submit_grpc_trailers(Stream& stream) {
  headers_.clear();
  headers_.add("grpc-status", "0");
  if (nghttp2_submit_trailer(session_, stream.id, headers_.data(), headers_.size()) != 0) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
  }
}

template <typename Transport>
void Http2Connection<Transport>::go_away(int32_t last_stream_id) {
  if (goaway_submitted_) return;
  goaway_submitted_ = true;
  // Streams above last_stream_id are closed as refused when it is sent; the connection
  // closes once the rest are answered (nghttp2 then wants neither to read nor to write).
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr, 0);
}

// ---- Writing

template <typename Transport>
ssize_t Http2Connection<Transport>::read_body(nghttp2_session* /*session*/, int32_t /*stream_id*/,
                                              uint8_t* /*buffer*/, size_t length,
                                              uint32_t* data_flags, nghttp2_data_source* source,
                                              void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  auto* stream = static_cast<Stream*>(source->ptr);
  const auto bytes = static_cast<size_t>(std::min<uint64_t>(length, stream->body_left));
  stream->body_left -= bytes;
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;  // on_send_data frames it
  if (stream->body_left == 0) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (stream->grpc) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;  // the trailers end it
      const int result = callback_guard([&] {
        self->submit_grpc_trailers(*stream);
        return 0;
      });
      if (result != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
  }
  return static_cast<ssize_t>(bytes);
}

template <typename Transport>
ssize_t Http2Connection<Transport>::on_send(nghttp2_session* /*session*/, const uint8_t* data,
                                            size_t length, int /*flags*/, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  if (self->out_.pending_bytes() >= kMaxQueuedBytes) return NGHTTP2_ERR_WOULDBLOCK;
  const int result = callback_guard([&] {
    self->out_.bytes().append(view(data, length));
    return 0;
  });
  return result != 0 ? result : static_cast<ssize_t>(length);
}

template <typename Transport>
int Http2Connection<Transport>::on_send_data(nghttp2_session* /*session*/, nghttp2_frame* frame,
                                             const uint8_t* frame_header, size_t length,
                                             nghttp2_data_source* source, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  if (self->out_.pending_bytes() >= kMaxQueuedBytes) return NGHTTP2_ERR_WOULDBLOCK;
  auto* stream = static_cast<Stream*>(source->ptr);
  // A frame that waited (WOULDBLOCK) may outlive its stream, reset by the client meanwhile;
  // its Stream may serve another stream by now, so its bytes are not used then.
  const bool live = self->find(frame->hd.stream_id) == stream;
  return callback_guard([&] {
    std::string& out = self->out_.bytes();
    out.append(view(frame_header, 9));
    const size_t padding = frame->data.padlen;
    if (padding > 0) out.push_back(static_cast<char>(padding - 1));
    if (live && stream->body_source != nullptr) {
      out.append(*stream->body_source, stream->body_sent, length);
      stream->body_sent += length;
    } else {
      self->out_.append_filler_bytes(length);
    }
    if (padding > 1) out.append(padding - 1, '\0');
    return 0;
  });
}

template <typename Transport>
void Http2Connection<Transport>::flush() {
  if (closed_ || lingering_ || write_waiting_ || session_ == nullptr) return;
  for (;;) {
    // More frames only once the queue is written out (see kMaxQueuedBytes).
    if (out_.empty() && nghttp2_session_send(session_) != 0) {
      abort();
      return;
    }
    if (out_.empty()) break;
    const error_code ec = out_.write(transport_);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      write_waiting_ = true;
      transport_.async_wait_writable(
          bind_memory(write_memory_, [self = this->shared_from_this()](const error_code& wait_ec) {
            self->write_waiting_ = false;
            if (self->closed_) return;
            guarded(*self, [&] {
              if (wait_ec) {
                self->abort();
                return;
              }
              self->flush();
              self->read_more();
            });
          }));
      return;
    }
    if (ec) {
      abort();
      return;
    }
  }
  finish_if_done();
}

// ---- Timing

template <typename Transport>
void Http2Connection<Transport>::arm_timer(int64_t deadline_ns) {
  if (timer_armed_ && timer_deadline_ns_ <= deadline_ns) return;
  timer_armed_ = true;
  timer_deadline_ns_ = deadline_ns;
  // Cancels a later wait, whose handler then sees operation_aborted.
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
  timer_.async_wait(
      bind_memory(timer_memory_, [self = this->shared_from_this()](const error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        self->timer_armed_ = false;
        if (self->closed_ || self->lingering_) return;
        guarded(*self, [&] { self->on_timer(); });
      }));
}

template <typename Transport>
void Http2Connection<Transport>::on_timer() {
  const int64_t now_ns = steady_now_ns();
  while (!waits_.empty() && waits_.front().deadline_ns <= now_ns) {
    std::pop_heap(waits_.begin(), waits_.end(), std::greater<>());
    const Wait wait = waits_.back();
    waits_.pop_back();
    // Gone if the client reset the stream meanwhile; stream ids are never reused.
    if (Stream* stream = find(wait.stream_id)) schedule(*stream, wait.deadline_ns);
  }
  if (!waits_.empty()) arm_timer(waits_.front().deadline_ns);
  flush();
  read_more();
}

// ---- Closing

template <typename Transport>
void Http2Connection<Transport>::finish_if_done() {
  if (closed_ || lingering_ || !out_.empty()) return;
  if (nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0) return;
  start_linger();
}

template <typename Transport>
void Http2Connection<Transport>::start_linger() {
  // As for HTTP/1.1: stop sending, drain what the client still sends so that the close is
  // not a reset that could destroy the last responses in flight.
  lingering_ = true;
  transport_.shutdown_send();
  timer_.expires_after(kLingerTime);  // also cancels a delay wait, no longer needed
  timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
    if (!ec) self->abort();
  });
  read_more();
}

template class Http2Connection<PlainTransport>;
template class Http2Connection<TlsTransport>;

}  // namespace nightjar::server
