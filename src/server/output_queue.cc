#include "server/output_queue.h"

#include <string_view>

namespace nightjar::server {

const char* filler() {
  static const std::array<char, kFillerBytes> bytes = [] {
    constexpr std::string_view kPattern = "nightjar test server filler.\n";
    std::array<char, kFillerBytes> pattern{};
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = kPattern[i % kPattern.size()];
    return pattern;
  }();
  return bytes.data();
}

void append_filler(std::string& out, size_t bytes) {
  while (bytes > 0) {
    const size_t chunk = std::min(bytes, kFillerBytes);
    out.append(filler(), chunk);
    bytes -= chunk;
  }
}

}  // namespace nightjar::server
