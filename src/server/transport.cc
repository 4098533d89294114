#include "server/transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

namespace nightjar::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr size_t kStageBytes = size_t{16} * 1024;  // the largest TLS record's plaintext

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own would raise SIGPIPE when a client
// goes away, and an embedding test process may not ignore it.
int descriptor(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

bool is_retry(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t sent = ::send(descriptor(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (sent >= 0) return static_cast<int>(sent);
  if (is_retry(errno)) BIO_set_retry_write(bio);
  return -1;
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t got = ::recv(descriptor(bio), data, static_cast<size_t>(size), 0);
  if (got >= 0) return static_cast<int>(got);
  if (is_retry(errno)) BIO_set_retry_read(bio);
  return -1;
}

long bio_ctrl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;  // writes are never buffered here
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nightjar socket");
    if (m != nullptr) {
      BIO_meth_set_write(m, &bio_write);
      BIO_meth_set_read(m, &bio_read);
      BIO_meth_set_ctrl(m, &bio_ctrl);
      BIO_meth_set_create(m, &bio_create);
    }
    return m;
  }();
  return method;
}

}  // namespace

SslPtr new_server_ssl(SSL_CTX* context, int fd) {
  const BIO_METHOD* method = socket_bio_method();
  if (method == nullptr) return nullptr;
  SslPtr ssl(SSL_new(context));
  BIO* bio = BIO_new(method);
  if (!ssl || bio == nullptr) {
    BIO_free(bio);
    return nullptr;
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl.get(), bio, bio);  // one reference, used both ways
  SSL_set_accept_state(ssl.get());
  return ssl;
}

TlsTransport::TlsTransport(asio::ip::tcp::socket socket, SslPtr ssl, ConnectionSlot slot)
    : socket_(std::move(socket)),
      slot_(std::move(slot)),
      ssl_(std::move(ssl)),
      stage_(new char[kStageBytes]) {}

TlsTransport::Want TlsTransport::classify(int ssl_error, error_code& ec) {
  switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
      return Want::kRead;
    case SSL_ERROR_WANT_WRITE:
      return Want::kWrite;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      break;
    case SSL_ERROR_SYSCALL:
      ec = errno != 0 ? error_code(errno, boost::system::system_category())
                      : error_code(asio::error::connection_reset);
      failed_ = true;
      break;
    default:
      ec = boost::system::errc::make_error_code(boost::system::errc::protocol_error);
      failed_ = true;
      break;
  }
  ERR_clear_error();
  return Want::kNothing;
}

TlsTransport::Want TlsTransport::handshake_step(error_code& ec) {
  ERR_clear_error();
  errno = 0;
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) return Want::kNothing;
  const Want want = classify(SSL_get_error(ssl_.get(), result), ec);
  // A refused handshake (no client certificate, no common protocol) or a client that left.
  if (want == Want::kNothing && !ec)
    ec = boost::system::errc::make_error_code(boost::system::errc::protocol_error);
  return want;
}

size_t TlsTransport::read_now(char* data, size_t size, error_code& ec, Want& want) {
  ERR_clear_error();
  errno = 0;
  const int got = SSL_read(ssl_.get(), data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (got > 0) {
    want = Want::kNothing;
    return static_cast<size_t>(got);
  }
  want = classify(SSL_get_error(ssl_.get(), got), ec);
  return 0;
}

size_t TlsTransport::write_some(std::span<const asio::const_buffer> buffers, error_code& ec) {
  // A staged record that could not go is retried as it is: the caller has not advanced, so
  // its buffers still begin with the staged bytes.
  if (staged_ == 0) {
    for (const asio::const_buffer& buffer : buffers) {
      const size_t take = std::min(buffer.size(), kStageBytes - staged_);
      std::memcpy(stage_.get() + staged_, buffer.data(), take);
      staged_ += take;
      if (staged_ == kStageBytes) break;
    }
    if (staged_ == 0) return 0;
  }
  ERR_clear_error();
  errno = 0;
  const int written = SSL_write(ssl_.get(), stage_.get(), static_cast<int>(staged_));
  if (written > 0) {
    staged_ = 0;
    return static_cast<size_t>(written);
  }
  const Want want = classify(SSL_get_error(ssl_.get(), written), ec);
  if (want != Want::kNothing) {
    write_wants_ = want;
    ec = asio::error::would_block;
  }
  return 0;
}

void TlsTransport::shutdown_send() {
  if (ssl_ && !shutdown_sent_ && !failed_ && SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify; if the socket is full the client just sees EOF
    ERR_clear_error();
  }
  shutdown_sent_ = true;
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void TlsTransport::shutdown_both() {
  shutdown_send();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

void TlsTransport::close() {
  if (ssl_ && !shutdown_sent_ && !failed_ && SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    shutdown_sent_ = true;
  }
  error_code ignored;
  socket_.close(ignored);
  slot_.release();
}

}  // namespace nightjar::server
