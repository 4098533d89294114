// SMPS test files written by nightjar (config/smps_writer.h) and the `nightjar:` section
// read by parse_smps_test: a plan written and read back is the same plan, whatever options
// it holds; the section's values are checked with messages naming the field, line and
// column; Meshery's form holds only the fields of Meshery's schema.
#include "config/smps_writer.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "common/duration.h"
#include "config/smps_test.h"
#include "http/grpc.h"
#include "support/data_files.h"

namespace nightjar::config {
namespace {

using testing::read_test_data;
using testing::temp_file;
using testing::tls_file;

TestPlan parse(const std::string& text) {
  auto plan = parse_smps_test(text, "t.yaml");
  EXPECT_TRUE(plan.ok()) << plan.status().message() << "\n" << text;
  return plan.ok() ? *plan : TestPlan{};
}

std::string error_of(const std::string& text) {
  auto plan = parse_smps_test(text, "t.yaml");
  EXPECT_FALSE(plan.ok()) << text;
  return plan.ok() ? "" : plan.status().message();
}

// Writes `plan`, reads it back and expects the same plan; writing that again gives the same
// text. Returns the text.
std::string expect_round_trip(const TestPlan& plan) {
  auto text = write_smps_test(plan);
  EXPECT_TRUE(text.ok()) << text.status().message();
  if (!text.ok()) return "";
  const TestPlan back = parse(*text);
  EXPECT_TRUE(back == plan) << "read back differently:\n" << *text;
  auto again = write_smps_test(back);
  EXPECT_TRUE(again.ok() && *again == *text) << *text << "\nthen\n" << (again.ok() ? *again : "");
  return *text;
}

const std::string kClient = "clients: [{endpointUrls: ['http://127.0.0.1:8080/']}]\n";

TEST(SmpsWriter, TheRepositorysTestFilesReadBackIntoTheSamePlan) {
  for (const char* file : {"config/legacy.yaml", "config/camel.json"}) {
    SCOPED_TRACE(file);
    const std::string text = expect_round_trip(parse(read_test_data(file)));
    EXPECT_EQ(text.find("nightjar:"), std::string::npos) << "SMPS alone says it all:\n" << text;
    EXPECT_NE(text.find("endpointUrls:"), std::string::npos) << "the current camelCase shape:\n"
                                                             << text;
  }
}

TEST(SmpsWriter, EveryNightjarOptionReadsBackIntoTheSamePlan) {
  const std::string binary("\x00\x01\xff\xfe body", 9);
  const std::string body_file = temp_file("body.bin", binary);
  const std::string message_file = temp_file("message.bin", std::string("\x0a\x03\x61\x62\x63", 5));
  const std::vector<std::string> tests = {
      // the defaults, spelled out
      "duration: 10s\n" + kClient +
          "nightjar: {threads: 1, timeout: 10s, maxPending: 10000, maxConcurrentStreams: 1}\n",
      // rate, bounds, pacing and queue
      "duration: 1m30s\n" + kClient +
          "nightjar: {rps: 2.5, requests: 1000, warmup: 1s500ms, timeout: 250ms,\n"
          "  threads: 4, maxPending: 0}\n",
      "duration: 0s\n" + kClient + "nightjar: {requests: 7, rps: 0.001}\n",
      "duration: 24h\n" + kClient + "nightjar: {rps: 10000000, timeout: 1h, warmup: 1ns}\n",
      // request: a method for the body or against it, headers in order, cookies, binary bodies
      "duration: 1s\nclients:\n  - endpointUrls: ['http://127.0.0.1:8080/a', "
      "'http://127.0.0.1:8080/b?q=1']\n"
      "    headers: {X-Z: last, X-A: first, Accept: '*/*'}\n    cookies: {s: '1', t: '2'}\n"
      "    body: \"line\\n\\ttab \\u00e9 \\\"q\\\"\"\n    contentType: application/json\n"
      "nightjar: {method: PUT}\n",
      "duration: 1s\n" + kClient + "nightjar: {method: POST}\n",
      "duration: 1s\n" + kClient + "nightjar: {bodyFile: '" + body_file + "', method: PATCH}\n",
      "duration: 1s\n" + kClient + "nightjar: {bodyBase64: 'AAH//iBib2R5'}\n",
      "duration: 1s\nclients:\n  - endpointUrls: ['http://127.0.0.1:8080/']\n"
      "    headers: {Content-Type: text/plain, X-After: '1'}\n",
      // protocols
      "duration: 1s\n" + kClient + "nightjar: {protocol: h2, maxConcurrentStreams: 8}\n",
      "duration: 1s\nclients: [{endpointUrls: ['h2c://127.0.0.1:8080/']}]\nnightjar: "
      "{maxConcurrentStreams: 3}\n",
      "duration: 1s\nclients: [{endpointUrls: ['https://127.0.0.1:8443/']}]\n",
      "duration: 1s\nclients: [{endpointUrls: ['https://127.0.0.1:8443/']}]\nnightjar: {protocol: "
      "http1}\n",
      // TLS
      "duration: 1s\nclients: [{endpointUrls: ['https://localhost:8443/'], sslCertificate: '" +
          tls_file("ca.pem") + "'}]\n",
      "duration: 1s\nclients: [{endpointUrls: ['https://localhost:8443/']}]\nnightjar:\n  "
      "protocol: h2\n  tls:\n"
      "    caFile: '" +
          tls_file("ca.pem") + "'\n    sni: other.example\n    cert: '" + tls_file("client.pem") +
          "'\n    key: '" + tls_file("client.key") + "'\n",
      "duration: 1s\nclients: [{endpointUrls: ['https://localhost:8443/']}]\nnightjar: {tls: "
      "{insecure: true}}\n",
      // gRPC: the built-in ping, a method with and without a message, health
      "duration: 1s\nclients: [{protocol: grpc, endpointUrls: ['http://127.0.0.1:8080']}]\n",
      "duration: 1s\nclients: [{protocol: grpc, endpointUrls: ['grpcs://localhost:8443']}]\n"
      "nightjar: {grpc: {method: /shop.Cart/Get, messageFile: '" +
          message_file + "', health: true}}\n",
      "duration: 1s\nclients: [{protocol: grpc, endpointUrls: ['grpc://127.0.0.1:8080']}]\n"
      "nightjar: {grpc: {method: /nightjar.test.v1.TestService/Ping}}\n",
      // names and labels that look like other YAML types stay strings
      "name: 'true'\nlabels: {'123': 'null', yes: 'no', mesh: '1.22', e: 'é ü'}\nduration: 1s\n" +
          kClient,
      "name: \"a: b # c\"\nduration: 1s\nclients: [{endpointUrls: ['http://127.0.0.1:8080/'],\n"
      "  headers: {X-On: 'on', X-Num: '0x1F', X-Empty: ''}}]\n",
      // several clients share the section
      "name: two\nduration: 5s\nclients:\n  - {endpointUrls: ['http://127.0.0.1:8080/'], rps: 10, "
      "connections: 2}\n"
      "  - {endpointUrls: ['http://127.0.0.1:9090/'], body: x}\nnightjar: {threads: 2, requests: "
      "100}\n",
  };
  for (const std::string& test : tests) {
    SCOPED_TRACE(test);
    const TestPlan plan = parse(test);
    ASSERT_FALSE(plan.clients.empty());
    expect_round_trip(plan);
  }
  const std::string written = expect_round_trip(
      parse("duration: 1s\n" + kClient + "nightjar: {bodyFile: '" + body_file + "'}\n"));
  EXPECT_NE(written.find("bodyBase64:"), std::string::npos) << "a body that is not text:\n"
                                                            << written;
}

TEST(SmpsWriter, TheOptionsOfALoadAreThoseOfItsPlan) {
  TestPlan plan =
      parse("name: n\nlabels: {k: v}\nduration: 0s\n" + kClient + "nightjar: {requests: 5}\n");
  const TestPlan one = plan_of(plan.clients[0].options);
  EXPECT_TRUE(one == plan);
}

TEST(SmpsWriter, RepeatedHeaderNamesAreJoinedIntoOne) {
  TestPlan plan = parse("duration: 1s\n" + kClient);
  auto& headers = plan.clients[0].options.request.headers;
  headers = {{"Accept", "a"}, {"Cookie", "x=1"}, {"Accept", "b"}, {"Cookie", "y=2"}};
  plan.clients[0].options.run.headers = headers;
  auto text = write_smps_test(plan);
  ASSERT_TRUE(text.ok()) << text.status().message();
  const TestPlan back = parse(*text);
  const std::vector<std::pair<std::string, std::string>> joined = {{"Accept", "a, b"},
                                                                   {"Cookie", "x=1; y=2"}};
  EXPECT_EQ(back.clients[0].options.request.headers, joined);
}

TEST(SmpsWriter, RefusesWhatATestFileCannotHold) {
  TestPlan two = parse(
      "duration: 1s\nclients:\n  - {endpointUrls: ['http://127.0.0.1:8080/']}\n"
      "  - {endpointUrls: ['http://127.0.0.1:9090/']}\n");
  two.clients[1].options.run.threads = 3;
  auto differ = write_smps_test(two);
  ASSERT_FALSE(differ.ok());
  EXPECT_NE(differ.status().message().find("clients[1]: its nightjar options differ"),
            std::string::npos)
      << differ.status().message();

  TestPlan plan = parse("duration: 1s\n" + kClient);
  plan.labels["bad"] = "\xff\xfe";
  auto bad = write_smps_test(plan);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "labels.bad: not UTF-8 text; a test file cannot hold it");

  TestPlan big = parse("duration: 1s\n" + kClient);
  big.clients[0].options.request.body = std::string(kMaxTestFileBytes, 'x');
  auto too_big = write_smps_test(big);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("more than a test file's limit of 1048576"),
            std::string::npos)
      << too_big.status().message();
}

// The fields of Meshery's PerformanceTestConfig and PerformanceTestClient (its schema,
// meshery-performance-profile-api.yml, has additionalProperties: false on both).
const std::set<std::string> kMesheryTestFields = {"smpVersion", "id",      "name",
                                                  "labels",     "clients", "duration"};
const std::set<std::string> kMesheryClientFields = {
    "internal",    "loadGenerator", "protocol",       "connections",
    "rps",         "headers",       "cookies",        "body",
    "contentType", "endpointUrls",  "sslCertificate", "additionalOptions"};

TEST(SmpsWriter, MesherysFormHoldsOnlyMesherysFieldsAndSaysWhatItLeavesOut) {
  const TestPlan plan = parse(
      "name: checkout\nduration: 30s\nclients:\n  - {protocol: grpc, endpointUrls: "
      "['grpcs://localhost:8443'],"
      " rps: 5}\n  - {endpointUrls: ['h2c://127.0.0.1:8080/'], rps: 5}\nnightjar: {threads: 2, "
      "rps: 2.5}\n");
  auto meshery = write_meshery_test(plan);
  ASSERT_TRUE(meshery.ok()) << meshery.status().message();
  const YAML::Node root = YAML::Load(meshery->text);
  for (const auto& kv : root)
    EXPECT_EQ(kMesheryTestFields.count(kv.first.Scalar()), 1u) << kv.first.Scalar();
  for (const auto& client : root["clients"]) {
    for (const auto& kv : client)
      EXPECT_EQ(kMesheryClientFields.count(kv.first.Scalar()), 1u) << kv.first.Scalar();
    EXPECT_EQ(client["rps"].as<int>(), 3) << "2.5 rounded";
  }
  EXPECT_EQ(root["clients"][0]["endpointUrls"][0].as<std::string>(), "https://localhost:8443/");
  EXPECT_EQ(root["clients"][0]["protocol"].as<std::string>(), "grpc");
  EXPECT_EQ(root["clients"][1]["endpointUrls"][0].as<std::string>(), "http://127.0.0.1:8080/");
  const std::vector<std::string> left_out = {"h2c:// (HTTP/2 with prior knowledge)", "nightjar.rps",
                                             "nightjar.threads"};
  EXPECT_EQ(meshery->left_out, left_out);
  // nightjar runs it too, as Meshery would
  const TestPlan back = parse(meshery->text);
  EXPECT_EQ(back.clients[0].options.run.protocol, "grpc");
  EXPECT_EQ(back.clients[1].options.run.protocol, "http/1.1");

  EXPECT_EQ(write_meshery_test(parse("duration: 1s\n" + kClient)).status().message(),
            "name: Meshery needs a test name");
  EXPECT_NE(
      write_meshery_test(parse("name: n\nduration: 0s\n" + kClient + "nightjar: {requests: 1}\n"))
          .status()
          .message()
          .find("Meshery needs a duration"),
      std::string::npos);
}

// A test file that must be refused, and the whole message.
struct Refused {
  std::string text;
  std::string says;
};

void expect_refused(const std::vector<Refused>& cases) {
  for (const Refused& c : cases) EXPECT_EQ(error_of(c.text), c.says) << c.text;
}

TEST(SmpsNightjarSection, ValuesAreCheckedWithTheFieldLineAndColumn) {
  const std::string head = "duration: 1s\n" + kClient + "nightjar:\n  ";
  expect_refused({
      {head + "thread: 2\n",
       "t.yaml:4:3: nightjar.thread: unknown option (nightjar has rps, arrival, seed, rateShape, requests, warmup, timeout, "
       "threads, maxPending, method, protocol, maxConcurrentStreams, bodyBase64, bodyFile, tls, "
       "grpc)"},
      {head + "threads: 0\n", "t.yaml:4:12: nightjar.threads: must be between 1 and 256"},
      {head + "rps: fast\n", "t.yaml:4:8: nightjar.rps: must be a number, not 'fast'"},
      {head + "rps: 0.0001\n",
       "t.yaml:4:8: nightjar.rps: must be 0 (closed loop) or from 0.001 to 10000000"},
      {head + "timeout: 1us\n", "t.yaml:4:12: nightjar.timeout: must be from 1ms to 1h0m"},
      {head + "warmup: soon\n",
       "t.yaml:4:11: nightjar.warmup: duration 'soon' has no number before 'soon'"},
      {head + "protocol: h3\n", "t.yaml:4:13: nightjar.protocol: must be http1 or h2 (got 'h3')"},
      {head + "tls: {insecure: maybe}\n",
       "t.yaml:4:19: nightjar.tls.insecure: must be true or false"},
      {head + "bodyBase64: '***'\n", "t.yaml:4:15: nightjar.bodyBase64: is not base64"},
      {head + "bodyFile: /nonexistent/body\n",
       "t.yaml:4:13: nightjar.bodyFile: cannot read '/nonexistent/body' (not a regular file)"},
      {head + "bodyFile: /dev/stdin\n",
       "t.yaml:4:13: nightjar.bodyFile: cannot read '/dev/stdin' (not a regular file)"},
      {head + "{bodyBase64: eA==, bodyFile: x}\n",
       "t.yaml:4:32: nightjar.bodyFile: cannot be used together with nightjar.bodyBase64"},
      {"duration: 1s\n" + kClient + "nightjar: [1]\n",
       "t.yaml:3:11: nightjar: must be a map of options"},
      {head + "method: 'GET X'\n",
       "t.yaml:2:11: clients[0]: --method 'GET X' is not a valid HTTP method (a token of at most "
       "32 characters)"},
  });
}

TEST(SmpsNightjarSection, ItMustFitEveryClient) {
  const std::string grpc =
      "duration: 1s\nclients: [{protocol: grpc, endpointUrls: ['http://h:1']}]\n";
  const std::string https = "duration: 1s\nclients: [{endpointUrls: ['https://h/']";
  const std::string ca = "'" + tls_file("ca.pem") + "'";
  expect_refused({
      {"duration: 0s\n" + kClient,
       "t.yaml:1:11: duration: must be above 0 (0s only with nightjar.requests)"},
      {"duration: 1s\nclients: [{endpointUrls: ['http://h/'], body: x}]\nnightjar: {bodyBase64: "
       "eA==}\n",
       "t.yaml:3:24: nightjar.bodyBase64: cannot be used with clients[0].body"},
      {"duration: 1s\n" + kClient + "nightjar: {grpc: {health: true}}\n",
       "t.yaml:3:18: nightjar.grpc: applies to clients with protocol grpc (clients[0] is not)"},
      {grpc + "nightjar: {grpc: {messageBase64: eA==}}\n",
       "t.yaml:3:18: nightjar.grpc: a message needs grpc.method (the built-in ping sends its own "
       "message)"},
      {grpc + "nightjar: {method: GET}\n",
       "t.yaml:3:20: nightjar.method: does not apply to gRPC (calls are POSTs)"},
      {grpc + "nightjar: {protocol: http1}\n",
       "t.yaml:3:22: nightjar.protocol: gRPC runs over HTTP/2; --protocol http1 does not apply"},
      {"duration: 1s\n" + kClient + "nightjar: {tls: {insecure: true}}\n",
       "t.yaml:3:17: nightjar.tls: --ca-file, --insecure, --sni, --cert and --key apply to "
       "https:// and grpcs:// URLs"},
      {https + "}]\nnightjar: {tls: {insecure: true, caFile: " + ca + "}}\n",
       "t.yaml:3:17: nightjar.tls: --insecure and --ca-file cannot be used together"},
      {https + ", sslCertificate: " + ca + "}]\nnightjar: {tls: {caFile: " + ca + "}}\n",
       "t.yaml:3:17: nightjar.tls.caFile: clients[0].sslCertificate names the CA file already"},
  });
}

TEST(SmpsNightjarSection, TheWrappedLegacyShapeTakesItInsideOrBesideTest) {
  const std::string test = "test:\n  duration: 1s\n  clients: [{endpoint_urls: ['http://h/']}]\n";
  EXPECT_EQ(parse(test + "  nightjar: {threads: 3}\n").clients[0].options.run.threads, 3);
  EXPECT_EQ(
      parse(test + "nightjar: {threads: 4}\nmesh: {type: 3}\n").clients[0].options.run.threads, 4);
}

TEST(SmpsNightjarSection, HeadersKeepTheFilesOrder) {
  const TestPlan plan = parse(
      "duration: 1s\nclients: [{endpointUrls: ['http://h/'], headers: {Z: '1', A: '2', M: "
      "'3'}}]\n");
  const std::vector<std::pair<std::string, std::string>> in_order = {
      {"Z", "1"}, {"A", "2"}, {"M", "3"}};
  EXPECT_EQ(plan.clients[0].options.request.headers, in_order);
}

}  // namespace
}  // namespace nightjar::config
