#include "server/http2_headers.h"

#include <algorithm>

namespace nightjar::server {
bool ascii_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool is_grpc_content_type(std::string_view value) {
  constexpr std::string_view kGrpc = "application/grpc";
  if (value.size() < kGrpc.size() || !ascii_iequals(value.substr(0, kGrpc.size()), kGrpc)) {
    return false;
  }
  return value.size() == kGrpc.size() || value[kGrpc.size()] == '+' || value[kGrpc.size()] == ';';
}

int64_t parse_content_length(std::string_view text) {
  if (text.empty() || text.size() > 18) return -1;
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

void Http2RequestHead::reset() {
  path.clear();
  control.clear();
  head_method = false;
  grpc = false;
  content_length = -1;
  header_bytes = 0;
  header_fields = 0;
  too_large = false;
}

void Http2RequestHead::add(std::string_view name, std::string_view value,
                           const ConnectionLimits& limits) {
  if (too_large) return;
  constexpr uint32_t kFieldOverheadBytes = 32;
  const uint64_t bytes = uint64_t{header_bytes} + name.size() + value.size() + kFieldOverheadBytes;
  header_fields += 1;
  if (bytes > limits.max_header_bytes || header_fields > limits.max_header_fields) {
    too_large = true;
    path.clear();
    control.clear();
    return;
  }
  header_bytes = static_cast<uint32_t>(bytes);
  if (name == "content-length") {
    content_length = parse_content_length(value);
  } else if (name == ":path") {
    path.assign(value);
  } else if (name == ":method") {
    head_method = value == "HEAD";
  } else if (name == "content-type") {
    grpc = is_grpc_content_type(value);
  } else if (name == "x-nightjar-control") {
    if (!control.empty()) control.push_back('&');
    control.append(value);
  }
}

}  // namespace nightjar::server
