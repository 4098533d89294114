#include "server/control.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "server/address.h"

namespace nightjar::server {
namespace {

ResponseControls apply_ok(std::string_view text) {
  ControlParser parser;
  ResponseControls controls;
  const Status status = parser.apply(text, controls);
  EXPECT_TRUE(status.ok()) << text << ": " << status.message();
  return controls;
}

std::string apply_error(std::string_view text) {
  ControlParser parser;
  ResponseControls controls;
  const Status status = parser.apply(text, controls);
  EXPECT_FALSE(status.ok()) << text;
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << text;
  return status.message();
}

TEST(ControlParser, DefaultsWhenNothingIsAsked) {
  const ResponseControls controls = apply_ok("");
  EXPECT_EQ(controls.status, 200);
  EXPECT_EQ(controls.size_bytes, 0u);
  EXPECT_EQ(controls.delay_ns, 0);
  EXPECT_FALSE(controls.close);
  EXPECT_EQ(controls.extra_headers, "");
}

TEST(ControlParser, ReadsTheHttp2Controls) {
  const ResponseControls both = apply_ok("reset=1&goaway=true");
  EXPECT_TRUE(both.reset_stream);
  EXPECT_TRUE(both.goaway);
  const ResponseControls neither = apply_ok("reset=0&goaway=false");
  EXPECT_FALSE(neither.reset_stream);
  EXPECT_FALSE(neither.goaway);
  EXPECT_NE(apply_error("reset=yes").find("'reset=yes': expected 1 or 0"), std::string::npos);
  EXPECT_NE(apply_error("goaway=2").find("'goaway=2'"), std::string::npos);
}

TEST(ControlParser, GrpcDialectTakesGrpcStatusesAndIgnoresHttpOnlyControls) {
  ControlParser parser;
  ResponseControls controls;
  ASSERT_TRUE(
      parser
          .apply("status=14&size=2k&delay=5ms&header=X:1&close=1", controls, ControlDialect::kGrpc)
          .ok());
  EXPECT_EQ(controls.grpc_status, 14);
  EXPECT_EQ(controls.status, 200);  // the HTTP status is not touched
  EXPECT_EQ(controls.size_bytes, 2048u);
  EXPECT_EQ(controls.delay_ns, 5'000'000);
  EXPECT_EQ(controls.extra_headers, "");
  EXPECT_FALSE(controls.close);
  for (const char* good : {"status=0", "status=9", "status=16"}) {
    EXPECT_TRUE(parser.apply(good, controls, ControlDialect::kGrpc).ok()) << good;
  }
  for (const char* bad : {"status=17", "status=-1", "status=200", "status=01x", "status="}) {
    const Status status = parser.apply(bad, controls, ControlDialect::kGrpc);
    EXPECT_FALSE(status.ok()) << bad;
    EXPECT_NE(status.message().find(std::string("'") + bad + "'"), std::string::npos)
        << status.message();
  }
}

TEST(ControlParser, ReadsEveryControl) {
  const ResponseControls controls =
      apply_ok("size=100&status=503&delay=1.5ms&header=X-A:b&header=X-C: d e &close=1");
  EXPECT_EQ(controls.size_bytes, 100u);
  EXPECT_EQ(controls.status, 503);
  EXPECT_EQ(controls.delay_ns, 1'500'000);
  EXPECT_TRUE(controls.close);
  EXPECT_EQ(controls.extra_headers, "X-A: b\r\nX-C: d e\r\n");
  EXPECT_FALSE(controls.has_content_type);
}

TEST(ControlParser, SizeTakesKAndMSuffixes) {
  EXPECT_EQ(apply_ok("size=4k").size_bytes, 4096u);
  EXPECT_EQ(apply_ok("size=4K").size_bytes, 4096u);
  EXPECT_EQ(apply_ok("size=2m").size_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(apply_ok("size=0").size_bytes, 0u);
}

TEST(ControlParser, LaterValuesOverrideEarlierOnes) {
  ControlParser parser;
  ResponseControls controls;
  ASSERT_TRUE(parser.apply("size=1&status=201", controls).ok());
  ASSERT_TRUE(parser.apply("size=2", controls).ok());
  EXPECT_EQ(controls.size_bytes, 2u);
  EXPECT_EQ(controls.status, 201);
}

TEST(ControlParser, IgnoresUnknownKeysAndEmptyParts) {
  const ResponseControls controls = apply_ok("a=1&&cachebuster=xyz&size=3&");
  EXPECT_EQ(controls.size_bytes, 3u);
}

TEST(ControlParser, PercentDecodesValues) {
  const ResponseControls controls = apply_ok("header=X-A%3Ahello%20world");
  EXPECT_EQ(controls.extra_headers, "X-A: hello world\r\n");
}

TEST(ControlParser, NotesAContentTypeHeader) {
  EXPECT_TRUE(apply_ok("header=content-type:application/json").has_content_type);
}

TEST(ControlParser, RejectsMalformedControlsNamingThem) {
  for (const char* bad : {"size=abc",
                          "size=",
                          "size=-1",
                          "size=12x",
                          "size=99999999999999999999",
                          "size=2000000m",
                          "status=99",
                          "status=600",
                          "status=2000",
                          "status=abc",
                          "status=",
                          "delay=10",
                          "delay=-1s",
                          "delay=abc",
                          "header=novalue",
                          "header=:v",
                          "header=Bad Name:v",
                          "header=X:a%0Db",
                          "header=X:a%0Ab",
                          "header=X:%00",
                          "header=Content-Length:5",
                          "header=connection:close",
                          "header=Transfer-Encoding:chunked",
                          "close=yes",
                          "close=",
                          "size=%zz",
                          "size=1%"}) {
    const std::string message = apply_error(bad);
    EXPECT_NE(message.find(std::string("'") + bad + "'"), std::string::npos)
        << bad << " -> " << message;
  }
}

TEST(ControlParser, EnforcesEachControlsMaximumNamingIt) {
  EXPECT_EQ(apply_ok("delay=10m").delay_ns, kMaxDelayNs);
  EXPECT_NE(apply_error("delay=10m1ms").find("bad control 'delay=10m1ms': longer than the maximum"),
            std::string::npos);
  EXPECT_EQ(apply_ok("size=1099511627776").size_bytes, kMaxResponseBodyBytes);
  EXPECT_NE(apply_error("size=1099511627777").find("'size=1099511627777': larger than 1 TiB"),
            std::string::npos);

  std::string headers;
  for (uint32_t i = 0; i < kMaxHeaderControls; ++i) headers += "header=X-" + std::to_string(i) + ":v&";
  EXPECT_EQ(apply_ok(headers).extra_header_count, kMaxHeaderControls);
  EXPECT_NE(apply_error(headers + "header=X-Last:v").find("'header=X-Last:v': more than 64"),
            std::string::npos);
  // The count and bytes hold across the query and the header, which add up.
  ControlParser parser;
  ResponseControls controls;
  ASSERT_TRUE(parser.apply("header=X-A:" + std::string(5000, 'a'), controls).ok());
  const Status status = parser.apply("header=X-B:" + std::string(5000, 'b'), controls);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("add more than 8192 bytes"), std::string::npos)
      << status.message();
}

TEST(ControlParser, SurvivesRandomInput) {
  std::mt19937 random(12345);
  ControlParser parser;
  ResponseControls controls;
  const std::string alphabet = "sizesttusdelayheaderclose=&%:0123456789kmsX-\r\n\t \x01\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int j = 0; j < length; ++j) text.push_back(alphabet[random() % alphabet.size()]);
    controls.reset();
    const Status status = parser.apply(text, controls);
    if (status.ok()) {
      // The only CR and LF in the added headers are the line ends the parser wrote.
      std::string lines = controls.extra_headers;
      for (size_t at = lines.find("\r\n"); at != std::string::npos; at = lines.find("\r\n")) {
        lines.erase(at, 2);
      }
      EXPECT_EQ(lines.find_first_of("\r\n"), std::string::npos) << text;
      EXPECT_GE(controls.status, 100);
      EXPECT_LE(controls.status, 599);
    }
  }
}

TEST(QueryOf, TakesThePartAfterTheQuestionMark) {
  EXPECT_EQ(query_of("/"), "");
  EXPECT_EQ(query_of("/a?size=1"), "size=1");
  EXPECT_EQ(query_of("/a?size=1#frag"), "size=1");
  EXPECT_EQ(query_of("/a?"), "");
}

TEST(ListenAddress, ParsesIpv4Ipv6AndShorthands) {
  auto v4 = parse_listen_address("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok()) << v4.status().message();
  EXPECT_EQ(format_endpoint(*v4), "127.0.0.1:8080");
  auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(format_endpoint(*v6), "[::1]:0");
  EXPECT_EQ(format_endpoint(*parse_listen_address("localhost:1")), "127.0.0.1:1");
  EXPECT_EQ(format_endpoint(*parse_listen_address(":80")), "0.0.0.0:80");
  EXPECT_EQ(format_endpoint(*parse_listen_address("*:80")), "0.0.0.0:80");
}

TEST(ListenAddress, RejectsMalformedTextNamingIt) {
  for (const char* bad :
       {"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:http", "1.2.3:80",
        "::1:80", "[::1:80", "[]:80", "[127.0.0.1]:80", "example.com:80", "127.0.0.1:-1"}) {
    auto result = parse_listen_address(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(result.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << result.status().message();
  }
}

}  // namespace
}  // namespace nightjar::server
