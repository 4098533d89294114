#include "server/tls_handshake.h"

#include <cstring>
#include <string_view>
#include <utility>

#include "server/http1_connection.h"
#include "server/http2_connection.h"

namespace nightjar::server {

TlsHandshake::TlsHandshake(TlsTransport transport, ConnectionContext& context)
    : ServerConnection(context.registry),
      context_(context),
      transport_(std::move(transport)),
      timer_(transport_->get_executor()) {}

void TlsHandshake::start() {
  guarded(*this, [&] {
    timer_.expires_after(std::chrono::nanoseconds(context_.limits.tls_handshake_timeout_ns));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->closed_) return;
      guarded(*self, [&] { self->on_timeout(); });
    });
    transport_->async_handshake([self = shared_from_this()](const boost::system::error_code& ec) {
      if (self->closed_) return;
      guarded(*self, [&] { self->on_done(ec); });
    });
  });
}

void TlsHandshake::abort() noexcept {
  cancel_waits(timer_);
  if (closed_) return;
  closed_ = true;
  transport_->close();
}

void TlsHandshake::on_timeout() {
  WorkerCounters::bump(context_.counters.tls_handshake_failures);
  WorkerCounters::bump(context_.counters.tls_handshake_timeouts);
  abort();
}

void TlsHandshake::on_done(const boost::system::error_code& ec) {
  cancel_waits(timer_);
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
  // Its first request's header timeout counts from here, not from the accept.
  const int64_t now_ns = context_.clock.steady_ns();
  if (alpn == "h2") {
    std::make_shared<Http2Connection<TlsTransport>>(std::move(*transport_), context_,
                                                    std::string_view{}, now_ns, now_ns)
        ->start();
  } else {
    const bool detect_http2 = alpn.empty() && context_.http2_without_alpn;
    std::make_shared<Http1Connection<TlsTransport>>(std::move(*transport_), context_, now_ns,
                                                    detect_http2)
        ->start();
  }
}

}  // namespace nightjar::server
