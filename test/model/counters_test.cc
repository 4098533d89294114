#include "model/counters.h"

#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

#include "model/result_proto.h"

namespace nightjar::model {
namespace {

// Counters is a flat record of int64 counts: these tests see it as an array, so a field
// added without its line in add() or in the proto conversion fails here.
static_assert(std::is_trivially_copyable_v<Counters>);
static_assert(sizeof(Counters) % sizeof(int64_t) == 0);
constexpr size_t kSlots = sizeof(Counters) / sizeof(int64_t);

Counters numbered(int64_t first) {
  int64_t slots[kSlots];
  for (size_t i = 0; i < kSlots; ++i) slots[i] = first + static_cast<int64_t>(i);
  Counters c;
  std::memcpy(&c, slots, sizeof c);
  return c;
}

TEST(Counters, AddSumsEveryField) {
  Counters sum = numbered(1);
  sum.add(numbered(1000));
  int64_t slots[kSlots];
  std::memcpy(slots, &sum, sizeof sum);
  for (size_t i = 0; i < kSlots; ++i) {
    EXPECT_EQ(slots[i], 1001 + 2 * static_cast<int64_t>(i)) << "field " << i << " of Counters is not added";
  }
}

TEST(Counters, ErrorsAreTheSumOfTheKinds) {
  Counters c;
  c.errors_of(ErrorKind::kTimeout) = 2;
  c.errors_of(ErrorKind::kTls) = 3;
  EXPECT_EQ(c.errors(), 5);
  EXPECT_EQ(Counters{}.errors(), 0);
}

TEST(Counters, EveryFieldTravelsInTheProto) {
  const Counters original = numbered(7);
  nightjar::v1::Counters message;
  to_proto(original, &message);
  nightjar::v1::Counters received;
  ASSERT_TRUE(received.ParseFromString(message.SerializeAsString()));
  EXPECT_EQ(from_proto(received), original);
}

TEST(Counters, AnErrorKindThisBuildDoesNotKnowCountsAsOther) {
  nightjar::v1::Counters message;
  (*message.mutable_errors_by_kind())["timeout"] = 4;
  (*message.mutable_errors_by_kind())["quantum_decoherence"] = 2;
  const Counters c = from_proto(message);
  EXPECT_EQ(c.errors_of(ErrorKind::kTimeout), 4);
  EXPECT_EQ(c.errors_of(ErrorKind::kOther), 2);
  EXPECT_EQ(c.errors(), 6);
}

}  // namespace
}  // namespace nightjar::model
