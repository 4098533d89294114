// The gRPC services of the test server, answered over its own HTTP/2 connections (no
// grpc++ server): unary calls of
//   /nightjar.test.v1.TestService/Ping   payload of size= bytes, and the arrival gap
//   /nightjar.test.v1.TestService/Echo   the request's payload back
//   /grpc.health.v1.Health/Check         SERVING for "" and "nightjar.test.v1.TestService",
//                                        NOT_FOUND (5) for any other service
// Controls (size, delay, status = a gRPC code 0..16, plus HTTP/2's reset and goaway) come
// from PingRequest.control and the `x-nightjar-control` metadata, which wins. Any other
// method is UNIMPLEMENTED (12), a message that does not decode INTERNAL (13), a bad control
// INVALID_ARGUMENT (3) naming it. Internal to the server component.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/control.h"

namespace nightjar::server {

// gRPC status codes used here.
inline constexpr int kGrpcOk = 0;
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcNotFound = 5;
inline constexpr int kGrpcResourceExhausted = 8;
inline constexpr int kGrpcUnimplemented = 12;
inline constexpr int kGrpcInternal = 13;

// Largest request message accepted (gRPC's usual default limit). The HTTP/2 connection
// enforces it (and the server's body limit) as the request arrives.
inline constexpr size_t kMaxGrpcRequestBytes = size_t{4} * 1024 * 1024;
inline constexpr size_t kGrpcPrefixBytes = 5;  // compressed flag, then the length, big-endian
// Largest Ping payload a size= control may ask for.
inline constexpr uint64_t kMaxPingPayloadBytes = uint64_t{64} * 1024 * 1024;

// How one call is to be answered. Strings keep their capacity when reused.
struct GrpcReply {
  int status = kGrpcOk;  // not OK: a trailers-only answer
  std::string message;   // grpc-message of a non-OK answer, plain text
  // OK: the response message with its 5-byte prefix is `body` followed by `filler_bytes` of
  // filler text (a Ping's payload, so that no payload is held in memory).
  std::string body;
  uint64_t filler_bytes = 0;
  bool bad_control = false;

  void reset();
};

// One per HTTP/2 connection that carries gRPC; keeps its messages for reuse. Not
// thread-safe.
class GrpcService {
 public:
  GrpcService();
  ~GrpcService();
  GrpcService(const GrpcService&) = delete;
  GrpcService& operator=(const GrpcService&) = delete;

  // Decides the answer to one unary call. `path` is the :path, `request` the call's DATA
  // (length-prefixed messages), `metadata_control` the x-nightjar-control metadata. Sets
  // `controls` (delay, reset, goaway for the HTTP/2 side) and `reply`.
  void handle(std::string_view path, std::string_view request, std::string_view metadata_control,
              int64_t arrival_gap_ns, ResponseControls& controls, GrpcReply& reply);

 private:
  struct Messages;

  // The single message of a unary request, or false with `reply` set to the error.
  bool unframe(std::string_view request, std::string_view& message, GrpcReply& reply);
  bool apply_controls(std::string_view message_control, std::string_view metadata_control,
                      ResponseControls& controls, GrpcReply& reply);
  void ping(std::string_view message, bool echo, std::string_view metadata_control,
            int64_t arrival_gap_ns, ResponseControls& controls, GrpcReply& reply);
  void health_check(std::string_view message, std::string_view metadata_control,
                    ResponseControls& controls, GrpcReply& reply);

  std::unique_ptr<Messages> messages_;
  ControlParser control_parser_;
};

// Appends `message` as a grpc-message value: percent-encoded as the gRPC spec asks.
void append_grpc_message(std::string& out, std::string_view message);

}  // namespace nightjar::server
