// The fixture of CLI tests that load the in-process test server: the server on
// 127.0.0.1:0 as the target, and an empty folder of the test's own, removed afterwards.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "support/cli.h"
#include "support/server_fixture.h"

namespace nightjar::testing {

class CliTest : public ServedTest {
 protected:
  void SetUp() override {
    ServedTest::SetUp();
    if (HasFatalFailure()) return;
    dir_ = per_test_dir("nightjar-cli-");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    ServedTest::TearDown();
    std::error_code ignored;  // a skipped test has no folder
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  // The test server's root, e.g. "http://127.0.0.1:PORT/" ("https" when told; the server
  // speaks plaintext only, so that is for runs refused before they connect).
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(server_->port()) + "/";
  }
  // Requests the test server has received.
  int64_t target_requests() const { return server_->stats().requests; }
  // `name` in the test's folder.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace nightjar::testing
