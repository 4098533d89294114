// libFuzzer target for the HTTP/1.1 response parser: whatever a server sends, parsing must
// end in a defined state, never consume more than it was given, and never crash.
//   make fuzz        (builds with clang -fsanitize=fuzzer,address,undefined and runs 60 s)
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/http1_response_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nightjar::http::Http1ResponseParser;
  if (size == 0) return 0;
  // The first byte picks the read size and whether the request was HEAD, so the fuzzer also
  // explores every way a response can be split across reads.
  const size_t step = 1 + (data[0] & 0x3f);
  const bool head = (data[0] & 0x40) != 0;
  const std::string wire(reinterpret_cast<const char*>(data + 1), size - 1);
  Http1ResponseParser parser;
  for (int response = 0; response < 4; ++response) {
    parser.start(head);
    std::string pending;
    size_t pos = 0;
    while (parser.state() == Http1ResponseParser::State::kNeedMore && pos < wire.size()) {
      pending += wire.substr(pos, step);
      pos += step;
      const size_t used = parser.feed(pending.data(), pending.size());
      if (used > pending.size()) __builtin_trap();
      pending.erase(0, used);
    }
    if (parser.state() == Http1ResponseParser::State::kNeedMore) parser.feed_eof();
    if (parser.state() == Http1ResponseParser::State::kNeedMore) __builtin_trap();
    if (parser.state() != Http1ResponseParser::State::kDone) break;
  }
  return 0;
}
