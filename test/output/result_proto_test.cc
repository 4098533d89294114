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
                                    sample_count_bound_result(), sample_grpc_tls_result()}) {
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

TEST(ResultProto, ProtocolFieldsSurviveTheRoundTrip) {
  const model::RunResult original = sample_grpc_tls_result();
  auto message = to_proto(original);
  ASSERT_TRUE(message.ok()) << message.status().message();
  EXPECT_EQ(message->grpc_status_codes().at("UNAVAILABLE"), 10);
  EXPECT_EQ(message->errors_by_kind().at("tls"), 3);
  EXPECT_TRUE(message->options().tls_insecure());
  auto back = from_proto(*message);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->grpc_status_codes, original.grpc_status_codes);
  EXPECT_EQ(back->error_details, original.error_details);
  EXPECT_EQ(back->tls_resumed, 8);
  EXPECT_EQ(back->options.grpc_method, original.options.grpc_method);
  EXPECT_EQ(render_json(*back), render_json(original));
}

TEST(ResultProto, TheHumanReportShowsTheProtocolFacts) {
  const std::string text = render_human(sample_grpc_tls_result());
  for (const char* expected :
       {"nightjar load gRPC /nightjar.test.v1.TestService/Ping grpcs://127.0.0.1:8443/",
        "protocol grpc, 8 streams per connection, TLS NOT VERIFIED (--insecure) for api.internal",
        "gRPC        OK: 990, UNAVAILABLE: 10", "tls: certificate verify failed: certificate has expired",
        "TLS         12 handshakes, 8 resumed", "warning: TLS certificates were not verified"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  const std::string prom = render(sample_grpc_tls_result(), Format::kPrometheus);
  EXPECT_NE(prom.find("mesh=\"none\",status=\"UNAVAILABLE\"} 10"), std::string::npos) << prom;
}

}  // namespace
}  // namespace nightjar::output
