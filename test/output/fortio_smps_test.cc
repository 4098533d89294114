// The fortio (Meshery) and SMPS result formats: golden files, and the properties Meshery
// and SMPS readers rely on. Regenerate the goldens with NIGHTJAR_UPDATE_GOLDEN=1 (see
// sample_result.h); test/data/output/fortio_reference.json is a fortio result as fortio
// writes it (see docs/output.md) and is never regenerated.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "output/formatters.h"
#include "output/sample_result.h"
#include "stats/hdr_encoding.h"

namespace nightjar::output {
namespace {

using nlohmann::json;

json fortio(const model::RunResult& r) { return json::parse(render_fortio(r)); }
json smps(const model::RunResult& r) { return json::parse(render_smps(r)); }

// JSON types as Go's encoding/json sees them: every number is a number.
std::string kind(const json& j) { return j.is_number() ? "number" : j.type_name(); }

// Every key of `reference` exists in `actual` with the same kind, recursively; each element
// of an array in `actual` has the shape of the reference array's first element.
void expect_same_shape(const json& reference, const json& actual, const std::string& path,
                       std::vector<std::string>& problems) {
  if (reference.is_null()) return;  // fortio writes null for "none"; any type may stand there
  if (kind(reference) != kind(actual)) {
    problems.push_back(path + ": " + kind(actual) + " where fortio has " + kind(reference));
    return;
  }
  if (reference.is_object()) {
    for (const auto& [key, value] : reference.items()) {
      if (!actual.contains(key)) {
        problems.push_back(path + "." + key + ": missing");
      } else {
        expect_same_shape(value, actual[key], path + "." + key, problems);
      }
    }
  } else if (reference.is_array() && !reference.empty()) {
    for (size_t i = 0; i < actual.size(); ++i) {
      expect_same_shape(reference[0], actual[i], path + "[" + std::to_string(i) + "]", problems);
    }
  }
}

TEST(FortioFormat, OpenLoopMatchesGolden) {
  expect_golden("fortio_open_loop.json", render_fortio(sample_result(true)));
}

TEST(FortioFormat, CountBoundClosedLoopMatchesGolden) {
  expect_golden("fortio_count_bound.json", render_fortio(sample_count_bound_result()));
}

TEST(FortioFormat, HasEveryKeyOfARealFortioResultWithTheSameTypes) {
  const json reference = json::parse(
      read_text_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/fortio_reference.json"));
  for (const model::RunResult& r :
       {sample_result(true), sample_result(false), sample_count_bound_result()}) {
    std::vector<std::string> problems;
    expect_same_shape(reference, fortio(r), "", problems);
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  }
}

TEST(FortioFormat, PercentilesAreExactlyTheOnesMesheryLooksUpAscending) {
  const json p = fortio(sample_result(true))["DurationHistogram"]["Percentiles"];
  const std::vector<double> expected = {50, 75, 90, 99, 99.9};
  ASSERT_EQ(p.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(p[i]["Percentile"].get<double>(), expected[i]);
    if (i > 0) {
      EXPECT_GE(p[i]["Value"].get<double>(), p[i - 1]["Value"].get<double>());
    }
  }
  // Nearest-rank values of the sample (1..1000 us + 500 ns), top of their bucket, in seconds.
  EXPECT_DOUBLE_EQ(p[0]["Value"].get<double>(), 500'735e-9);
  EXPECT_DOUBLE_EQ(p[4]["Value"].get<double>(), 999'935e-9);
}

TEST(FortioFormat, RequestedQpsIsAStringAndMaxForClosedLoop) {
  const json open = fortio(sample_result(true));
  ASSERT_TRUE(open["RequestedQPS"].is_string());
  EXPECT_EQ(open["RequestedQPS"], "500");
  const json closed = fortio(sample_result(false));
  ASSERT_TRUE(closed["RequestedQPS"].is_string());
  EXPECT_EQ(closed["RequestedQPS"], "max");
  model::RunResult fractional = sample_result(true);
  fractional.options.requested_rps = 12.5;
  EXPECT_EQ(fortio(fractional)["RequestedQPS"], "12.5");
}

TEST(FortioFormat, DurationsAreWrittenAsFortioDoes) {
  const json open = fortio(sample_result(true));
  EXPECT_EQ(open["RequestedDuration"], "2s");
  EXPECT_EQ(open["Exactly"], 0);
  ASSERT_TRUE(open["ActualDuration"].is_number_integer());
  EXPECT_EQ(open["ActualDuration"].get<int64_t>(), 2'000'000'000);
  EXPECT_DOUBLE_EQ(open["ActualQPS"].get<double>(), 500.0);

  model::RunResult r = sample_result(true);
  r.options.duration_ns = 90'000'000'000;
  EXPECT_EQ(fortio(r)["RequestedDuration"], "1m30s");
  r.options.duration_ns = 3'600'000'000'000;
  EXPECT_EQ(fortio(r)["RequestedDuration"], "1h0m0s");
  r.options.duration_ns = 1'500'000'000;
  EXPECT_EQ(fortio(r)["RequestedDuration"], "1.5s");
  r.options.duration_ns = 250'000'000;
  EXPECT_EQ(fortio(r)["RequestedDuration"], "250ms");

  const json counted = fortio(sample_count_bound_result());
  EXPECT_EQ(counted["RequestedDuration"], "exactly 1003 calls");
  EXPECT_EQ(counted["Exactly"], 1003);
  model::RunResult cut = sample_count_bound_result();
  cut.options.requests = 2000;
  EXPECT_EQ(fortio(cut)["RequestedDuration"], "exactly 2000 calls, interrupted after 1003");
}

TEST(FortioFormat, DurationHistogramIsInSeconds) {
  const model::RunResult r = sample_result(true);
  const json h = fortio(r)["DurationHistogram"];
  EXPECT_EQ(h["Count"], 1000);
  EXPECT_LT(h["Min"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(h["Min"].get<double>(), static_cast<double>(r.latency.min()) / 1e9);
  EXPECT_DOUBLE_EQ(h["Max"].get<double>(), static_cast<double>(r.latency.max()) / 1e9);
  EXPECT_DOUBLE_EQ(h["Avg"].get<double>(), r.latency.mean() / 1e9);
  EXPECT_DOUBLE_EQ(h["StdDev"].get<double>(), r.latency.stddev() / 1e9);
  EXPECT_NEAR(h["Sum"].get<double>(), h["Avg"].get<double>() * 1000, 1e-12);
}

TEST(FortioFormat, DataBucketsAreContiguousCumulativeAndSumToCount) {
  for (const model::RunResult& r : {sample_result(true), sample_count_bound_result()}) {
    const json h = fortio(r)["DurationHistogram"];
    const json& data = h["Data"];
    ASSERT_GE(data.size(), 10u) << "too few buckets to chart";
    EXPECT_LE(data.size(), 60u) << "more buckets than fortio's ladder has";
    EXPECT_EQ(data.front()["Start"].get<double>(), h["Min"].get<double>());
    EXPECT_EQ(data.back()["End"].get<double>(), h["Max"].get<double>());
    EXPECT_EQ(data.back()["Percent"].get<double>(), 100.0);
    int64_t total = 0;
    for (size_t i = 0; i < data.size(); ++i) {
      const json& b = data[i];
      EXPECT_LE(b["Start"].get<double>(), b["End"].get<double>()) << i;
      EXPECT_GT(b["Count"].get<int64_t>(), 0) << i;
      total += b["Count"].get<int64_t>();
      EXPECT_DOUBLE_EQ(b["Percent"].get<double>(), 100.0 * static_cast<double>(total) / 1000.0)
          << i;
      if (i > 0) {
        EXPECT_EQ(b["Start"].get<double>(), data[i - 1]["End"].get<double>()) << i;
        EXPECT_GT(b["Percent"].get<double>(), data[i - 1]["Percent"].get<double>()) << i;
      }
    }
    EXPECT_EQ(total, h["Count"].get<int64_t>());
  }
}

TEST(FortioFormat, BucketsFollowFortiosLadderAtAResolutionBelowTheMedian) {
  // Median 0.5 ms -> resolution 10 us; fortio's ladder ends 1, 2, ..., 11, 12, 14, ... units.
  const json j = fortio(sample_result(true));
  EXPECT_DOUBLE_EQ(j["nightjar"]["duration_histogram_resolution_s"].get<double>(), 1e-5);
  const json& data = j["DurationHistogram"]["Data"];
  EXPECT_DOUBLE_EQ(data[0]["End"].get<double>(), 1e-5);
  EXPECT_DOUBLE_EQ(data[11]["End"].get<double>(), 12e-5);
  EXPECT_DOUBLE_EQ(data[12]["End"].get<double>(), 14e-5);
  // 1.5 us .. 10 us: latencies 1..9 us (+500 ns) and 10.5 us is above 10 us.
  EXPECT_EQ(data[0]["Count"], 9);
}

TEST(FortioFormat, RetCodesCountStatusesAndSocketErrorsUnderMinusOne) {
  const json j = fortio(sample_result(true));
  EXPECT_EQ(j["RetCodes"]["200"].get<int64_t>(), 990);
  EXPECT_EQ(j["RetCodes"]["503"].get<int64_t>(), 10);
  EXPECT_EQ(j["RetCodes"]["-1"].get<int64_t>(), 3);
  model::RunResult clean = sample_result(true);
  clean.counters.error_counts = {};
  EXPECT_FALSE(fortio(clean)["RetCodes"].contains("-1"));
}

TEST(FortioFormat, LabelsSplitIntoTitleAndUrlAsMesheryDoes) {
  const json j = fortio(sample_result(true));
  EXPECT_EQ(j["Labels"], "golden -_- http://127.0.0.1:8080/?size=128");
  EXPECT_EQ(j["URL"], "http://127.0.0.1:8080/?size=128");
  model::RunResult unnamed = sample_result(true);
  unnamed.options.test_name.clear();
  EXPECT_EQ(fortio(unnamed)["Labels"], " -_- http://127.0.0.1:8080/?size=128");
}

TEST(FortioFormat, RunTypeAndConnections) {
  const json j = fortio(sample_result(true));
  EXPECT_EQ(j["RunType"], "HTTP");
  EXPECT_EQ(j["NumThreads"], 10);
  EXPECT_EQ(j["SocketCount"], 11);
  EXPECT_EQ(j["StartTime"], "2025-11-26T16:00:00.123456Z");
  model::RunResult grpc = sample_result(true);
  grpc.options.protocol = "grpc";
  EXPECT_EQ(fortio(grpc)["RunType"], "GRPC");
}

TEST(FortioFormat, SizesAreOneBucketOfTheAverageResponse) {
  const json j = fortio(sample_result(true));
  const json& sizes = j["Sizes"];
  EXPECT_EQ(sizes["Count"], 1000);
  EXPECT_DOUBLE_EQ(sizes["Avg"].get<double>(), 150.0);
  EXPECT_DOUBLE_EQ(sizes["Sum"].get<double>(), 150'000.0);
  EXPECT_EQ(sizes["Min"], sizes["Max"]);
  ASSERT_EQ(sizes["Data"].size(), 1u);
  EXPECT_EQ(sizes["Data"][0]["Count"], 1000);
  EXPECT_EQ(sizes["Data"][0]["Percent"].get<double>(), 100.0);
  EXPECT_EQ(j["HeaderSizes"]["Count"], 1000);
  EXPECT_EQ(j["HeaderSizes"]["Avg"].get<double>(), 0.0);
}

TEST(FortioFormat, CarriesNightjarsFullDataBeside) {
  const model::RunResult r = sample_result(true);
  const json n = fortio(r)["nightjar"];
  auto latency = stats::decode_base64(n["histograms"]["latency"].get<std::string>());
  ASSERT_TRUE(latency.ok()) << latency.status().message();
  EXPECT_TRUE(*latency == r.latency);
  EXPECT_EQ(n["errors_by_kind"]["timeout"], 2);
  EXPECT_EQ(n["errors_by_kind"]["reset"], 1);
  EXPECT_EQ(n["service_time_ns"]["min"], 1000);
}

TEST(FortioFormat, AnEmptyRunIsWrittenAsFortioWritesOne) {
  model::RunResult r;
  r.options.urls = {"http://127.0.0.1:1/"};
  r.counters.error_counts[static_cast<size_t>(model::ErrorKind::kConnectRefused)] = 5;
  const json j = fortio(r);
  EXPECT_EQ(j["DurationHistogram"]["Count"], 0);
  EXPECT_TRUE(j["DurationHistogram"]["Data"].is_null());
  EXPECT_TRUE(j["DurationHistogram"]["Percentiles"].is_null());
  EXPECT_EQ(j["RetCodes"]["-1"], 5);
  EXPECT_EQ(j["RequestedDuration"], "until stop");
}

TEST(SmpsFormat, OpenLoopMatchesGolden) {
  expect_golden("smps_open_loop.json", render_smps(sample_result(true)));
}

TEST(SmpsFormat, CountBoundClosedLoopMatchesGolden) {
  expect_golden("smps_count_bound.json", render_smps(sample_count_bound_result()));
}

TEST(SmpsFormat, HasThePerformanceTestResultFieldsWithProtoJsonTypes) {
  const json j = smps(sample_result(true));
  for (const char* key : {"smp_version", "id", "start_time", "end_time", "details_uri", "test_id",
                          "mesh_config_id", "env_id"}) {
    EXPECT_TRUE(j[key].is_string()) << key;
  }
  EXPECT_TRUE(j["labels"].is_object());
  EXPECT_TRUE(j["latencies_ms"].is_object());
  EXPECT_TRUE(j["actual_qps"].is_number());
  EXPECT_DOUBLE_EQ(j["actual_qps"].get<double>(), 500.0);
  EXPECT_EQ(j["labels"]["mesh"], "none");
}

TEST(SmpsFormat, LatenciesAreMillisecondsOfTheLatencyHistogram) {
  const model::RunResult r = sample_result(true);
  const json l = smps(r)["latencies_ms"];
  EXPECT_DOUBLE_EQ(l["min"].get<double>(), static_cast<double>(r.latency.min()) / 1e6);
  EXPECT_DOUBLE_EQ(l["average"].get<double>(), r.latency.mean() / 1e6);
  EXPECT_DOUBLE_EQ(l["p50"].get<double>(), 0.500735);
  EXPECT_DOUBLE_EQ(l["p90"].get<double>(),
                   static_cast<double>(r.latency.value_at_percentile(90)) / 1e6);
  EXPECT_DOUBLE_EQ(l["p99"].get<double>(),
                   static_cast<double>(r.latency.value_at_percentile(99)) / 1e6);
  EXPECT_DOUBLE_EQ(l["max"].get<double>(), static_cast<double>(r.latency.max()) / 1e6);
  EXPECT_LE(l["min"].get<double>(), l["p50"].get<double>());
  EXPECT_LE(l["p50"].get<double>(), l["p90"].get<double>());
  EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
  EXPECT_GT(l["max"].get<double>(), 0.9);  // 1 ms: milliseconds, not seconds or nanoseconds
  EXPECT_LT(l["max"].get<double>(), 1.1);
}

TEST(SmpsFormat, StartsBeforeItEnds) {
  const json j = smps(sample_result(true));
  EXPECT_EQ(j["start_time"], "2025-11-26T16:00:00.123456Z");
  EXPECT_EQ(j["end_time"], "2025-11-26T16:00:02.123456Z");
  EXPECT_LT(j["start_time"].get<std::string>(), j["end_time"].get<std::string>());
}

TEST(SmpsFormat, IdsAreStableVersion5Uuids) {
  const std::regex uuid_v5("[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const json a = smps(sample_result(true));
  const json b = smps(sample_result(true));
  EXPECT_TRUE(std::regex_match(a["id"].get<std::string>(), uuid_v5)) << a["id"];
  EXPECT_TRUE(std::regex_match(a["test_id"].get<std::string>(), uuid_v5)) << a["test_id"];
  EXPECT_EQ(a["id"], b["id"]);
  EXPECT_EQ(a["test_id"], b["test_id"]);
  EXPECT_EQ(a["performance_test_config"]["id"], a["test_id"]);

  model::RunResult later = sample_result(true);
  later.start_unix_ns += 60'000'000'000;
  later.end_unix_ns += 60'000'000'000;
  const json c = smps(later);
  EXPECT_NE(c["id"], a["id"]) << "another run is another result";
  EXPECT_EQ(c["test_id"], a["test_id"]) << "the same test configuration";
  EXPECT_NE(smps(sample_result(false))["test_id"], a["test_id"]);
}

TEST(SmpsFormat, TestConfigurationDescribesTheLoad) {
  const json config = smps(sample_result(true))["performance_test_config"];
  EXPECT_EQ(config["name"], "golden");
  EXPECT_EQ(config["duration"], "2s");
  ASSERT_EQ(config["clients"].size(), 1u);
  const json& client = config["clients"][0];
  EXPECT_EQ(client["connections"], 10);
  EXPECT_EQ(client["rps"], 500);
  EXPECT_EQ(client["protocol"], "PROTOCOL_HTTP");
  EXPECT_EQ(client["load_generator"], "nightjar");
  EXPECT_EQ(client["endpoint_urls"], json::array({"http://127.0.0.1:8080/?size=128"}));
  EXPECT_EQ(client["headers"]["X-Test"], "1");
  EXPECT_EQ(smps(sample_result(false))["performance_test_config"]["clients"][0]["rps"], 0);
}

TEST(SmpsFormat, MeshConfigComesFromTheMeshLabels) {
  const json j = smps(sample_count_bound_result());
  ASSERT_TRUE(j.contains("mesh_config"));
  EXPECT_EQ(j["mesh_config"]["id"], j["mesh_config_id"]);
  EXPECT_EQ(j["mesh_config"]["mesh_type"]["type"], "ISTIO");
  EXPECT_EQ(j["mesh_config"]["mesh_type"]["version"], "1.22.1");
  EXPECT_EQ(j["mesh_config"]["mesh_build"], "1.22.1");

  const json baseline = smps(sample_result(true));  // mesh=none: a mesh config with no type
  EXPECT_FALSE(baseline["mesh_config"]["mesh_type"].contains("type"));

  model::RunResult unlabelled = sample_result(true);
  unlabelled.options.labels.clear();
  const json none = smps(unlabelled);
  EXPECT_FALSE(none.contains("mesh_config"));
  EXPECT_EQ(none["mesh_config_id"], "");
}

TEST(SmpsFormat, CarriesNightjarsFullDataBeside) {
  const model::RunResult r = sample_result(true);
  const json n = smps(r)["nightjar"];
  EXPECT_EQ(n["status_codes"]["503"], 10);
  EXPECT_EQ(n["errors_by_kind"]["timeout"], 2);
  EXPECT_EQ(n["requests"]["errors"], 3);
  auto latency = stats::decode_base64(n["histograms"]["latency"].get<std::string>());
  ASSERT_TRUE(latency.ok()) << latency.status().message();
  EXPECT_TRUE(*latency == r.latency);
}

}  // namespace
}  // namespace nightjar::output
