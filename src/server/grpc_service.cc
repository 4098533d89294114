#include "server/grpc_service.h"

#include <google/protobuf/io/coded_stream.h>

#include <string>

#include "grpc/health/v1/health.pb.h"
#include "nightjar/test/v1/test_service.pb.h"

namespace nightjar::server {
namespace {

constexpr std::string_view kPingPath = "/nightjar.test.v1.TestService/Ping";
constexpr std::string_view kEchoPath = "/nightjar.test.v1.TestService/Echo";
constexpr std::string_view kHealthCheckPath = "/grpc.health.v1.Health/Check";
constexpr std::string_view kTestServiceName = "nightjar.test.v1.TestService";
constexpr size_t kPrefixBytes = kGrpcPrefixBytes;

void fail(GrpcReply& reply, int status, std::string message) {
  reply.status = status;
  reply.message = std::move(message);
}

// Serializes `message` into reply.body after the 5-byte prefix, reusing its capacity, and
// then, if `filler_bytes`, the key and length of a bytes field `filler_field` whose value is
// that much filler (sent from the static filler, never held: see GrpcReply). Protobuf
// parsers take fields in any order, so that field may come last.
void frame(const google::protobuf::MessageLite& message, GrpcReply& reply, int filler_field = 0,
           uint64_t filler_bytes = 0) {
  using google::protobuf::io::CodedOutputStream;
  const size_t length = message.ByteSizeLong();
  size_t field_head = 0;
  uint32_t tag = 0;
  if (filler_bytes > 0) {
    tag = static_cast<uint32_t>(filler_field) << 3 | 2;  // wire type 2: length-delimited
    field_head = CodedOutputStream::VarintSize32(tag) + CodedOutputStream::VarintSize64(filler_bytes);
  }
  const uint64_t total = length + field_head + filler_bytes;
  reply.body.resize(kPrefixBytes + length + field_head);
  auto* data = reinterpret_cast<uint8_t*>(reply.body.data());
  data[0] = 0;
  data[1] = static_cast<uint8_t>(total >> 24);
  data[2] = static_cast<uint8_t>(total >> 16);
  data[3] = static_cast<uint8_t>(total >> 8);
  data[4] = static_cast<uint8_t>(total);
  uint8_t* end = message.SerializeWithCachedSizesToArray(data + kPrefixBytes);
  if (filler_bytes > 0) {
    end = CodedOutputStream::WriteVarint32ToArray(tag, end);
    CodedOutputStream::WriteVarint64ToArray(filler_bytes, end);
  }
  reply.filler_bytes = filler_bytes;
}

}  // namespace

struct GrpcService::Messages {
  nightjar::test::v1::PingRequest ping_request;
  nightjar::test::v1::PingResponse ping_response;
  grpc::health::v1::HealthCheckRequest health_request;
  grpc::health::v1::HealthCheckResponse health_response;
};

void GrpcReply::reset() {
  status = kGrpcOk;
  message.clear();
  body.clear();
  filler_bytes = 0;
  bad_control = false;
}

GrpcService::GrpcService() : messages_(new Messages()) {}
GrpcService::~GrpcService() = default;

void GrpcService::handle(std::string_view path, std::string_view request,
                         std::string_view metadata_control, int64_t arrival_gap_ns,
                         ResponseControls& controls, GrpcReply& reply) {
  controls.reset();
  reply.reset();
  const bool is_ping = path == kPingPath;
  const bool is_echo = path == kEchoPath;
  if (!is_ping && !is_echo && path != kHealthCheckPath) {
    std::string message = "unknown method '";
    message.append(path).append(
        "' (served: Ping and Echo of nightjar.test.v1.TestService, grpc.health.v1.Health/Check)");
    fail(reply, kGrpcUnimplemented, std::move(message));
    return;
  }
  std::string_view message;
  if (!unframe(request, message, reply)) return;
  if (is_ping || is_echo) {
    ping(message, is_echo, metadata_control, arrival_gap_ns, controls, reply);
  } else {
    health_check(message, metadata_control, controls, reply);
  }
}

bool GrpcService::unframe(std::string_view request, std::string_view& message,
                          GrpcReply& reply) {
  if (request.size() < kPrefixBytes) {
    fail(reply, kGrpcInternal, "expected one length-prefixed request message");
    return false;
  }
  const auto* data = reinterpret_cast<const uint8_t*>(request.data());
  if (data[0] != 0) {
    fail(reply, kGrpcUnimplemented,
         "compressed messages are not supported (no grpc-encoding is accepted)");
    return false;
  }
  const size_t length =
      (size_t{data[1]} << 24) | (size_t{data[2]} << 16) | (size_t{data[3]} << 8) | data[4];
  if (length != request.size() - kPrefixBytes) {
    fail(reply, kGrpcInternal, "expected exactly one length-prefixed request message");
    return false;
  }
  message = request.substr(kPrefixBytes);
  return true;
}

bool GrpcService::apply_controls(std::string_view message_control,
                                 std::string_view metadata_control, ResponseControls& controls,
                                 GrpcReply& reply) {
  Status status = control_parser_.apply(message_control, controls, ControlDialect::kGrpc);
  if (status.ok())
    status = control_parser_.apply(metadata_control, controls, ControlDialect::kGrpc);
  if (status.ok() && controls.size_bytes > kMaxPingPayloadBytes) {
    status = Status::invalid_argument(
        "bad control 'size': larger than 64 MiB, too large for a gRPC message");
  }
  if (!status.ok()) {
    controls.reset();
    reply.bad_control = true;
    fail(reply, kGrpcInvalidArgument, status.message());
    return false;
  }
  if (controls.grpc_status != kGrpcOk) {
    fail(reply, controls.grpc_status,
         "status " + std::to_string(controls.grpc_status) + " requested by the status control");
  }
  return true;
}

void GrpcService::ping(std::string_view message, bool echo, std::string_view metadata_control,
                       int64_t arrival_gap_ns, ResponseControls& controls, GrpcReply& reply) {
  nightjar::test::v1::PingRequest& request = messages_->ping_request;
  if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    fail(reply, kGrpcInternal, "cannot decode the request as nightjar.test.v1.PingRequest");
    return;
  }
  if (!apply_controls(request.control(), metadata_control, controls, reply) ||
      reply.status != kGrpcOk)
    return;
  nightjar::test::v1::PingResponse& response = messages_->ping_response;
  response.Clear();
  response.set_arrival_gap_ns(arrival_gap_ns);
  if (echo) {
    response.set_payload(request.payload());
    frame(response, reply);
  } else {
    frame(response, reply, nightjar::test::v1::PingResponse::kPayloadFieldNumber,
          controls.size_bytes);
  }
}

void GrpcService::health_check(std::string_view message, std::string_view metadata_control,
                               ResponseControls& controls, GrpcReply& reply) {
  grpc::health::v1::HealthCheckRequest& request = messages_->health_request;
  if (!request.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    fail(reply, kGrpcInternal, "cannot decode the request as grpc.health.v1.HealthCheckRequest");
    return;
  }
  if (!apply_controls({}, metadata_control, controls, reply) || reply.status != kGrpcOk) return;
  if (!request.service().empty() && request.service() != kTestServiceName) {
    fail(reply, kGrpcNotFound, "unknown service '" + request.service() + "'");
    return;
  }
  grpc::health::v1::HealthCheckResponse& response = messages_->health_response;
  response.set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  frame(response, reply);
}

void append_grpc_message(std::string& out, std::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && byte != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
}

}  // namespace nightjar::server
