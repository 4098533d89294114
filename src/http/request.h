// What to send: the request a load test repeats, and its HTTP/1.1 wire form.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/url.h"

namespace nightjar::http {

struct RequestSpec {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // in order; Host overrides the URL's
  std::string body;                                         // sent with Content-Length when non-empty
  bool operator==(const RequestSpec&) const = default;
};

// Parses "Name: value" as given to -H. Errors name the header text: no colon, an empty
// or invalid name, CR/LF in the value.
Result<std::pair<std::string, std::string>> parse_header(std::string_view text);

// An HTTP token (RFC 9110): a method or a header name; not empty.
bool is_token(std::string_view text);

// The complete HTTP/1.1 request bytes for `url`, built once per URL before the run so the
// hot path only copies a pointer. Adds Host (unless given), User-Agent (unless given) and
// Content-Length for a body; keep-alive is HTTP/1.1's default.
std::string serialize_http1_request(const RequestSpec& spec, const Url& url);

}  // namespace nightjar::http
