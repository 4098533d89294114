// libFuzzer target for the test server's control parser: the query string or the
// X-Nightjar-Control header of any request, or the control of a gRPC call. The first byte picks
// the dialect. Whatever it is given, the controls it accepts must be within their documented
// bounds, and header= controls must never put a CR or LF inside a response header.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/control.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar::server;
  using nightjar::Status;
  if (size == 0) return 0;
  const ControlDialect dialect = (data[0] & 1) != 0 ? ControlDialect::kGrpc : ControlDialect::kHttp;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  static ControlParser parser;  // reused, as one connection reuses it for every request
  ResponseControls controls;
  // Applied as a query string, then again as a header value on top (what a request with both
  // does), through the target-splitting helper the connection uses.
  Status status = parser.apply(query_of(text), controls, dialect);
  if (status.ok()) status = parser.apply(text, controls, dialect);
  if (!status.ok()) {
    if (status.message().rfind("bad control '", 0) != 0) __builtin_trap();
    return 0;
  }
  if (controls.size_bytes > kMaxResponseBodyBytes) __builtin_trap();
  if (controls.status < 100 || controls.status > 599) __builtin_trap();
  if (controls.grpc_status < 0 || controls.grpc_status > 16) __builtin_trap();
  if (controls.delay_ns < 0) __builtin_trap();
  if (dialect == ControlDialect::kGrpc && (!controls.extra_headers.empty() || controls.close))
    __builtin_trap();
  // "Name: value\r\n" lines: CR and LF only as each line's terminator.
  std::string_view headers = controls.extra_headers;
  while (!headers.empty()) {
    const size_t end = headers.find("\r\n");
    if (end == std::string_view::npos || end == 0) __builtin_trap();
    const std::string_view line = headers.substr(0, end);
    if (line.find_first_of("\r\n") != std::string_view::npos) __builtin_trap();
    if (line.find(": ") == std::string_view::npos) __builtin_trap();
    headers.remove_prefix(end + 2);
  }
  controls.reset();
  return 0;
}
