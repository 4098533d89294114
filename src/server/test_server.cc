#include "server/test_server.h"

#include "server/test_server_impl.h"

namespace nightjar::server {

Result<std::unique_ptr<TestServer>> TestServer::start(const ServerOptions& options) {
  return TestServerImpl::start(options);
}

}  // namespace nightjar::server
