// TestServerImpl: the TestServer on boost::asio, one io_context per thread. Internal to the
// server component; use TestServer::start.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/server_state.h"
#include "server/test_server.h"
#include "server/worker.h"

namespace nightjar::server {

class TestServerImpl final : public TestServer {
 public:
  // See TestServer::start.
  static Result<std::unique_ptr<TestServer>> start(const ServerOptions& options);

  ~TestServerImpl() override;

  std::string listen_address() const override { return listen_address_; }
  uint16_t port() const override { return port_; }
  ServerStats stats() const override;
  std::string tls_certificate_pem() const override {
    return tls_ ? tls_->certificate_pem() : std::string();
  }
  std::string tls_certificate_fingerprint() const override {
    return tls_ ? tls_->fingerprint_sha256() : std::string();
  }
  void stop() override;

 private:
  explicit TestServerImpl(const ServerOptions& options);

  // Declared first: the workers' connections use them until joined.
  SharedState shared_;
  ConnectionLimit connection_limit_;
  std::unique_ptr<tls::ServerContext> tls_;  // null: plaintext; also used until joined

  // Constant after start.
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string listen_address_;
  uint16_t port_ = 0;

  std::mutex stop_mutex_;
  bool stopped_ = false;  // guarded by stop_mutex_
};

}  // namespace nightjar::server
