#include "server/http2_stream.h"

#include <algorithm>
#include <functional>

namespace nightjar::server {

void Http2Stream::reset() {
  // A rare huge gRPC message should not pin its memory to a recycled stream.
  constexpr size_t kKeptCapacity = size_t{64} * 1024;
  if (grpc_request.capacity() > kKeptCapacity) std::string().swap(grpc_request);
  if (grpc_reply.body.capacity() > kKeptCapacity) std::string().swap(grpc_reply.body);
  id = 0;
  head.reset();
  grpc_request.clear();
  body_bytes = 0;
  request_ended = false;
  refused = false;
  answering = false;
  controls.reset();
  grpc_reply.reset();
  error_body.clear();
  bad_request = false;
  arrival_gap_ns = 0;
  body_source = nullptr;
  body_left = 0;
  body_sent = 0;
}

Http2Stream* Http2StreamPool::acquire() {
  if (free_.empty()) {
    streams_.push_back(std::make_unique<Http2Stream>());
    free_.reserve(streams_.size());
    return streams_.back().get();
  }
  Http2Stream* stream = free_.back();
  free_.pop_back();
  return stream;
}

void Http2StreamPool::release(Http2Stream* stream) {
  stream->reset();
  free_.push_back(stream);  // capacity reserved when the stream was made
}

void Http2StreamWaits::push(int64_t deadline_ns, int32_t stream_id) {
  waits_.push_back({deadline_ns, stream_id});
  std::push_heap(waits_.begin(), waits_.end(), std::greater<>());
}

bool Http2StreamWaits::pop_due(int64_t now_ns, int32_t& stream_id, int64_t& deadline_ns) {
  if (waits_.empty() || waits_.front().deadline_ns > now_ns) return false;
  std::pop_heap(waits_.begin(), waits_.end(), std::greater<>());
  stream_id = waits_.back().stream_id;
  deadline_ns = waits_.back().deadline_ns;
  waits_.pop_back();
  return true;
}

}  // namespace nightjar::server
