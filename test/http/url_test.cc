#include "http/url.h"

#include <gtest/gtest.h>

#include "http/request.h"

namespace nightjar::http {
namespace {

TEST(ParseUrl, SplitsAFullUrl) {
  auto url = parse_url("http://example.test:8080/a/b?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "example.test");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path_and_query, "/a/b?x=1");
  EXPECT_EQ(url->authority, "example.test:8080");
}

TEST(ParseUrl, DefaultsPortAndPath) {
  auto url = parse_url("HTTP://127.0.0.1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->path_and_query, "/");
  EXPECT_EQ(parse_url("http://h?q=1")->path_and_query, "/?q=1");
}

TEST(ParseUrl, AcceptsBracketedIpv6) {
  auto url = parse_url("http://[::1]:9000/x");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->authority, "[::1]:9000");
}

TEST(ParseUrl, RejectsBadUrlsNamingTheProblem) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {Case{"not-a-url", "scheme://"}, Case{"ftp://h/", "unknown scheme"},
                        Case{"http://", "host is empty"}, Case{"http://h:0/", "port"},
                        Case{"http://h:99999/", "port"}, Case{"http://h:x/", "port"},
                        Case{"http://h:/", "port"}, Case{"http://[::1/", "']'"},
                        Case{"http://h/a b", "space"}, Case{"http://u@h/", "user information"},
                        Case{"gopher://h/", "unknown scheme"}}) {
    auto url = parse_url(c.text);
    ASSERT_FALSE(url.ok()) << c.text;
    EXPECT_NE(url.status().message().find(c.says), std::string::npos)
        << c.text << ": " << url.status().message();
    EXPECT_NE(url.status().message().find(c.text), std::string::npos);
  }
}

TEST(ParseHeader, SplitsNameAndTrimmedValue) {
  auto h = parse_header("X-Test:   some value  ");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->first, "X-Test");
  EXPECT_EQ(h->second, "some value");
}

TEST(ParseHeader, RejectsMalformedHeaders) {
  EXPECT_FALSE(parse_header("no colon").ok());
  EXPECT_FALSE(parse_header(": empty name").ok());
  EXPECT_FALSE(parse_header("Bad Name: v").ok());
  EXPECT_FALSE(parse_header("X: a\r\nInjected: b").ok());
}

TEST(SerializeRequest, BuildsAKeepAliveRequestWithHostAndBody) {
  RequestSpec spec;
  spec.method = "POST";
  spec.headers = {{"X-A", "1"}};
  spec.body = "hello";
  const std::string wire = serialize_http1_request(spec, *parse_url("http://h:81/p?q"));
  EXPECT_EQ(wire,
            "POST /p?q HTTP/1.1\r\nHost: h:81\r\nUser-Agent: nightjar/0.1\r\nX-A: 1\r\n"
            "Content-Length: 5\r\n\r\nhello");
}

TEST(SerializeRequest, AGivenHostHeaderReplacesTheUrls) {
  RequestSpec spec;
  spec.headers = {{"host", "other"}};
  const std::string wire = serialize_http1_request(spec, *parse_url("http://h/"));
  EXPECT_EQ(wire.find("Host: h"), std::string::npos);
  EXPECT_NE(wire.find("host: other\r\n"), std::string::npos);
}

}  // namespace
}  // namespace nightjar::http
