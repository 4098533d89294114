// A Session is one connection to the target that carries requests, h2load's shape: one
// interface, one implementation per protocol (HTTP/1.1; HTTP/2, which also carries gRPC), all
// feeding the same statistics through a SessionObserver.
//
// Sessions live on one worker thread's event loop; nothing here is thread-safe.
#pragma once

#include <cstdint>

#include "http/transport.h"
#include "model/run_result.h"

namespace nightjar::http {

// One request on its way: when it should have started and when it was sent.
struct InFlight {
  int64_t intended_ns = 0;  // steady-clock time the arrival plan scheduled it for
  int64_t sent_ns = 0;      // steady-clock time its first byte was handed to the socket
  uint32_t url_index = 0;   // which URL (round robin)
  bool warmup = false;      // part of the warm-up: counted apart, kept out of statistics
};

class Session;

// Protocol events a run counts without their affecting any one request.
enum class ProtocolEvent {
  kGoaway,            // HTTP/2: the server sent GOAWAY (no new streams on this connection)
  kFlowControlStall,  // HTTP/2: a request body waits for the server's flow-control window
};

// What a session reports to its worker. Called on the worker's thread, from within the
// session's event handlers; implementations must not destroy the session from a callback.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // The connection is established and can take a request.
  virtual void on_connected(Session& session) = 0;
  // A connection attempt failed (refused, timed out, unreachable). The session is closed.
  virtual void on_connect_failed(Session& session, model::ErrorKind kind) = 0;
  // A complete response arrived for `request` at `done_ns`. `grpc_status`: the response's
  // grpc-status, or -1 when it had none (HTTP).
  virtual void on_response(Session& session, const InFlight& request, int status_code, int grpc_status,
                           uint64_t bytes_received, int64_t done_ns) = 0;
  // `request` will get no response (reset, timeout, bad response, closed). The session
  // has closed its connection; the worker decides when to reconnect.
  virtual void on_request_failed(Session& session, const InFlight& request, model::ErrorKind kind,
                                 int64_t now_ns) = 0;
  // The connection closed while idle (the server ended a keep-alive connection). No
  // request is affected.
  virtual void on_idle_close(Session& session) = 0;
  // The server refused `request` without processing it (HTTP/2 REFUSED_STREAM, or a stream
  // above a GOAWAY's last id): it may be sent again elsewhere, keeping its intended start.
  virtual void on_request_refused(Session& session, const InFlight& request) = 0;
  // Something worth counting happened on the connection (see ProtocolEvent).
  virtual void on_protocol_event(Session&, ProtocolEvent) {}
};

class Session {
 public:
  enum class State { kDisconnected, kConnecting, kIdle, kBusy };

  virtual ~Session() = default;

  // Starts connecting (kDisconnected -> kConnecting). Completion is reported through
  // on_connected or on_connect_failed.
  virtual void connect(int64_t now_ns) = 0;
  // Sends a request (kIdle -> kBusy, or more streams for multiplexing protocols).
  virtual void send(const InFlight& request, int64_t now_ns) = 0;
  // True when send() may be called now.
  virtual bool can_send() const = 0;
  // Requests sent and not yet answered.
  virtual int in_flight() const = 0;
  // Fails requests older than timeout_ns (and a connect attempt older than it).
  virtual void check_timeouts(int64_t now_ns, int64_t timeout_ns) = 0;
  // Closes the connection. In-flight requests are abandoned without callbacks; the
  // caller counts them.
  virtual void close() = 0;

  virtual State state() const = 0;
  // Index of this session in its worker (for the worker's bookkeeping).
  virtual int id() const = 0;
  // The connection underneath: TLS facts (ALPN, resumption) and why it last failed.
  virtual const Transport& transport() const = 0;
};

}  // namespace nightjar::http
