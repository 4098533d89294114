#include "http/transport.h"

#include <openssl/err.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "http/socket_errors.h"

namespace nightjar::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using model::ErrorKind;

constexpr size_t kRawBufferSize = 64 * 1024;  // a few TLS records

error_code tls_failure() { return make_error_code(boost::system::errc::protocol_error); }

}  // namespace

Transport::Transport(asio::io_context& io, const tls::ClientContext* tls, std::string host, TransportEvents& events)
    : socket_(io), tls_(tls), host_(std::move(host)), events_(events) {
  if (tls_ != nullptr) raw_.reset(new char[kRawBufferSize]);
}

Transport::~Transport() { close(); }

void Transport::close() {
  ++generation_;
  error_code ignored;
  socket_.close(ignored);
  reading_ = writing_ = false;
  out_.clear();
  out_next_.clear();
  if (ssl_ != nullptr) {
    // Without this, SSL_free takes an unshut connection for a failed one and marks its
    // session not resumable. A load test's connections end without close_notify as a
    // matter of course (keep-alive limits, reconnects), so an established one keeps its
    // session for the next connect.
    if (connected_) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl_);  // frees both BIOs
  }
  connected_ = handshaking_ = false;
  ssl_ = nullptr;
  rbio_ = wbio_ = nullptr;
}

void Transport::connect(const asio::ip::tcp::endpoint& endpoint) {
  close();
  error_detail_.clear();
  const uint64_t generation = generation_;
  socket_.async_connect(endpoint, [this, generation](const error_code& ec) {
    if (generation != generation_) return;
    guarded([&] { on_connected(ec); });
  });
}

void Transport::on_connected(const error_code& ec) {
  {
    if (ec) {
      fail_connect(classify_connect_error(ec), ec.message());
      return;
    }
    prepare_connected_socket(socket_);
    if (tls_ == nullptr) {
      connected_ = true;
      events_.on_transport_connected();
      return;
    }
    start_tls();
  }
}

void Transport::fail_connect(ErrorKind kind, std::string detail) {
  close();
  error_detail_ = std::move(detail);
  events_.on_transport_connect_failed(kind);
}

void Transport::start_tls() {
  ERR_clear_error();
  ssl_ = tls_->new_connection(host_);
  if (ssl_ == nullptr) {
    fail_connect(ErrorKind::kTls, "cannot set up TLS for '" + host_ + "': " + tls::take_openssl_errors());
    return;
  }
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);  // an empty read buffer means "wait", not end of stream
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_app_data(ssl_, &session_);
  if (session_.session != nullptr) SSL_set_session(ssl_, session_.session);
  SSL_set_connect_state(ssl_);
  handshaking_ = true;
  handshake_step();
}

void Transport::handshake_step() {
  const int r = SSL_do_handshake(ssl_);
  const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) {
    fail_connect(ErrorKind::kTls, tls::describe_handshake_failure(ssl_, tls_->options().sni.empty() ? host_ : tls_->options().sni));
    return;
  }
  if (const error_code ec = flush_tls_output()) {
    fail_connect(ErrorKind::kTls, "cannot send the TLS handshake: " + ec.message());
    return;
  }
  if (err == SSL_ERROR_WANT_READ) {
    arm_raw_read();
    return;
  }
  handshaking_ = false;
  connected_ = true;
  const unsigned char* proto = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &length);
  alpn_.assign(reinterpret_cast<const char*>(proto), length);
  resumed_ = SSL_session_reused(ssl_) == 1;
  tls_version_ = SSL_get_version(ssl_);
  events_.on_transport_connected();
}

void Transport::read(void* buffer, size_t size) {
  if (reading_ || !connected_) return;
  reading_ = true;
  read_buffer_ = static_cast<char*>(buffer);
  read_size_ = size;
  if (tls_ == nullptr) {
    const uint64_t generation = generation_;
    // A read (not a readiness wait) stays armed: Asio queues it without an epoll_ctl once
    // the previous read drained the socket.
    socket_.async_read_some(asio::buffer(buffer, size), [this, generation](const error_code& ec, size_t n) {
      if (generation != generation_) return;
      reading_ = false;
      guarded([&] { events_.on_transport_read(ec, n); });
    });
    return;
  }
  // Plaintext OpenSSL already holds (a record larger than the last buffer) is delivered
  // without touching the socket, but never from within read() itself.
  size_t n = 0;
  const ReadOutcome outcome = tls_read(n);
  if (outcome == ReadOutcome::kNeedMore) {
    arm_raw_read();
    return;
  }
  const uint64_t generation = generation_;
  asio::post(socket_.get_executor(), [this, generation, outcome, n] {
    if (generation != generation_) return;
    reading_ = false;
    guarded([&] {
      if (outcome == ReadOutcome::kData) {
        events_.on_transport_read(error_code(), n);
      } else {
        events_.on_transport_read(outcome == ReadOutcome::kClosed ? error_code(asio::error::eof) : tls_failure(), 0);
      }
    });
  });
}

Transport::ReadOutcome Transport::tls_read(size_t& n) {
  const int r = SSL_read_ex(ssl_, read_buffer_, read_size_, &n);
  const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_NONE) return ReadOutcome::kData;
  if (err == SSL_ERROR_WANT_READ) return ReadOutcome::kNeedMore;
  if (err == SSL_ERROR_ZERO_RETURN) return ReadOutcome::kClosed;
  // An alert from the server (a refused client certificate arrives here under TLS 1.3).
  error_detail_ = tls::take_openssl_errors();
  if (error_detail_.empty()) error_detail_ = "TLS read failed";
  return ReadOutcome::kFailed;
}

void Transport::arm_raw_read() {
  const uint64_t generation = generation_;
  socket_.async_read_some(asio::buffer(raw_.get(), kRawBufferSize), [this, generation](const error_code& ec, size_t n) {
    if (generation != generation_) return;
    guarded([&] { on_raw_read(ec, n); });
  });
}

void Transport::on_raw_read(const error_code& ec, size_t n) {
  if (handshaking_) {
    if (ec) {
      std::string why = tls::take_openssl_errors();
      fail_connect(ErrorKind::kTls, "the server ended the connection during the TLS handshake (" +
                                        (why.empty() ? ec.message() : why) + ")");
      return;
    }
    BIO_write(rbio_, raw_.get(), static_cast<int>(n));
    handshake_step();
    return;
  }
  if (ec) {
    reading_ = false;
    events_.on_transport_read(ec, 0);
    return;
  }
  BIO_write(rbio_, raw_.get(), static_cast<int>(n));
  size_t got = 0;
  const ReadOutcome outcome = tls_read(got);
  // A key update or a ticket acknowledgement may have to go out.
  if (const error_code write_error = flush_tls_output()) {
    reading_ = false;
    events_.on_transport_read(write_error, 0);
    return;
  }
  switch (outcome) {
    case ReadOutcome::kNeedMore:
      arm_raw_read();
      return;
    case ReadOutcome::kData:
      reading_ = false;
      events_.on_transport_read(error_code(), got);
      return;
    case ReadOutcome::kClosed:
      reading_ = false;
      events_.on_transport_read(asio::error::eof, 0);
      return;
    case ReadOutcome::kFailed:
      reading_ = false;
      events_.on_transport_read(tls_failure(), 0);
      return;
  }
}

error_code Transport::write(const void* data, size_t size) {
  if (tls_ == nullptr) return write_raw(static_cast<const char*>(data), size);
  if (ssl_ == nullptr) return asio::error::not_connected;
  size_t written = 0;
  if (SSL_write_ex(ssl_, data, size, &written) != 1) {  // a memory BIO takes everything
    error_detail_ = tls::take_openssl_errors();
    return tls_failure();
  }
  return flush_tls_output();
}

error_code Transport::flush_tls_output() {
  char* data = nullptr;
  const long pending = BIO_get_mem_data(wbio_, &data);
  if (pending <= 0) return {};
  const error_code ec = write_raw(data, static_cast<size_t>(pending));
  (void)BIO_reset(wbio_);
  return ec;
}

error_code Transport::write_raw(const char* data, size_t size) {
  if (writing_) {
    out_next_.append(data, size);
    return {};
  }
  error_code ec;
  const size_t written = socket_.write_some(asio::buffer(data, size), ec);
  if (!ec && written == size) return {};  // the common case, tested first: no error_code compares
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return ec;
  const size_t taken = ec ? 0 : written;
  out_.assign(data + taken, size - taken);
  write_background();
  return {};
}

void Transport::write_background() {
  writing_ = true;
  const uint64_t generation = generation_;
  asio::async_write(socket_, asio::buffer(out_), [this, generation](const error_code& ec, size_t) {
    if (generation != generation_) return;
    guarded([&] { on_written(ec); });
  });
}

void Transport::on_written(const error_code& ec) {
  {
    out_.clear();
    if (ec) {
      writing_ = false;
      events_.on_transport_write_failed(ec);
      return;
    }
    if (!out_next_.empty()) {
      out_.swap(out_next_);
      write_background();
      return;
    }
    writing_ = false;
    events_.on_transport_drained();
  }
}

template <typename F>
void Transport::guarded(F&& body) noexcept {
  try {
    body();
  } catch (const std::exception& e) {
    fail_after_exception(e.what());
  } catch (...) {
    fail_after_exception("unknown exception");
  }
}

// An exception out of a handler (out of memory, in practice) must not reach the event loop:
// the connection is dropped, as the server drops one, and the session above learns of it
// as a failed read (its requests fail as errors, it reconnects).
void Transport::fail_after_exception(const char* what) noexcept {
  const bool was_connected = connected_;
  try {
    close();
    error_detail_ = std::string("connection dropped: ") + what;
  } catch (...) {
  }
  try {
    if (was_connected) {
      events_.on_transport_read(asio::error::no_memory, 0);
    } else {
      events_.on_transport_connect_failed(ErrorKind::kOther);
    }
  } catch (...) {
    // The session could not even take the failure; its timeouts clean up.
  }
}

ProbeResult probe_connection(const asio::ip::tcp::endpoint& endpoint, const tls::ClientContext* tls,
                             const std::string& host, int64_t timeout_ns) {
  struct Events final : TransportEvents {
    bool done = false;
    bool ok = false;
    ErrorKind kind = ErrorKind::kConnectFailed;
    void on_transport_connected() override { done = ok = true; }
    void on_transport_connect_failed(ErrorKind k) override {
      done = true;
      kind = k;
    }
    void on_transport_read(const error_code&, size_t) override {}
    void on_transport_write_failed(const error_code&) override {}
  };
  asio::io_context io;
  Events events;
  Transport transport(io, tls, host, events);
  transport.connect(endpoint);
  io.run_for(std::chrono::nanoseconds(timeout_ns));
  ProbeResult result;
  result.ok = events.ok;
  result.alpn = transport.alpn();
  result.kind = events.done ? events.kind : ErrorKind::kConnectTimeout;
  result.detail = events.done ? transport.error_detail() : "no connection within the timeout";
  return result;
}

}  // namespace nightjar::http
