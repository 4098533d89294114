// A profile saved from flags (`nightjar profiles save NAME [flags] URL...`) runs what
// `nightjar load` with the same flags runs: the options built from the flags, written as an
// SMPS test file and read back, are the same options, over many combinations of flags.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "cli/load_flags.h"
#include "config/smps_test.h"
#include "config/smps_writer.h"
#include "support/data_files.h"

namespace nightjar::cli {
namespace {

Result<load::LoadOptions> options_of(const std::vector<std::string>& args) {
  CLI::App app;
  LoadFlags flags;
  add_test_flags(app, flags, true);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Status::invalid_argument(e.what());
  }
  return build_load_options(flags);
}

using testing::temp_file;
using testing::tls_file;

// Every flag of `nightjar load` that defines the test, alone and in combination.
std::vector<std::vector<std::string>> flag_combinations() {
  const std::string http = "http://127.0.0.1:8080/";
  const std::string https = "https://localhost:8443/";
  const std::string body = temp_file("body.bin", std::string("\x00\x10\xff text \n", 9));
  const std::string text_body =
      temp_file("body.json", "{\"sku\": 42, \"name\": \"caf\xc3\xa9\"}\n");
  const std::string message = temp_file("message.bin", std::string("\x0a\x02hi", 4));
  std::vector<std::vector<std::string>> all = {
      {http},
      {http, "http://127.0.0.1:8080/b?x=1&y=2"},
      {http, "--rps", "1000", "-d", "30s", "-c", "20"},
      {http, "--rps", "0", "-d", "1m30s", "-c", "100", "-t", "4"},
      {http, "--rps", "2.5", "-n", "100"},
      {http, "--rps", "0.001", "-n", "1", "-d", "1h"},
      {http, "--rps", "9999999.5", "-d", "1ns"},
      {http, "-n", "10000", "--warmup", "2s", "--timeout", "250ms", "--max-pending", "0"},
      {http, "--warmup", "1h", "--timeout", "1ms", "--max-pending", "1000000", "-t", "256"},
      {http, "-m", "POST"},
      {http, "-m", "DELETE", "--body", "x"},
      {http, "--body", "plain"},
      {http, "--body", "{\"a\": 1}", "--content-type", "application/json"},
      {http, "-H", "X-A: 1", "-H", "X-B: two words", "-H", "Authorization: Bearer abc.def"},
      {http, "-H", "Content-Type: text/plain", "-H", "X-After: 1"},
      {http, "-H", "Cookie: a=1", "--content-type", "text/csv", "--body", "a,b\n1,2\n"},
      {http, "-H", "Host: example.com", "-H", "X-Yes: yes", "-H", "X-Num: 0123", "-H",
       "X-Null: null"},
      {http, "--body-file", body},
      {http, "--body-file", text_body, "-m", "PUT", "--content-type", "application/json"},
      {http, "--protocol", "h2", "--max-concurrent-streams", "10"},
      {http, "--protocol", "http1"},
      {"h2c://127.0.0.1:8080/", "--max-concurrent-streams", "100", "-c", "4"},
      {https},
      {https, "--protocol", "h2"},
      {https, "--protocol", "http1", "--ca-file", tls_file("ca.pem")},
      {https, "--insecure", "--sni", "api.example"},
      {https, "--ca-file", tls_file("ca.pem"), "--cert", tls_file("client.pem"), "--key",
       tls_file("client.key")},
      {"grpc://127.0.0.1:8080"},
      {"grpc://127.0.0.1:8080", "--grpc-health", "--rps", "500", "-d", "10s"},
      {"grpcs://localhost:8443", "--grpc-method", "/shop.Cart/Get", "--grpc-data-file", message,
       "--insecure"},
      {"grpc://127.0.0.1:8080", "--grpc-method", "/nightjar.test.v1.TestService/Ping"},
      {"grpc://127.0.0.1:8080", "-H", "x-nightjar-control: size=256", "--max-concurrent-streams",
       "8"},
      {http, "--name", "checkout p99", "--label", "mesh=istio", "--label", "mesh_version=1.22"},
      {http, "--rps", "800", "-d", "20s", "--arrival", "poisson", "--seed", "42"},
      {http, "--stages", "10s:100,30s:100,5s:1000.5"},
      {http, "--stages", "1m:300", "--start-rps", "20", "--warmup", "5s", "--arrival", "poisson",
       "--seed", "9007199254740991"},
      {http, "--pace-file", temp_file("pace.csv", "offset,rate\n0,50\n10s,250\n"), "-d", "30s"},
      {http, "--name", "true", "--label", "123=null", "--label", "k=caf\xc3\xa9: #1"},
  };
  // Every one of them again with the flags that matter to all.
  const size_t singles = all.size();
  for (size_t i = 0; i < singles; ++i) {
    std::vector<std::string> more = all[i];
    for (const auto& [flag, value] : {std::pair{"-n", "50"}, std::pair{"-c", "3"},
                                      std::pair{"--timeout", "3s"}, std::pair{"--name", "x"}}) {
      if (std::find(more.begin(), more.end(), flag) != more.end()) continue;
      const bool shaped = std::find(more.begin(), more.end(), "--stages") != more.end() ||
                          std::find(more.begin(), more.end(), "--pace-file") != more.end();
      if (shaped && std::string(flag) == "-n") continue;  // a shaped run is bounded by time
      more.emplace_back(flag);
      more.emplace_back(value);
    }
    all.push_back(more);
  }
  return all;
}

TEST(ProfileOptions, LoadOptionsWrittenAsATestFileReadBackTheSame) {
  for (const std::vector<std::string>& args : flag_combinations()) {
    SCOPED_TRACE(::testing::PrintToString(args));
    auto options = options_of(args);
    ASSERT_TRUE(options.ok()) << options.status().message();
    auto text = config::write_smps_test(config::plan_of(*options));
    ASSERT_TRUE(text.ok()) << text.status().message();
    auto plan = config::parse_smps_test(*text, "profile");
    ASSERT_TRUE(plan.ok()) << plan.status().message() << "\n" << *text;
    ASSERT_EQ(plan->clients.size(), 1u);
    const load::LoadOptions& back = plan->clients[0].options;
    EXPECT_TRUE(back == *options) << *text;
    // field by field, so a failure says which
    EXPECT_EQ(back.run.urls, options->run.urls);
    EXPECT_EQ(back.run.requested_rps, options->run.requested_rps);
    EXPECT_EQ(back.run.duration_ns, options->run.duration_ns);
    EXPECT_EQ(back.run.requests, options->run.requests);
    EXPECT_EQ(back.run.protocol, options->run.protocol);
    EXPECT_EQ(back.request.method, options->request.method);
    EXPECT_EQ(back.request.headers, options->request.headers);
    EXPECT_EQ(back.request.body, options->request.body);
    EXPECT_EQ(back.grpc_message, options->grpc_message);
    EXPECT_TRUE(back.tls == options->tls);
    EXPECT_EQ(back.run.labels, options->run.labels);
    EXPECT_EQ(back.run.test_name, options->run.test_name);
  }
}

}  // namespace
}  // namespace nightjar::cli
