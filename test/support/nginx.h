// An nginx (Debian's nginx-light) for tests: one worker on a free 127.0.0.1 port, config,
// pid, logs and temp files in its own directory; stopped and removed by the destructor.
// available() is false when nginx is not installed (tests then skip).
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "support/scripted_server.h"
#include "support/subprocess.h"

namespace nightjar::testing {

class Nginx {
 public:
  static bool available() { return access("/usr/sbin/nginx", X_OK) == 0; }

  // `listen_options`: e.g. "http2" for h2c with prior knowledge; `extra`: http-level lines.
  explicit Nginx(const std::string& listen_options, const std::string& extra = "") {
    char pattern[] = "/tmp/nightjar-nginx-XXXXXX";
    dir_ = mkdtemp(pattern);
    port_ = unused_port();
    std::ofstream(dir_ + "/nginx.conf")
        << "worker_processes 1;\ndaemon off;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_
        << "/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path "
        << dir_ << ";\n  proxy_temp_path " << dir_ << ";\n  fastcgi_temp_path " << dir_ << ";\n  uwsgi_temp_path "
        << dir_ << ";\n  scgi_temp_path " << dir_ << ";\n" << extra << "\n  server { listen 127.0.0.1:" << port_
        << " " << listen_options << "; location / { return 200 \"ok\"; } }\n}\n";
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-c", dir_ + "/nginx.conf", "-p", dir_});
    // Ready when it accepts connections (bounded wait).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until && !accepts()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Nginx() {
    process_->signal(SIGQUIT);
    process_->wait(std::chrono::seconds(10));
    std::filesystem::remove_all(dir_);
  }

  uint16_t port() const { return port_; }
  bool accepts() const {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    return !ec;
  }

 private:
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace nightjar::testing
