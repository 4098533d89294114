// SMPS test files beyond the reader's limits, and the malformed files of the crash smoke test
// (/work/shared/tools/crash-smoke.sh): each is refused with a message naming the file, and the
// line and column where the problem is; nothing throws.
#include <gtest/gtest.h>

#include <string>

#include "config/smps_test.h"

namespace nightjar::config {
namespace {

std::string error_of(const std::string& text) {
  Result<TestPlan> plan = Status::internal("not run");
  EXPECT_NO_THROW(plan = parse_smps_test(text, "t.yaml")) << text;
  EXPECT_FALSE(plan.ok()) << text;
  return plan.ok() ? "" : plan.status().message();
}

constexpr const char* kValidTest =
    "duration: 1s\nclients: [{endpointUrls: ['http://127.0.0.1:1/']}]\n";

TEST(SmpsLimits, AFileOverTheSizeLimitIsRefusedNamingItAndTheLimit) {
  std::string text = kValidTest;
  text.resize(kMaxTestFileBytes, '\n');  // still a valid test at exactly the limit
  EXPECT_TRUE(parse_smps_test(text, "t.yaml").ok());
  text.push_back('\n');
  EXPECT_EQ(error_of(text), "t.yaml: the file is 1048577 bytes, more than the limit of 1048576");
}

TEST(SmpsLimits, NestingBeyondTheDepthLimitIsRefusedWithLineAndColumn) {
  // Block YAML: the top map is level 1; labels: level 2; then 31 more levels nest one map each.
  std::string yaml = std::string(kValidTest) + "labels:\n";
  for (int level = 3; level <= kMaxTestFileDepth + 1; ++level) {
    yaml += std::string(static_cast<size_t>(2 * (level - 2)), ' ') + "k:\n";
  }
  yaml += std::string(static_cast<size_t>(2 * kMaxTestFileDepth), ' ') + "k: v\n";
  // The 33rd level is the map that starts on line 35, column 65.
  EXPECT_EQ(error_of(yaml),
            "t.yaml:35:65: maps and lists nest deeper than 32 levels (an SMPS test nests 4)");

  // JSON flow style, deeper than yaml-cpp's own guard (2000 levels): our message, not a crash.
  const std::string json = "{\"x\": " + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  EXPECT_EQ(error_of(json),
            "t.yaml:1:38: maps and lists nest deeper than 32 levels (an SMPS test nests 4)");
}

TEST(SmpsLimits, AtTheDepthLimitTheFileIsReadAsUsual) {
  std::string yaml = std::string(kValidTest) + "x:\n";
  for (int level = 3; level <= kMaxTestFileDepth; ++level) {
    yaml += std::string(static_cast<size_t>(2 * (level - 2)), ' ') + "k:\n";
  }
  yaml += std::string(static_cast<size_t>(2 * (kMaxTestFileDepth - 1)), ' ') + "k: v\n";
  auto plan = parse_smps_test(yaml, "t.yaml");
  EXPECT_TRUE(plan.ok()) << plan.status().message();
}

TEST(SmpsLimits, MoreClientsThanTheLimitAreRefusedEvenThroughAliases) {
  // One client spelled out, then repeated by alias: a few bytes each.
  const auto with_clients = [](size_t n) {
    std::string text = "duration: 1s\nclients:\n  - &c {endpointUrls: ['http://127.0.0.1:1/']}\n";
    for (size_t i = 1; i < n; ++i) text += "  - *c\n";
    return text;
  };
  auto hundred = parse_smps_test(with_clients(kMaxTestClients), "t.yaml");
  ASSERT_TRUE(hundred.ok()) << hundred.status().message();
  EXPECT_EQ(hundred->clients.size(), kMaxTestClients);
  EXPECT_EQ(error_of(with_clients(kMaxTestClients + 1)),
            "t.yaml:3:3: clients: has 101 clients, more than the limit of 100");
}

TEST(SmpsLimits, TheCrashSmokeFilesGetMessagesWithLineAndColumn) {
  EXPECT_EQ(error_of("test:\n  clients:\n    - rps: [oops\n")
                .rfind("t.yaml:4:1: not valid YAML or JSON", 0),
            0u);
  EXPECT_EQ(error_of("test: {clients: 5}\n"),
            "t.yaml:1:7: duration: is missing (a Go duration such as 30s)");
  EXPECT_NE(error_of("clients:\n  - endpointUrls: [5]\n    rps: -1\n    connections: 99999999999\n")
                .find("duration: is missing"),
            std::string::npos);
  EXPECT_EQ(error_of("duration: 1s\nclients:\n  - endpointUrls: [5]\n    rps: -1\n")
                .rfind("t.yaml:3:20: clients[0].endpointUrls[0]: invalid URL '5'", 0),
            0u);
  EXPECT_EQ(error_of("{\"tool\": 5}"),
            "t.yaml:1:1: duration: is missing (a Go duration such as 30s)");
  EXPECT_EQ(error_of(std::string("\xff\xfe\x00{\"", 5)).rfind("t.yaml:", 0), 0u);
}

}  // namespace
}  // namespace nightjar::config
