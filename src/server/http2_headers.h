// The request header of one HTTP/2 stream, as the test server collects and checks it: what
// it answers by (the :path, the controls, HEAD, gRPC) and whether it is within the header
// limits (see ServerOptions). Internal to the server component.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/connection.h"

namespace nightjar::server {

// What one stream's header block said. Strings keep their capacity from one stream to the
// next.
struct Http2RequestHead {
  std::string path;
  std::string control;          // x-nightjar-control values, joined with '&'
  bool head_method = false;     // :method HEAD: answer without a body
  bool grpc = false;            // content-type application/grpc...
  int64_t content_length = -1;  // the content-length field; -1 without one
  uint32_t header_bytes = 0;    // the header list size so far (RFC 9113 6.5.2)
  uint32_t header_fields = 0;
  bool too_large = false;  // past max_header_bytes or max_header_fields

  void reset();

  // Takes one field of the block; `name` is lower case (nghttp2 checks that). Fields are
  // counted as SETTINGS_MAX_HEADER_LIST_SIZE counts; past a limit of `limits` nothing more
  // is kept and too_large is set (the request is then refused once its block is complete).
  // Throws only std::bad_alloc.
  void add(std::string_view name, std::string_view value, const ConnectionLimits& limits);

  // With too_large: whether the field count, rather than the size, was over its limit.
  bool too_many_fields(const ConnectionLimits& limits) const {
    return header_fields > limits.max_header_fields;
  }
};

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// ASCII case-insensitive equality.
bool ascii_iequals(std::string_view a, std::string_view b);

// "application/grpc", "application/grpc+proto", "application/grpc;..." (not
// "application/grpc-web").
bool is_grpc_content_type(std::string_view value);

// Digits only, as nghttp2 has checked; -1 when not a number that fits.
int64_t parse_content_length(std::string_view text);

}  // namespace nightjar::server
