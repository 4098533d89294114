// How socket errors map to the error kinds a result counts, for every session type.
#pragma once

#include <boost/asio/error.hpp>
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
  return model::ErrorKind::kOther;
}

}  // namespace nightjar::http
