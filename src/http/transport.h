// One client connection's byte stream, plain TCP or TLS, for the sessions above it.
//
// TLS runs OpenSSL over memory BIOs: the socket is read and written by the same single
// Asio calls as plain TCP (one read always armed, one direct non-blocking write per
// request), and OpenSSL only encrypts and decrypts in between. The handshake sends SNI,
// verifies the certificate against the host (or --sni), offers ALPN, and resumes the
// connection's previous session on a reconnect.
//
// Events arrive through TransportEvents on the io_context's thread; a closed transport
// delivers nothing more.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "model/run_result.h"
#include "tls/client_context.h"

namespace nightjar::http {

class TransportEvents {
 public:
  virtual ~TransportEvents() = default;
  // Connected (and, for TLS, the handshake is done).
  virtual void on_transport_connected() = 0;
  // The connection attempt or the handshake failed; the transport is closed.
  virtual void on_transport_connect_failed(model::ErrorKind kind) = 0;
  // The read armed by read() completed: n bytes (plaintext) in its buffer, or an error
  // (eof when the peer ended the stream; protocol_error for a TLS failure).
  virtual void on_transport_read(const boost::system::error_code& ec, size_t n) = 0;
  // A write that went to the background failed.
  virtual void on_transport_write_failed(const boost::system::error_code& ec) = 0;
  // The background writes are done (write_backlog() is false again).
  virtual void on_transport_drained() {}
};

class Transport {
 public:
  // `tls`: null for plain TCP; else it must outlive the transport. `host`: the URL's
  // host, for SNI and verification (--sni overrides it in the context).
  Transport(boost::asio::io_context& io, const tls::ClientContext* tls, std::string host, TransportEvents& events);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Starts connecting (and handshaking).
  void connect(const boost::asio::ip::tcp::endpoint& endpoint);
  // Arms one read into [buffer, buffer + size); completes through on_transport_read. At
  // most one read is armed at a time; the buffer must stay valid until it completes.
  void read(void* buffer, size_t size);
  bool reading() const { return reading_; }
  // Writes all of `data`: at once when the socket takes it, else the rest is copied and
  // written in the background. Returns an error only for an immediate failure.
  boost::system::error_code write(const void* data, size_t size);
  // Background writes are outstanding.
  bool write_backlog() const { return writing_; }
  // Closes at once; nothing pending is delivered. The TLS session is kept for resumption.
  void close();

  bool is_tls() const { return tls_ != nullptr; }
  // The protocol ALPN chose ("h2", "http/1.1"), or "" when none was negotiated.
  const std::string& alpn() const { return alpn_; }
  // The last handshake resumed an earlier session.
  bool resumed() const { return resumed_; }
  // The TLS version of the last handshake ("TLSv1.3"); "" before one.
  const char* tls_version() const { return tls_version_; }
  // Why the last connect, handshake or TLS read failed, in words ("" when not known).
  const std::string& error_detail() const { return error_detail_; }
  // For the session above: why it gave up on this connection (e.g. ALPN chose another protocol).
  void set_error_detail(std::string detail) { error_detail_ = std::move(detail); }

 private:
  enum class ReadOutcome { kData, kNeedMore, kClosed, kFailed };

  void on_connected(const boost::system::error_code& ec);
  void on_written(const boost::system::error_code& ec);
  template <typename F>
  void guarded(F&& body) noexcept;
  void fail_after_exception(const char* what) noexcept;
  void start_tls();
  void handshake_step();
  void fail_connect(model::ErrorKind kind, std::string detail);
  void arm_raw_read();
  void on_raw_read(const boost::system::error_code& ec, size_t n);
  ReadOutcome tls_read(size_t& n);
  boost::system::error_code write_raw(const char* data, size_t size);
  void write_background();
  boost::system::error_code flush_tls_output();  // sends what OpenSSL produced

  boost::asio::ip::tcp::socket socket_;
  const tls::ClientContext* tls_;
  const std::string host_;
  TransportEvents& events_;

  uint64_t generation_ = 0;     // bumped on close: stale handlers deliver nothing
  bool connected_ = false;      // TCP (and TLS) up
  bool handshaking_ = false;
  bool reading_ = false;
  char* read_buffer_ = nullptr;
  size_t read_size_ = 0;

  bool writing_ = false;        // a background write is outstanding
  std::string out_;             // being written in the background
  std::string out_next_;        // queued behind it

  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;         // ciphertext from the socket, owned by ssl_
  BIO* wbio_ = nullptr;         // ciphertext for the socket, owned by ssl_
  std::unique_ptr<char[]> raw_;  // socket reads land here before OpenSSL decrypts them
  tls::SessionSlot session_;
  std::string alpn_;
  bool resumed_ = false;
  const char* tls_version_ = "";  // static text from OpenSSL
  std::string error_detail_;
};

// One connection (and handshake) made and closed before a run, to learn what ALPN picks
// and to name a TLS failure up front.
struct ProbeResult {
  bool ok = false;
  std::string alpn;                                      // "" when none was negotiated
  model::ErrorKind kind = model::ErrorKind::kConnectFailed;  // when not ok
  std::string detail;                                    // when not ok: why
};
ProbeResult probe_connection(const boost::asio::ip::tcp::endpoint& endpoint, const tls::ClientContext* tls,
                             const std::string& host, int64_t timeout_ns);

}  // namespace nightjar::http
