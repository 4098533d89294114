#include "server/address.h"

#include <string>

namespace nightjar::server {

namespace ip = boost::asio::ip;

Result<ip::tcp::endpoint> parse_listen_address(std::string_view text) {
  const auto invalid = [&](std::string_view why) {
    std::string message = "bad listen address '";
    message.append(text).append("': ").append(why);
    return Status::invalid_argument(std::move(message));
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid("expected host:port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);

  if (port_text.empty() || port_text.size() > 5) return invalid("expected a port from 0 to 65535");
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return invalid("expected a port from 0 to 65535");
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return invalid("expected a port from 0 to 65535");

  ip::address address;
  if (host.empty() || host == "*") {
    address = ip::address_v4::any();
  } else if (host == "localhost") {
    address = ip::address_v4::loopback();
  } else {
    const bool bracketed = host.front() == '[';
    if (bracketed != (host.back() == ']') || (bracketed && host.size() < 3)) {
      return invalid("unbalanced brackets around the IPv6 address");
    }
    if (bracketed) host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const std::string host_string(host);
    if (bracketed) {
      address = ip::make_address_v6(host_string, ec);
    } else {
      address = ip::make_address_v4(host_string, ec);
      if (ec) return invalid("the host is not an IPv4 address (IPv6 goes in brackets: [::1]:0)");
    }
    if (ec) return invalid("the host is not an IPv6 address");
  }
  return ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string format_endpoint(const ip::tcp::endpoint& endpoint) {
  const ip::address address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ":" + std::to_string(endpoint.port());
}

}  // namespace nightjar::server
