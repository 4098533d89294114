// The test server's limits (ServerOptions): header, idle and TLS handshake timeouts, the
// maximum of connections, request body and header caps, and the controls' maxima. Each test
// sets a limit small, crosses it, and checks what the client sees and what the server
// counts. Timeouts are checked from below only (the server may not close early); that the
// close comes at all is bounded by a generous deadline, never by the machine's speed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "server/test_server.h"
#include "support/h2_test_client.h"
#include "support/server_fixture.h"

namespace nightjar::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::eventually;
using testing::H2Client;
using testing::H2Response;
using testing::ServedH2Client;
using testing::start_server;
using testing::TestConnection;

constexpr milliseconds kDeadline = testing::kServerDeadline;

constexpr int64_t kMs = 1'000'000;

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// A plain TCP client on raw bytes, to send requests in pieces and watch for the server's
// close.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    EXPECT_TRUE(connected_) << "connect: " << std::strerror(errno);
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // False when the server has closed the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  }

  // Reads what comes for at most `wait`; true once the server has closed the connection
  // (end of stream or reset), false if it is still open then.
  bool closed_within(milliseconds wait) {
    if (closed_) return true;
    const auto until = Clock::now() + wait;
    char chunk[16384];
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      pollfd poll_fd{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) {
        return false;
      }
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got > 0) {
        received_.append(chunk, static_cast<size_t>(got));
        continue;
      }
      if (got == 0 || errno == ECONNRESET) {
        closed_ = true;
        return true;
      }
      if (errno != EINTR && errno != EAGAIN) return false;
    }
  }

  bool wait_closed() { return closed_within(kDeadline); }

  // Reads until `text` has come (or the connection closes, or the deadline).
  bool wait_for(std::string_view text) {
    const auto until = Clock::now() + kDeadline;
    while (received_.find(text) == std::string::npos && !closed_ && Clock::now() < until) {
      closed_within(milliseconds(10));
    }
    return received_.find(text) != std::string::npos;
  }

  const std::string& received() const { return received_; }
  void clear_received() { received_.clear(); }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// ---- HTTP/2 frames by hand (RFC 9113 section 4.1), for clients that misbehave.

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr uint8_t kData = 0x0, kHeaders = 0x1, kSettings = 0x4, kPing = 0x6;
constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4;
// HPACK, static table only: :method GET (or POST), :scheme http, :path /, :authority test.
constexpr std::string_view kGetHeaderBlock = "\x82\x86\x84\x41\x04test";
constexpr std::string_view kPostHeaderBlock = "\x83\x86\x84\x41\x04test";

std::string frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload) {
  std::string out;
  const auto length = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(length >> 16));
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(length));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(stream_id >> 24));
  out.push_back(static_cast<char>(stream_id >> 16));
  out.push_back(static_cast<char>(stream_id >> 8));
  out.push_back(static_cast<char>(stream_id));
  return out.append(payload);
}

std::string http2_start() { return std::string(kPreface) + frame(kSettings, 0, 0, ""); }

// ---- Header timeout

TEST(HeaderTimeout, ClosesAConnectionThatSendsNothing) {
  auto server = start_server({.header_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_EQ(client.received(), "");
  EXPECT_EQ(server->stats().header_timeouts, 1);
  EXPECT_EQ(server->stats().idle_timeouts, 0);
  EXPECT_TRUE(eventually([&] { return server->stats().open_connections == 0; }));
}

TEST(HeaderTimeout, TrickledHeaderBytesDoNotExtendIt) {
  auto server = start_server({.header_timeout_ns = 300 * kMs});
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: test\r\nX-Slow: "));
  // A slowloris: one byte every 50 ms; the header would be complete after 100 of them (5 s).
  bool closed = false;
  for (int sent = 0; sent < 100 && !closed; ++sent) {
    closed = client.closed_within(milliseconds(50)) || !client.send("a");
  }
  closed = closed || client.closed_within(milliseconds(0));
  if (!closed) {
    client.send("\r\n\r\n");  // complete: a server without the timeout answers it now
    closed = client.wait_closed();
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(client.received(), "") << "the request was answered: the trickle kept it alive";
  EXPECT_GE(since(start), milliseconds(300));
  EXPECT_EQ(server->stats().header_timeouts, 1);
  EXPECT_EQ(server->stats().requests, 0);
}

TEST(HeaderTimeout, CountsFromTheFirstByteOfALaterRequest) {
  auto server = start_server({.header_timeout_ns = 300 * kMs, .idle_timeout_ns = 60'000 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET /?size=1 HTTP/1.1\r\nHost: test\r\n\r\n"));
  ASSERT_TRUE(client.wait_for("\r\n\r\nn"));
  // Between requests only the idle timeout runs: the connection outlives the header timeout.
  EXPECT_FALSE(client.closed_within(milliseconds(600)));
  const auto partial_sent = Clock::now();
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHo"));
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(partial_sent), milliseconds(300));
  EXPECT_EQ(server->stats().header_timeouts, 1);
  EXPECT_EQ(server->stats().requests, 1);
}

// ---- Idle timeout

TEST(IdleTimeout, ClosesAKeepAliveConnectionWithNothingInFlight) {
  auto server = start_server({.idle_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  const auto sent = Clock::now();
  ASSERT_TRUE(client.send("GET /?size=1 HTTP/1.1\r\nHost: test\r\n\r\n"));
  ASSERT_TRUE(client.wait_for("\r\n\r\nn"));
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(sent), milliseconds(200));
  EXPECT_EQ(server->stats().idle_timeouts, 1);
  EXPECT_EQ(server->stats().header_timeouts, 0);
}

TEST(IdleTimeout, ADelayedResponseIsNotIdle) {
  auto server = start_server({.idle_timeout_ns = 100 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET /?delay=500ms&size=2 HTTP/1.1\r\nHost: test\r\n\r\n"));
  EXPECT_TRUE(client.wait_for("\r\n\r\nni"));
  EXPECT_EQ(client.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << client.received();
}

TEST(IdleTimeout, ClosesAConnectionWhoseClientDoesNotReadItsResponse) {
  auto server = start_server({.idle_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  // 1 GiB that is never read: the socket fills, the server cannot write, makes no progress.
  ASSERT_TRUE(client.send("GET /?size=1024m HTTP/1.1\r\nHost: test\r\n\r\n"));
  EXPECT_TRUE(eventually([&] { return server->stats().idle_timeouts == 1; }));
  EXPECT_TRUE(eventually([&] { return server->stats().open_connections == 0; }));
}

// ---- HTTP/2: preface, header blocks, idle

TEST(Http2Timeouts, ThePrefaceMustArriveWithinTheHeaderTimeout) {
  auto server = start_server({.header_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.send(kPreface.substr(0, 20)));  // already past the HTTP/1.1 detection
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_EQ(server->stats().header_timeouts, 1);
}

TEST(Http2Timeouts, SettingsMustFollowThePrefaceWithinTheHeaderTimeout) {
  auto server = start_server({.header_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.send(kPreface));  // the preface alone: an HTTP/2 connection, no SETTINGS
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_EQ(server->stats().header_timeouts, 1);
}

TEST(Http2Timeouts, AHeaderBlockMustCompleteWithinTheHeaderTimeout) {
  auto server = start_server({.header_timeout_ns = 200 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send(http2_start()));
  // Set up: past the preface's own deadline, only the idle timeout (60 s) runs.
  EXPECT_FALSE(client.closed_within(milliseconds(400)));
  // HEADERS without END_HEADERS: the CONTINUATION that would finish it never comes.
  const auto sent = Clock::now();
  ASSERT_TRUE(client.send(frame(kHeaders, kEndStream, 1, kGetHeaderBlock.substr(0, 2))));
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(sent), milliseconds(200));
  EXPECT_EQ(server->stats().header_timeouts, 1);
  EXPECT_EQ(server->stats().requests, 0);
}

TEST(Http2Timeouts, AnIdleConnectionGetsAGoawayAndIsClosed) {
  ServedH2Client h2({.idle_timeout_ns = 200 * kMs});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const auto start = Clock::now();
  EXPECT_EQ(h2.client.get("/?size=1").status, 200);
  EXPECT_TRUE(h2.client.wait_closed());
  EXPECT_GE(since(start), milliseconds(200));
  EXPECT_TRUE(h2.client.goaway_received());
  EXPECT_EQ(h2.client.goaway_error_code(), 0u);  // NO_ERROR
  EXPECT_EQ(h2.server->stats().idle_timeouts, 1);
}

TEST(Http2Timeouts, PingsDoNotKeepAnIdleConnectionOpen) {
  auto server = start_server({.idle_timeout_ns = 300 * kMs});
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.send(http2_start()));
  bool closed = false;
  for (int pings = 0; pings < 100 && !closed; ++pings) {  // one every 50 ms: 5 s
    closed = client.closed_within(milliseconds(50)) || !client.send(frame(kPing, 0, 0, "12345678"));
  }
  EXPECT_TRUE(closed || client.closed_within(milliseconds(0)));
  EXPECT_GE(since(start), milliseconds(300));
  EXPECT_EQ(server->stats().idle_timeouts, 1);
}

TEST(Http2Timeouts, AStreamWaitingForItsBodyDoesNotHoldTheConnection) {
  auto server = start_server({.idle_timeout_ns = 300 * kMs});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send(http2_start()));
  const auto sent = Clock::now();
  // A POST whose body never comes: the server owes nothing, so the idle timeout runs.
  ASSERT_TRUE(client.send(frame(kHeaders, kEndHeaders, 1, kPostHeaderBlock)));
  ASSERT_TRUE(client.send(frame(kData, 0, 1, "part")));
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(sent), milliseconds(300));
  EXPECT_EQ(server->stats().idle_timeouts, 1);
}

TEST(Http2Timeouts, ADelayedStreamIsNotIdle) {
  ServedH2Client h2({.idle_timeout_ns = 100 * kMs});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response response = h2.client.get("/?delay=500ms&size=3");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 3u);
}

// ---- TLS handshake timeout

TEST(TlsHandshakeTimeout, ClosesAClientThatNeverSendsItsHello) {
  ServerOptions options;
  options.tls = tls::ServerTlsOptions{};
  options.tls_handshake_timeout_ns = 200 * kMs;
  auto server = start_server(options);
  ASSERT_TRUE(server);
  const auto start = Clock::now();
  RawClient client(server->port());
  ASSERT_TRUE(client.wait_closed());
  EXPECT_GE(since(start), milliseconds(200));
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.tls_handshake_timeouts, 1);
  EXPECT_EQ(stats.tls_handshake_failures, 1);
  EXPECT_EQ(stats.tls_handshakes, 0);
  EXPECT_TRUE(eventually([&] { return server->stats().open_connections == 0; }));
}

TEST(TlsHandshakeTimeout, DoesNotCutAHandshakeThatCompletes) {
  ServerOptions options;
  options.tls = tls::ServerTlsOptions{};
  options.tls_handshake_timeout_ns = 10'000 * kMs;
  options.header_timeout_ns = 10'000 * kMs;
  auto server = start_server(options);
  ASSERT_TRUE(server);
  testing::TlsClientConfig config;
  config.ca_pem = server->tls_certificate_pem();
  config.alpn = {"http/1.1"};
  TestConnection connection(server->port(), &config);
  ASSERT_TRUE(connection.ok()) << connection.error();
  EXPECT_EQ(connection.http1_get("/?size=2").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(server->stats().tls_handshake_timeouts, 0);
}

// ---- Maximum of connections

TEST(MaxConnections, ClosesConnectionsBeyondTheMaximumAndServesAgainBelowIt) {
  auto server = start_server({.max_connections = 2});
  ASSERT_TRUE(server);
  auto first = std::make_unique<TestConnection>(server->port());
  TestConnection second(server->port());
  EXPECT_EQ(first->http1_get("/").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(second.http1_get("/").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(server->stats().open_connections, 2);

  RawClient third(server->port());  // the kernel accepts it; the server closes it at once
  ASSERT_TRUE(third.wait_closed());
  EXPECT_EQ(third.received(), "");
  EXPECT_EQ(server->stats().connections_rejected, 1);
  EXPECT_EQ(server->stats().connections_accepted, 2);

  first.reset();  // one closes: there is room again
  ASSERT_TRUE(eventually([&] { return server->stats().open_connections == 1; }));
  TestConnection fourth(server->port());
  EXPECT_EQ(fourth.http1_get("/?size=1").rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(second.http1_get("/").rfind("HTTP/1.1 200 OK", 0), 0u);  // still served
  EXPECT_EQ(server->stats().connections_rejected, 1);
}

TEST(MaxConnections, CountsATlsConnectionOnceThroughItsHandOver) {
  ServerOptions options;
  options.tls = tls::ServerTlsOptions{};
  options.max_connections = 1;
  auto server = start_server(options);
  ASSERT_TRUE(server);
  testing::TlsClientConfig config;
  config.ca_pem = server->tls_certificate_pem();
  config.alpn = {"h2"};
  {
    TestConnection connection(server->port(), &config);
    ASSERT_TRUE(connection.ok()) << connection.error();
    H2Client client(connection);
    EXPECT_EQ(client.get("/").status, 200);
    EXPECT_EQ(server->stats().open_connections, 1);
  }
  ASSERT_TRUE(eventually([&] { return server->stats().open_connections == 0; }));
  TestConnection again(server->port(), &config);  // the one place was given back
  ASSERT_TRUE(again.ok()) << again.error();
  H2Client client(again);
  EXPECT_EQ(client.get("/").status, 200);
  EXPECT_EQ(server->stats().connections_rejected, 0);
}

// ---- Request bodies

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

TEST(BodyLimit, Http11ContentLengthOverTheLimitGets413AndTheConnectionCloses) {
  auto server = start_server({.max_body_bytes = 1024});
  ASSERT_TRUE(server);
  RawClient at_limit(server->port());
  ASSERT_TRUE(at_limit.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1024\r\n\r\n" +
                            std::string(1024, 'b')));
  ASSERT_TRUE(at_limit.wait_for("\r\n\r\n"));
  EXPECT_EQ(status_line(at_limit.received()), "HTTP/1.1 200 OK");

  RawClient over(server->port());
  ASSERT_TRUE(over.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 1025\r\n\r\n"));
  ASSERT_TRUE(over.wait_closed());  // answered without waiting for the body, then closed
  EXPECT_EQ(status_line(over.received()), "HTTP/1.1 413 Payload Too Large");
  EXPECT_NE(over.received().find("Connection: close"), std::string::npos);
  EXPECT_NE(over.received().find("limit of 1024 bytes"), std::string::npos) << over.received();
  EXPECT_EQ(server->stats().bodies_too_large, 1);
  EXPECT_EQ(server->stats().bad_requests, 0);
}

TEST(BodyLimit, Http11ChunkedBodyOverTheLimitGets413) {
  auto server = start_server({.max_body_bytes = 1000});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  const std::string chunk = "258\r\n" + std::string(600, 'c') + "\r\n";  // 0x258 = 600
  ASSERT_TRUE(
      client.send("POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk));
  ASSERT_TRUE(client.send(chunk));  // 1200 bytes
  ASSERT_TRUE(client.wait_closed());
  EXPECT_EQ(status_line(client.received()), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(server->stats().bodies_too_large, 1);
}

TEST(BodyLimit, Http11ExpectContinueOverTheLimitGets413InsteadOfContinue) {
  auto server = start_server({.max_body_bytes = 1024});
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send(
      "PUT / HTTP/1.1\r\nHost: test\r\nContent-Length: 5000000000\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(client.wait_closed());
  EXPECT_EQ(status_line(client.received()), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(client.received().find("100 Continue"), std::string::npos);
}

TEST(BodyLimit, Http2BodyOverTheLimitGets413AndTheConnectionGoesOn) {
  ServedH2Client h2({.max_body_bytes = 1024});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  const H2Response at_limit =
      h2.client.wait(h2.client.submit("/", {}, "POST", std::string(1024, 'b')));
  EXPECT_EQ(at_limit.status, 200);

  // No content-length: refused once the DATA passes the limit.
  const H2Response over =
      h2.client.wait(h2.client.submit("/", {}, "POST", std::string(50000, 'b')));
  EXPECT_EQ(over.status, 413);
  EXPECT_NE(over.body.find("limit of 1024 bytes"), std::string::npos) << over.body;
  EXPECT_TRUE(over.closed);

  // An announced content-length over the limit: refused at the end of the headers.
  const H2Response announced = h2.client.wait(
      h2.client.submit("/", {{"content-length", "4096"}}, "POST", std::string(4096, 'b')));
  EXPECT_EQ(announced.status, 413);

  EXPECT_EQ(h2.client.get("/?size=2").body.size(), 2u);  // the h2.connection goes on
  EXPECT_EQ(h2.server->stats().bodies_too_large, 2);
}

// ---- Request headers

TEST(HeaderLimit, Http11HeaderOverTheLimitGets431) {
  auto server = start_server({.max_header_bytes = 2048});
  ASSERT_TRUE(server);
  RawClient small(server->port());
  ASSERT_TRUE(small.send("GET / HTTP/1.1\r\nX-A: " + std::string(1800, 'a') + "\r\n\r\n"));
  ASSERT_TRUE(small.wait_for("\r\n\r\n"));
  EXPECT_EQ(status_line(small.received()), "HTTP/1.1 200 OK");

  RawClient big(server->port());
  ASSERT_TRUE(big.send("GET / HTTP/1.1\r\nX-A: " + std::string(3000, 'a') + "\r\n\r\n"));
  ASSERT_TRUE(big.wait_closed());
  EXPECT_EQ(status_line(big.received()), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_NE(big.received().find("limit of 2048 bytes"), std::string::npos) << big.received();
  EXPECT_EQ(server->stats().headers_too_large, 1);
}

TEST(HeaderLimit, Http11TooManyFieldsGets431) {
  auto server = start_server({.max_header_fields = 5});
  ASSERT_TRUE(server);
  std::string fields;
  for (int i = 0; i < 5; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  RawClient five(server->port());
  ASSERT_TRUE(five.send("GET / HTTP/1.1\r\n" + fields + "\r\n"));
  ASSERT_TRUE(five.wait_for("\r\n\r\n"));
  EXPECT_EQ(status_line(five.received()), "HTTP/1.1 200 OK");

  RawClient six(server->port());
  ASSERT_TRUE(six.send("GET / HTTP/1.1\r\n" + fields + "X-5: v\r\n\r\n"));
  ASSERT_TRUE(six.wait_closed());
  EXPECT_EQ(status_line(six.received()), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_NE(six.received().find("more than 5 request header fields"), std::string::npos);
}

TEST(HeaderLimit, Http2HeaderListOverTheLimitGets431AndTheConnectionGoesOn) {
  ServedH2Client h2({.max_header_bytes = 2048, .max_header_fields = 8});
  ASSERT_TRUE(h2.ok()) << h2.connection.error();
  EXPECT_EQ(h2.client.get("/", {{"x-a", std::string(1800, 'a')}}).status, 200);
  EXPECT_EQ(h2.client.remote_setting(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE), 2048u);

  const H2Response big = h2.client.get("/", {{"x-a", std::string(3000, 'a')}});
  EXPECT_EQ(big.status, 431);
  EXPECT_NE(big.body.find("limit of 2048 bytes"), std::string::npos) << big.body;

  // Four pseudo-headers and five fields: nine.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 5; ++i) many.push_back({"x-" + std::to_string(i), "v"});
  const H2Response crowded = h2.client.get("/", many);
  EXPECT_EQ(crowded.status, 431);
  EXPECT_NE(crowded.body.find("more than 8 request header fields"), std::string::npos);

  EXPECT_EQ(h2.client.get("/?size=1").status, 200);
  EXPECT_EQ(h2.server->stats().headers_too_large, 2);
}

// ---- Controls over their maxima

TEST(ControlLimits, AControlOverItsMaximumGets400NamingIt) {
  auto server = start_server({});
  ASSERT_TRUE(server);
  TestConnection http1(server->port());
  const std::string response = http1.http1_get("/?delay=11m");
  EXPECT_EQ(status_line(response), "HTTP/1.1 400 Bad Request");
  EXPECT_NE(response.find("bad control 'delay=11m'"), std::string::npos) << response;
  TestConnection http2(server->port());
  H2Client client(http2);
  const H2Response too_big = client.get("/?size=1025g");
  EXPECT_EQ(too_big.status, 400);
  EXPECT_NE(too_big.body.find("'size=1025g'"), std::string::npos) << too_big.body;
  EXPECT_EQ(server->stats().bad_requests, 2);
}

// ---- Options

TEST(ServerLimitOptions, StartRefusesLimitsThatAreNotPositive) {
  const std::vector<std::function<void(ServerOptions&)>> bad = {
      [](ServerOptions& o) { o.header_timeout_ns = 0; },
      [](ServerOptions& o) { o.idle_timeout_ns = -1; },
      [](ServerOptions& o) { o.tls_handshake_timeout_ns = 0; },
      [](ServerOptions& o) { o.idle_timeout_ns = ServerOptions::kMaxTimeoutNs + 1; },
      [](ServerOptions& o) { o.max_connections = 0; },
      [](ServerOptions& o) { o.max_body_bytes = 0; },
      [](ServerOptions& o) { o.max_header_bytes = 100; },
      [](ServerOptions& o) { o.max_header_fields = 0; },
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    bad[i](options);
    const auto server = TestServer::start(options);
    ASSERT_FALSE(server.ok()) << "case " << i;
    EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument) << "case " << i;
  }
}

}  // namespace
}  // namespace nightjar::server
