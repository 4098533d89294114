// The byte streams under the test server's protocols: plain TCP, or TLS on OpenSSL. Each
// connection class is a template over one of these, so the plaintext path pays nothing for
// TLS. Internal to the server component.
//
// Both offer the same operations, all on the thread of the socket's io_context:
//   async_read_some(data, size, handler)   handler(error_code, bytes); eof at end of stream
//   write_some(buffers, ec)                non-blocking gather write; would_block when full
//   async_wait_writable(handler)           handler(error_code) once write_some may progress
//   shutdown_send(), shutdown_both(), close()
// Neither throws from these (errors are error_codes), except for allocation failure; no
// exception escapes a handler of theirs into the event loop.
//
// Each owns its connection's place in the server's connection count (a ConnectionSlot),
// given back when the socket is closed.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "server/server_state.h"

namespace nightjar::server {

class PlainTransport {
 public:
  // `socket` must be non-blocking.
  PlainTransport(boost::asio::ip::tcp::socket socket, ConnectionSlot slot)
      : socket_(std::move(socket)), slot_(std::move(slot)) {}

  auto get_executor() { return socket_.get_executor(); }

  template <typename Handler>
  void async_read_some(char* data, size_t size, Handler&& handler) {
    socket_.async_read_some(boost::asio::buffer(data, size), std::forward<Handler>(handler));
  }

  size_t write_some(std::span<const boost::asio::const_buffer> buffers,
                    boost::system::error_code& ec) {
    return socket_.write_some(buffers, ec);
  }

  template <typename Handler>
  void async_wait_writable(Handler&& handler) {
    socket_.async_wait(boost::asio::ip::tcp::socket::wait_write, std::forward<Handler>(handler));
  }

  void shutdown_send() {
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  }
  void shutdown_both() {
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    slot_.release();
  }

 private:
  boost::asio::ip::tcp::socket socket_;
  ConnectionSlot slot_;
};

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// A server-side SSL object of `context` on the descriptor `fd`, whose writes never raise
// SIGPIPE. Null when OpenSSL cannot allocate one.
SslPtr new_server_ssl(SSL_CTX* context, int fd);

// TLS straight on the socket's descriptor (OpenSSL reads and writes it; asio only waits for
// readiness), so no bytes are copied besides OpenSSL's own. Writes are gathered into one
// staging buffer of a full TLS record, so a batch of small responses costs one record.
class TlsTransport {
 public:
  // `socket` must be non-blocking; `ssl` comes from new_server_ssl() for this socket.
  TlsTransport(boost::asio::ip::tcp::socket socket, SslPtr ssl, ConnectionSlot slot);
  TlsTransport(TlsTransport&&) = default;

  auto get_executor() { return socket_.get_executor(); }
  SSL* ssl() const { return ssl_.get(); }

  // handler(error_code) once the handshake is done or failed.
  template <typename Handler>
  void async_handshake(Handler handler) {
    boost::system::error_code ec;
    const Want want = handshake_step(ec);
    if (want == Want::kNothing) {
      handler(ec);  // last: the handler may move this transport elsewhere
      return;
    }
    wait(want,
         [this, handler = std::move(handler)](const boost::system::error_code& wait_ec) mutable {
           if (wait_ec) {
             handler(wait_ec);
             return;
           }
           try {
             async_handshake(std::move(handler));
           } catch (...) {
             // No memory for the next wait: the handler, and with it the connection (maybe
             // this transport too), is gone, closing the socket; the loop carries on.
           }
         });
  }

  template <typename Handler>
  void async_read_some(char* data, size_t size, Handler handler) {
    boost::system::error_code ec;
    Want want = Want::kNothing;
    const size_t bytes = read_now(data, size, ec, want);
    if (want == Want::kNothing) {
      // Completed at once (bytes OpenSSL had buffered): still complete asynchronously.
      boost::asio::post(socket_.get_executor(), [handler = std::move(handler), ec,
                                                 bytes]() mutable { handler(ec, bytes); });
      return;
    }
    read_when_ready(data, size, want, std::move(handler));
  }

  size_t write_some(std::span<const boost::asio::const_buffer> buffers,
                    boost::system::error_code& ec);

  template <typename Handler>
  void async_wait_writable(Handler handler) {
    wait(write_wants_, std::move(handler));
  }

  // Sends close_notify (best effort), then shuts the socket's sending side.
  void shutdown_send();
  void shutdown_both();
  // Sends close_notify unless the connection failed (OpenSSL does not let a session that
  // ended without one be resumed), then closes the socket.
  void close();

 private:
  enum class Want { kNothing, kRead, kWrite };

  template <typename Handler>
  void wait(Want want, Handler&& handler) {
    socket_.async_wait(want == Want::kWrite ? boost::asio::ip::tcp::socket::wait_write
                                            : boost::asio::ip::tcp::socket::wait_read,
                       std::forward<Handler>(handler));
  }

  template <typename Handler>
  void read_when_ready(char* data, size_t size, Want want, Handler handler) {
    wait(want, [this, data, size,
                handler = std::move(handler)](const boost::system::error_code& wait_ec) mutable {
      if (wait_ec) {
        handler(wait_ec, size_t{0});
        return;
      }
      boost::system::error_code ec;
      Want again = Want::kNothing;
      const size_t bytes = read_now(data, size, ec, again);
      if (again != Want::kNothing) {
        try {
          read_when_ready(data, size, again, std::move(handler));
        } catch (...) {
          // As in async_handshake: the connection is dropped; touch nothing of it.
        }
        return;
      }
      handler(ec, bytes);  // last: the handler may move this transport elsewhere
    });
  }

  Want handshake_step(boost::system::error_code& ec);
  size_t read_now(char* data, size_t size, boost::system::error_code& ec, Want& want);
  // Maps an SSL_get_error result to what to wait for, or to an error.
  Want classify(int ssl_error, boost::system::error_code& ec);

  boost::asio::ip::tcp::socket socket_;
  ConnectionSlot slot_;
  SslPtr ssl_;
  std::unique_ptr<char[]> stage_;  // plaintext handed to SSL_write
  size_t staged_ = 0;              // > 0: an SSL_write of stage_[0, staged_) must be retried
  Want write_wants_ = Want::kWrite;
  bool shutdown_sent_ = false;
  bool failed_ = false;  // a fatal TLS or socket error: no more TLS calls but SSL_free
};

}  // namespace nightjar::server
