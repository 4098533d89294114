// Per-stream state of the test server's HTTP/2 connections: the request as it arrives, the
// answer decided for it and how far its body has been framed; a pool that recycles them;
// and the queue of streams held for their delay or the stall window. Internal to the server
// component; one connection's, on its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/control.h"
#include "server/grpc_service.h"
#include "server/http2_headers.h"

namespace nightjar::server {

// One request stream; recycled (with its strings' capacity) after the stream closes.
struct Http2Stream {
  int32_t id = 0;
  Http2RequestHead head;
  std::string grpc_request;    // the call's DATA, up to a limit
  uint64_t body_bytes = 0;     // request DATA received
  bool request_ended = false;  // the client's END_STREAM came
  bool refused = false;        // answered early: the request is over a limit
  bool answering = false;      // answered; the stream has not closed yet

  ResponseControls controls;
  GrpcReply grpc_reply;
  std::string error_body;  // a 400's or a refusal's body, naming what was wrong
  bool bad_request = false;
  int64_t arrival_gap_ns = 0;
  // The body being sent: the bytes of *body_source (error_body or grpc_reply.body), if any,
  // then filler.
  const std::string* body_source = nullptr;
  uint64_t body_left = 0;  // not yet handed to nghttp2
  size_t body_sent = 0;    // of *body_source, framed so far

  void reset();
};

// Every Http2Stream one connection made, live or free. Streams are made when more are
// open at once than ever before, then reused.
class Http2StreamPool {
 public:
  // A stream in its reset state. Throws std::bad_alloc.
  Http2Stream* acquire();
  // Takes back a stream from acquire(); never allocates.
  void release(Http2Stream* stream);

 private:
  std::vector<std::unique_ptr<Http2Stream>> streams_;
  std::vector<Http2Stream*> free_;  // capacity for every stream made
};

// Streams waiting for a time (their delay, or the end of the stall window), by stream id:
// a stream reset meanwhile is no longer found when its time comes.
class Http2StreamWaits {
 public:
  bool empty() const { return waits_.empty(); }
  // The earliest time waited for; only when not empty.
  int64_t earliest_ns() const { return waits_.front().deadline_ns; }

  // Throws std::bad_alloc.
  void push(int64_t deadline_ns, int32_t stream_id);

  // Removes the earliest wait if it has come by `now_ns`, setting its stream and time.
  bool pop_due(int64_t now_ns, int32_t& stream_id, int64_t& deadline_ns);

 private:
  struct Wait {
    int64_t deadline_ns;
    int32_t stream_id;
    bool operator>(const Wait& other) const { return deadline_ns > other.deadline_ns; }
  };
  std::vector<Wait> waits_;  // a min-heap on deadline
};

}  // namespace nightjar::server
