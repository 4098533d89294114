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

size_t OutputQueue::gather(std::array<boost::asio::const_buffer, kMaxWriteBuffers>& buffers) const {
  const char* const filler_bytes = filler();
  size_t count = 0;
  size_t segment = write_segment_;
  uint64_t offset = write_offset_;
  while (segment < segments_.size() && count < kMaxWriteBuffers) {
    const Segment& s = segments_[segment];
    if (offset < s.length) {
      buffers[count++] = boost::asio::const_buffer(bytes_.data() + s.offset + offset, s.length - offset);
      offset = s.length;
    }
    uint64_t filler_left = s.length + s.filler_bytes - offset;
    while (filler_left > 0 && count < kMaxWriteBuffers) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(filler_left, kFillerBytes));
      buffers[count++] = boost::asio::const_buffer(filler_bytes, chunk);
      filler_left -= chunk;
    }
    if (filler_left > 0) break;
    ++segment;
    offset = 0;
  }
  return count;
}

void OutputQueue::advance(size_t bytes) {
  uint64_t left = bytes;
  while (left > 0) {
    const Segment& s = segments_[write_segment_];
    const uint64_t total = s.length + s.filler_bytes;
    const uint64_t take = std::min(left, total - write_offset_);
    // Split what this write took between the segment's bytes and its filler.
    const uint64_t bytes_part = write_offset_ < s.length ? std::min<uint64_t>(take, s.length - write_offset_) : 0;
    written_bytes_ += static_cast<size_t>(bytes_part);
    filler_queued_ -= take - bytes_part;
    write_offset_ += take;
    left -= take;
    if (write_offset_ == total) {
      ++write_segment_;
      write_offset_ = 0;
    }
  }
}

}  // namespace nightjar::server
