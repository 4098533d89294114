// A TLS connection of the test server before its protocol is known: runs the handshake,
// counts it (and whether it resumed a session), then hands the connection to HTTP/2 when
// ALPN chose h2, to HTTP/1.1 when it chose http/1.1, and without ALPN to whichever the
// client's first bytes speak (as on a plaintext port). A handshake not done within the TLS
// handshake timeout of the accept is abandoned (the connection closed). Internal to the
// server component.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>

#include "server/connection.h"
#include "server/transport.h"

namespace nightjar::server {

class TlsHandshake final : public ServerConnection,
                           public std::enable_shared_from_this<TlsHandshake> {
 public:
  // `context` must outlive the handshake.
  TlsHandshake(TlsTransport transport, ConnectionContext& context);

  void start();
  void abort() noexcept override;

 private:
  void on_done(const boost::system::error_code& ec);
  void on_timeout();

  ConnectionContext& context_;
  std::optional<TlsTransport> transport_;  // moved to the connection once done
  boost::asio::steady_timer timer_;        // the handshake timeout
  bool closed_ = false;
};

}  // namespace nightjar::server
