#include "config/smps_test.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/duration.h"
#include "support/data_files.h"

namespace nightjar::config {
namespace {

std::string data(const std::string& name) { return testing::read_test_data("config/" + name); }

std::string error_of(const std::string& text) {
  auto plan = parse_smps_test(text, "t.yaml");
  EXPECT_FALSE(plan.ok()) << text;
  return plan.ok() ? "" : plan.status().message();
}

TEST(SmpsTest, ReadsTheLegacyShapeWithItsMeshSection) {
  auto plan = parse_smps_test(data("legacy.yaml"), "legacy.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->name, "Load Test");
  EXPECT_EQ(plan->duration_ns, 60 * kNanosPerSecond);
  EXPECT_EQ(plan->labels.at("mesh.type"), "3");
  ASSERT_EQ(plan->clients.size(), 1u);
  const load::LoadOptions& o = plan->clients[0].options;
  EXPECT_EQ(o.run.connections, 2);
  EXPECT_DOUBLE_EQ(o.run.requested_rps, 10);
  EXPECT_EQ(o.run.duration_ns, 60 * kNanosPerSecond);
  ASSERT_EQ(o.urls.size(), 1u);
  EXPECT_EQ(o.urls[0].port, 8080);
  EXPECT_EQ(o.request.method, "GET");
  EXPECT_TRUE(o.request.headers.empty());
  EXPECT_EQ(o.run.test_name, "Load Test");
}

TEST(SmpsTest, ReadsTheCamelCaseShapeInJson) {
  auto plan = parse_smps_test(data("camel.json"), "camel.json");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->duration_ns, 90 * kNanosPerSecond);
  EXPECT_EQ(plan->labels.at("mesh"), "istio");
  ASSERT_EQ(plan->clients.size(), 2u);
  const load::LoadOptions& first = plan->clients[0].options;
  EXPECT_EQ(first.run.connections, 4);
  EXPECT_DOUBLE_EQ(first.run.requested_rps, 250);
  EXPECT_EQ(first.urls.size(), 2u);
  EXPECT_EQ(first.request.body, "{\"sku\": 42}");
  EXPECT_EQ(first.request.method, "POST");
  const auto& h = first.request.headers;
  auto has = [&](const std::string& name, const std::string& value) {
    return std::find(h.begin(), h.end(), std::pair{name, value}) != h.end();
  };
  EXPECT_TRUE(has("X-Team", "payments"));
  EXPECT_TRUE(has("Cookie", "session=abc; tier=gold"));
  EXPECT_TRUE(has("Content-Type", "application/json"));
  const load::LoadOptions& second = plan->clients[1].options;
  EXPECT_EQ(second.run.requested_rps, 0);  // rps absent: unthrottled, closed loop
  EXPECT_EQ(second.run.connections, 10);
  EXPECT_EQ(plan->clients[1].name, "client-1");
}

TEST(SmpsTest, ErrorsNameTheFieldLineAndColumn) {
  const std::string text =
      "name: x\n"
      "duration: 10s\n"
      "clients:\n"
      "  - rps: lots\n"
      "    endpoint_urls: ['http://127.0.0.1:1/']\n";
  EXPECT_EQ(error_of(text), "t.yaml:4:10: clients[0].rps: must be a whole number, not 'lots'");
}

TEST(SmpsTest, RejectsMissingAndWrongFields) {
  EXPECT_NE(error_of("name: x\nclients: [{endpoint_urls: ['http://h/']}]\n").find("duration: is missing"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 10\nclients: [{endpoint_urls: ['http://h/']}]\n").find("needs a unit"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\n").find("clients: is missing"), std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: []\n").find("at least one client"), std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{rps: 1}]\n").find("clients[0].endpoint_urls: is missing"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{endpointUrls: ['ftp://h/']}]\n")
                .find("t.yaml:2:27: clients[0].endpointUrls[0]: invalid URL 'ftp://h/'"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{protocol: smtp, endpointUrls: ['http://h/']}]\n")
                .find("unknown protocol 'smtp'"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{protocol: PROTOCOL_TCP, endpointUrls: ['http://h/']}]\n")
                .find("not supported (nightjar generates HTTP load)"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{protocol: 9, endpointUrls: ['http://h/']}]\n")
                .find("unknown protocol number 9"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{connections: -1, endpointUrls: ['http://h/']}]\n")
                .find("clients[0].connections: must be between 0 and 100000"),
            std::string::npos);
  EXPECT_NE(error_of("duration: 1s\nclients: [{headers: [a], endpointUrls: ['http://h/']}]\n")
                .find("clients[0].headers: must be a map"),
            std::string::npos);
  EXPECT_NE(error_of("- just\n- a list\n").find("a test file is a map"), std::string::npos);
}

TEST(SmpsTest, SyntaxErrorsGiveLineAndColumn) {
  const std::string message = error_of("name: x\nduration: [1s\n");
  EXPECT_EQ(message.rfind("t.yaml:", 0), 0u);
  EXPECT_NE(message.find("not valid YAML or JSON"), std::string::npos) << message;
}

TEST(SmpsTest, AnHttpsEndpointRunsOverTlsWithAlpnChoosing) {
  auto plan = parse_smps_test("duration: 60s\nclients:\n  - protocol: 1\n    endpoint_urls:\n      - 'https://smp-spec.io'\n",
                              "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const load::LoadOptions& o = plan->clients[0].options;
  EXPECT_TRUE(o.run.tls);
  EXPECT_EQ(o.run.protocol, "auto");
  EXPECT_EQ(o.urls[0].port, 443);
}

TEST(SmpsTest, TheSslCertificateIsTheCaToTrust) {
  const std::string ca = std::string(NIGHTJAR_TEST_DATA_DIR) + "/tls/ca.pem";
  auto plan = parse_smps_test("duration: 1s\nclients:\n  - endpoint_urls: ['https://127.0.0.1:1/']\n    ssl_certificate: '" +
                                  ca + "'\n",
                              "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(plan->clients[0].options.tls.ca_file, ca);
  const std::string message =
      error_of("duration: 1s\nclients:\n  - endpoint_urls: ['https://127.0.0.1:1/']\n    ssl_certificate: /nonexistent.pem\n");
  EXPECT_NE(message.find("t.yaml:4:22: clients[0].ssl_certificate"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot read '/nonexistent.pem'"), std::string::npos) << message;
}

TEST(SmpsTest, AGrpcClientCallsTheBuiltInPing) {
  auto plan = parse_smps_test("duration: 1s\nclients:\n  - protocol: grpc\n    endpoint_urls: ['http://127.0.0.1:9000']\n",
                              "t.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  const load::LoadOptions& o = plan->clients[0].options;
  EXPECT_EQ(o.run.protocol, "grpc");
  EXPECT_EQ(o.urls[0].scheme, "grpc");
  EXPECT_EQ(o.run.grpc_method, "/nightjar.test.v1.TestService/Ping");
  EXPECT_EQ(o.request.method, "POST");
}

}  // namespace
}  // namespace nightjar::config
