#include "http/http1_response_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace nightjar::http {
namespace {

using State = Http1ResponseParser::State;

// Feeds `wire` in pieces of `step` bytes, keeping unconsumed bytes as a socket reader does.
State feed_in_steps(Http1ResponseParser& p, const std::string& wire, size_t step) {
  std::string pending;
  for (size_t pos = 0; pos < wire.size() && p.state() == State::kNeedMore; pos += step) {
    pending += wire.substr(pos, step);
    const size_t used = p.feed(pending.data(), pending.size());
    pending.erase(0, used);
  }
  return p.state();
}

TEST(Http1ResponseParser, ParsesAContentLengthResponse) {
  Http1ResponseParser p;
  p.start(false);
  const std::string wire = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(p.feed(wire.data(), wire.size()), wire.size());
  EXPECT_EQ(p.state(), State::kDone) << p.error();
  EXPECT_EQ(p.status_code(), 201);
  EXPECT_EQ(p.body_bytes(), 5u);
  EXPECT_TRUE(p.keep_alive());
}

TEST(Http1ResponseParser, ParsesAChunkedResponseSplitAtEveryByte) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
  for (size_t step = 1; step <= wire.size(); ++step) {
    Http1ResponseParser p;
    p.start(false);
    ASSERT_EQ(feed_in_steps(p, wire, step), State::kDone) << "step " << step;
    EXPECT_EQ(p.body_bytes(), 9u);
  }
}

TEST(Http1ResponseParser, StopsAtTheEndOfOneResponse) {
  Http1ResponseParser p;
  p.start(false);
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string wire = first + "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(p.feed(wire.data(), wire.size()), first.size());
  EXPECT_EQ(p.state(), State::kDone);
}

TEST(Http1ResponseParser, IsReusableForTheNextResponse) {
  Http1ResponseParser p;
  for (int i = 0; i < 3; ++i) {
    p.start(false);
    const std::string wire = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    p.feed(wire.data(), wire.size());
    ASSERT_EQ(p.state(), State::kDone);
    EXPECT_EQ(p.status_code(), 404);
  }
}

TEST(Http1ResponseParser, SkipsInterimResponses) {
  Http1ResponseParser p;
  p.start(false);
  const std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(feed_in_steps(p, wire, wire.size()), State::kDone);
  EXPECT_EQ(p.status_code(), 200);
}

TEST(Http1ResponseParser, HeadResponsesHaveNoBody) {
  Http1ResponseParser p;
  p.start(true);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  p.feed(wire.data(), wire.size());
  EXPECT_EQ(p.state(), State::kDone);
  EXPECT_EQ(p.body_bytes(), 0u);
}

TEST(Http1ResponseParser, ReadUntilCloseBodyEndsAtEof) {
  Http1ResponseParser p;
  p.start(false);
  const std::string wire = "HTTP/1.0 200 OK\r\n\r\nsome body";
  p.feed(wire.data(), wire.size());
  EXPECT_EQ(p.state(), State::kNeedMore);
  p.feed_eof();
  EXPECT_EQ(p.state(), State::kDone);
  EXPECT_EQ(p.body_bytes(), 9u);
  EXPECT_FALSE(p.keep_alive());
}

TEST(Http1ResponseParser, EofBeforeAnyByteIsAnError) {
  Http1ResponseParser p;
  p.start(false);
  p.feed_eof();
  EXPECT_EQ(p.state(), State::kError);
  EXPECT_FALSE(p.started());
}

TEST(Http1ResponseParser, EofInsideAContentLengthBodyIsAnError) {
  Http1ResponseParser p;
  p.start(false);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
  p.feed(wire.data(), wire.size());
  EXPECT_EQ(p.state(), State::kNeedMore);
  EXPECT_TRUE(p.started());
  p.feed_eof();
  EXPECT_EQ(p.state(), State::kError);
}

TEST(Http1ResponseParser, ConnectionCloseIsNotKeepAlive) {
  Http1ResponseParser p;
  p.start(false);
  const std::string wire = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  p.feed(wire.data(), wire.size());
  ASSERT_EQ(p.state(), State::kDone);
  EXPECT_FALSE(p.keep_alive());
}

TEST(Http1ResponseParser, RejectsGarbage) {
  for (const std::string& wire : {std::string("\x01\x02garbage\r\n\r\n"), std::string("HTTP/1.1 abc OK\r\n\r\n"),
                                 std::string("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
                                 std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
    Http1ResponseParser p;
    p.start(false);
    p.feed(wire.data(), wire.size());
    EXPECT_EQ(p.state(), State::kError) << wire;
    EXPECT_FALSE(p.error().empty());
  }
}

TEST(Http1ResponseParser, CountsAHugeBodyWithoutKeepingIt) {
  Http1ResponseParser p;
  p.start(false);
  const std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n";
  p.feed(header.data(), header.size());
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.feed(chunk.data(), chunk.size()), chunk.size());
  EXPECT_EQ(p.state(), State::kNeedMore);
  EXPECT_EQ(p.body_bytes(), 100u * chunk.size());
}

// Mutated and random inputs: the parser must end in a defined state and never consume
// more than it was given. (The libFuzzer target in test/fuzz explores further.)
TEST(Http1ResponseParser, SurvivesRandomAndMutatedInput) {
  const std::string seed =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n4\r\nWiki\r\n0\r\n\r\n";
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string wire = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % wire.size();
      switch (rng() % 3) {
        case 0: wire[at] = static_cast<char>(rng()); break;
        case 1: wire.erase(at, 1 + rng() % 4); break;
        default: wire.insert(at, 1, static_cast<char>(rng())); break;
      }
      if (wire.empty()) wire = "x";
    }
    Http1ResponseParser p;
    p.start(rng() % 2 == 0);
    const size_t step = 1 + rng() % 16;
    std::string pending;
    for (size_t pos = 0; pos < wire.size() && p.state() == State::kNeedMore; pos += step) {
      pending += wire.substr(pos, step);
      const size_t used = p.feed(pending.data(), pending.size());
      ASSERT_LE(used, pending.size());
      pending.erase(0, used);
    }
    if (p.state() == State::kNeedMore) p.feed_eof();
    EXPECT_NE(p.state(), State::kNeedMore);
  }
}

}  // namespace
}  // namespace nightjar::http
