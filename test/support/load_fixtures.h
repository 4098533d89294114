// LoadOptions for tests of the load engine (and of what drives it): one builder with the
// settings every such test starts from, so a test states only what it is about.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/duration.h"
#include "http/url.h"
#include "load/load_options.h"

namespace nightjar::testing {

// A run against `urls` (one scheme, host and port), as the CLI would build it without
// flags beyond these: the protocol and TLS the scheme implies (resolve_protocol with no
// --protocol), 8 streams per connection where the protocol is HTTP/2 or may be, 2
// connections on 1 thread, a 5 s timeout, up to 10000 requests pending, closed loop, no
// duration, and `requests` requests (0: unbounded, the test sets a bound). A URL that does
// not parse fails the test.
inline load::LoadOptions load_options(const std::vector<std::string>& urls, int64_t requests = 0) {
  load::LoadOptions o;
  for (const std::string& url : urls) {
    auto parsed = http::parse_url(url);
    EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status().message();
    if (!parsed.ok()) continue;
    o.urls.push_back(*parsed);
    o.run.urls.push_back(url);
  }
  if (!o.urls.empty()) {
    auto protocol = load::resolve_protocol(o.urls, "");
    EXPECT_TRUE(protocol.ok()) << protocol.status().message();
    if (protocol.ok()) o.run.protocol = *protocol;
    o.run.tls = load::uses_tls(o.urls.front());
  }
  o.run.max_concurrent_streams = o.run.protocol == "http/1.1" ? 1 : 8;
  o.run.requests = requests;
  o.run.duration_ns = 0;
  o.run.connections = 2;
  o.run.threads = 1;
  o.run.timeout_ns = 5 * kNanosPerSecond;
  o.run.max_pending = 10000;
  return o;
}

inline load::LoadOptions load_options(const std::string& url, int64_t requests = 0) {
  return load_options(std::vector<std::string>{url}, requests);
}

}  // namespace nightjar::testing
