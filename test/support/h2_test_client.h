// A small blocking client for tests of the test server: a TCP connection to 127.0.0.1,
// optionally TLS (OpenSSL: ALPN, a trusted CA, a client certificate, session resumption),
// carrying raw bytes (HTTP/1.1) or HTTP/2 through an nghttp2 client session.
//
// Every read and write is bounded by a generous timeout, so a hung server fails the test
// instead of hanging it. Not thread-safe; one connection per client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <csignal>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nightjar::testing {

struct TlsClientConfig {
  std::vector<std::string> alpn;  // offered in order, e.g. {"h2", "http/1.1"}; empty: no ALPN
  std::string ca_pem;    // verify the server (and its IP 127.0.0.1) against this; empty: no check
  std::string cert_pem;  // client certificate for mutual TLS, with key_pem
  std::string key_pem;
  SSL_SESSION* resume = nullptr;  // a session (from session()) to resume; not owned
};

// One TCP (and maybe TLS) connection with blocking I/O.
class TestConnection {
 public:
  static constexpr int kTimeoutSeconds = 30;

  // Connects to 127.0.0.1:port and, with `tls`, completes the handshake; ok() says whether
  // all went well, error() why not.
  explicit TestConnection(uint16_t port, const TlsClientConfig* tls = nullptr) {
    // OpenSSL writes with plain write(): a server that already closed must give EPIPE, not
    // a SIGPIPE that kills the test.
    static const bool sigpipe_ignored = std::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
    (void)sigpipe_ignored;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      fail("socket");
      return;
    }
    timeval timeout{kTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      fail("connect");
      return;
    }
    if (tls != nullptr) handshake(*tls);
  }
  ~TestConnection() {
    if (ssl_ != nullptr) {
      // A session is resumable only from a connection that ended with close_notify.
      if (SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
      ERR_clear_error();
      SSL_free(ssl_);
    }
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // The protocol ALPN chose; empty without.
  std::string alpn() const {
    if (ssl_ == nullptr) return {};
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &data, &length);
    return data == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(data), length);
  }
  bool resumed() const { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

  // The TLS session to resume on another connection (read a response first: TLS 1.3 sends
  // its tickets after the handshake). Owned by the caller: SSL_SESSION_free it.
  SSL_SESSION* session() const { return ssl_ == nullptr ? nullptr : SSL_get1_session(ssl_); }

  // The next write goes out as two sends, split after `at` bytes (a server may then read
  // a message in pieces).
  void split_next_write(size_t at) { split_at_ = at; }

  bool write_all(std::string_view bytes) {
    if (split_at_ > 0 && split_at_ < bytes.size()) {
      const size_t at = split_at_;
      split_at_ = 0;
      return write_all(bytes.substr(0, at)) && write_all(bytes.substr(at));
    }
    while (!bytes.empty()) {
      const long written = ssl_ != nullptr
                               ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                               : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (written <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(written));
    }
    return true;
  }

  // Some bytes; 0 at the end of the stream; -1 on an error or the timeout.
  long read_some(char* data, size_t size) {
    if (ssl_ != nullptr) {
      const int got = SSL_read(ssl_, data, static_cast<int>(size));
      if (got > 0) return got;
      const int error = SSL_get_error(ssl_, got);
      ERR_clear_error();
      return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    const ssize_t got = ::recv(fd_, data, size, 0);
    return got < 0 ? -1 : got;
  }

  // Everything until the server closes (or an error); `clean` says whether it was a clean end.
  std::string read_to_end(bool* clean = nullptr) {
    std::string all;
    char chunk[16384];
    for (;;) {
      const long got = read_some(chunk, sizeof chunk);
      if (got <= 0) {
        if (clean != nullptr) *clean = got == 0;
        return all;
      }
      all.append(chunk, static_cast<size_t>(got));
    }
  }

  // Reads the socket itself (beneath TLS, which may have failed) until the server closes it;
  // true when it did, false on an error or the timeout.
  bool wait_for_close() {
    char chunk[4096];
    for (;;) {
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got <= 0) return got == 0 || errno == ECONNRESET;
    }
  }

  // HTTP/1.1: sends GET `target` and reads one Content-Length-framed response (whole text).
  std::string http1_get(const std::string& target) {
    return http1_exchange("GET " + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
  }

  // HTTP/1.1: sends `request` as it is and reads one Content-Length-framed response.
  std::string http1_exchange(std::string_view request) {
    if (!write_all(request)) return {};
    std::string response;
    char chunk[16384];
    for (;;) {
      const size_t head_end = response.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t at = response.find("Content-Length: ");
        const size_t length =
            at == std::string::npos || at > head_end ? 0 : std::stoul(response.substr(at + 16));
        if (response.size() >= head_end + 4 + length) return response;
      }
      const long got = read_some(chunk, sizeof chunk);
      if (got <= 0) return response;
      response.append(chunk, static_cast<size_t>(got));
    }
  }

 private:
  void fail(const std::string& step) { error_ = step + ": " + std::strerror(errno); }

  void fail_tls(const std::string& step) {
    const unsigned long code = ERR_get_error();
    char text[256] = "no OpenSSL error";
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    error_ = step + ": " + text;
  }

  void handshake(const TlsClientConfig& tls) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return fail_tls("SSL_CTX_new");
    SSL_CTX_set_options(
        ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // a close without close_notify reads as the end
    if (!tls.ca_pem.empty()) {
      BIO* bio = BIO_new_mem_buf(tls.ca_pem.data(), static_cast<int>(tls.ca_pem.size()));
      while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), cert);
        X509_free(cert);
      }
      BIO_free(bio);
      ERR_clear_error();
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    if (!tls.cert_pem.empty()) {
      BIO* cert_bio = BIO_new_mem_buf(tls.cert_pem.data(), static_cast<int>(tls.cert_pem.size()));
      BIO* key_bio = BIO_new_mem_buf(tls.key_pem.data(), static_cast<int>(tls.key_pem.size()));
      X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
      EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
      const bool used = cert != nullptr && key != nullptr &&
                        SSL_CTX_use_certificate(ctx_, cert) == 1 &&
                        SSL_CTX_use_PrivateKey(ctx_, key) == 1;
      X509_free(cert);
      EVP_PKEY_free(key);
      BIO_free(cert_bio);
      BIO_free(key_bio);
      if (!used) return fail_tls("client certificate");
    }
    if (!tls.alpn.empty()) {
      std::string wire;
      for (const std::string& protocol : tls.alpn)
        wire.append(1, static_cast<char>(protocol.size())).append(protocol);
      SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned int>(wire.size()));
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    static char server_name[] = "localhost";  // SSL_set_tlsext_host_name, without its C cast
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, server_name);
    if (!tls.ca_pem.empty()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    if (tls.resume != nullptr) SSL_set_session(ssl_, tls.resume);
    if (SSL_connect(ssl_) != 1) fail_tls("handshake");
  }

  int fd_ = -1;
  size_t split_at_ = 0;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string error_;
};

struct H2Response {
  int status = 0;
  std::map<std::string, std::string> headers;   // of the response's HEADERS (pseudo-headers too)
  std::map<std::string, std::string> trailers;  // of a second HEADERS frame
  std::string body;
  bool closed = false;      // the stream ended (normally or by a reset)
  uint32_t error_code = 0;  // of the stream's end: 0 normal, else RST_STREAM's code (7: refused)

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// HTTP/2 over a TestConnection, through nghttp2's client session.
class H2Client {
 public:
  explicit H2Client(TestConnection& connection) : connection_(connection) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame);
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~H2Client() { nghttp2_session_del(session_); }
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  // Starts a request; returns its stream id (it goes out with the next wait or pump).
  int32_t submit(const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& headers = {},
                 const std::string& method = "GET", std::string body = "") {
    std::vector<std::pair<std::string, std::string>> fields = {
        {":method", method}, {":scheme", "http"}, {":authority", "test"}, {":path", path}};
    fields.insert(fields.end(), headers.begin(), headers.end());
    std::vector<nghttp2_nv> nv;
    for (auto& [name, value] : fields) {
      nv.push_back({reinterpret_cast<uint8_t*>(name.data()),
                    reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NONE});
    }
    auto source = std::make_unique<std::string>(std::move(body));
    nghttp2_data_provider provider{};
    provider.source.ptr = source.get();
    provider.read_callback = &read_body;
    const bool has_body = !source->empty();
    const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                              has_body ? &provider : nullptr, nullptr);
    if (id > 0) bodies_[id] = std::move(source);
    responses_[id];
    return id;
  }

  // Runs until `stream_id` ends or the connection does; returns what came.
  H2Response wait(int32_t stream_id) {
    while (!responses_[stream_id].closed && pump()) {
    }
    return responses_[stream_id];
  }

  // What came so far for `stream_id`, without reading more.
  const H2Response& peek(int32_t stream_id) { return responses_[stream_id]; }

  H2Response get(const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return wait(submit(path, headers));
  }

  // Runs until the server ends the connection; true when it did so cleanly.
  bool wait_closed() {
    while (pump()) {
    }
    return clean_end_;
  }

  // Sends what is pending and handles one read. False once the connection ended.
  bool pump() {
    if (ended_) return false;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t length = nghttp2_session_mem_send(session_, &data);
      if (length < 0) return end(false);
      if (length == 0) break;
      if (!connection_.write_all(
              {reinterpret_cast<const char*>(data), static_cast<size_t>(length)}))
        return end(false);
    }
    char buffer[16384];
    const long got = connection_.read_some(buffer, sizeof buffer);
    if (got <= 0) return end(got == 0);
    if (nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buffer),
                                 static_cast<size_t>(got)) < 0) {
      return end(false);
    }
    return true;
  }

  bool goaway_received() const { return goaway_received_; }
  int32_t goaway_last_stream_id() const { return goaway_last_stream_id_; }
  uint32_t goaway_error_code() const { return goaway_error_code_; }
  // The server's SETTINGS value for `id`, once received.
  uint32_t remote_setting(nghttp2_settings_id id) const {
    return nghttp2_session_get_remote_settings(session_, id);
  }

 private:
  bool end(bool clean) {
    ended_ = true;
    clean_end_ = clean;
    return false;
  }

  static ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                           uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* body = static_cast<std::string*>(source->ptr);
    const size_t n = std::min(length, body->size());
    std::memcpy(buffer, body->data(), n);
    body->erase(0, n);
    if (body->empty()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                       void* user_data) {
    auto* self = static_cast<H2Client*>(user_data);
    H2Response& response = self->responses_[frame->hd.stream_id];
    const std::string key(reinterpret_cast<const char*>(name), name_length);
    const std::string text(reinterpret_cast<const char*>(value), value_length);
    if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {
      response.trailers[key] = text;
      return 0;
    }
    response.headers[key] = text;
    if (key == ":status") response.status = std::stoi(text);
    return 0;
  }

  static int on_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                     size_t length, void* user_data) {
    static_cast<H2Client*>(user_data)->responses_[stream_id].body.append(
        reinterpret_cast<const char*>(data), length);
    return 0;
  }

  static int on_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
    H2Response& response = static_cast<H2Client*>(user_data)->responses_[stream_id];
    response.closed = true;
    response.error_code = error_code;
    return 0;
  }

  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    auto* self = static_cast<H2Client*>(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_received_ = true;
      self->goaway_last_stream_id_ = frame->goaway.last_stream_id;
      self->goaway_error_code_ = frame->goaway.error_code;
    }
    return 0;
  }

  TestConnection& connection_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, H2Response> responses_;
  std::map<int32_t, std::unique_ptr<std::string>> bodies_;
  bool ended_ = false;
  bool clean_end_ = false;
  bool goaway_received_ = false;
  int32_t goaway_last_stream_id_ = -1;
  uint32_t goaway_error_code_ = 0;
};

}  // namespace nightjar::testing
