// Listen addresses of the test server: "host:port" text to and from endpoints.
// Internal to the server component.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nightjar::server {

// Parses "host:port". host is an IPv4 literal, a bracketed IPv6 literal ("[::1]"),
// "localhost" (127.0.0.1), or empty / "*" for every IPv4 interface. port is 0..65535;
// 0 asks the system for a free port. No name resolution is done.
// Errors: InvalidArgument naming the text.
Result<boost::asio::ip::tcp::endpoint> parse_listen_address(std::string_view text);

// "host:port", or "[host]:port" for IPv6.
std::string format_endpoint(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace nightjar::server
