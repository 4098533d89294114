// The in-process test server (src/server) for tests that load it: 127.0.0.1:0, one
// thread, no stall. The port is read back with port().
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "server/test_server.h"

namespace nightjar::testing {

// The started server; null (and a test failure) when it cannot start.
inline std::unique_ptr<server::TestServer> start_test_server() {
  auto server = server::TestServer::start(server::ServerOptions{"127.0.0.1:0", 1, -1, 0});
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(*server) : nullptr;
}

}  // namespace nightjar::testing
