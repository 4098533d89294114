// Running the nightjar binary (NIGHTJAR_BINARY, defined for the CLI tests) as a user
// would: arguments in; exit code, standard output and standard error out. Also the
// long-running commands (`serve`, `worker`) as children on a free port, and the checks
// and folders the CLI tests share.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace nightjar::testing {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

inline Outcome run_nightjar(std::vector<std::string> args) {
  args.insert(args.begin(), NIGHTJAR_BINARY);
  Subprocess p(args);
  EXPECT_TRUE(p.started());
  const int code = p.wait();
  return {code, p.all_out(), p.err()};
}

// A command line that must be refused as bad usage.
struct UsageCase {
  std::vector<std::string> args;
  std::string says;  // part of the message on standard error
};

// Runs `prefix` followed by each case's arguments; each must exit 2, say `says` on
// standard error and print nothing on standard output.
inline void expect_usage_errors(const std::vector<std::string>& prefix,
                                const std::vector<UsageCase>& cases) {
  for (const UsageCase& c : cases) {
    std::vector<std::string> args = prefix;
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Outcome o = run_nightjar(args);
    EXPECT_EQ(o.code, 2) << c.says << ": " << o.err;
    EXPECT_NE(o.err.find(c.says), std::string::npos) << "stderr: " << o.err;
    EXPECT_EQ(o.out, "") << c.says;
  }
}

// `nightjar COMMAND --listen 127.0.0.1:0 EXTRA...` (serve, worker) as a child process,
// once its first line ("listening on ADDRESS") is read. stop() sends SIGTERM and returns
// the exit code; the destructor stops a child still running and expects a clean exit (0),
// unless the test kill()ed it.
class ListeningChild {
 public:
  explicit ListeningChild(const std::string& command, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {NIGHTJAR_BINARY, command, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Subprocess>(args);
    const std::string line = process_->read_line();
    const std::string prefix = "listening on ";
    EXPECT_EQ(line.rfind(prefix + "127.0.0.1:", 0), 0u)
        << "first line: '" << line << "' stderr: " << process_->err();
    if (line.rfind(prefix + "127.0.0.1:", 0) == 0) address_ = line.substr(prefix.size());
  }
  ~ListeningChild() {
    if (!stopped_) {
      EXPECT_EQ(stop(), 0) << process_->err();
    }
  }
  ListeningChild(const ListeningChild&) = delete;
  ListeningChild& operator=(const ListeningChild&) = delete;

  // "127.0.0.1:PORT"; empty when the child did not start listening.
  const std::string& address() const { return address_; }
  uint16_t port() const {
    return address_.empty()
               ? 0
               : static_cast<uint16_t>(std::stoi(address_.substr(address_.rfind(':') + 1)));
  }
  std::string url(const std::string& path = "/") const { return "http://" + address_ + path; }

  // SIGTERM, then its exit code (0 for a clean stop).
  int stop() {
    stopped_ = true;
    process_->signal(SIGTERM);
    return process_->wait(std::chrono::seconds(20));
  }
  // SIGKILL: the child dies without a word (its Subprocess reaps it).
  void kill() {
    stopped_ = true;
    process_->signal(SIGKILL);
  }
  Subprocess& process() { return *process_; }
  // Standard output's lines after the first; complete once stopped.
  std::string out_after_first_line() const {
    const std::string& all = process_->all_out();
    return all.substr(std::min(all.size(), all.find('\n') + 1));
  }
  const std::string& err() const { return process_->err(); }

 private:
  std::unique_ptr<Subprocess> process_;
  std::string address_;
  bool stopped_ = false;
};

// A folder for this test alone, named by `prefix`, the process, the suite and the test;
// not created here.
inline std::filesystem::path per_test_dir(const std::string& prefix) {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::filesystem::temp_directory_path() /
         (prefix + std::to_string(::getpid()) + "-" + test->test_suite_name() + "-" + test->name());
}

}  // namespace nightjar::testing
