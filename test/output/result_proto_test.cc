#include "output/result_proto.h"

#include <gtest/gtest.h>

#include "output/formatters.h"
#include "sample_result.h"

namespace nightjar::output {
namespace {

TEST(ResultProto, TheJsonOutputIsTheProtosJsonMapping) {
  // to_proto parses the JSON output with unknown fields rejected: a field added to the JSON
  // but not to proto/nightjar/v1/result.proto fails here.
  for (const model::RunResult& r : {sample_result(true), sample_result(false),
                                    sample_count_bound_result()}) {
    auto message = to_proto(r);
    ASSERT_TRUE(message.ok()) << message.status().message();
    EXPECT_EQ(message->tool(), "nightjar");
    EXPECT_EQ(message->requests().completed(), r.completed);
    EXPECT_EQ(message->options().urls_size(), static_cast<int>(r.options.urls.size()));
    EXPECT_EQ(message->timeline_size(), static_cast<int>(r.timeline.size()));
  }
}

TEST(ResultProto, BinaryRoundTripKeepsEverything) {
  const model::RunResult original = sample_result(true);
  auto message = to_proto(original);
  ASSERT_TRUE(message.ok());
  const std::string wire = message->SerializeAsString();
  nightjar::v1::RunResult received;
  ASSERT_TRUE(received.ParseFromString(wire));
  auto back = from_proto(received);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(render_json(*back), render_json(original));
  EXPECT_TRUE(back->latency == original.latency);
}

}  // namespace
}  // namespace nightjar::output
