#include "store/run_id.h"

#include <gtest/gtest.h>

#include <string>

namespace nightjar::store {
namespace {

TEST(RunId, IsTwelveCrockfordCharacters) {
  const std::string id = make_run_id(1'764'172'800'123, 0x3ff);
  ASSERT_EQ(id.size(), kRunIdLength);
  EXPECT_EQ(id.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << id;
  EXPECT_EQ(make_run_id(0, 0), "000000000000");
  EXPECT_EQ(make_run_id(0, 31), "00000000000Z");
  EXPECT_EQ(make_run_id(1, 0), "000000000100");  // the time starts 10 bits (2 digits) up
}

TEST(RunId, SortsByTimeWhateverTheRandomBits) {
  EXPECT_LT(make_run_id(1'000, 0x3ff), make_run_id(1'001, 0));
  EXPECT_LT(make_run_id(1'764'172'800'123, 0x3ff), make_run_id(1'764'172'800'124, 0));
  EXPECT_LT(make_run_id(999'999'999'999, 0), make_run_id(1'000'000'000'000, 0));
  // Only the low 10 bits are used: the rest cannot push an ID into a later millisecond.
  EXPECT_EQ(make_run_id(5, ~uint64_t{0}), make_run_id(5, 0x3ff));
}

TEST(RunId, NextIsTheSmallestGreater) {
  EXPECT_EQ(next_run_id("000000000000"), "000000000001");
  EXPECT_EQ(next_run_id("00000000000Z"), "000000000010");
  EXPECT_EQ(next_run_id("0000000000HZ"), "0000000000J0");  // skips I
  EXPECT_LT(make_run_id(7, 0x3ff), next_run_id(make_run_id(7, 0x3ff)));
}

TEST(RunId, PrefixesAreReadAsCrockfordReadsThem) {
  EXPECT_EQ(normalize_run_id_prefix("01jz"), "01JZ");
  EXPECT_EQ(normalize_run_id_prefix("oIl"), "011");
  EXPECT_EQ(normalize_run_id_prefix("01U"), "");  // U is in no ID
  EXPECT_EQ(normalize_run_id_prefix("01-"), "");
  EXPECT_EQ(normalize_run_id_prefix("0000000000000"), "");  // longer than an ID
}

}  // namespace
}  // namespace nightjar::store
