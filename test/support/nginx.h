// An nginx (Debian's nginx-light) for tests: one worker on a free 127.0.0.1 port, config,
// pid, logs and temp files in its own directory; stopped and removed by the destructor.
// available() is false when nginx is not installed (tests then skip).
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
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
  // The test binds 127.0.0.1:0 and hands the listening socket to nginx (nginx takes
  // inherited sockets from $NGINX, as on a binary upgrade), so no port is probed and freed.
  explicit Nginx(const std::string& listen_options, const std::string& extra = "") : listener_(io_) {
    char pattern[] = "/tmp/nightjar-nginx-XXXXXX";
    dir_ = mkdtemp(pattern);
    listener_.open(boost::asio::ip::tcp::v4());
    listener_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    listener_.listen();
    port_ = listener_.local_endpoint().port();
    const int fd = listener_.native_handle();
    std::ofstream(dir_ + "/nginx.conf")
        << "worker_processes 1;\ndaemon off;\npid " << dir_ << "/nginx.pid;\nerror_log " << dir_
        << "/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path "
        << dir_ << ";\n  proxy_temp_path " << dir_ << ";\n  fastcgi_temp_path " << dir_ << ";\n  uwsgi_temp_path "
        << dir_ << ";\n  scgi_temp_path " << dir_ << ";\n" << extra << "\n  server { listen 127.0.0.1:" << port_
        << " " << listen_options << "; location / { return 200 \"ok\"; } }\n}\n";
    process_ = std::make_unique<Subprocess>(
        std::vector<std::string>{"/usr/sbin/nginx", "-c", dir_ + "/nginx.conf", "-p", dir_}, std::vector<int>{fd},
        std::vector<std::string>{"NGINX=" + std::to_string(fd) + ";"});
    // Up when it answers HTTP on the socket (connections queue in the backlog before that, so
    // a connect alone proves nothing): bounded, and asserted by up().
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until && !(up_ = answers())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    listener_.close();  // nginx holds its own copy
  }
  ~Nginx() {
    process_->signal(SIGQUIT);
    process_->wait(std::chrono::seconds(10));
    std::filesystem::remove_all(dir_);
  }

  // nginx started and answered; tests ASSERT_TRUE(nginx.up()) << nginx.error_log().
  bool up() const { return up_; }
  std::string error_log() const {
    std::ifstream in(dir_ + "/error.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  uint16_t port() const { return port_; }
  // One request, HTTP/1.1 or h2c prior knowledge alike: nginx answers (with a response or,
  // to a preface it does not expect, a close) only once it runs.
  bool answers() const {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    if (ec) return false;
    const std::string probe = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(probe), ec);
    if (ec) return false;
    // A reply or an orderly close within a short bound; nothing (still starting) means no.
    pollfd p{socket.native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 200) == 1;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor listener_;
  bool up_ = false;
  std::string dir_;
  uint16_t port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace nightjar::testing
