// What the test server's HTTP/1.1 and HTTP/2 connections share: the socket and its read
// loop, the direct writes with a wait for writability when the socket is full, the timer
// for delays and the stall window, the header and idle timeouts, the lingering close, and
// the recycled memory of their pending operations. Internal to the server component.
//
// ConnectionBase<Derived, Transport> is a CRTP base: the protocol class derives from it and
// provides these (called on the connection's thread, never after it closed):
//   std::span<char> input_space()      where the next read goes; empty: do not read now
//   void on_input(error_code, bytes)   a read completed (not while lingering)
//   void on_writable()                 the socket takes writes again
//   void on_timer()                    the time asked of arm_timer() has come
//   void on_guard()                    the guard fired: call timeout_passed(), maybe close
// Each runs inside guarded(): an exception it throws drops only this connection.
//
// Lives in shared_ptrs held by its pending handlers; `Transport` is PlainTransport or
// TlsTransport. Nothing here allocates per request or locks.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "server/connection.h"
#include "server/control.h"
#include "server/deadline.h"
#include "server/handler_memory.h"
#include "server/output_queue.h"
#include "server/server_state.h"

namespace nightjar::server {

// The next moment a connection's header or idle timeout can pass.
struct TimeoutCheck {
  int64_t deadline_ns = 0;
  bool header = false;  // the header timeout's deadline; else the idle timeout's
};

// The header timeout runs from `header_since_ns` (0: no header is awaited). The idle
// timeout runs from `idle_since_ns`, unless `holding_response` (a response held for its
// delay or the stall window): then it is looked at again an idle timeout from `now_ns`.
TimeoutCheck next_timeout(int64_t now_ns, int64_t header_since_ns, int64_t idle_since_ns,
                          bool holding_response, const ConnectionLimits& limits);

// `arrival_ns` + `delay_ns`, saturated at the largest time.
int64_t ready_at_ns(int64_t arrival_ns, int64_t delay_ns);

// The reasons of the 413 and 431 refusals, the same for both protocols.
std::string body_limit_message(uint64_t max_body_bytes);
std::string header_limit_message(bool too_many_fields, const ConnectionLimits& limits);

template <typename Derived, typename Transport>
class ConnectionBase : public ServerConnection, public std::enable_shared_from_this<Derived> {
 public:
  // Closes the socket at once and cancels every wait. Idempotent.
  void abort() noexcept override {
    guard_.cancel();
    if (closed_) return;
    closed_ = true;
    transport_.close();
    cancel_waits(timer_);
  }

 protected:
  // `context` must outlive the connection. `opened_ns`: when it was accepted (or its TLS
  // handshake done). `read_buffer_bytes`: the size of in_.
  ConnectionBase(Transport transport, ConnectionContext& context, int64_t opened_ns,
                 size_t read_buffer_bytes);

  // ---- Reading

  // Starts a read unless one is pending, the connection is closed or waits to write, or
  // the protocol wants no input now. While lingering, input is read and discarded.
  void read_more();

  // ---- Writing

  // Writes out_ as far as the socket takes it. True when all of it went; false when the
  // connection now waits for writability (on_writable follows) or failed (closed).
  bool write_out();

  // ---- Timing

  // Makes timer_ call on_timer() at `deadline_ns` (the context's clock), unless it is already due
  // to by then.
  void arm_timer(int64_t deadline_ns);
  bool timer_armed() const { return timer_armed_; }

  // When a response ready at `ready_at_ns` may go: 0 now, else when to look again (the end
  // of its delay, then of the stall window). `now_ns` is the clock, read only when needed
  // (0: not read yet) and kept for the caller.
  int64_t held_until_ns(int64_t ready_at_ns, int64_t& now_ns) const;

  // The controls of the query of `target`, then of the X-Nightjar-Control values `header`
  // (which win). Errors name the bad control; `controls` may then be partly set.
  Status apply_controls(std::string_view target, std::string_view header,
                        ResponseControls& controls);

  // ---- Timeouts (see deadline.h)

  // True when the header or idle timeout has passed (counted; the caller closes). Otherwise
  // makes the guard fire when the next can. The header timeout runs only while a read is
  // pending: the connection waits for the client.
  bool timeout_passed(int64_t header_since_ns, int64_t idle_since_ns, bool holding_response);
  // Makes the guard fire by `deadline_ns`.
  void watch(int64_t deadline_ns);

  // ---- Closing

  // Stops sending and drains the client's input for a while, so that unread request bytes
  // do not turn the close into a reset that destroys the last responses in flight.
  void linger();

  Derived& derived() { return static_cast<Derived&>(*this); }

  // Constant after construction.
  ConnectionContext& context_;
  SharedState& shared_;
  WorkerCounters& counters_;
  const ConnectionLimits& limits_;
  const int64_t opened_ns_;
  const size_t read_buffer_bytes_;

  Transport transport_;
  boost::asio::steady_timer timer_;  // delays, the stall window, the lingering close
  Deadline guard_;                   // the header and idle timeouts
  std::unique_ptr<char[]> in_;       // read_buffer_bytes_ of input
  int64_t last_read_ns_ = 0;         // when the latest bytes arrived: the arrival of their requests
  OutputQueue out_;                  // serialized and not yet written
  ControlParser control_parser_;

  bool reading_ = false;        // an async read is pending
  bool write_waiting_ = false;  // waiting for the socket to become writable
  bool lingering_ = false;      // all written; draining input until the client closes
  bool closed_ = false;

 private:
  void on_read(const boost::system::error_code& ec, size_t bytes);

  // Operation state of the pending read, write wait and timer wait.
  HandlerMemory read_memory_;
  HandlerMemory write_memory_;
  HandlerMemory timer_memory_;
  int64_t timer_deadline_ns_ = 0;
  bool timer_armed_ = false;
};

// ---- Implementation

template <typename Derived, typename Transport>
ConnectionBase<Derived, Transport>::ConnectionBase(Transport transport, ConnectionContext& context,
                                                   int64_t opened_ns, size_t read_buffer_bytes)
    : ServerConnection(context.registry),
      context_(context),
      shared_(context.shared),
      counters_(context.counters),
      limits_(context.limits),
      opened_ns_(opened_ns),
      read_buffer_bytes_(read_buffer_bytes),
      transport_(std::move(transport)),
      timer_(transport_.get_executor()),
      guard_(transport_.get_executor(), context.clock),
      in_(new char[read_buffer_bytes]) {}

template <typename Derived, typename Transport>
void ConnectionBase<Derived, Transport>::read_more() {
  if (closed_ || reading_) return;
  // Lingering input is discarded, so it may overwrite the whole buffer.
  std::span<char> space(in_.get(), read_buffer_bytes_);
  if (!lingering_) {
    if (write_waiting_) return;
    space = derived().input_space();
    if (space.empty()) return;
  }
  reading_ = true;
  transport_.async_read_some(
      space.data(), space.size(),
      bind_memory(read_memory_,
                  [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                    size_t bytes) { self->on_read(ec, bytes); }));
}

template <typename Derived, typename Transport>
void ConnectionBase<Derived, Transport>::on_read(const boost::system::error_code& ec,
                                                 size_t bytes) {
  reading_ = false;
  if (closed_) return;
  guarded(*this, [&] {
    if (!lingering_) {
      derived().on_input(ec, bytes);
    } else if (ec) {
      abort();  // the client closed too (or failed): done
    } else {
      read_more();
    }
  });
}

// Writes directly while the socket takes it; only when it is full does the connection wait
// for writability. Waiting (rather than async_write) keeps one gather list built from the
// queue, so output queued meanwhile joins the same write.
template <typename Derived, typename Transport>
bool ConnectionBase<Derived, Transport>::write_out() {
  const boost::system::error_code ec = out_.write(transport_);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    write_waiting_ = true;
    transport_.async_wait_writable(bind_memory(
        write_memory_, [self = this->shared_from_this()](const boost::system::error_code& wait_ec) {
          self->write_waiting_ = false;
          if (self->closed_) return;
          guarded(*self, [&] {
            if (wait_ec) {
              self->abort();
            } else {
              self->on_writable();
            }
          });
        }));
    return false;
  }
  if (ec) {
    abort();
    return false;
  }
  return true;
}

template <typename Derived, typename Transport>
void ConnectionBase<Derived, Transport>::arm_timer(int64_t deadline_ns) {
  if (timer_armed_ && timer_deadline_ns_ <= deadline_ns) return;
  timer_armed_ = true;
  timer_deadline_ns_ = deadline_ns;
  // Cancels a later wait, whose handler then sees operation_aborted.
  timer_.expires_at(context_.clock.timer_time(deadline_ns));
  timer_.async_wait(bind_memory(
      timer_memory_, [self = this->shared_from_this()](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted) return;
        self->timer_armed_ = false;
        if (self->closed_ || self->lingering_) return;
        guarded(*self, [&] { self->on_timer(); });
      }));
}

template <typename Derived, typename Transport>
int64_t ConnectionBase<Derived, Transport>::held_until_ns(int64_t ready_at_ns,
                                                          int64_t& now_ns) const {
  const auto now = [&] { return now_ns != 0 ? now_ns : (now_ns = context_.clock.steady_ns()); };
  // ready_at <= last_read <= now needs no clock read.
  if (ready_at_ns > last_read_ns_ && ready_at_ns > now()) return ready_at_ns;
  if (shared_.stall_configured()) return shared_.stall_end_if_held(now());
  return 0;
}

template <typename Derived, typename Transport>
Status ConnectionBase<Derived, Transport>::apply_controls(std::string_view target,
                                                          std::string_view header,
                                                          ResponseControls& controls) {
  Status status = control_parser_.apply(query_of(target), controls);
  if (status.ok() && !header.empty()) status = control_parser_.apply(header, controls);
  return status;
}

template <typename Derived, typename Transport>
bool ConnectionBase<Derived, Transport>::timeout_passed(int64_t header_since_ns,
                                                        int64_t idle_since_ns,
                                                        bool holding_response) {
  const int64_t now_ns = context_.clock.steady_ns();
  const TimeoutCheck next = next_timeout(now_ns, reading_ ? header_since_ns : 0, idle_since_ns,
                                         holding_response, limits_);
  if (next.deadline_ns > now_ns) {
    watch(next.deadline_ns);
    return false;
  }
  WorkerCounters::bump(next.header ? counters_.header_timeouts : counters_.idle_timeouts);
  return true;
}

template <typename Derived, typename Transport>
void ConnectionBase<Derived, Transport>::watch(int64_t deadline_ns) {
  if (guard_.fires_by(deadline_ns)) return;
  guard_.arm(deadline_ns, [self = this->shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return;  // replaced by an earlier deadline, or cancelled
    self->guard_.fired();
    if (self->closed_ || self->lingering_) return;
    guarded(*self, [&] { self->on_guard(); });
  });
}

template <typename Derived, typename Transport>
void ConnectionBase<Derived, Transport>::linger() {
  constexpr auto kLingerTime = std::chrono::seconds(1);
  lingering_ = true;
  guard_.cancel();  // the linger time bounds what is left
  transport_.shutdown_send();
  timer_.expires_after(kLingerTime);  // also cancels a delay wait, no longer needed
  timer_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->abort();
  });
  read_more();
}

}  // namespace nightjar::server
