// libFuzzer target for gRPC's length-prefixed message framing on both sides:
//  - the client's grpc_unframe (a response body; the health check then parses the message),
//  - the test server's GrpcService (a call's DATA: the 5-byte prefix, then a PingRequest or
//    HealthCheckRequest, plus the x-nightjar-control metadata).
// Input: byte 0 picks the method (bits 0-1); byte 1 is the length
// of the metadata control that follows; the rest is the body. An OK reply must be one valid
// frame; a failed one must carry a status and a message.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "grpc/health/v1/health.pb.h"
#include "http/grpc.h"
#include "server/grpc_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar;
  // protobuf logs every string field that is not UTF-8; that is the fuzzer's daily bread.
  static const bool kQuiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)kQuiet;
  if (size < 2) return 0;
  static constexpr std::string_view kPaths[] = {
      "/nightjar.test.v1.TestService/Ping", "/nightjar.test.v1.TestService/Echo",
      "/grpc.health.v1.Health/Check", "/nightjar.test.v1.TestService/Other"};
  const std::string_view path = kPaths[data[0] & 3];
  const size_t control_size = std::min<size_t>(data[1], size - 2);
  const std::string_view control(reinterpret_cast<const char*>(data + 2), control_size);
  const std::string_view body(reinterpret_cast<const char*>(data + 2 + control_size),
                              size - 2 - control_size);

  // Client side.
  auto message = http::grpc_unframe(body);
  if (message.ok()) {
    if (http::grpc_frame(*message) != body) __builtin_trap();
    grpc::health::v1::HealthCheckResponse response;
    (void)response.ParseFromString(*message);
  } else if (message.status().message().empty()) {
    __builtin_trap();
  }

  // Server side; one service per connection, reused across calls.
  static server::GrpcService service;
  server::ResponseControls controls;
  server::GrpcReply reply;
  service.handle(path, body, control, /*arrival_gap_ns=*/1000, controls, reply);
  if (reply.status < 0 || reply.status > 16) __builtin_trap();
  if (reply.status == server::kGrpcOk) {
    // The message is `body` followed by `filler_bytes` of filler (a Ping's payload, never held):
    // the prefix must declare exactly that length.
    if (reply.body.size() < 5) __builtin_trap();
    const auto* prefix = reinterpret_cast<const unsigned char*>(reply.body.data());
    const uint64_t declared = (uint64_t{prefix[1]} << 24) | (uint64_t{prefix[2]} << 16) | (uint64_t{prefix[3]} << 8) | prefix[4];
    if (prefix[0] != 0 || declared != reply.body.size() - 5 + reply.filler_bytes) __builtin_trap();
    if (reply.filler_bytes == 0 && !http::grpc_unframe(reply.body).ok()) __builtin_trap();
  } else if (reply.message.empty()) {
    __builtin_trap();
  }
  std::string encoded;
  server::append_grpc_message(encoded, reply.message);
  for (const char c : encoded) {
    if (c < 0x20 || c > 0x7e) __builtin_trap();  // grpc-message is printable ASCII
  }
  return 0;
}
