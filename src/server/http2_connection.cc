#include "server/http2_connection.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <utility>

#include "server/transport.h"

namespace nightjar::server {
namespace {

using boost::system::error_code;

constexpr size_t kReadBufferBytes = size_t{64} * 1024;
constexpr uint32_t kMaxConcurrentStreams = 1000;
// Large windows: flow control never throttles a test (the client's windows still bound
// what the server sends).
constexpr int32_t kWindowBytes = int32_t{1} << 30;
// nghttp2 is asked for more frames only once the queue is written out, and stops adding
// to it past this, so a large response does not sit in memory.
constexpr uint64_t kMaxQueuedBytes = uint64_t{512} * 1024;

std::string_view view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

bool is_request_headers(const nghttp2_frame& frame) {
  return frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST;
}

// nghttp2 calls back from C: an exception must not unwind through it. A failed callback
// makes nghttp2 end the session; the connection then closes.
template <typename F>
int callback_guard(F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

}  // namespace

template <typename Transport>
Http2Connection<Transport>::Http2Connection(Transport transport, ConnectionContext& context,
                                            std::string_view received, int64_t received_at_ns,
                                            int64_t opened_ns)
    : Base(std::move(transport), context, opened_ns, kReadBufferBytes),
      received_bytes_(std::min(received.size(), kReadBufferBytes)),
      last_progress_ns_(opened_ns) {
  assert(received.size() <= kReadBufferBytes);
  last_read_ns_ = received_at_ns;
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
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, &on_invalid_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &on_frame_send);
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
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kWindowBytes)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.max_header_bytes}};
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0 &&
         nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes) == 0;
}

template <typename Transport>
void Http2Connection<Transport>::start() {
  guarded(*this, [&] {
    if (!create_session()) {
      this->abort();
      return;
    }
    if (received_bytes_ > 0) receive(in_.get(), received_bytes_);
    flush();
    this->read_more();
    on_guard();  // arms the guard
  });
}

template <typename Transport>
Http2Stream* Http2Connection<Transport>::find(int32_t stream_id) const {
  return static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session_, stream_id));
}

template <typename Transport>
void Http2Connection<Transport>::release_stream(Http2Stream* stream) {
  release_grpc_request(*stream);
  streams_.release(stream);
}

// ---- Reading

template <typename Transport>
std::span<char> Http2Connection<Transport>::input_space() {
  if (session_ == nullptr || nghttp2_session_want_read(session_) == 0) return {};
  return {in_.get(), read_buffer_bytes_};
}

template <typename Transport>
void Http2Connection<Transport>::on_input(const error_code& ec, size_t bytes) {
  if (ec) {
    this->abort();  // the client left: its streams cannot be answered any more
    return;
  }
  last_read_ns_ = context_.clock.steady_ns();
  receive(in_.get(), bytes);
  flush();
  this->read_more();
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
  // A header block arriving in pieces: its timeout runs (a whole one costs nothing here).
  if (header_block_since_ns_ != 0) this->watch(header_block_since_ns_ + limits_.header_timeout_ns);
}

// A header block (HEADERS, then CONTINUATIONs until END_HEADERS) is in progress from its
// first frame's header until that flag; any other frame means it is over. (receive() starts
// its timeout if it is still in progress once the bytes read are processed.)
template <typename Transport>
int Http2Connection<Transport>::on_begin_frame(nghttp2_session* /*session*/,
                                               const nghttp2_frame_hd* hd, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  if (hd->type == NGHTTP2_HEADERS) {
    self->header_block_since_ns_ = self->last_read_ns_;
  } else if (hd->type != NGHTTP2_CONTINUATION) {
    self->header_block_since_ns_ = 0;
  }
  return 0;
}

template <typename Transport>
int Http2Connection<Transport>::on_begin_headers(nghttp2_session* session,
                                                 const nghttp2_frame* frame, void* user_data) {
  if (!is_request_headers(*frame)) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  self->last_progress_ns_ = self->last_read_ns_;
  return callback_guard([&] {
    Http2Stream* stream = self->streams_.acquire();
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
  if (!is_request_headers(*frame)) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  Http2Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  return callback_guard([&] {
    stream->head.add(view(name, name_length), view(value, value_length), self->limits_);
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_data_chunk(nghttp2_session* /*session*/, uint8_t /*flags*/,
                                              int32_t stream_id, const uint8_t* data, size_t length,
                                              void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  Http2Stream* stream = self->find(stream_id);
  if (stream == nullptr) return 0;
  return callback_guard([&] {
    self->on_body_data(*stream, data, length);
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_frame_recv(nghttp2_session* /*session*/,
                                              const nghttp2_frame* frame, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  const uint8_t type = frame->hd.type;
  if (type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
    self->settings_received_ = true;
    return 0;
  }
  if (type != NGHTTP2_HEADERS && type != NGHTTP2_DATA) return 0;
  if (type == NGHTTP2_HEADERS) self->header_block_since_ns_ = 0;  // END_HEADERS came
  Http2Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  const bool request_ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (request_ends) stream->request_ended = true;
  return callback_guard([&] {
    if (is_request_headers(*frame)) self->on_headers_done(*stream);
    if (request_ends && !stream->refused) self->on_request(*stream);
    return 0;
  });
}

template <typename Transport>
int Http2Connection<Transport>::on_invalid_frame_recv(nghttp2_session* /*session*/,
                                                      const nghttp2_frame* frame,
                                                      int /*lib_error_code*/, void* user_data) {
  // A header block nghttp2 refused is over too.
  if (frame->hd.type == NGHTTP2_HEADERS) {
    static_cast<Http2Connection*>(user_data)->header_block_since_ns_ = 0;
  }
  return 0;
}

// Once a refusal is sent in full while the client still sends its request, RST_STREAM
// (NO_ERROR) tells it to stop (RFC 9113 section 8.1).
template <typename Transport>
int Http2Connection<Transport>::on_frame_send(nghttp2_session* session, const nghttp2_frame* frame,
                                              void* user_data) {
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) return 0;
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  Http2Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr || !stream->refused || stream->request_ended) return 0;
  return nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                   NGHTTP2_NO_ERROR) == 0
             ? 0
             : NGHTTP2_ERR_CALLBACK_FAILURE;
}

template <typename Transport>
int Http2Connection<Transport>::on_stream_close(nghttp2_session* /*session*/, int32_t stream_id,
                                                uint32_t /*error_code*/, void* user_data) {
  auto* self = static_cast<Http2Connection*>(user_data);
  Http2Stream* stream = self->find(stream_id);
  if (stream == nullptr) return 0;
  return callback_guard([&] {
    if (self->goaway_with_stream_id_ == stream_id) {
      // Its response is sent (or the client reset it): now the GOAWAY it asked for.
      self->goaway_with_stream_id_ = 0;
      self->go_away(stream_id);
    }
    if (stream->answering) {
      --self->answering_streams_;
      self->last_progress_ns_ = self->context_.clock.steady_ns();  // a response done: the idle time starts now
    }
    self->release_stream(stream);
    return 0;
  });
}

// ---- Limits on what a request may hold

// A request whose header is over a limit, or whose announced body is, is refused as soon
// as its header block is complete.
template <typename Transport>
void Http2Connection<Transport>::on_headers_done(Http2Stream& stream) {
  const Http2RequestHead& head = stream.head;
  if (head.too_large) {
    WorkerCounters::bump(counters_.headers_too_large);
    refuse(stream, 431, kGrpcResourceExhausted,
           header_limit_message(head.too_many_fields(limits_), limits_));
  } else if (head.content_length >= 0 &&
             static_cast<uint64_t>(head.content_length) > limits_.max_body_bytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted, body_limit_message(limits_.max_body_bytes));
  }
}

// Request bodies are discarded, except a gRPC call's, held until it is answered. A body over
// max_body_bytes is refused; so is a gRPC message over gRPC's limit, or one that would take
// the bytes held for all of this connection's calls over max_body_bytes.
template <typename Transport>
void Http2Connection<Transport>::on_body_data(Http2Stream& stream, const uint8_t* data,
                                              size_t length) {
  last_progress_ns_ = last_read_ns_;
  stream.body_bytes += length;
  if (stream.refused) return;
  if (stream.body_bytes > limits_.max_body_bytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted, body_limit_message(limits_.max_body_bytes));
    return;
  }
  if (!stream.head.grpc) return;
  if (stream.grpc_request.size() + length > kMaxGrpcRequestBytes + kGrpcPrefixBytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted, "the request message is larger than 4 MiB");
    return;
  }
  if (held_body_bytes_ + length > limits_.max_body_bytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted,
           "the request bodies this connection holds would exceed the server's limit of " +
               std::to_string(limits_.max_body_bytes) + " bytes");
    return;
  }
  stream.grpc_request.append(view(data, length));
  held_body_bytes_ += length;
}

template <typename Transport>
void Http2Connection<Transport>::release_grpc_request(Http2Stream& stream) {
  held_body_bytes_ -= std::min<uint64_t>(held_body_bytes_, stream.grpc_request.size());
  stream.grpc_request.clear();
}

// Answers a request over a limit at once, whatever its controls: HTTP `http_status` or, for a
// gRPC call, `grpc_status`, both saying `why`. Whatever else the client sends for it is
// discarded, and once the answer is out the stream is reset (see on_frame_send).
template <typename Transport>
void Http2Connection<Transport>::refuse(Http2Stream& stream, int http_status, int grpc_status,
                                        std::string why) {
  stream.refused = true;
  release_grpc_request(stream);
  if (stream.grpc_request.capacity() > kReadBufferBytes) std::string().swap(stream.grpc_request);
  if (beyond_goaway(stream)) return;
  stream.controls.reset();
  stream.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  if (stream.head.grpc) {
    stream.grpc_reply.reset();
    stream.grpc_reply.status = grpc_status;
    stream.grpc_reply.message = std::move(why);
  } else {
    stream.controls.status = http_status;
    stream.error_body.assign(why).push_back('\n');
  }
  answer(stream);
}

// ---- Answering

// Above the last stream of our GOAWAY: never answered, the GOAWAY refuses it.
template <typename Transport>
bool Http2Connection<Transport>::beyond_goaway(const Http2Stream& stream) const {
  return goaway_last_stream_id_ >= 0 && stream.id > goaway_last_stream_id_;
}

template <typename Transport>
void Http2Connection<Transport>::on_request(Http2Stream& stream) {
  if (beyond_goaway(stream)) return;
  ++requests_received_;
  stream.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  if (stream.head.grpc) {
    if (!grpc_) grpc_ = std::make_unique<GrpcService>();
    grpc_->handle(stream.head.path, stream.grpc_request, stream.head.control, stream.arrival_gap_ns,
                  stream.controls, stream.grpc_reply);
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
  schedule(stream, ready_at_ns(shared_.capacity_release_ns(last_read_ns_), stream.controls.delay_ns));
}

template <typename Transport>
void Http2Connection<Transport>::prepare_http(Http2Stream& stream) {
  ResponseControls& controls = stream.controls;
  controls.reset();
  Status status = this->apply_controls(stream.head.path, stream.head.control, controls);
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
void Http2Connection<Transport>::schedule(Http2Stream& stream, int64_t ready_at_ns) {
  int64_t now_ns = 0;
  const int64_t held_until_ns = this->held_until_ns(ready_at_ns, now_ns);
  if (held_until_ns == 0) {
    answer(stream);
    return;
  }
  waits_.push(held_until_ns, stream.id);
  this->arm_timer(held_until_ns);
}

template <typename Transport>
void Http2Connection<Transport>::answer(Http2Stream& stream) {
  stream.answering = true;
  ++answering_streams_;
  responder_.submit(session_, stream);
  WorkerCounters::bump(counters_.requests);
  WorkerCounters::bump(counters_.http2_requests);
  if (stream.head.grpc) WorkerCounters::bump(counters_.grpc_requests);
  if (stream.bad_request || stream.grpc_reply.bad_control)
    WorkerCounters::bump(counters_.bad_requests);
  // A GOAWAY asked for with this stream goes once its response is sent (on_stream_close).
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
  auto* stream = static_cast<Http2Stream*>(source->ptr);
  // A frame that waited (WOULDBLOCK) may outlive its stream, reset by the client meanwhile;
  // its Http2Stream may serve another stream by now, so its bytes are not used then.
  const bool live = self->find(frame->hd.stream_id) == stream;
  return callback_guard([&] {
    Http2Responder::write_data(self->out_, *frame, frame_header, length, live ? stream : nullptr);
    return 0;
  });
}

template <typename Transport>
void Http2Connection<Transport>::flush() {
  if (closed_ || lingering_ || write_waiting_ || session_ == nullptr) return;
  for (;;) {
    // More frames only once the queue is written out (see kMaxQueuedBytes).
    if (out_.empty() && nghttp2_session_send(session_) != 0) {
      this->abort();
      return;
    }
    if (out_.empty()) break;
    // Response bytes going out count as progress (a PING's answer alone does not).
    if (answering_streams_ > 0) last_progress_ns_ = context_.clock.steady_ns();
    if (!this->write_out()) return;  // on_writable goes on, or the connection failed
  }
  finish_if_done();
}

template <typename Transport>
void Http2Connection<Transport>::on_writable() {
  flush();
  this->read_more();
}

// ---- Timing

template <typename Transport>
void Http2Connection<Transport>::on_timer() {
  const int64_t now_ns = context_.clock.steady_ns();
  int32_t stream_id = 0;
  int64_t deadline_ns = 0;
  while (waits_.pop_due(now_ns, stream_id, deadline_ns)) {
    // Gone if the client reset the stream meanwhile; stream ids are never reused.
    if (Http2Stream* stream = find(stream_id)) schedule(*stream, deadline_ns);
  }
  if (!waits_.empty()) this->arm_timer(waits_.earliest_ns());
  flush();
  this->read_more();
}

// ---- Timeouts

template <typename Transport>
void Http2Connection<Transport>::on_guard() {
  if (closed_ || lingering_) return;
  const int64_t header_since_ns = settings_received_ ? header_block_since_ns_ : opened_ns_;
  if (!this->timeout_passed(header_since_ns, last_progress_ns_, !waits_.empty())) return;
  if (settings_received_) {
    // A GOAWAY says why, if the socket takes it now; the connection closes either way.
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    if (out_.empty() && nghttp2_session_send(session_) == 0) {
      boost::system::error_code ignored = out_.write(transport_);
      (void)ignored;
    }
  }
  this->abort();
}

// ---- Closing

template <typename Transport>
void Http2Connection<Transport>::finish_if_done() {
  if (closed_ || lingering_ || !out_.empty()) return;
  if (nghttp2_session_want_read(session_) != 0 || nghttp2_session_want_write(session_) != 0) return;
  this->linger();
}

template class Http2Connection<PlainTransport>;
template class Http2Connection<TlsTransport>;

}  // namespace nightjar::server
