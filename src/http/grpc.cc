#include "http/grpc.h"

#include <boost/asio/io_context.hpp>
#include <chrono>

#include "common/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "nightjar/test/v1/test_service.pb.h"

namespace nightjar::http {
namespace {

namespace asio = boost::asio;

// Collects the one response of a health check.
class OneCall final : public SessionObserver {
 public:
  bool done = false;
  bool ok = false;
  int status = 0;
  int grpc_status = -1;
  std::string failure;

  void on_connected(Session&) override {}
  void on_connect_failed(Session& session, model::ErrorKind kind) override {
    finish_with(std::string(model::error_kind_name(kind)), session);
  }
  void on_response(Session&, const InFlight&, int status_code, int grpc, uint64_t, int64_t) override {
    done = ok = true;
    status = status_code;
    grpc_status = grpc;
  }
  void on_request_failed(Session& session, const InFlight&, model::ErrorKind kind, int64_t) override {
    finish_with(std::string(model::error_kind_name(kind)), session);
  }
  void on_idle_close(Session& session) override { finish_with("the server closed the connection", session); }
  void on_request_refused(Session& session, const InFlight&) override {
    finish_with("the server refused the stream", session);
  }

 private:
  void finish_with(std::string why, Session& session) {
    if (done) return;
    done = true;
    failure = std::move(why);
    if (!session.transport().error_detail().empty()) failure += ": " + session.transport().error_detail();
  }
};

}  // namespace

Status validate_grpc_method(std::string_view method) {
  const size_t slash = method.rfind('/');
  if (method.size() < 4 || method.front() != '/' || slash == 0 || slash + 1 == method.size()) {
    return Status::invalid_argument("--grpc-method '" + std::string(method) +
                                    "' must look like /package.Service/Method");
  }
  for (char c : method) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::invalid_argument("--grpc-method '" + std::string(method) + "' contains a space or control character");
    }
  }
  return Status();
}

std::string builtin_ping_message() {
  nightjar::test::v1::PingRequest request;
  return request.SerializeAsString();
}

std::string grpc_frame(std::string_view message) {
  std::string framed(5, '\0');
  const auto n = static_cast<uint32_t>(message.size());
  framed[1] = static_cast<char>(n >> 24);
  framed[2] = static_cast<char>(n >> 16);
  framed[3] = static_cast<char>(n >> 8);
  framed[4] = static_cast<char>(n);
  framed.append(message);
  return framed;
}

Result<std::string> grpc_unframe(std::string_view body) {
  if (body.size() < 5) return Status::invalid_argument("the gRPC response has no complete message frame");
  if (body[0] != 0) return Status::invalid_argument("the gRPC response is compressed, which is not supported");
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(body[i])); };
  const uint32_t n = byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
  if (body.size() != 5 + static_cast<size_t>(n)) {
    return Status::invalid_argument("the gRPC response frame says " + std::to_string(n) + " bytes but carries " +
                                    std::to_string(body.size() - 5));
  }
  return std::string(body.substr(5));
}

Http2Request make_grpc_request(const RequestSpec& spec, const Url& url, const std::string& method,
                               std::string_view message) {
  RequestSpec call;
  call.method = "POST";
  for (const auto& header : spec.headers) {
    std::string name = header.first;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-type" || name == "te" || name == "content-length") continue;  // gRPC sets these
    call.headers.push_back(header);
  }
  call.headers.emplace_back("content-type", "application/grpc");
  call.headers.emplace_back("te", "trailers");
  call.body = grpc_frame(message);
  Url target = url;
  target.path_and_query = method;
  return make_http2_request(call, target);
}

int effective_grpc_status(int http_status, int grpc_status) {
  // gRPC defines 0 to 16; a server's other numbers count as UNKNOWN (so a hostile server
  // cannot grow the per-status counts without bound).
  if (grpc_status > 16) return 2;
  if (grpc_status >= 0) return grpc_status;
  switch (http_status) {
    case 200: return 13;                       // INTERNAL: a 200 without grpc-status
    case 400: return 13;                       // INTERNAL
    case 401: return 16;                       // UNAUTHENTICATED
    case 403: return 7;                        // PERMISSION_DENIED
    case 404: return 12;                       // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14;  // UNAVAILABLE
    default: return 2;                         // UNKNOWN
  }
}

Result<std::string> grpc_health_check(const asio::ip::tcp::endpoint& endpoint, const Url& url,
                                      const tls::ClientContext* tls, const RequestSpec& metadata,
                                      const std::string& service, int64_t timeout_ns) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  std::vector<Http2Request> calls;
  calls.push_back(make_grpc_request(metadata, url, "/grpc.health.v1.Health/Check", request.SerializeAsString()));
  asio::io_context io;
  OneCall call;
  Http2Session session(io, endpoint, calls, 1, call, 0, tls, url.host);
  std::string body;
  session.set_body_sink(&body);
  const std::string what = "--grpc-health: " + url.authority + ": ";
  const int64_t deadline = steady_now_ns() + timeout_ns;
  session.connect(steady_now_ns());
  while (!call.done && session.state() == Session::State::kConnecting && steady_now_ns() < deadline) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  if (!call.done && session.can_send()) session.send(InFlight{steady_now_ns(), 0, 0, false}, steady_now_ns());
  while (!call.done && steady_now_ns() < deadline) io.run_one_for(std::chrono::milliseconds(10));
  session.close();
  if (!call.done) return Status::unavailable(what + "no answer within the timeout");
  if (!call.ok) return Status::unavailable(what + call.failure);
  const int status = effective_grpc_status(call.status, call.grpc_status);
  if (status != 0) {
    return Status::unavailable(what + "the health check answered " + model::grpc_status_name(status) +
                               (status == 12 ? " (the server has no health service)" : ""));
  }
  auto message = grpc_unframe(body);
  grpc::health::v1::HealthCheckResponse response;
  if (!message.ok() || !response.ParseFromString(*message)) {
    return Status::unavailable(what + "the health check's answer is not a HealthCheckResponse");
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

}  // namespace nightjar::http
