// nightjar's test server, in process, for tests that need a well-behaved target.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "server/test_server.h"

namespace nightjar::testing {

// A TestServer with `options` listening on 127.0.0.1 on a free port (options.listen is
// replaced; read the port back with port()). A server that does not start fails the test
// and gives nullptr. The caller stops it.
inline std::unique_ptr<server::TestServer> start_test_server(server::ServerOptions options = {}) {
  options.listen = "127.0.0.1:0";
  auto server = server::TestServer::start(options);
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(*server) : nullptr;
}

}  // namespace nightjar::testing
