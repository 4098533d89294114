// A `nightjar worker` child process for the distributed tests.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace nightjar::testing {

// `nightjar worker --listen 127.0.0.1:0` plus `extra` flags (NIGHTJAR_BINARY), its address
// read from its first line. stop() asks it to exit (SIGTERM) and gives its exit code; the
// destructor stops one still running and expects a clean exit (0), unless the test kill()ed it.
class WorkerProcess {
 public:
  explicit WorkerProcess(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {NIGHTJAR_BINARY, "worker", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Subprocess>(args);
    const std::string line = process_->read_line();
    EXPECT_EQ(line.rfind("listening on 127.0.0.1:", 0), 0u) << line << process_->err();
    if (line.rfind("listening on ", 0) == 0) address_ = line.substr(13);
  }
  ~WorkerProcess() {
    if (!stopped_) {
      EXPECT_EQ(stop(), 0) << process_->err();
    }
  }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  const std::string& address() const { return address_; }
  Subprocess& process() { return *process_; }

  // SIGTERM, then its exit code (0 for a clean stop).
  int stop() {
    stopped_ = true;
    process_->signal(SIGTERM);
    return process_->wait(std::chrono::seconds(20));
  }
  // SIGKILL: the worker dies without a word (its Subprocess reaps it).
  void kill() {
    stopped_ = true;
    process_->signal(SIGKILL);
  }

 private:
  std::unique_ptr<Subprocess> process_;
  std::string address_;
  bool stopped_ = false;
};

}  // namespace nightjar::testing
