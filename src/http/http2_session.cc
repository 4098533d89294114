#include "http/http2_session.h"
#include "common/clock.h"
#include "http/socket_errors.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace nightjar::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using model::ErrorKind;

constexpr size_t kReadBufferSize = 128 * 1024;
constexpr int32_t kWindowBytes = (1 << 30);  // large windows: flow control never throttles a test

// Runs a callback body for nghttp2; an exception (out of memory) becomes the callback
// failure nghttp2 expects, which ends the session as an error instead of unwinding C frames.
template <typename T, typename F>
T callback_guard(F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
}

int parse_decimal(const uint8_t* text, size_t length) {
  int n = 0;
  for (size_t i = 0; i < length && text[i] >= '0' && text[i] <= '9' && n < 100000; ++i) n = n * 10 + (text[i] - '0');
  return n;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Http2Request make_http2_request(const RequestSpec& spec, const Url& url) {
  Http2Request r;
  std::vector<std::pair<std::string, std::string>> fields = {
      {":method", spec.method}, {":scheme", url.scheme == "https" || url.scheme == "grpcs" ? "https" : "http"}, {":authority", url.authority}, {":path", url.path_and_query}};
  bool user_agent = false;
  for (const auto& [name, value] : spec.headers) {
    const std::string n = lower(name);
    if (n == "host") {
      fields[2].second = value;
    } else if (n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "transfer-encoding" ||
               n == "upgrade") {
      continue;  // connection-specific: not allowed in HTTP/2
    } else {
      user_agent = user_agent || n == "user-agent";
      fields.emplace_back(n, value);
    }
  }
  if (!user_agent) fields.emplace_back("user-agent", "nightjar/0.1");
  if (!spec.body.empty()) fields.emplace_back("content-length", std::to_string(spec.body.size()));
  r.storage.reserve(fields.size() * 2);
  for (auto& [name, value] : fields) {
    r.storage.push_back(std::move(name));
    r.storage.push_back(std::move(value));
  }
  for (size_t i = 0; i < r.storage.size(); i += 2) {
    nghttp2_nv nv;
    nv.name = reinterpret_cast<uint8_t*>(r.storage[i].data());
    nv.namelen = r.storage[i].size();
    nv.value = reinterpret_cast<uint8_t*>(r.storage[i + 1].data());
    nv.valuelen = r.storage[i + 1].size();
    nv.flags = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
    r.headers.push_back(nv);
  }
  r.body = spec.body;
  return r;
}

Http2Session::Http2Session(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                           const std::vector<Http2Request>& requests, int max_concurrent_streams,
                           SessionObserver& observer, int id, const tls::ClientContext* tls,
                           const std::string& host)
    : endpoint_(endpoint),
      requests_(requests),
      max_streams_(std::max(1, max_concurrent_streams)),
      observer_(observer),
      id_(id),
      transport_(io, tls, host, *this),
      streams_(static_cast<size_t>(std::max(1, max_concurrent_streams))),
      buffer_(new uint8_t[kReadBufferSize]) {
  completions_.reserve(streams_.size());
  delivering_list_.reserve(streams_.size());
  pending_out_.reserve(64 * 1024);
}

Http2Session::~Http2Session() { close(); }

bool Http2Session::can_send() const {
  if (state_ != State::kIdle && state_ != State::kBusy) return false;
  if (goaway_ || session_ == nullptr) return false;
  const auto remote = nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return active_ < max_streams_ && static_cast<uint32_t>(active_) < remote;
}

void Http2Session::connect(int64_t now_ns) {
  if (state_ != State::kDisconnected) return;
  state_ = State::kConnecting;
  connect_started_ns_ = now_ns;
  transport_.connect(endpoint_);
}

void Http2Session::on_transport_connected() {
  if (state_ != State::kConnecting) return;
  if (transport_.is_tls() && transport_.alpn() != "h2") {
    // The server did not agree to HTTP/2 on this connection.
    const std::string chosen = transport_.alpn().empty() ? "no protocol" : "'" + transport_.alpn() + "'";
    close();
    transport_.set_error_detail("the server does not speak HTTP/2 over TLS (ALPN chose " + chosen +
                                "); try --protocol http1");
    observer_.on_connect_failed(*this, ErrorKind::kTls);
    return;
  }
  start_session();
  state_ = State::kIdle;
  arm_read();
  flush();
  if (state_ == State::kIdle) observer_.on_connected(*this);
}

void Http2Session::on_transport_connect_failed(ErrorKind kind) {
  if (state_ != State::kConnecting) return;
  close();
  observer_.on_connect_failed(*this, kind);
}

void Http2Session::on_transport_write_failed(const error_code& ec) { fail_all(classify_io_error(ec)); }

void Http2Session::start_session() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Session::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Session::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Session::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Http2Session::on_frame_recv);
  nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, static_cast<uint32_t>(max_streams_)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kWindowBytes)},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, sizeof settings / sizeof settings[0]);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes);
  goaway_ = false;
  active_ = 0;
  for (Stream& s : streams_) s = Stream{};
  bodies_pending_ = 0;
}

void Http2Session::close() {
  if (state_ == State::kDisconnected) return;
  ++generation_;
  transport_.close();
  if (session_ != nullptr) nghttp2_session_del(session_);
  session_ = nullptr;
  state_ = State::kDisconnected;
  delivering_ = false;
  pending_out_.clear();
  active_ = 0;
  for (Stream& s : streams_) s = Stream{};
  bodies_pending_ = 0;
}

Http2Session::Stream* Http2Session::find(int32_t stream_id) {
  for (Stream& s : streams_) {
    if (s.stream_id == stream_id) return &s;
  }
  return nullptr;
}

ssize_t Http2Session::read_body(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                                uint32_t* data_flags, nghttp2_data_source*, void* user_data) {
  // nghttp2 is C: no exception may unwind through it.
  return callback_guard<ssize_t>([&]() -> ssize_t {
    auto* self = static_cast<Http2Session*>(user_data);
    Stream* s = self->find(stream_id);
    if (s == nullptr || s->source == nullptr) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    const std::string& body = s->source->body;
    const size_t n = std::min(length, body.size() - s->body_offset);
    std::memcpy(buf, body.data() + s->body_offset, n);
    s->body_offset += n;
    if (s->body_offset == body.size()) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      self->end_body(*s);
    }
    return static_cast<ssize_t>(n);
  });
}

void Http2Session::send(const InFlight& request, int64_t now_ns) {
  Stream* slot = find(0);
  if (slot == nullptr || session_ == nullptr) return;  // callers check can_send()
  const Http2Request& r = requests_[request.url_index];
  nghttp2_data_provider provider{};
  provider.read_callback = &Http2Session::read_body;
  slot->request = request;
  slot->request.sent_ns = now_ns;
  slot->status = 0;
  slot->bytes = 0;
  slot->source = &r;
  slot->body_offset = 0;
  slot->body_pending = !r.body.empty();
  slot->stalled = false;
  if (slot->body_pending) ++bodies_pending_;
  const int32_t stream_id = nghttp2_submit_request(session_, nullptr, r.headers.data(), r.headers.size(),
                                                   r.body.empty() ? nullptr : &provider, nullptr);
  if (stream_id < 0) {
    // Out of stream ids: finish on this connection and open a new one.
    const InFlight failed = slot->request;
    end_body(*slot);
    *slot = Stream{};
    observer_.on_request_failed(*this, failed, ErrorKind::kOther, now_ns);
    return;
  }
  slot->stream_id = stream_id;
  ++active_;
  state_ = State::kBusy;
  if (!delivering_) flush();  // while delivering, the read handler writes once at the end
}

void Http2Session::flush() {
  // While the transport still writes a backlog, nghttp2 keeps its frames (flow control and
  // stream limits keep that bounded); the drain calls flush again.
  if (session_ == nullptr || transport_.write_backlog()) return;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      fail_all(ErrorKind::kBadResponse);
      return;
    }
    if (n == 0) break;
    pending_out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (bodies_pending_ > 0) note_flow_control_stalls();
  if (pending_out_.empty()) return;
  const error_code ec = transport_.write(pending_out_.data(), pending_out_.size());
  pending_out_.clear();
  if (ec) fail_all(classify_io_error(ec));
}

void Http2Session::end_body(Stream& s) {
  if (!s.body_pending) return;
  s.body_pending = false;
  --bodies_pending_;
}

void Http2Session::note_flow_control_stalls() {
  // nghttp2 sent all it could: a body still pending now waits for a WINDOW_UPDATE.
  const bool connection_blocked = nghttp2_session_get_remote_window_size(session_) <= 0;
  for (Stream& s : streams_) {
    if (s.stream_id == 0 || !s.body_pending || s.stalled) continue;
    if (connection_blocked || nghttp2_session_get_stream_remote_window_size(session_, s.stream_id) <= 0) {
      s.stalled = true;
      observer_.on_protocol_event(*this, ProtocolEvent::kFlowControlStall);
    }
  }
}

void Http2Session::arm_read() {
  if (state_ == State::kDisconnected) return;
  transport_.read(buffer_.get(), kReadBufferSize);
}

void Http2Session::on_transport_read(const error_code& ec, size_t n) {
  if (ec) {
    if (active_ == 0) {
      close();
      observer_.on_idle_close(*this);
      return;
    }
    fail_all(classify_io_error(ec));
    return;
  }
  const ssize_t used = nghttp2_session_mem_recv(session_, buffer_.get(), n);
  if (used < 0) {
    fail_all(ErrorKind::kBadResponse);
    return;
  }
  const uint64_t current = generation_;
  // Responses first, then one write: what nghttp2 has to say (window updates, SETTINGS
  // acknowledgements) and the requests the observer sent in reply go out together.
  deliver();
  if (current != generation_) return;  // the observer closed and reconnected us
  flush();
  if (current != generation_) return;
  if (goaway_ && active_ == 0) {
    close();
    observer_.on_idle_close(*this);
    return;
  }
  arm_read();
}

int Http2Session::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                            const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  // nghttp2 is C: no exception may unwind through it.
  return callback_guard<int>([&]() -> int {
    auto* self = static_cast<Http2Session*>(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = self->find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    s->bytes += namelen + valuelen;
    if (namelen == 7 && std::memcmp(name, ":status", 7) == 0) {
      const int status = parse_decimal(value, valuelen);
      if (status >= 200 || s->status == 0) s->status = status;
    } else if (namelen == 11 && std::memcmp(name, "grpc-status", 11) == 0) {
      s->grpc_status = parse_decimal(value, valuelen);  // in trailers, or a trailers-only response
    }
    return 0;
  });
}

int Http2Session::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  // nghttp2 is C: no exception may unwind through it.
  return callback_guard<int>([&]() -> int {
    // After GOAWAY no new stream may start here; the session closes once its streams end.
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      auto* self = static_cast<Http2Session*>(user_data);
      self->goaway_ = true;
      self->observer_.on_protocol_event(*self, ProtocolEvent::kGoaway);
    }
    return 0;
  });
}

int Http2Session::on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                                void* user_data) {
  // nghttp2 is C: no exception may unwind through it.
  return callback_guard<int>([&]() -> int {
    auto* self = static_cast<Http2Session*>(user_data);
    if (Stream* s = self->find(stream_id)) s->bytes += len;
    if (self->body_sink_ != nullptr) {
      // Kept only for small answers (the health check); a server that sends more ends the stream.
      if (self->body_sink_->size() + len > kMaxBodySinkBytes) return NGHTTP2_ERR_CALLBACK_FAILURE;
      self->body_sink_->append(reinterpret_cast<const char*>(data), len);
    }
    return 0;
  });
}

int Http2Session::on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  // nghttp2 is C: no exception may unwind through it.
  return callback_guard<int>([&]() -> int {
    auto* self = static_cast<Http2Session*>(user_data);
    Stream* s = self->find(stream_id);
    if (s == nullptr) return 0;
    const bool ok = error_code == NGHTTP2_NO_ERROR && s->status >= 200;
    // REFUSED_STREAM (also what nghttp2 reports for streams above a GOAWAY's last id) was
    // never processed: the request goes out again elsewhere. Any other error is a reset.
    const bool refused = error_code == NGHTTP2_REFUSED_STREAM;
    const ErrorKind kind = error_code == NGHTTP2_NO_ERROR ? ErrorKind::kBadResponse : ErrorKind::kReset;
    self->completions_.push_back(Completion{s->request, s->status, s->grpc_status, s->bytes, !ok, kind, refused});
    self->end_body(*s);
    *s = Stream{};
    --self->active_;
    if (self->active_ == 0) self->state_ = State::kIdle;
    return 0;
  });
}

void Http2Session::deliver() {
  if (completions_.empty() || delivering_) return;
  const int64_t now = steady_now_ns();
  // Swap out first (both lists keep their capacity: no allocation): the observer may send,
  // and what completes meanwhile waits for the next delivery.
  std::vector<Completion>& done = delivering_list_;
  done.swap(completions_);
  delivering_ = true;
  const uint64_t generation = generation_;
  undelivered_ = static_cast<int>(done.size());
  for (const Completion& c : done) {
    --undelivered_;
    if (c.refused) {
      observer_.on_request_refused(*this, c.request);
    } else if (c.failed) {
      observer_.on_request_failed(*this, c.request, c.kind, now);
    } else {
      observer_.on_response(*this, c.request, c.status, c.grpc_status, c.bytes, now);
    }
  }
  undelivered_ = 0;
  done.clear();
  if (generation == generation_) delivering_ = false;  // else close() has reset it
}

void Http2Session::fail_all(ErrorKind kind) {
  std::vector<InFlight> lost;
  for (const Stream& s : streams_) {
    if (s.stream_id != 0) lost.push_back(s.request);
  }
  close();
  const int64_t now = steady_now_ns();
  if (lost.empty()) {
    observer_.on_idle_close(*this);
    return;
  }
  // Only the first failure may reconnect (the observer sees the session closed for the rest).
  for (const InFlight& request : lost) observer_.on_request_failed(*this, request, kind, now);
}

void Http2Session::check_timeouts(int64_t now_ns, int64_t timeout_ns) {
  if (timeout_ns <= 0) return;
  if (state_ == State::kConnecting && now_ns - connect_started_ns_ > timeout_ns) {
    close();
    observer_.on_connect_failed(*this, ErrorKind::kConnectTimeout);
    return;
  }
  if (session_ == nullptr) return;
  for (Stream& s : streams_) {
    if (s.stream_id != 0 && now_ns - s.request.sent_ns > timeout_ns) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.stream_id, NGHTTP2_CANCEL);
      completions_.push_back(Completion{s.request, 0, -1, 0, true, ErrorKind::kTimeout, false});
      end_body(s);
      s = Stream{};
      --active_;
    }
  }
  if (active_ == 0 && state_ == State::kBusy) state_ = State::kIdle;
  const uint64_t generation = generation_;
  deliver();
  if (generation == generation_) flush();  // the resets and whatever the observer sent
}

}  // namespace nightjar::http
