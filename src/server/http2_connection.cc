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

// Digits only, as nghttp2 has checked; -1 when not a number that fits.
int64_t parse_content_length(std::string_view text) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string body_limit_message(uint64_t max_body_bytes) {
  return "request body larger than the server's limit of " + std::to_string(max_body_bytes) +
         " bytes";
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
  header_bytes = 0;
  header_fields = 0;
  header_too_large = false;
  content_length = -1;
  body_bytes = 0;
  request_ended = false;
  refused = false;
  answering = false;
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
                                            std::string_view received, int64_t received_at_ns,
                                            int64_t opened_ns)
    : ServerConnection(context.registry),
      context_(context),
      shared_(context.shared),
      counters_(context.counters),
      limits_(context.limits),
      opened_ns_(opened_ns),
      transport_(std::move(transport)),
      timer_(transport_.get_executor()),
      guard_(transport_.get_executor(), context.clock),
      in_(new char[kReadBufferBytes]),
      received_bytes_(std::min(received.size(), kReadBufferBytes)),
      last_read_ns_(received_at_ns),
      last_progress_ns_(opened_ns) {
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
      abort();
      return;
    }
    if (received_bytes_ > 0) receive(in_.get(), received_bytes_);
    flush();
    read_more();
    on_guard();  // arms the guard
  });
}

template <typename Transport>
void Http2Connection<Transport>::abort() noexcept {
  guard_.cancel();
  if (closed_) return;
  closed_ = true;
  transport_.close();
  cancel_waits(timer_);
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
  release_grpc_request(*stream);
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
    last_read_ns_ = context_.clock.steady_ns();
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
  // A header block arriving in pieces: its timeout runs (a whole one costs nothing here).
  if (header_block_since_ns_ != 0) watch(header_block_since_ns_ + limits_.header_timeout_ns);
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
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* self = static_cast<Http2Connection*>(user_data);
  self->last_progress_ns_ = self->last_read_ns_;
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
  if (stream == nullptr || stream->header_too_large) return 0;
  // Counted as SETTINGS_MAX_HEADER_LIST_SIZE counts; past a limit nothing more is kept and
  // the request is refused (431) once its header block is complete.
  constexpr uint32_t kFieldOverheadBytes = 32;
  const uint64_t header_bytes =
      uint64_t{stream->header_bytes} + name_length + value_length + kFieldOverheadBytes;
  if (header_bytes > self->limits_.max_header_bytes ||
      stream->header_fields >= self->limits_.max_header_fields) {
    stream->header_too_large = true;
    stream->header_fields += 1;
    stream->path.clear();
    stream->control.clear();
    return 0;
  }
  stream->header_bytes = static_cast<uint32_t>(header_bytes);
  stream->header_fields += 1;
  return callback_guard([&] {
    const std::string_view field = view(name, name_length);  // nghttp2 has checked it is lower case
    const std::string_view text = view(value, value_length);
    if (field == "content-length") {
      stream->content_length = parse_content_length(text);
    } else if (field == ":path") {
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
  Stream* stream = self->find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  const bool request_ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (request_ends) stream->request_ended = true;
  return callback_guard([&] {
    if (type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      self->on_headers_done(*stream);
    }
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
  Stream* stream = self->find(frame->hd.stream_id);
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
  Stream* stream = self->find(stream_id);
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
void Http2Connection<Transport>::on_headers_done(Stream& stream) {
  if (stream.header_too_large) {
    WorkerCounters::bump(counters_.headers_too_large);
    refuse(stream, 431, kGrpcResourceExhausted,
           stream.header_fields > limits_.max_header_fields
               ? "more than " + std::to_string(limits_.max_header_fields) +
                     " request header fields"
               : "request header larger than the server's limit of " +
                     std::to_string(limits_.max_header_bytes) + " bytes");
  } else if (stream.content_length >= 0 &&
             static_cast<uint64_t>(stream.content_length) > limits_.max_body_bytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted, body_limit_message(limits_.max_body_bytes));
  }
}

// Request bodies are discarded, except a gRPC call's, held until it is answered. A body over
// max_body_bytes is refused; so is a gRPC message over gRPC's limit, or one that would take
// the bytes held for all of this connection's calls over max_body_bytes.
template <typename Transport>
void Http2Connection<Transport>::on_body_data(Stream& stream, const uint8_t* data, size_t length) {
  last_progress_ns_ = last_read_ns_;
  stream.body_bytes += length;
  if (stream.refused) return;
  if (stream.body_bytes > limits_.max_body_bytes) {
    WorkerCounters::bump(counters_.bodies_too_large);
    refuse(stream, 413, kGrpcResourceExhausted, body_limit_message(limits_.max_body_bytes));
    return;
  }
  if (!stream.grpc) return;
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
void Http2Connection<Transport>::release_grpc_request(Stream& stream) {
  held_body_bytes_ -= std::min<uint64_t>(held_body_bytes_, stream.grpc_request.size());
  stream.grpc_request.clear();
}

// Answers a request over a limit at once, whatever its controls: HTTP `http_status` or, for a
// gRPC call, `grpc_status`, both saying `why`. Whatever else the client sends for it is
// discarded, and once the answer is out the stream is reset (see on_frame_send).
template <typename Transport>
void Http2Connection<Transport>::refuse(Stream& stream, int http_status, int grpc_status,
                                        std::string why) {
  stream.refused = true;
  release_grpc_request(stream);
  if (stream.grpc_request.capacity() > kReadBufferBytes) std::string().swap(stream.grpc_request);
  // Above the last stream of our GOAWAY: never answered, the GOAWAY refuses it.
  if (goaway_last_stream_id_ >= 0 && stream.id > goaway_last_stream_id_) return;
  stream.controls.reset();
  stream.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  if (stream.grpc) {
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

template <typename Transport>
void Http2Connection<Transport>::on_request(Stream& stream) {
  // Above the last stream of our GOAWAY: never answered, the GOAWAY refuses it.
  if (goaway_last_stream_id_ >= 0 && stream.id > goaway_last_stream_id_) return;
  ++requests_received_;
  stream.arrival_gap_ns = shared_.record_arrival(last_read_ns_);
  if (stream.grpc) {
    if (!grpc_) grpc_ = std::make_unique<GrpcService>();
    grpc_->handle(stream.path, stream.grpc_request, stream.control, stream.arrival_gap_ns,
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
  if (ready_at_ns > last_read_ns_ && ready_at_ns > (now_ns = context_.clock.steady_ns())) {
    waits_.push_back({ready_at_ns, stream.id});
    std::push_heap(waits_.begin(), waits_.end(), std::greater<>());
    arm_timer(ready_at_ns);
    return;
  }
  if (shared_.stall_configured()) {
    const int64_t stall_end_ns = shared_.stall_end_if_held(now_ns != 0 ? now_ns : context_.clock.steady_ns());
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
  stream.answering = true;
  ++answering_streams_;
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
  stream.body_left = reply.body.size() + reply.filler_bytes;
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
    // The body: bytes of *body_source, if any, then filler.
    size_t from_source = 0;
    if (live && stream->body_source != nullptr && stream->body_sent < stream->body_source->size()) {
      from_source = std::min(length, stream->body_source->size() - stream->body_sent);
      out.append(*stream->body_source, stream->body_sent, from_source);
      stream->body_sent += from_source;
    }
    self->out_.append_filler_bytes(length - from_source);
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
    // Response bytes going out count as progress (a PING's answer alone does not).
    if (answering_streams_ > 0) last_progress_ns_ = context_.clock.steady_ns();
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
  timer_.expires_at(context_.clock.timer_time(deadline_ns));
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
  const int64_t now_ns = context_.clock.steady_ns();
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

// ---- Timeouts

template <typename Transport>
void Http2Connection<Transport>::watch(int64_t deadline_ns) {
  if (guard_.fires_by(deadline_ns)) return;
  guard_.arm(deadline_ns, [self = this->shared_from_this()](const error_code& ec) {
    if (ec) return;  // replaced by an earlier deadline, or cancelled
    self->guard_.fired();
    if (self->closed_ || self->lingering_) return;
    guarded(*self, [&] { self->on_guard(); });
  });
}

// The header timeout runs for the preface and SETTINGS, and for a header block in progress,
// while the connection waits for the client's bytes. The idle timeout runs while no
// response is held for a delay or the stall; HEADERS, DATA and response bytes going out
// restart it (PING, SETTINGS and WINDOW_UPDATE do not, so they cannot keep a connection).
template <typename Transport>
void Http2Connection<Transport>::on_guard() {
  if (closed_ || lingering_) return;
  GuardState state;
  state.header_pending = reading_ && (!settings_received_ || header_block_since_ns_ != 0);
  state.header_since_ns = settings_received_ ? header_block_since_ns_ : opened_ns_;
  state.response_held = !waits_.empty();
  state.last_progress_ns = last_progress_ns_;
  const GuardVerdict verdict = judge_guard(state, limits_, context_.clock.steady_ns());
  if (verdict.kind == GuardVerdict::Kind::kWait) {
    watch(verdict.deadline_ns);
    return;
  }
  const bool header = verdict.kind == GuardVerdict::Kind::kHeaderTimeout;
  WorkerCounters::bump(header ? counters_.header_timeouts : counters_.idle_timeouts);
  if (settings_received_) {
    // A GOAWAY says why, if the socket takes it now; the connection closes either way.
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    if (out_.empty() && nghttp2_session_send(session_) == 0) {
      boost::system::error_code ignored = out_.write(transport_);
      (void)ignored;
    }
  }
  abort();
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
  guard_.cancel();  // the linger time bounds what is left
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
