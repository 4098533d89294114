// The binary form (model/result_proto.h) and the JSON form (output/) of one result agree.
#include "model/result_proto.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "output/formatters.h"
#include "stats/hdr_encoding.h"
#include "output/import.h"
#include "sample_result.h"

namespace nightjar::output {
namespace {

std::vector<model::RunResult> samples() {
  return {sample_result(true), sample_result(false), sample_count_bound_result(), sample_grpc_tls_result()};
}

nightjar::v1::RunResult parse_into_proto(const std::string& json) {
  nightjar::v1::RunResult message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // every JSON field must be declared in the proto
  const auto status = google::protobuf::util::JsonStringToMessage(json, &message, options);
  EXPECT_TRUE(status.ok()) << status.message();
  return message;
}

TEST(ResultProto, EveryFieldOfTheJsonOutputIsDeclaredInTheProto) {
  // A field added to the JSON but not to proto/nightjar/v1/result.proto fails here.
  for (const model::RunResult& r : samples()) {
    const nightjar::v1::RunResult message = parse_into_proto(render_json(r));
    EXPECT_EQ(message.tool(), "nightjar");
    EXPECT_EQ(message.schema(), model::kResultSchema);
    EXPECT_EQ(message.requests().completed(), r.counters.completed);
    EXPECT_EQ(message.timeline_size(), static_cast<int>(r.timeline.size()));
  }
}

TEST(ResultProto, TheBinaryFormKeepsWhatTheJsonFormShows) {
  for (const model::RunResult& original : samples()) {
    nightjar::v1::RunResult received;
    ASSERT_TRUE(received.ParseFromString(model::to_proto(original).SerializeAsString()));
    auto back = model::from_proto(received);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(render_json(*back), render_json(original));
    EXPECT_TRUE(back->latency == original.latency);
    EXPECT_TRUE(back->schedule_lag == original.schedule_lag);
  }
}

TEST(ResultProto, SecondsAndShardsTravelAsBytesAndTheOldBase64StillReads) {
  const model::RunResult original = sample_result(true);
  nightjar::v1::RunResult message = model::to_proto(original);
  ASSERT_FALSE(original.timeline.empty());
  ASSERT_FALSE(original.shards.empty());
  const auto& second = message.timeline(0).histograms();
  EXPECT_TRUE(second.latency().empty());  // bytes, not base64: a quarter smaller
  EXPECT_EQ(stats::to_base64(second.latency_v2()), original.timeline[0].latency_histogram);
  EXPECT_FALSE(message.shards(0).histograms().latency_v2().empty());

  // What a writer before the bytes fields sent: base64 only.
  for (auto& t : *message.mutable_timeline()) {
    auto* h = t.mutable_histograms();
    if (!h->latency_v2().empty()) h->set_latency(stats::to_base64(h->latency_v2()));
    if (!h->service_time_v2().empty()) h->set_service_time(stats::to_base64(h->service_time_v2()));
    h->clear_latency_v2();
    h->clear_service_time_v2();
  }
  for (auto& shard : *message.mutable_shards()) {
    auto* h = shard.mutable_histograms();
    h->set_latency(stats::to_base64(h->latency_v2()));
    h->set_service_time(stats::to_base64(h->service_time_v2()));
    h->clear_latency_v2();
    h->clear_service_time_v2();
  }
  auto back = model::from_proto(message);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(render_json(*back), render_json(original));

  // A broken shard histogram in bytes is named by its field.
  message.mutable_shards(0)->mutable_histograms()->set_latency_v2("not a histogram");
  auto broken = model::from_proto(message);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("shards[0].histograms.latency_v2"), std::string::npos)
      << broken.status().message();
}

TEST(ResultProto, TheJsonFormReadThroughTheProtoIsTheSameResult) {
  // The two readers agree: JSON -> proto -> model equals JSON -> model.
  for (const model::RunResult& original : samples()) {
    const std::string json = render_json(original);
    auto through_proto = model::from_proto(parse_into_proto(json));
    ASSERT_TRUE(through_proto.ok()) << through_proto.status().message();
    auto direct = parse_result_json(json);
    ASSERT_TRUE(direct.ok()) << direct.status().message();
    EXPECT_EQ(render_json(*through_proto), render_json(*direct));
  }
}

TEST(ResultProto, ProtocolFieldsSurviveTheRoundTrip) {
  const model::RunResult original = sample_grpc_tls_result();
  const nightjar::v1::RunResult message = model::to_proto(original);
  EXPECT_EQ(message.grpc_status_codes().at("UNAVAILABLE"), 10);
  EXPECT_EQ(message.errors_by_kind().at("tls"), 3);
  EXPECT_TRUE(message.options().tls_insecure());
  auto back = model::from_proto(message);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->grpc_status_codes, original.grpc_status_codes);
  EXPECT_EQ(back->error_details, original.error_details);
  EXPECT_EQ(back->counters.tls_resumed, 8);
  EXPECT_EQ(back->options.grpc_method, original.options.grpc_method);
}

TEST(ResultProto, WhatWasAskedAndWhatWasFoundAreApart) {
  model::RunResult r = sample_result(true);
  r.options.protocol = "auto";
  r.protocol = "h2";
  r.tls_version = "TLSv1.3";
  r.target_addresses = {"127.0.0.1:8443"};
  auto back = model::from_proto(model::to_proto(r));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->options.protocol, "auto");
  EXPECT_EQ(back->protocol, "h2");
  EXPECT_EQ(back->tls_version, "TLSv1.3");
  EXPECT_EQ(back->target_addresses, r.target_addresses);
  auto from_json = parse_result_json(render_json(r));
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  EXPECT_EQ(from_json->options.protocol, "auto");
  EXPECT_EQ(from_json->protocol, "h2");
  EXPECT_EQ(from_json->tls_version, "TLSv1.3");
  EXPECT_NE(render_human(r).find("protocol h2,"), std::string::npos) << "the report shows what was spoken";
}

TEST(ResultProto, ANewerSchemaIsRefusedAndEveryOlderOneRead) {
  nightjar::v1::RunResult message = model::to_proto(sample_result(true));
  message.set_schema(model::kResultSchema + 1);
  auto refused = model::from_proto(message);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("schema 2"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("newer"), std::string::npos) << refused.status().message();

  // Schema 0 (no "schema", format_version 1): options.protocol said what was spoken.
  message.set_schema(0);
  message.set_format_version(1);
  message.clear_protocol();
  message.mutable_options()->set_protocol("h2");
  auto old = model::from_proto(message);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_EQ(old->protocol, "h2");
}

TEST(ResultProto, TheProvenanceOfAnImportedResultSurvivesBothForms) {
  auto imported = parse_import(read_text_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/fortio_reference.json"),
                               "fortio.json");
  ASSERT_TRUE(imported.ok()) << imported.status().message();
  const model::RunResult& original = imported->at(0).result;
  ASSERT_TRUE(original.provenance.imported());
  EXPECT_EQ(original.provenance.source_latency.percentiles_ns.at(99.9), 425'127'597);

  nightjar::v1::RunResult received;
  ASSERT_TRUE(received.ParseFromString(model::to_proto_bytes(original)));
  EXPECT_EQ(received.provenance().source(), "fortio");
  EXPECT_EQ(received.provenance().source_latency_ns().percentiles().at("99.9"), 425'127'597);
  auto back = model::from_proto(received);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->provenance, original.provenance);
  EXPECT_EQ(render_json(*back), render_json(original));

  // The JSON form declares every provenance field in the proto, and reads back the same.
  const std::string json = render_json(original);
  EXPECT_TRUE(parse_into_proto(json).has_provenance());
  auto from_json = parse_result_json(json);
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  EXPECT_EQ(from_json->provenance, original.provenance);

  // nightjar's own runs carry none, in either form.
  EXPECT_FALSE(model::to_proto(sample_result(true)).has_provenance());
  EXPECT_EQ(render_json(sample_result(true)).find("provenance"), std::string::npos);
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
