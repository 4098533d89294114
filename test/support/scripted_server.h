// A misbehaving HTTP server for tests: binds 127.0.0.1:0, and answers every request on
// every connection the way a test scripts it (garbage, a response cut short, a reset, no
// answer at all). One background thread; stop() or the destructor joins it.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <thread>

namespace nightjar::testing {

class ScriptedServer {
 public:
  enum class Behaviour {
    kGarbage,        // answer every request with bytes that are not HTTP
    kCloseMidBody,   // send a header promising 100 bytes, send 10, close
    kReset,          // close with SO_LINGER 0 (a TCP reset) when a request arrives
    kNeverAnswer,    // read requests, never answer
    kCloseAfterRead, // close cleanly without answering
    kAnswerThenJunk, // a valid response followed by 300 KiB of bytes nobody asked for
    kEndlessHeaders, // a status line, then 1 MiB of one header line that never ends
    kEndlessBody,    // a chunked response: 4 MiB of chunks, never the last one
  };

  explicit ScriptedServer(Behaviour behaviour)
      : behaviour_(behaviour), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedServer() { stop(); }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/"; }
  int64_t requests_seen() const { return requests_.load(); }

  void stop() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

 private:
  struct Connection : std::enable_shared_from_this<Connection> {
    explicit Connection(boost::asio::ip::tcp::socket s, ScriptedServer& server)
        : socket(std::move(s)), owner(server) {}
    void read() {
      auto self = shared_from_this();
      socket.async_read_some(boost::asio::buffer(buffer), [self](boost::system::error_code ec, size_t n) {
        if (ec) return;
        self->pending.append(self->buffer, n);
        while (self->pending.find("\r\n\r\n") != std::string::npos) {
          self->pending.erase(0, self->pending.find("\r\n\r\n") + 4);
          self->owner.requests_.fetch_add(1);
          if (!self->answer()) return;
        }
        self->read();
      });
    }
    // Returns false when the connection is gone.
    bool answer() {
      boost::system::error_code ec;
      switch (owner.behaviour_) {
        case Behaviour::kGarbage:
          boost::asio::write(socket, boost::asio::buffer(std::string("\x01\x02garbage\r\n\r\n")), ec);
          return true;
        case Behaviour::kCloseMidBody:
          boost::asio::write(socket, boost::asio::buffer(std::string(
                                         "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")),
                             ec);
          socket.close(ec);
          return false;
        case Behaviour::kReset:
          socket.set_option(boost::asio::socket_base::linger(true, 0), ec);
          socket.close(ec);
          return false;
        case Behaviour::kNeverAnswer:
          return true;
        case Behaviour::kCloseAfterRead:
          socket.close(ec);
          return false;
        case Behaviour::kAnswerThenJunk:
          boost::asio::write(socket, boost::asio::buffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" +
                                                         std::string(300 * 1024, 'j')),
                             ec);
          return true;
        case Behaviour::kEndlessHeaders:
          boost::asio::write(socket, boost::asio::buffer("HTTP/1.1 200 OK\r\nX-Endless: " +
                                                         std::string(1 << 20, 'h')),
                             ec);
          return true;
        case Behaviour::kEndlessBody: {
          std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
          for (int i = 0; i < 1024; ++i) chunks += "1000\r\n" + std::string(4096, 'b') + "\r\n";
          boost::asio::write(socket, boost::asio::buffer(chunks), ec);
          return true;
        }
      }
      return false;
    }
    boost::asio::ip::tcp::socket socket;
    ScriptedServer& owner;
    char buffer[4096];
    std::string pending;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
      if (ec) return;
      std::make_shared<Connection>(std::move(socket), *this)->read();
      accept();
    });
  }

  const Behaviour behaviour_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<int64_t> requests_{0};
  std::thread thread_;
};

// A loopback port that refuses connections: bound to 127.0.0.1:0 and held, never listening,
// so no other test or process can take it while the test runs (connecting gets RST).
class RefusingPort {
 public:
  RefusingPort() : acceptor_(io_) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port()) + "/";
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace nightjar::testing
