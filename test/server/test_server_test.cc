#include "server/test_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/server_fixture.h"

namespace nightjar::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Response = http::response<http::string_body>;
using testing::start_server;

// Generous: only a hung server should ever reach it.
constexpr auto kIoTimeout = std::chrono::seconds(30);

// A tiny blocking HTTP/1.1 client. Each operation runs the client's own io_context until
// it completes or kIoTimeout passes (then it fails the test instead of hanging it).
class Client {
 public:
  explicit Client(const tcp::endpoint& endpoint) : socket_(io_) {
    const error_code ec = run([&](auto handler) { socket_.async_connect(endpoint, handler); });
    EXPECT_FALSE(ec) << "connect to " << endpoint << ": " << ec.message();
  }
  explicit Client(uint16_t port) : Client(tcp::endpoint(asio::ip::address_v4::loopback(), port)) {}

  void send(std::string_view bytes) {
    const error_code ec = run([&](auto handler) {
      asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), handler);
    });
    EXPECT_FALSE(ec) << "send: " << ec.message();
  }

  // Reads one response; `head_request` when it answers a HEAD (no body follows).
  error_code try_read(Response& response, bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(uint64_t{64} * 1024 * 1024);
    parser.skip(head_request);
    const error_code ec =
        run([&](auto handler) { http::async_read(socket_, buffer_, parser, handler); });
    if (!ec) response = parser.release();
    return ec;
  }

  Response read(bool head_request = false) {
    Response response;
    const error_code ec = try_read(response, head_request);
    EXPECT_FALSE(ec) << "read: " << ec.message();
    return response;
  }

  // True when the server closed the connection: reading gives end of stream (or a reset)
  // and not one more byte.
  bool closed_by_server() {
    if (buffer_.size() != 0) return false;
    char byte = 0;
    const error_code ec =
        run([&](auto handler) { socket_.async_read_some(asio::buffer(&byte, 1), handler); });
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  // Reads until the server closes; returns what came.
  std::string read_to_end() {
    std::string all(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    char chunk[4096];
    for (;;) {
      size_t got = 0;
      const error_code ec = run([&](auto handler) {
        socket_.async_read_some(asio::buffer(chunk), [&got, handler](error_code e, size_t n) {
          got = n;
          handler(e, n);
        });
      });
      all.append(chunk, got);
      if (ec) return all;
    }
  }

  void shutdown_send() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }

 private:
  template <typename Start>
  error_code run(Start start) {
    std::optional<error_code> result;
    start([&result](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_for(kIoTimeout);
    if (!result) {
      ADD_FAILURE() << "the server did not answer within the timeout";
      error_code ignored;
      socket_.close(ignored);
      io_.restart();
      io_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

  asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  std::string request = "GET ";
  request.append(target).append(" HTTP/1.1\r\nHost: test\r\n").append(extra_headers);
  return request.append("\r\n");
}

// A test server (see start_server) and one client connected to it.
struct ServedClient {
  std::unique_ptr<TestServer> server = start_server();
  Client client{server ? server->port() : uint16_t{0}};
};

int64_t arrival_gap_ns(const Response& response) {
  const auto it = response.find("X-Nightjar-Arrival-Gap-Ns");
  if (it == response.end()) {
    ADD_FAILURE() << "no X-Nightjar-Arrival-Gap-Ns header";
    return -1;
  }
  return std::stoll(std::string(it->value()));
}

int64_t elapsed_ns(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count();
}

TEST(TestServer, AnswersAPlainRequestWith200AndAnEmptyBody) {
  auto server = start_server();
  ASSERT_TRUE(server);
  EXPECT_EQ(server->listen_address(), "127.0.0.1:" + std::to_string(server->port()));
  EXPECT_NE(server->port(), 0);

  Client client(server->port());
  client.send(get("/"));
  const Response response = client.read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "");
  EXPECT_EQ(response[http::field::content_length], "0");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(response.version(), 11);
  EXPECT_GE(arrival_gap_ns(response), 0);
}

TEST(TestServer, SizeControlSetsTheBodyLength) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  for (const auto& [query, bytes] : std::vector<std::pair<std::string, size_t>>{
           {"size=100", 100}, {"size=4k", 4096}, {"size=1m", 1024 * 1024}, {"size=0", 0}}) {
    h1.client.send(get("/any/path?" + query));
    const Response response = h1.client.read();
    EXPECT_EQ(response.result_int(), 200) << query;
    EXPECT_EQ(response.body().size(), bytes) << query;
    EXPECT_EQ(response[http::field::content_length], std::to_string(bytes)) << query;
    EXPECT_EQ(response.body().find('\0'), std::string::npos) << query;
  }
}

TEST(TestServer, StatusControlSetsTheStatus) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?status=503"));
  const Response unavailable = h1.client.read();
  EXPECT_EQ(unavailable.result_int(), 503);
  EXPECT_EQ(unavailable.reason(), "Service Unavailable");
  h1.client.send(get("/?status=299&size=3"));
  const Response unusual = h1.client.read();
  EXPECT_EQ(unusual.result_int(), 299);
  EXPECT_EQ(unusual.body().size(), 3u);
  // 204 carries no body whatever size says; the connection stays in step.
  h1.client.send(get("/?status=204&size=10"));
  EXPECT_EQ(h1.client.read().result_int(), 204);
  h1.client.send(get("/"));
  EXPECT_EQ(h1.client.read().result_int(), 200);
}

TEST(TestServer, DelayControlWaitsAtLeastTheDelay) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  auto start = Clock::now();
  h1.client.send(get("/?delay=100ms"));
  EXPECT_EQ(h1.client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 100'000'000);

  start = Clock::now();
  h1.client.send(get("/", "X-Nightjar-Control: delay=50ms\r\n"));
  EXPECT_EQ(h1.client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 50'000'000);
}

TEST(TestServer, HeaderControlAddsHeaders) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?header=X-One:1&header=X-Two:two%20words"));
  const Response response = h1.client.read();
  EXPECT_EQ(response["X-One"], "1");
  EXPECT_EQ(response["X-Two"], "two words");

  h1.client.send(get("/", "X-Nightjar-Control: header=Content-Type:application/json\r\n"));
  const Response typed = h1.client.read();
  EXPECT_EQ(typed[http::field::content_type], "application/json");
  EXPECT_EQ(typed.count(http::field::content_type), 1u);
}

TEST(TestServer, CloseControlClosesAfterTheResponse) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?close=1&size=5"));
  const Response response = h1.client.read();
  EXPECT_EQ(response.body().size(), 5u);
  EXPECT_EQ(response[http::field::connection], "close");
  EXPECT_TRUE(h1.client.closed_by_server());

  Client by_header(h1.server->port());
  by_header.send(get("/", "X-Nightjar-Control: close=1\r\n"));
  EXPECT_EQ(by_header.read()[http::field::connection], "close");
  EXPECT_TRUE(by_header.closed_by_server());
}

TEST(TestServer, ControlHeaderWinsOverTheQuery) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?size=5&status=500", "X-Nightjar-Control: size=7&status=202\r\n"));
  const Response response = h1.client.read();
  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response.body().size(), 7u);

  h1.client.send(get("/?size=5&status=500", "X-Nightjar-Control: size=7\r\n"));
  const Response mixed = h1.client.read();
  EXPECT_EQ(mixed.result_int(), 500);
  EXPECT_EQ(mixed.body().size(), 7u);
}

TEST(TestServer, MalformedControlsGet400NamingTheControl) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  for (const char* bad : {"size=abc", "status=99", "status=600", "delay=10", "delay=soon",
                          "close=maybe", "header=Bad%20Name:x", "header=X:a%0D%0AInjected:1"}) {
    h1.client.send(get(std::string("/?") + bad));
    const Response response = h1.client.read();
    EXPECT_EQ(response.result_int(), 400) << bad;
    EXPECT_NE(response.body().find(std::string("'") + bad + "'"), std::string::npos)
        << bad << " -> " << response.body();
    EXPECT_EQ(response.count("Injected"), 0u);
  }
  h1.client.send(get("/", "X-Nightjar-Control: size=12q\r\n"));
  const Response by_header = h1.client.read();
  EXPECT_EQ(by_header.result_int(), 400);
  EXPECT_NE(by_header.body().find("size=12q"), std::string::npos);

  // A bad control is the client's mistake, not lost framing: the connection goes on.
  h1.client.send(get("/?size=2"));
  EXPECT_EQ(h1.client.read().body().size(), 2u);
  EXPECT_EQ(h1.server->stats().bad_requests, 9);
  EXPECT_EQ(h1.server->stats().requests, 10);
}

TEST(TestServer, KeepsAConnectionAliveAcrossSequentialRequests) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  for (int i = 0; i < 5; ++i) {
    h1.client.send(get("/?size=" + std::to_string(i)));
    const Response response = h1.client.read();
    EXPECT_EQ(response.body().size(), static_cast<size_t>(i));
    EXPECT_TRUE(response.keep_alive());
  }
  const ServerStats stats = h1.server->stats();
  EXPECT_EQ(stats.connections_accepted, 1);
  EXPECT_EQ(stats.requests, 5);
  EXPECT_EQ(stats.bad_requests, 0);
}

TEST(TestServer, AnswersPipelinedRequestsInOrder) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?size=1") + get("/?size=2&status=201") + get("/?size=3&status=202"));
  for (int i = 1; i <= 3; ++i) {
    const Response response = h1.client.read();
    EXPECT_EQ(response.body().size(), static_cast<size_t>(i));
    EXPECT_EQ(response.result_int(), i == 1 ? 200 : 199 + i);
  }
}

TEST(TestServer, KeepsPipelinedResponsesInOrderWhenTheFirstIsDelayed) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  const auto start = Clock::now();
  h1.client.send(get("/?delay=100ms&size=1") + get("/?size=2") + get("/?size=3"));
  for (size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(h1.client.read().body().size(), i);
    EXPECT_GE(elapsed_ns(start), 100'000'000);  // none overtakes the delayed first
  }
}

TEST(TestServer, WaitsForTheClientWhenResponsesExceedTheSocketBuffers) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  // 12 MiB requested before reading any of it: the server's writes must block and resume.
  h1.client.send(get("/?size=4m") + get("/?size=4m&status=201") + get("/?size=4m&status=202"));
  for (int i = 0; i < 3; ++i) {
    const Response response = h1.client.read();
    EXPECT_EQ(response.result_int(), i == 0 ? 200 : 200 + i);
    EXPECT_EQ(response.body().size(), 4u * 1024 * 1024);
  }
  h1.client.send(get("/"));
  EXPECT_EQ(h1.client.read().result_int(), 200);
}

TEST(TestServer, AcceptsAndDiscardsRequestBodies) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(
      "POST /?size=4 HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_EQ(h1.client.read().body().size(), 4u);

  h1.client.send("PUT /?size=3 HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhel");
  h1.client.send("lo");
  EXPECT_EQ(h1.client.read().body().size(), 3u);

  // A body far larger than any buffer, sent in pieces.
  const std::string piece(size_t{256} * 1024, 'b');
  h1.client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                 std::to_string(8 * piece.size()) + "\r\n\r\n");
  for (int i = 0; i < 8; ++i) h1.client.send(piece);
  EXPECT_EQ(h1.client.read().result_int(), 200);

  h1.client.send(get("/?size=1"));
  EXPECT_EQ(h1.client.read().body().size(), 1u);
  EXPECT_EQ(h1.server->stats().requests, 4);
}

TEST(TestServer, SendsContinueWhenTheClientExpectsIt) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(
      "POST /?size=2 HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(h1.client.read().result_int(), 100);
  h1.client.send("body");
  const Response response = h1.client.read();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body().size(), 2u);
}

TEST(TestServer, AnswersHeadWithoutABody) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send("HEAD /?size=100 HTTP/1.1\r\nHost: test\r\n\r\n");
  const Response response = h1.client.read(/*head_request=*/true);
  EXPECT_EQ(response[http::field::content_length], "100");
  // Had a body been sent, it would be read as the next response and fail to parse.
  h1.client.send(get("/?size=1"));
  EXPECT_EQ(h1.client.read().body().size(), 1u);
}

TEST(TestServer, HonoursConnectionCloseFromTheClient) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  h1.client.send(get("/?size=3", "Connection: close\r\n"));
  const Response response = h1.client.read();
  EXPECT_EQ(response.body().size(), 3u);
  EXPECT_EQ(response[http::field::connection], "close");
  EXPECT_TRUE(h1.client.closed_by_server());
}

TEST(TestServer, ClosesHttp10UnlessAskedToKeepAlive) {
  auto server = start_server();
  ASSERT_TRUE(server);
  Client plain(server->port());
  plain.send("GET /?size=2 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(plain.read().body().size(), 2u);
  EXPECT_TRUE(plain.closed_by_server());

  Client keep_alive(server->port());
  keep_alive.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const Response first = keep_alive.read();
  EXPECT_EQ(first[http::field::connection], "keep-alive");
  keep_alive.send("GET /?size=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(keep_alive.read().body().size(), 1u);
}

TEST(TestServer, AnswersGarbageWith400AndClosesButKeepsServingOthers) {
  auto server = start_server();
  ASSERT_TRUE(server);
  Client other(server->port());

  Client garbage(server->port());
  garbage.send("this is not HTTP at all\r\n\r\n");
  const Response response = garbage.read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[http::field::connection], "close");
  EXPECT_TRUE(garbage.closed_by_server());

  Client too_long(server->port());
  too_long.send("GET / HTTP/1.1\r\nX-Long: " + std::string(20000, 'x') + "\r\n\r\n");
  EXPECT_EQ(too_long.read().result_int(), 431);  // over the header limit: see limits_test.cc
  EXPECT_TRUE(too_long.closed_by_server());

  other.send(get("/?size=1"));
  EXPECT_EQ(other.read().body().size(), 1u);
  Client fresh(server->port());
  fresh.send(get("/"));
  EXPECT_EQ(fresh.read().result_int(), 200);
  EXPECT_EQ(server->stats().bad_requests, 1);
  EXPECT_EQ(server->stats().headers_too_large, 1);
}

TEST(TestServer, SurvivesMangledRequests) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const std::string valid =
      "POST /p?size=10&status=201 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
      get("/?size=3");
  std::mt19937 random(2024);
  for (int i = 0; i < 200; ++i) {
    std::string mangled = valid;
    const int flips = 1 + static_cast<int>(random() % 6);
    for (int f = 0; f < flips; ++f) {
      mangled[random() % mangled.size()] = static_cast<char>(random() % 256);
    }
    mangled.resize(random() % (mangled.size() + 1));
    Client client(server->port());
    client.send(mangled);
    client.shutdown_send();
    client.read_to_end();  // whatever it answers, it must finish and close
  }
  Client client(server->port());
  client.send(get("/?size=4"));
  EXPECT_EQ(client.read().body().size(), 4u);
}

TEST(TestServer, ReportsTheArrivalGap) {
  ServedClient h1;
  ASSERT_TRUE(h1.server);
  const auto sent_first = Clock::now();
  h1.client.send(get("/"));
  EXPECT_EQ(arrival_gap_ns(h1.client.read()), 0);  // the first request the server sees
  const auto received_first = Clock::now();

  const auto sent_second = Clock::now();
  h1.client.send(get("/"));
  const Response second = h1.client.read();
  const auto received_second = Clock::now();
  // Causal bounds: the arrivals lie between each request's send and its response.
  const int64_t gap = arrival_gap_ns(second);
  EXPECT_GE(gap, std::chrono::nanoseconds(sent_second - received_first).count());
  EXPECT_LE(gap, std::chrono::nanoseconds(received_second - sent_first).count());
}

TEST(TestServer, StallHoldsResponsesUntilTheWindowEnds) {
  auto server = start_server({.stall_after_ns = 0, .stall_for_ns = 300'000'000});
  ASSERT_TRUE(server);
  Client client(server->port());
  const auto start = Clock::now();
  client.send(get("/"));  // starts the clock: the window is [now, now + 300ms)
  EXPECT_EQ(client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 300'000'000);
}

TEST(TestServer, StallHoldsEarlierRequestsAnsweredInsideTheWindow) {
  auto server = start_server({.stall_after_ns = 200'000'000, .stall_for_ns = 300'000'000});
  ASSERT_TRUE(server);
  Client client(server->port());
  const auto start = Clock::now();
  // Arrives before the window, would be answered at +300ms, inside it: held to +500ms.
  client.send(get("/?delay=300ms"));
  EXPECT_EQ(client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 500'000'000);
}

TEST(TestServer, CapacityServesOneQueueAtTheGivenRateOverEveryConnection) {
  // 100 requests per second: 50 requests sent at once, over 5 connections and 2 threads,
  // leave one every 10 ms, the k-th (from 0) no earlier than (k + 1) * 10 ms after sending.
  auto server = start_server({.threads = 2, .capacity_rps = 100});
  ASSERT_TRUE(server);
  constexpr int kClients = 5;
  constexpr int kRequestsEach = 10;
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) clients.push_back(std::make_unique<Client>(server->port()));
  const auto start = Clock::now();
  for (auto& client : clients) {
    std::string pipelined;
    for (int i = 0; i < kRequestsEach; ++i) pipelined += get("/");
    client->send(pipelined);
  }
  std::vector<int64_t> received_ns;
  for (auto& client : clients) {
    for (int i = 0; i < kRequestsEach; ++i) {
      EXPECT_EQ(client->read().result_int(), 200);
      received_ns.push_back(elapsed_ns(start));
    }
  }
  std::sort(received_ns.begin(), received_ns.end());
  for (size_t k = 0; k < received_ns.size(); ++k) {
    EXPECT_GE(received_ns[k], static_cast<int64_t>(k + 1) * 10'000'000) << k;
  }
}

TEST(TestServer, CapacityAddsTheDelayControlAfterTheQueue) {
  auto server = start_server({.capacity_rps = 10});  // 100 ms per request
  ASSERT_TRUE(server);
  Client client(server->port());
  const auto start = Clock::now();
  client.send(get("/?delay=50ms") + get("/"));
  EXPECT_EQ(client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 150'000'000);  // queued 100 ms, then delayed 50 ms
  EXPECT_EQ(client.read().result_int(), 200);
  EXPECT_GE(elapsed_ns(start), 200'000'000);  // behind the first in the queue
}

TEST(TestServer, RefusesACapacityOutOfRange) {
  for (const int64_t capacity : {int64_t{-1}, ServerOptions::kMaxCapacityRps + 1}) {
    const auto started = TestServer::start({.listen = "127.0.0.1:0", .capacity_rps = capacity});
    ASSERT_FALSE(started.ok()) << capacity;
    EXPECT_NE(started.status().message().find("capacity"), std::string::npos);
  }
}

TEST(TestServer, ServesFromSeveralThreads) {
  auto server = start_server({.threads = 4});
  ASSERT_TRUE(server);
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 50;
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  std::vector<int> ok_counts(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server->port());
      for (int i = 0; i < kRequestsEach; ++i) {
        client.send(get("/?size=" + std::to_string(c)));
        const Response response = client.read();
        if (response.result_int() == 200 && response.body().size() == static_cast<size_t>(c)) {
          ++ok_counts[c];
        }
      }
    });
  }
  for (auto& thread : clients) thread.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(ok_counts[c], kRequestsEach) << c;
  const ServerStats stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, kClients);
  EXPECT_EQ(stats.requests, kClients * kRequestsEach);
}

TEST(TestServer, ListensOnIpv6Loopback) {
  Result<std::unique_ptr<TestServer>> server = TestServer::start({.listen = "[::1]:0"});
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << server.status().message();
  EXPECT_EQ((*server)->listen_address(), "[::1]:" + std::to_string((*server)->port()));
  Client client(tcp::endpoint(asio::ip::address_v6::loopback(), (*server)->port()));
  client.send(get("/?size=6"));
  EXPECT_EQ(client.read().body().size(), 6u);
}

TEST(TestServer, StopIsIdempotentAndClosesEverything) {
  auto server = start_server();
  ASSERT_TRUE(server);
  const uint16_t port = server->port();
  Client idle(port);
  idle.send(get("/"));
  EXPECT_EQ(idle.read().result_int(), 200);
  Client waiting(port);
  waiting.send(get("/"));
  EXPECT_EQ(waiting.read().result_int(), 200);
  waiting.send(get("/?delay=10m"));  // must not hold stop() up

  server->stop();
  server->stop();
  EXPECT_TRUE(idle.closed_by_server());
  EXPECT_TRUE(waiting.closed_by_server());

  asio::io_context io;
  tcp::socket socket(io);
  error_code ec;
  socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
  EXPECT_TRUE(ec) << "still accepting after stop()";
}

TEST(TestServer, ReportsAnAddressInUseNamingIt) {
  auto first = start_server();
  ASSERT_TRUE(first);
  ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  Result<std::unique_ptr<TestServer>> second = TestServer::start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(options.listen), std::string::npos)
      << second.status().message();
  // The first keeps serving.
  Client client(first->port());
  client.send(get("/"));
  EXPECT_EQ(client.read().result_int(), 200);
}

TEST(TestServer, RejectsBadOptions) {
  for (const char* listen : {"nonsense", "127.0.0.1", "127.0.0.1:70000", "[::1:0", "host:0"}) {
    ServerOptions options;
    options.listen = listen;
    Result<std::unique_ptr<TestServer>> server = TestServer::start(options);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(server.status().message().find(listen), std::string::npos);
  }
  ServerOptions no_threads;
  no_threads.listen = "127.0.0.1:0";
  no_threads.threads = 0;
  EXPECT_EQ(TestServer::start(no_threads).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nightjar::server
