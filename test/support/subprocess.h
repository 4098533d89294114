// Runs a child process for CLI tests: captures stdout and stderr, waits with a deadline
// (then kills it, so no test leaves a process behind), can signal it and read its first
// line while it runs.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace nightjar::testing {

class Subprocess {
 public:
  // `inherit`: descriptors the child keeps under the same numbers (e.g. a listening socket
  // the test bound to port 0); `env`: "NAME=value" entries added to the environment.
  explicit Subprocess(const std::vector<std::string>& argv, const std::vector<int>& inherit = {},
                      const std::vector<std::string>& env = {}) {
    int out[2];
    int err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    for (int fd : inherit) posix_spawn_file_actions_adddup2(&actions, fd, fd);  // same number: clears CLOEXEC
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Subprocess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      wait(std::chrono::seconds(10));
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  // Reads stdout until a full line is there (or the deadline); returns it without '\n'.
  std::string read_line(std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (out_.find('\n', consumed_) == std::string::npos && std::chrono::steady_clock::now() < until) {
      if (!pump(until)) break;
    }
    const size_t nl = out_.find('\n', consumed_);
    if (nl == std::string::npos) return {};
    std::string line = out_.substr(consumed_, nl - consumed_);
    consumed_ = nl + 1;
    return line;
  }

  void signal(int sig) {
    if (pid_ > 0 && !exited_) kill(pid_, sig);
  }

  // Waits for exit, collecting output; kills the child after the deadline. Returns the
  // exit code, or -signal when it was killed by one.
  int wait(std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (pump(until)) {
    }
    if (!exited_ && pid_ > 0) {
      // The pipes may close before the child exits (or it may have handed them on): poll
      // for its exit until the deadline, then kill it. Never an unbounded waitpid.
      int status = 0;
      pid_t done = waitpid(pid_, &status, WNOHANG);
      while (done == 0 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        done = waitpid(pid_, &status, WNOHANG);
      }
      if (done == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);  // SIGKILL cannot be caught: this returns
      }
      exited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    }
    return code_;
  }

  std::string out() const { return out_.substr(consumed_); }
  const std::string& all_out() const { return out_; }
  const std::string& err() const { return err_; }
  bool started() const { return pid_ > 0; }

 private:
  // Reads what is available from both pipes; false once both are closed or time is up.
  bool pump(std::chrono::steady_clock::time_point until) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        (i == 0 ? out_fd_ : err_fd_) = -1;
      } else {
        (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  int code_ = -1;
  std::string out_;
  std::string err_;
  size_t consumed_ = 0;
};

}  // namespace nightjar::testing
