#include "http/url.h"

#include <charconv>

namespace nightjar::http {
namespace {

Status bad(std::string_view text, const std::string& why) {
  return Status::invalid_argument("invalid URL '" + std::string(text) + "': " + why);
}

}  // namespace

std::string Url::to_string() const { return scheme + "://" + authority + path_and_query; }

Result<Url> parse_url(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad(text, "it contains a space or a control character");
    }
  }
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return bad(text, "expected scheme://host[:port][/path], e.g. http://127.0.0.1:8080/");
  }
  Url url;
  for (char c : text.substr(0, scheme_end)) url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  uint16_t default_port = 0;
  if (url.scheme == "http" || url.scheme == "h2c" || url.scheme == "grpc") {
    default_port = 80;
  } else if (url.scheme == "https" || url.scheme == "grpcs") {
    default_port = 443;
  } else {
    return bad(text, "unknown scheme '" + url.scheme + "' (http, https, h2c, grpc and grpcs are supported)");
  }

  std::string_view rest = text.substr(scheme_end + 3);
  const size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const size_t hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) {
    return bad(text, "user information in URLs is not supported; use -H 'Authorization: ...'");
  }
  if (authority.empty()) return bad(text, "the host is empty");

  std::string_view host = authority;
  std::string_view port_text;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad(text, "an IPv6 address lacks its closing ']'");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad(text, "unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad(text, "the port after ':' is empty");
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return bad(text, "the port after ':' is empty");
  }
  if (host.empty()) return bad(text, "the host is empty");
  url.host = std::string(host);
  url.port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 || value > 65535) {
      return bad(text, "the port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(value);
  }
  url.authority = std::string(authority);
  if (path.empty()) {
    url.path_and_query = "/";
  } else if (path.front() == '?') {
    url.path_and_query = "/" + std::string(path);
  } else {
    url.path_and_query = std::string(path);
  }
  return url;
}

}  // namespace nightjar::http
