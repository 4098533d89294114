// Per-request response controls of the test server (size, status, delay, header, close,
// and HTTP/2's reset and goaway; the syntax is documented in test_server.h). Internal to the
// server component.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nightjar::server {

// The maxima of the controls; a value over one is refused, naming the control.
// Largest body a size= control may ask for (1 TiB): beyond that it is surely a typo. (Bodies
// are filler text, never held in memory, so the cap is about time, not memory.)
inline constexpr uint64_t kMaxResponseBodyBytes = uint64_t{1} << 40;
// Longest delay= (10 minutes): a response held longer holds its connection or stream too.
inline constexpr int64_t kMaxDelayNs = int64_t{10} * 60 * 1'000'000'000;
// header= controls per request, and the bytes of the response header lines they add.
inline constexpr uint32_t kMaxHeaderControls = 64;
inline constexpr size_t kMaxHeaderControlBytes = size_t{8} * 1024;

// Which meaning the controls have: an HTTP request's, or a gRPC call's (status= is then a
// gRPC status code 0..16, and header= and close= do not apply).
enum class ControlDialect { kHttp, kGrpc };

// What one request asked the server to answer.
struct ResponseControls {
  int status = 200;
  int grpc_status = 0;
  uint64_t size_bytes = 0;
  int64_t delay_ns = 0;
  bool close = false;
  bool reset_stream = false;      // HTTP/2: RST_STREAM (INTERNAL_ERROR) instead of a response
  bool goaway = false;            // HTTP/2: GOAWAY after this response
  bool has_content_type = false;  // a header= control set Content-Type itself
  std::string extra_headers;      // "Name: value\r\n" per header= control, already validated
  uint32_t extra_header_count = 0;  // header= controls in extra_headers

  // Back to the defaults, keeping extra_headers' capacity so reuse does not allocate.
  void reset();
};

// Parses control lists "key=value&key=value". One per connection: it keeps a scratch
// buffer so that parsing does not allocate in steady state. Not thread-safe.
class ControlParser {
 public:
  // Applies every control in `text` (a query string without the '?', or the value of an
  // X-Nightjar-Control header) to `controls`: later values override earlier ones, header=
  // controls accumulate. Values are percent-decoded. Unknown keys are ignored, so other
  // query parameters may ride along.
  // Errors: InvalidArgument whose message names the bad control, e.g.
  // "bad control 'size=abc': ...". On error `controls` may be partly updated.
  Status apply(std::string_view text, ResponseControls& controls,
               ControlDialect dialect = ControlDialect::kHttp);

 private:
  Status apply_one(std::string_view key, std::string_view value, std::string_view raw,
                   ResponseControls& controls, ControlDialect dialect);

  std::string decoded_;  // percent-decoded value, reused
};

// The query part of a request target ("/a?x=1" -> "x=1"; "" when there is none).
std::string_view query_of(std::string_view target);

}  // namespace nightjar::server
