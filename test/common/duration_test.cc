#include "common/duration.h"

#include <gtest/gtest.h>

namespace nightjar {
namespace {

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(*parse_duration_ns("5ns"), 5);
  EXPECT_EQ(*parse_duration_ns("5us"), 5'000);
  EXPECT_EQ(*parse_duration_ns("5\xC2\xB5s"), 5'000);
  EXPECT_EQ(*parse_duration_ns("5ms"), 5'000'000);
  EXPECT_EQ(*parse_duration_ns("5s"), 5'000'000'000);
  EXPECT_EQ(*parse_duration_ns("2m"), 120'000'000'000);
  EXPECT_EQ(*parse_duration_ns("1h"), 3'600'000'000'000);
}

TEST(ParseDuration, AcceptsCompoundsAndDecimalsLikeGo) {
  EXPECT_EQ(*parse_duration_ns("1m30s"), 90'000'000'000);
  EXPECT_EQ(*parse_duration_ns("1.5s"), 1'500'000'000);
  EXPECT_EQ(*parse_duration_ns("0"), 0);
}

TEST(ParseDuration, RejectsBadTextWithAMessageNamingIt) {
  for (const char* bad : {"", "10", "-1s", "s", "1x", "1..2s", "abc"}) {
    auto r = parse_duration_ns(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(parse_duration_ns("10").status().message().find("'10'"), std::string::npos);
  EXPECT_NE(parse_duration_ns("-1s").status().message().find("negative"), std::string::npos);
}

TEST(FormatDuration, PicksAReadableUnit) {
  EXPECT_EQ(format_duration_ns(850), "850ns");
  EXPECT_EQ(format_duration_ns(12'300), "12.3us");
  EXPECT_EQ(format_duration_ns(4'560'000), "4.56ms");
  EXPECT_EQ(format_duration_ns(1'230'000'000), "1.23s");
  EXPECT_EQ(format_duration_ns(125'000'000'000), "2m5s");
}

TEST(FormatDuration, NeverPrintsAThousandOfTheSmallerUnit) {
  EXPECT_EQ(format_duration_ns(999'935), "1ms");
  EXPECT_EQ(format_duration_ns(999'499), "999us");
  EXPECT_EQ(format_duration_ns(999'600'000), "1s");
  EXPECT_EQ(format_duration_ns(59'990'000'000), "1m0s");
}

TEST(FormatGoDuration, IsExactAndReadsBack) {
  EXPECT_EQ(format_go_duration_ns(0), "0s");
  EXPECT_EQ(format_go_duration_ns(90 * kNanosPerSecond), "1m30s");
  EXPECT_EQ(format_go_duration_ns(3600 * kNanosPerSecond), "1h");
  EXPECT_EQ(format_go_duration_ns(2 * kNanosPerSecond + 5 * kNanosPerMilli), "2s5ms");
  EXPECT_EQ(format_go_duration_ns(kNanosPerMilli + 500), "1ms500ns");
  for (int64_t ns :
       {int64_t{1}, int64_t{999}, int64_t{1'001'001'001}, 24 * 3600 * kNanosPerSecond - 1,
        int64_t{86'399'999'999'999}, int64_t{12'345'678'901'234}}) {
    auto back = parse_duration_ns(format_go_duration_ns(ns));
    ASSERT_TRUE(back.ok()) << format_go_duration_ns(ns);
    EXPECT_EQ(*back, ns) << format_go_duration_ns(ns);
  }
}

}  // namespace
}  // namespace nightjar
