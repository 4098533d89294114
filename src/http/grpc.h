// gRPC unary calls over nightjar's own HTTP/2 engine: how a call is framed as an HTTP/2
// request, what status a response carries, and the checks run before a gRPC load test.
// (grpc++ stays on the control plane; the load path is nghttp2 throughout.)
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/http2_session.h"
#include "http/request.h"
#include "tls/client_context.h"

namespace nightjar::http {

// The built-in call for nightjar's own test service (proto/nightjar/test/v1).
inline constexpr std::string_view kBuiltinPingMethod = "/nightjar.test.v1.TestService/Ping";

// Checks a --grpc-method: "/package.Service/Method".
Status validate_grpc_method(std::string_view method);

// A serialized nightjar.test.v1.PingRequest (empty controls: the server answers at once).
std::string builtin_ping_message();

// One message in gRPC's length-prefixed framing (uncompressed).
std::string grpc_frame(std::string_view message);
// The message of a framed unary response body; errors name what is wrong with it.
Result<std::string> grpc_unframe(std::string_view body);

// The request: POST to `method`, content-type application/grpc, te: trailers, the headers
// of `spec` as metadata (except HTTP/1-only ones), body = the framed message.
Http2Request make_grpc_request(const RequestSpec& spec, const Url& url, const std::string& method,
                               std::string_view message);

// The gRPC status a response stands for: its grpc-status, or when it has none, what its
// HTTP status maps to (gRPC's HTTP-to-status table: 503 UNAVAILABLE, 404 UNIMPLEMENTED,
// 200 without a status INTERNAL, ...).
int effective_grpc_status(int http_status, int grpc_status);

// Asks the standard health service (grpc.health.v1.Health/Check) for `service` over one
// connection. Returns the serving status name ("SERVING", "NOT_SERVING", ...) or an error
// naming what went wrong (connect, TLS, gRPC status, bad response).
Result<std::string> grpc_health_check(const boost::asio::ip::tcp::endpoint& endpoint, const Url& url,
                                      const tls::ClientContext* tls, const RequestSpec& metadata,
                                      const std::string& service, int64_t timeout_ns);

}  // namespace nightjar::http
