// The test server's gRPC services, called by grpc++ (a real interoperability check) over
// h2c and TLS, plus the wire framing seen by a plain HTTP/2 client.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>

#include "grpc/health/v1/health.pb.h"
#include "nightjar/test/v1/test_service.pb.h"
#include "server/test_server.h"
#include "support/h2_test_client.h"
#include "support/server_fixture.h"

namespace nightjar::server {
namespace {

using nightjar::test::v1::PingRequest;
using nightjar::test::v1::PingResponse;
using Clock = std::chrono::steady_clock;
using testing::ServedH2Client;
using testing::start_server;

constexpr const char* kPing = "/nightjar.test.v1.TestService/Ping";
constexpr const char* kEcho = "/nightjar.test.v1.TestService/Echo";
constexpr const char* kHealth = "/grpc.health.v1.Health/Check";

std::shared_ptr<grpc::Channel> insecure_channel(const TestServer& server) {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(server.port()),
                             grpc::InsecureChannelCredentials());
}

struct Call {
  grpc::Status status;
  std::string response;  // the serialized response message
  std::string arrival_gap_header;
};

// One unary call of `method` with `request` (serialized bytes), blocking.
Call call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
          const std::string& request, const std::string& metadata_control = "") {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!metadata_control.empty()) context.AddMetadata("x-nightjar-control", metadata_control);
  grpc::Slice slice(request);
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  Call result;
  result.status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (response_buffer.Valid() && response_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      result.response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  const auto& metadata = context.GetServerInitialMetadata();
  if (const auto it = metadata.find("x-nightjar-arrival-gap-ns"); it != metadata.end()) {
    result.arrival_gap_header.assign(it->second.data(), it->second.size());
  }
  return result;
}

std::string ping_request(const std::string& control, const std::string& payload = "") {
  PingRequest request;
  request.set_control(control);
  request.set_payload(payload);
  return request.SerializeAsString();
}

PingResponse ping_response(const Call& c) {
  PingResponse response;
  EXPECT_TRUE(response.ParseFromString(c.response));
  return response;
}

TEST(Grpc, PingAnswersWithAPayloadOfTheRequestedSize) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call first = call(channel, kPing, ping_request(""));
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(ping_response(first).payload(), "");
  EXPECT_EQ(ping_response(first).arrival_gap_ns(), 0);  // the server's first request
  EXPECT_EQ(first.arrival_gap_header, "0");

  const Call sized = call(channel, kPing, ping_request("size=100"));
  ASSERT_TRUE(sized.status.ok()) << sized.status.error_message();
  EXPECT_EQ(ping_response(sized).payload().size(), 100u);
  EXPECT_GT(ping_response(sized).arrival_gap_ns(), 0);

  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.grpc_requests, 2);
  EXPECT_EQ(stats.http2_requests, 2);
  EXPECT_EQ(stats.requests, 2);
}

TEST(Grpc, EchoReturnsTheRequestPayload) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const std::string payload(70000, 'e');
  const Call echoed =
      call(insecure_channel(*server), kEcho, ping_request("size=3", payload + "\x01\x02"));
  ASSERT_TRUE(echoed.status.ok()) << echoed.status.error_message();
  EXPECT_EQ(ping_response(echoed).payload(), payload + "\x01\x02");
}

TEST(Grpc, MetadataControlWinsOverTheMessageControl) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call both = call(channel, kPing, ping_request("size=10&status=14"), "size=20");
  EXPECT_EQ(both.status.error_code(), grpc::StatusCode::UNAVAILABLE);  // status from the message
  const Call sized = call(channel, kPing, ping_request("size=10"), "size=20");
  ASSERT_TRUE(sized.status.ok());
  EXPECT_EQ(ping_response(sized).payload().size(), 20u);
}

TEST(Grpc, StatusControlAnswersWithThatStatus) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call unavailable = call(channel, kPing, ping_request("status=14&size=10"));
  EXPECT_EQ(unavailable.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(unavailable.status.error_message().find("status"), std::string::npos);
  EXPECT_EQ(unavailable.response, "");  // no message, only the status
  const Call ok = call(channel, kPing, ping_request("status=0"));
  EXPECT_TRUE(ok.status.ok());
  const Call by_metadata = call(channel, kHealth, "", "status=16");
  EXPECT_EQ(by_metadata.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(Grpc, BadControlIsInvalidArgumentNamingIt) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  for (const char* bad : {"size=abc", "status=17", "delay=soon", "size=100%"}) {
    const Call c = call(channel, kPing, ping_request(bad));
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    // "size=100%" also shows grpc-message's percent-encoding round trip.
    EXPECT_NE(c.status.error_message().find(std::string("'") + bad + "'"), std::string::npos)
        << c.status.error_message();
  }
  const Call by_metadata = call(channel, kPing, ping_request(""), "size=1q");
  EXPECT_EQ(by_metadata.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(by_metadata.status.error_message().find("size=1q"), std::string::npos);
  EXPECT_EQ(server->stats().bad_requests, 5);
}

TEST(Grpc, UnknownMethodsAreUnimplemented) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  for (const char* method : {"/nightjar.test.v1.TestService/Nope", "/some.Other/Method",
                             "/grpc.health.v1.Health/Watch"}) {
    const Call c = call(channel, method, ping_request(""));
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << method;
    EXPECT_NE(c.status.error_message().find(method), std::string::npos) << c.status.error_message();
  }
}

TEST(Grpc, UndecodableMessageIsInternal) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const Call c = call(insecure_channel(*server), kPing, std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_NE(c.status.error_message().find("PingRequest"), std::string::npos)
      << c.status.error_message();
}

TEST(Grpc, HealthCheckServesTheTestServiceOnly) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  for (const char* service : {"", "nightjar.test.v1.TestService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    const Call c = call(channel, kHealth, request.SerializeAsString());
    ASSERT_TRUE(c.status.ok()) << service << ": " << c.status.error_message();
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(response.ParseFromString(c.response));
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  grpc::health::v1::HealthCheckRequest other;
  other.set_service("no.such.Service");
  const Call missing = call(channel, kHealth, other.SerializeAsString());
  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(missing.status.error_message().find("no.such.Service"), std::string::npos);
}

TEST(Grpc, DelayControlWaitsAtLeastTheDelay) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  ASSERT_TRUE(call(channel, kPing, ping_request("")).status.ok());  // connected
  const auto start = Clock::now();
  EXPECT_TRUE(call(channel, kPing, ping_request("delay=100ms")).status.ok());
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(100));
}

TEST(Grpc, ResetControlFailsTheCall) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  EXPECT_FALSE(call(channel, kPing, ping_request("reset=1")).status.ok());
  EXPECT_TRUE(call(channel, kPing, ping_request("")).status.ok());
}

TEST(Grpc, WorksOverTlsWithAlpn) {
  ServerOptions options;
  options.tls = tls::ServerTlsOptions{};
  auto server = start_server(options);
  ASSERT_TRUE(server);
  grpc::SslCredentialsOptions credentials;
  credentials.pem_root_certs = server->tls_certificate_pem();
  const auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                           grpc::SslCredentials(credentials));
  const Call c = call(channel, kPing, ping_request("size=33"));
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  EXPECT_EQ(ping_response(c).payload().size(), 33u);
  EXPECT_EQ(server->stats().tls_handshakes, 1);
  EXPECT_EQ(server->stats().grpc_requests, 1);
}

// The framing on the wire, seen by a plain HTTP/2 client.
TEST(Grpc, FramesAnswersWithTrailersOrTrailersOnly) {
  auto server = start_server();
  ASSERT_TRUE(server);
  testing::TestConnection connection(server->port());
  testing::H2Client client(connection);
  const std::vector<std::pair<std::string, std::string>> grpc_headers = {
      {"content-type", "application/grpc"}, {"te", "trailers"}};
  const std::string message = ping_request("size=4");
  std::string framed(5, '\0');
  framed[4] = static_cast<char>(message.size());
  framed += message;

  const testing::H2Response ok = client.wait(client.submit(kPing, grpc_headers, "POST", framed));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("content-type"), "application/grpc");
  EXPECT_EQ(ok.header("grpc-status"), "");        // not in the headers ...
  EXPECT_EQ(ok.trailers.at("grpc-status"), "0");  // ... in the trailers
  ASSERT_GE(ok.body.size(), 5u);
  EXPECT_EQ(ok.body[0], '\0');
  EXPECT_EQ(static_cast<size_t>(static_cast<unsigned char>(ok.body[4])), ok.body.size() - 5);

  const testing::H2Response failed =
      client.wait(client.submit("/x.Y/Z", grpc_headers, "POST", framed));
  EXPECT_EQ(failed.status, 200);
  EXPECT_EQ(failed.header("grpc-status"), "12");  // trailers-only
  EXPECT_NE(failed.header("grpc-message").find("unknown method '/x.Y/Z'"), std::string::npos);
  EXPECT_TRUE(failed.trailers.empty());
  EXPECT_EQ(failed.body, "");

  std::string wrong_length = framed;
  wrong_length[4] = static_cast<char>(message.size() + 1);
  EXPECT_EQ(
      client.wait(client.submit(kPing, grpc_headers, "POST", wrong_length)).header("grpc-status"),
      "13");
  std::string compressed = framed;
  compressed[0] = 1;
  EXPECT_EQ(
      client.wait(client.submit(kPing, grpc_headers, "POST", compressed)).header("grpc-status"),
      "12");
  EXPECT_EQ(client.wait(client.submit(kPing, grpc_headers, "POST", "")).header("grpc-status"),
            "13");
}

TEST(Grpc, PingPayloadIsStreamedAndDecodes) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call c = call(channel, kPing, ping_request("size=3m"));  // under grpc++'s 4 MiB
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  const PingResponse response = ping_response(c);
  EXPECT_EQ(response.payload().size(), 3u * 1024 * 1024);
  EXPECT_EQ(response.payload().substr(0, 8), "nightjar");
  EXPECT_EQ(response.arrival_gap_ns(), 0);  // the first call of the server
}

TEST(Grpc, ARequestMessageOverGrpcsLimitIsResourceExhausted) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call c = call(channel, kEcho, ping_request("", std::string(4 * 1024 * 1024 + 1, 'p')));
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(c.status.error_message().find("larger than 4 MiB"), std::string::npos)
      << c.status.error_message();
  EXPECT_TRUE(call(channel, kPing, ping_request("")).status.ok());  // the channel goes on
  EXPECT_EQ(server->stats().bodies_too_large, 1);
}

TEST(Grpc, ARequestOverTheServersBodyLimitIsResourceExhausted) {
  auto server = start_server({.max_body_bytes = 64 * 1024});
  ASSERT_TRUE(server);
  const auto channel = insecure_channel(*server);
  const Call c = call(channel, kEcho, ping_request("", std::string(100 * 1024, 'p')));
  EXPECT_EQ(c.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(c.status.error_message().find("limit of 65536 bytes"), std::string::npos)
      << c.status.error_message();
  const Call small = call(channel, kEcho, ping_request("", std::string(1000, 'p')));
  ASSERT_TRUE(small.status.ok()) << small.status.error_message();
  EXPECT_EQ(ping_response(small).payload().size(), 1000u);
}

// Calls held at once (here by a delay) share one budget per connection.
TEST(Grpc, RequestBytesHeldOverAllStreamsOfAConnectionAreBounded) {
  auto server = start_server({.max_body_bytes = 64 * 1024});
  ASSERT_TRUE(server);
  testing::TestConnection connection(server->port());
  testing::H2Client client(connection);
  const std::vector<std::pair<std::string, std::string>> grpc_headers = {
      {"content-type", "application/grpc"}, {"te", "trailers"}};
  // Three calls of 30 KiB, each under the limit, 90 KiB together: whatever order their DATA
  // arrives in, exactly one passes the budget, and refusing it leaves room for the others.
  const std::string message = ping_request("delay=1s", std::string(30 * 1024, 'p'));
  std::string framed(5, '\0');
  framed[3] = static_cast<char>(message.size() >> 8);
  framed[4] = static_cast<char>(message.size());
  framed += message;
  std::vector<int32_t> streams;
  for (int i = 0; i < 3; ++i) streams.push_back(client.submit(kEcho, grpc_headers, "POST", framed));
  int ok = 0;
  int exhausted = 0;
  for (const int32_t id : streams) {
    const testing::H2Response response = client.wait(id);
    if (response.header("grpc-status") == "8") {
      ++exhausted;
      EXPECT_NE(response.header("grpc-message").find("this connection holds"), std::string::npos)
          << response.header("grpc-message");
    } else if (response.trailers.count("grpc-status") != 0 &&
               response.trailers.at("grpc-status") == "0") {
      ++ok;
    }
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(exhausted, 1);
  EXPECT_EQ(server->stats().bodies_too_large, 1);
}

}  // namespace
}  // namespace nightjar::server
