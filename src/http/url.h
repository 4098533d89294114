// Target URLs: what `nightjar load URL...` accepts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nightjar::http {

struct Url {
  std::string scheme;          // "http", "https", "h2c" (HTTP/2 cleartext), "grpc" (h2c), "grpcs" (TLS)
  std::string host;            // host name or address, without IPv6 brackets
  uint16_t port = 0;           // explicit or the scheme's default
  std::string path_and_query;  // starts with '/'; "/" when the URL has no path
  std::string authority;       // what the Host header carries: host[:port], brackets kept

  std::string to_string() const;  // scheme://authority/path
  bool operator==(const Url&) const = default;
};

// Parses an absolute URL. Errors name the URL and what is wrong with it: a missing or
// unsupported scheme, an empty host, a port that is not a number in 1..65535, spaces or
// control characters.
Result<Url> parse_url(std::string_view text);

}  // namespace nightjar::http
