// What every session type does with its socket: map errors to the kinds a result counts,
// and set up a freshly connected socket.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "model/run_result.h"

namespace nightjar::http {

// A failed connection attempt.
inline model::ErrorKind classify_connect_error(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::connection_refused) return model::ErrorKind::kConnectRefused;
  if (ec == boost::asio::error::timed_out) return model::ErrorKind::kConnectTimeout;
  return model::ErrorKind::kConnectFailed;
}

// A read or write that failed on an established connection.
inline model::ErrorKind classify_io_error(const boost::system::error_code& ec) {
  if (ec == boost::asio::error::connection_reset || ec == boost::asio::error::broken_pipe) {
    return model::ErrorKind::kReset;
  }
  if (ec == boost::asio::error::eof) return model::ErrorKind::kClosedMidResponse;
  if (ec == boost::asio::error::timed_out) return model::ErrorKind::kTimeout;
  if (ec == boost::system::errc::protocol_error) return model::ErrorKind::kTls;  // see Transport
  return model::ErrorKind::kOther;
}

// A connected socket as the hot path wants it: no Nagle delay, and non-blocking so a
// request is written with one direct write() instead of through the event loop.
inline void prepare_connected_socket(boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored);
}

}  // namespace nightjar::http
