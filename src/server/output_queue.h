// Output of one test-server connection: serialized bytes (headers, frames, small bodies)
// interleaved with slices of a static filler that stand for response bodies, written with
// gather writes so that no body is ever allocated or copied. Internal to the server
// component; one per connection, on its thread.
#pragma once

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nightjar::server {

// The filler response bodies are cut from: printable text, kFillerBytes long.
inline constexpr size_t kFillerBytes = size_t{64} * 1024;
const char* filler();

// Appends `bytes` bytes of filler text to `out`.
void append_filler(std::string& out, size_t bytes);

// Appends a string literal, its length known at compile time (no strlen).
template <size_t N>
[[gnu::always_inline]] inline void append_literal(std::string& out, const char (&text)[N]) {
  out.append(text, N - 1);
}

// Appends the decimal digits of `value` to `out`, without allocating beyond `out`. Inlined:
// it is on every response's path.
template <typename Integer>
[[gnu::always_inline]] inline void append_number(std::string& out, Integer value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

class OutputQueue {
 public:
  OutputQueue() { bytes_.reserve(512); }
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;

  // Serialized output goes here; it is sent in order, before any filler queued after it.
  std::string& bytes() { return bytes_; }

  // Queues `filler_bytes` bytes of filler after the bytes appended so far.
  void append_filler_bytes(uint64_t filler_bytes) {
    if (filler_bytes == 0) return;
    segments_.push_back({segment_end_, bytes_.size() - segment_end_, filler_bytes});
    segment_end_ = bytes_.size();
    filler_queued_ += filler_bytes;
  }

  bool empty() const { return bytes_.size() == written_bytes_ && filler_queued_ == 0; }

  // Bytes not yet written, filler included.
  uint64_t pending_bytes() const { return bytes_.size() - written_bytes_ + filler_queued_; }

  // Writes as much as `transport` takes now. Returns no error when everything went (the
  // queue is then empty and its buffers are kept for reuse); would_block when the transport
  // is full (wait with async_wait_writable, then call again); any other error is fatal.
  template <typename Transport>
  boost::system::error_code write(Transport& transport) {
    seal();
    std::array<boost::asio::const_buffer, kMaxWriteBuffers> buffers;
    for (;;) {
      const size_t count = gather(buffers);
      if (count == 0) break;
      boost::system::error_code ec;
      const size_t written = transport.write_some(std::span(buffers.data(), count), ec);
      if (ec) return ec;
      advance(written);
    }
    clear();
    return {};
  }

  void clear() {
    bytes_.clear();
    segments_.clear();
    segment_end_ = 0;
    write_segment_ = 0;
    write_offset_ = 0;
    written_bytes_ = 0;
    filler_queued_ = 0;
  }

 private:
  // Buffers per write_some (asio gathers at most 64 into one sendmsg).
  static constexpr size_t kMaxWriteBuffers = 64;

  // Bytes [offset, offset + length) of bytes_, then filler_bytes of filler.
  struct Segment {
    size_t offset = 0;
    size_t length = 0;
    uint64_t filler_bytes = 0;
  };

  // Bytes appended after the last filler become a segment of their own.
  void seal() {
    if (bytes_.size() == segment_end_) return;
    segments_.push_back({segment_end_, bytes_.size() - segment_end_, 0});
    segment_end_ = bytes_.size();
  }

  size_t gather(std::array<boost::asio::const_buffer, kMaxWriteBuffers>& buffers) const;
  void advance(size_t bytes);

  std::string bytes_;
  std::vector<Segment> segments_;
  size_t segment_end_ = 0;      // bytes_ up to here belong to a segment
  size_t write_segment_ = 0;    // the first segment not completely written
  uint64_t write_offset_ = 0;   // how far into segments_[write_segment_]
  size_t written_bytes_ = 0;    // bytes of bytes_ written
  uint64_t filler_queued_ = 0;  // filler bytes not yet written
};

inline size_t OutputQueue::gather(
    std::array<boost::asio::const_buffer, kMaxWriteBuffers>& buffers) const {
  const char* const filler_bytes = filler();
  size_t count = 0;
  size_t segment = write_segment_;
  uint64_t offset = write_offset_;
  while (segment < segments_.size() && count < kMaxWriteBuffers) {
    const Segment& s = segments_[segment];
    if (offset < s.length) {
      buffers[count++] =
          boost::asio::const_buffer(bytes_.data() + s.offset + offset, s.length - offset);
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

inline void OutputQueue::advance(size_t bytes) {
  uint64_t left = bytes;
  while (left > 0) {
    const Segment& s = segments_[write_segment_];
    const uint64_t total = s.length + s.filler_bytes;
    const uint64_t take = std::min(left, total - write_offset_);
    // Split what this write took between the segment's bytes and its filler.
    const uint64_t bytes_part =
        write_offset_ < s.length ? std::min<uint64_t>(take, s.length - write_offset_) : 0;
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
