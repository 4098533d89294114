#include "server/tls_handshake.h"

#include <cstring>
#include <string_view>
#include <utility>

#include "server/http1_connection.h"
#include "server/http2_connection.h"

namespace nightjar::server {

TlsHandshake::TlsHandshake(TlsTransport transport, ConnectionContext& context)
    : ServerConnection(context.registry), context_(context), transport_(std::move(transport)) {}

void TlsHandshake::start() {
  transport_->async_handshake([self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->closed_) return;
    guarded(*self, [&] { self->on_done(ec); });
  });
}

void TlsHandshake::abort() {
  if (closed_) return;
  closed_ = true;
  transport_->close();
}

void TlsHandshake::on_done(const boost::system::error_code& ec) {
  if (ec) {
    WorkerCounters::bump(context_.counters.tls_handshake_failures);
    abort();
    return;
  }
  SSL* ssl = transport_->ssl();
  WorkerCounters::bump(context_.counters.tls_handshakes);
  if (SSL_session_reused(ssl) == 1) WorkerCounters::bump(context_.counters.tls_resumed_handshakes);

  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl, &protocol, &length);
  const std::string_view alpn(reinterpret_cast<const char*>(protocol),
                              protocol == nullptr ? 0 : length);
  closed_ = true;  // the connection below owns the socket from here
  if (alpn == "h2") {
    std::make_shared<Http2Connection<TlsTransport>>(std::move(*transport_), context_,
                                                    std::string_view{}, steady_now_ns())
        ->start();
  } else {
    const bool detect_http2 = alpn.empty() && context_.http2_without_alpn;
    std::make_shared<Http1Connection<TlsTransport>>(std::move(*transport_), context_, detect_http2)
        ->start();
  }
}

}  // namespace nightjar::server
