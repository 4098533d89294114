// libFuzzer target for the test server's HTTP/1.1 request parsing: the bytes a client sends,
// fed as the connection feeds them (its parser, one per request, over a 16 KiB buffer, in
// reads of a size the first byte picks), and each complete request's controls parsed from its
// target and X-Nightjar-Control headers. Parsing must end in a defined state and never consume
// more than it was given.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "server/control.h"
#include "server/http1_connection.h"
#include "server/test_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar::server;
  using nightjar::Status;
  if (size == 0) return 0;
  constexpr size_t kBufferBytes = size_t{16} * 1024;  // the connection's read buffer
  const size_t step = 1 + (data[0] & 0x7f) * 8;
  const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
  // The server's default limits (nightjar serve without limit flags).
  const ServerOptions defaults;
  ConnectionLimits limits;
  limits.max_body_bytes = defaults.max_body_bytes;
  limits.max_header_bytes = defaults.max_header_bytes;
  limits.max_header_fields = defaults.max_header_fields;
  RequestHead head;
  std::optional<RequestParser> parser;
  parser.emplace(head, limits);
  ControlParser control_parser;
  std::string buffer;
  size_t pos = 0;
  bool stop = false;
  int requests = 0;
  while (!stop && pos < wire.size()) {
    const size_t room = kBufferBytes - buffer.size();
    if (room == 0) break;  // the connection stops reading: a header beyond its limit
    const size_t n = std::min({step, room, wire.size() - pos});
    buffer.append(wire.substr(pos, n));
    pos += n;
    while (!stop && !buffer.empty()) {
      boost::beast::error_code ec;
      const size_t used = parser->put(boost::asio::const_buffer(buffer.data(), buffer.size()), ec);
      if (used > buffer.size()) __builtin_trap();
      buffer.erase(0, used);
      if (ec == boost::beast::http::error::need_more) break;
      if (ec) {
        stop = true;  // answered with a 400 and closed
        break;
      }
      if (parser->is_done()) {
        ++requests;
        if (head.version != 10 && head.version != 11) __builtin_trap();
        ResponseControls controls;
        Status status = control_parser.apply(query_of(head.target), controls);
        if (status.ok() && !head.control.empty())
          status = control_parser.apply(head.control, controls);
        if (status.ok() && controls.size_bytes > kMaxResponseBodyBytes) __builtin_trap();
        if (!parser->keep_alive() || (status.ok() && controls.close)) stop = true;
        head.reset();
        parser.emplace(head, limits);
      } else if (used == 0) {
        break;
      }
    }
  }
  (void)requests;
  return 0;
}
