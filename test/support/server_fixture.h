// Helpers for the tests of the test server (test/server): start one on 127.0.0.1:0, trust
// its TLS certificate, wait for a condition of its statistics, and a server with one HTTP/2
// client connected to it in one line.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/test_server.h"
#include "support/h2_test_client.h"
#include "tls/server_context.h"

namespace nightjar::testing {

// Only a server that never closes, or never answers, makes a wait last this long.
inline constexpr std::chrono::milliseconds kServerDeadline{20'000};

// Starts a test server on 127.0.0.1:0, unless `options.listen` names another address.
// Null when it does not start; the test has then failed, saying why.
inline std::unique_ptr<server::TestServer> start_server(server::ServerOptions options = {}) {
  if (options.listen == server::ServerOptions{}.listen) options.listen = "127.0.0.1:0";
  Result<std::unique_ptr<server::TestServer>> started = server::TestServer::start(options);
  EXPECT_TRUE(started.ok()) << started.status().message();
  if (!started.ok()) return nullptr;
  return std::move(started).value();
}

// As start_server, speaking TLS only, with `tls`.
inline std::unique_ptr<server::TestServer> start_tls_server(tls::ServerTlsOptions tls = {},
                                                            server::ServerOptions options = {}) {
  options.tls = std::move(tls);
  return start_server(std::move(options));
}

// A client configuration that trusts `server`'s certificate and offers `alpn`.
inline TlsClientConfig trusting(const server::TestServer& server, std::vector<std::string> alpn) {
  TlsClientConfig config;
  config.ca_pem = server.tls_certificate_pem();
  config.alpn = std::move(alpn);
  return config;
}

// Waits until `condition` holds (what a server thread does, seen through its statistics),
// looking every 2 ms, at most kServerDeadline; returns whether it held.
inline bool eventually(const std::function<bool()>& condition) {
  const auto until = std::chrono::steady_clock::now() + kServerDeadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// A fixture whose tests each have a test server (start_server) as `server_`, stopped after.
class ServedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = start_server();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  std::unique_ptr<server::TestServer> server_;
};

// A test server (see start_server) and one h2c connection to it with its HTTP/2 client:
//   ServedH2Client h2;
//   ASSERT_TRUE(h2.ok()) << h2.connection.error();
//   EXPECT_EQ(h2.client.get("/?size=1").status, 200);
struct ServedH2Client {
  explicit ServedH2Client(server::ServerOptions options = {})
      : server(start_server(std::move(options))),
        connection(server ? server->port() : 0),
        client(connection) {}

  bool ok() const { return server != nullptr && connection.ok(); }

  std::unique_ptr<server::TestServer> server;
  TestConnection connection;
  H2Client client;
};

}  // namespace nightjar::testing
