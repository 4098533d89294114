// parse_import (`nightjar results import`): fortio's HTTP result and Meshery's stored results
// (real files: test/data/output/fortio_reference.json and test/data/import/, verbatim copies of
// /work/shared/fixtures) and nightjar's own JSON, read into RunResults that say which figures
// are fortio's and which were rebuilt from its buckets; hostile files give an error naming the
// file and the field, never an exception.
#include "output/import.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "output/formatters.h"
#include "output/json_paths.h"
#include "output/sample_result.h"

namespace nightjar::output {
namespace {

using nlohmann::json;

std::string fortio_text() {
  return read_text_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/output/fortio_reference.json");
}
std::string meshery_text() {
  return read_text_file(std::string(NIGHTJAR_TEST_DATA_DIR) + "/import/meshery_stored_results.json");
}

std::vector<ImportedRun> import_ok(const std::string& text) {
  auto runs = parse_import(text, "f.json");
  EXPECT_TRUE(runs.ok()) << runs.status().message();
  return runs.ok() ? std::move(*runs) : std::vector<ImportedRun>{};
}

std::string import_error(const std::string& text) {
  Result<std::vector<ImportedRun>> runs = Status::internal("not run");
  EXPECT_NO_THROW(runs = parse_import(text, "f.json"));
  EXPECT_FALSE(runs.ok()) << text.substr(0, 200);
  EXPECT_EQ(runs.status().message().rfind("f.json: ", 0), 0u) << runs.status().message();
  return runs.status().message();
}

TEST(Import, FortiosResultKeepsItsCountsStatusCodesAndTimesExactly) {
  const std::vector<ImportedRun> runs = import_ok(fortio_text());
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].format, ImportFormat::kFortio);
  EXPECT_EQ(runs[0].where, "");
  const model::RunResult& r = runs[0].result;
  EXPECT_EQ(r.counters.sent, 306);
  EXPECT_EQ(r.counters.completed, 306);
  EXPECT_EQ(r.counters.errors(), 0);
  EXPECT_EQ(r.status_codes, (std::map<int, int64_t>{{200, 306}}));
  EXPECT_EQ(r.measured_ns, 5'101'701'580);
  EXPECT_EQ(r.start_unix_ns, 1'599'562'759'355'070'000);  // 2020-09-08T16:29:19.35507+05:30
  EXPECT_EQ(r.end_unix_ns, r.start_unix_ns + r.measured_ns);
  EXPECT_EQ(r.options.test_name, "test");
  EXPECT_EQ(r.options.urls, std::vector<std::string>{"https://www.google.com"});
  EXPECT_EQ(r.options.requested_rps, 100);
  EXPECT_TRUE(r.open_loop);
  EXPECT_EQ(r.options.duration_ns, 5'000'000'000);
  EXPECT_EQ(r.options.connections, 8);
  EXPECT_EQ(r.counters.bytes_received, 4'356'836);
  EXPECT_NEAR(r.achieved_rps(), 59.98, 0.01) << "fortio's ActualQPS, as it had no errors";

  // min and max are fortio's, to the histogram's precision; the count is the calls timed.
  EXPECT_EQ(r.latency.total_count(), 306);
  EXPECT_EQ(r.latency.min(), r.latency.lowest_equivalent_value(114'543'168));
  EXPECT_EQ(r.latency.max(), r.latency.highest_equivalent_value(436'206'912));
  // Percentiles from the buckets' upper bounds: 298 calls up to 0.2 s, 6 up to 0.3 s.
  EXPECT_EQ(r.latency.value_at_percentile(50), r.latency.highest_equivalent_value(200'000'000));
  EXPECT_EQ(r.latency.value_at_percentile(99), r.latency.highest_equivalent_value(300'000'000));
  EXPECT_GE(r.latency.value_at_percentile(50), 158'278'651) << "an upper bound of fortio's own p50";
  EXPECT_TRUE(r.service_time == r.latency) << "fortio times each call from its send";
  EXPECT_EQ(r.schedule_lag.total_count(), 0);
}

TEST(Import, AFortioResultSaysWhichFiguresAreExactAndKeepsFortiosOwn) {
  const model::RunResult r = import_ok(fortio_text()).at(0).result;
  const model::Provenance& p = r.provenance;
  EXPECT_EQ(p.source, "fortio");
  EXPECT_EQ(p.source_version, "1.6.8");
  EXPECT_EQ(p.exact, (std::vector<std::string>{"count", "min", "max", "rate", "duration", "status codes"}));
  EXPECT_EQ(p.approximate, (std::vector<std::string>{"percentiles", "mean", "stdev"}));
  ASSERT_EQ(p.notes.size(), 2u) << "no failed calls, so no note about them";
  EXPECT_NE(p.notes[0].find("upper bound"), std::string::npos) << p.notes[0];
  const model::LatencySummary& own = p.source_latency;
  EXPECT_EQ(own.count, 306);
  EXPECT_EQ(own.min_ns, 114'543'168);
  EXPECT_EQ(own.max_ns, 436'206'912);
  EXPECT_NEAR(own.mean_ns, 132'098'325.6, 1);
  EXPECT_NEAR(own.stdev_ns, 33'331'377.6, 1);
  EXPECT_EQ(own.percentiles_ns, (std::map<double, int64_t>{{50, 158'278'651},
                                                           {75, 180'290'259},
                                                           {90, 193'497'224},
                                                           {99, 282'333'333},
                                                           {99.9, 425'127'597}}));
}

TEST(Import, MesherysStoredResultsKeepTheirNamesAndIdsAsLabels) {
  const std::vector<ImportedRun> runs = import_ok(meshery_text());
  ASSERT_EQ(runs.size(), 3u);
  for (size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(runs[i].format, ImportFormat::kMeshery);
    EXPECT_EQ(runs[i].where, "#" + std::to_string(i));
    EXPECT_EQ(runs[i].result.provenance.source, "fortio");
    EXPECT_EQ(runs[i].result.provenance.source_version, "dev");
  }
  const model::RunResult& first = runs[0].result;
  EXPECT_EQ(first.options.test_name, "No mesh_1650983199033");
  EXPECT_EQ(first.options.labels, (std::map<std::string, std::string>{
                                      {"meshery.id", "f9ccd668-9d26-4f70-8a51-47de5af3c502"},
                                      {"meshery.profile", "30c9382b-636f-4117-8205-10bac2d77944"}}));
  EXPECT_EQ(first.options.urls, std::vector<std::string>{"https://www.facebook.com"});
  EXPECT_EQ(first.options.requested_rps, 0) << "RequestedQPS \"max\"";
  EXPECT_FALSE(first.open_loop);
  EXPECT_EQ(first.options.connections, 1);
  EXPECT_EQ(first.start_unix_ns, 1'650'983'200'358'118'000);
  EXPECT_EQ(first.measured_ns, 30'187'978'458);
  EXPECT_EQ(first.counters.completed, 78);
  EXPECT_EQ(first.status_codes, (std::map<int, int64_t>{{200, 78}}));
  EXPECT_EQ(first.latency.total_count(), 78);
  EXPECT_EQ(first.latency.max(), first.latency.highest_equivalent_value(509'868'292));

  const model::RunResult& linkerd = runs[1].result;
  EXPECT_EQ(linkerd.options.test_name, "linkerd_1652379422611");
  EXPECT_EQ(linkerd.options.labels.at("mesh"), "linkerd");
  EXPECT_EQ(linkerd.options.labels.at("meshery.id"), "7d026c32-f912-49f6-8560-89aefe4fc91b");
  EXPECT_EQ(linkerd.options.requested_rps, 10);
  EXPECT_EQ(linkerd.options.connections, 100);
}

TEST(Import, CallsFortioCountsUnderMinusOneAreErrorsAndTheNotesSayTheyWereTimed) {
  const model::RunResult r = import_ok(meshery_text()).at(1).result;
  EXPECT_EQ(r.counters.sent, 300);
  EXPECT_EQ(r.counters.completed, 0);
  EXPECT_EQ(r.counters.errors(), 300);
  EXPECT_EQ(r.counters.errors_of(model::ErrorKind::kOther), 300);
  EXPECT_TRUE(r.status_codes.empty());
  EXPECT_EQ(r.latency.total_count(), 300) << "fortio times failed calls too";
  ASSERT_EQ(r.provenance.notes.size(), 3u);
  EXPECT_EQ(r.provenance.notes[2], "fortio's latencies include the 300 calls that got no response");
}

TEST(Import, MesheryEntriesMayComeAloneInAPageOrWithOneRunnerResult) {
  const json all = json::parse(meshery_text());
  json single = all[2];
  single["runner_results"] = all[2]["runner_results"][0];  // an object, not a list
  const std::vector<ImportedRun> alone = import_ok(single.dump());
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].where, "");
  EXPECT_EQ(alone[0].result.options.test_name, "linkerd_1652362153916");
  const std::vector<ImportedRun> page = import_ok(json{{"page", 0}, {"total_count", 3}, {"results", all}}.dump());
  EXPECT_EQ(page.size(), 3u);
  json other = all[0];
  other["runner_results"][0]["load-generator"] = "wrk2";
  EXPECT_NE(import_error(other.dump()).find("runner_results[0].load-generator is 'wrk2'"), std::string::npos);
}

TEST(Import, NightjarJsonAndArraysOfItReadBackTheSame) {
  const model::RunResult a = sample_result(true);
  const model::RunResult b = sample_grpc_tls_result();
  const std::vector<ImportedRun> one = import_ok(render_json(a));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].format, ImportFormat::kNightjar);
  EXPECT_EQ(render_json(one[0].result), render_json(a));
  const std::string array = "[\n" + render_json(a) + ",\n" + render_json(b) + "]\n";
  const std::vector<ImportedRun> two = import_ok(array);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].where, "#1");
  EXPECT_EQ(render_json(two[1].result), render_json(b));
  // An imported fortio result exported as nightjar JSON reads back with its provenance.
  const model::RunResult imported = import_ok(fortio_text()).at(0).result;
  const std::vector<ImportedRun> again = import_ok(render_json(imported));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].format, ImportFormat::kNightjar);
  EXPECT_EQ(again[0].result.provenance, imported.provenance);
  EXPECT_EQ(render_json(again[0].result), render_json(imported));
}

TEST(Import, TheFormatIsToldFromTheContent) {
  // nightjar's own fortio output: Count is responses only, socket errors are under -1 beside.
  const model::RunResult nightjar_run = sample_result(true);
  const std::vector<ImportedRun> runs = import_ok(render_fortio(nightjar_run));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].format, ImportFormat::kFortio);
  EXPECT_EQ(runs[0].result.counters.completed, nightjar_run.counters.completed);
  EXPECT_EQ(runs[0].result.counters.errors(), nightjar_run.counters.errors());
  EXPECT_EQ(runs[0].result.latency.total_count(), nightjar_run.latency.total_count());
  EXPECT_EQ(runs[0].result.provenance.notes.size(), 2u) << "its latencies are responses only";

  EXPECT_NE(import_error(R"({"name": "x"})").find("the file is none of the results nightjar imports"),
            std::string::npos);
  EXPECT_NE(import_error("[" + render_json(nightjar_run) + R"(, {"a": 1}])").find("[1] is none of the results"),
            std::string::npos);
  EXPECT_NE(import_error("[]").find("holds no result"), std::string::npos);
  EXPECT_NE(import_error("[5]").find("[0] is none of the results"), std::string::npos);
}

TEST(Import, AFileWithOneBadValueGivesAnErrorNamingTheFileAndField) {
  const struct {
    const char* pointer;
    json value;
    const char* message;
  } cases[] = {
      {"/1/runner_results/0/DurationHistogram/Data/3/Count", -1,
       "[1].runner_results[0].DurationHistogram.Data[3].Count must not be negative (it is -1)"},
      {"/1/runner_results/0/DurationHistogram/Data/3/Count", "many",
       "[1].runner_results[0].DurationHistogram.Data[3].Count is out of range or not a whole number"},
      {"/1/runner_results/0/DurationHistogram/Data/3/Count", 1e30,
       "[1].runner_results[0].DurationHistogram.Data[3].Count is out of range or not a whole number"},
      {"/0/runner_results/0/DurationHistogram/Data/0/Count", 6,
       "[0].runner_results[0].DurationHistogram.Data: its buckets count 79 calls, but Count is 78"},
      {"/0/runner_results/0/DurationHistogram/Count", 79,
       "[0].runner_results[0].DurationHistogram.Data: its buckets count 78 calls, but Count is 79"},
      {"/0/runner_results/0/RetCodes/200", 77,
       "[0].runner_results[0].DurationHistogram.Count is 78, but RetCodes count 77 calls"},
      {"/0/runner_results/0/RetCodes/abc", 1, "RetCodes has a key that is neither an HTTP status nor -1: 'abc'"},
      {"/0/runner_results/0/DurationHistogram/Max", 5000, "DurationHistogram.Max is 5000, outside 0 to 3600 s"},
      {"/0/runner_results/0/DurationHistogram/Min", 0.6, "DurationHistogram.Min (0.6 s) is above Max"},
      {"/0/runner_results/0/DurationHistogram/Data/1/End", 0.3, "DurationHistogram.Data[1].End (0.3 s) is below its Start"},
      {"/0/runner_results/0/DurationHistogram/Data/2", {{"Start", 0.3}, {"End", 0.38}, {"Percent", 96}, {"Count", 19}},
       "DurationHistogram.Data[2].End (0.38 s) is below the End of the bucket before it"},
      {"/0/runner_results/0/DurationHistogram/Percentiles/1/Percentile", 101,
       "DurationHistogram.Percentiles[1].Percentile is 101, outside 0 to 100"},
      {"/0/runner_results/0/DurationHistogram", json(nullptr), "[0].runner_results[0].DurationHistogram is missing"},
      {"/0/runner_results/0/StartTime", "yesterday", "[0].runner_results[0].StartTime 'yesterday' is not an RFC 3339"},
      {"/0/runner_results/0/StartTime", "2022-02-30T00:00:00Z", "StartTime '2022-02-30T00:00:00Z' is not an RFC"},
      {"/0/runner_results/0/RequestedQPS", "fast", "RequestedQPS 'fast' is neither \"max\" nor a rate"},
      {"/0/runner_results/0/RequestedDuration", "soon", "[0].runner_results[0].RequestedDuration: duration 'soon'"},
      {"/0/runner_results/0/ActualDuration", -5, "ActualDuration must not be negative"},
      {"/0/runner_results/0/NumThreads", -1, "NumThreads must not be negative"},
      {"/0/runner_results/0/RunType", "GRPC Ping", "RunType is 'GRPC Ping': only fortio's HTTP results"},
      {"/0/runner_results", "none", "[0].runner_results has the wrong type (string)"},
      {"/2/name", 5, "[2].name has the wrong type (number)"},
  };
  for (const auto& c : cases) {
    json j = json::parse(meshery_text());
    j[json::json_pointer(c.pointer)] = c.value;
    const std::string message = import_error(j.dump());
    EXPECT_NE(message.find(c.message), std::string::npos) << c.pointer << ": " << message;
  }
  // Counts that fit one by one but not together.
  json j = json::parse(fortio_text());
  j["DurationHistogram"]["Data"][0]["Count"] = int64_t{1} << 62;
  j["DurationHistogram"]["Data"][1]["Count"] = int64_t{1} << 62;
  EXPECT_NE(import_error(j.dump()).find("DurationHistogram.Data[1].Count: the buckets' counts add up beyond 2^63"),
            std::string::npos);
  j = json::parse(fortio_text());
  j["RetCodes"] = {{"200", int64_t{1} << 62}, {"503", int64_t{1} << 62}};
  EXPECT_NE(import_error(j.dump()).find("RetCodes: the counts add up beyond 2^63"), std::string::npos);
}

TEST(Import, AnyLeafOfTheWrongTypeGivesAnErrorNamingItNeverAnException) {
  for (const std::string& text : {fortio_text(), meshery_text()}) {
    const json original = json::parse(text);
    const json wrong_values[] = {"text", json::object(), json::array(), true, -1, json(nullptr)};
    const json flat = original.flatten();
    int failures = 0;
    for (const auto& [pointer_text, value] : flat.items()) {
      const json::json_pointer pointer(pointer_text);
      for (const json& wrong : wrong_values) {
        if (wrong.type() == value.type()) continue;
        json j = original;
        j[pointer] = wrong;
        Result<std::vector<ImportedRun>> r = Status::internal("not run");
        ASSERT_NO_THROW(r = parse_import(j.dump(), "f.json")) << pointer_text << " = " << wrong.dump();
        if (r.ok()) continue;  // a field the reader does not use, or one that may be absent
        ++failures;
        EXPECT_TRUE(names_field_or_parent(r.status().message(), reader_path(pointer)))
            << pointer_text << " = " << wrong.dump() << ": " << r.status().message();
      }
    }
    EXPECT_GT(failures, 50);
  }
}

TEST(Import, FilesBeyondTheLimitsAreRefusedNamingTheLimit) {
  json j = json::parse(fortio_text());
  json data = json::array();
  for (size_t i = 0; i <= kMaxFortioBuckets; ++i) data.push_back({{"Start", 0.1}, {"End", 0.1}, {"Percent", 1}, {"Count", 0}});
  j["DurationHistogram"]["Data"] = data;
  EXPECT_NE(import_error(j.dump()).find("DurationHistogram.Data has 1001 entries, more than the limit of 1000"),
            std::string::npos);

  const json fortio = json::parse(fortio_text());
  json many = json::array();
  for (size_t i = 0; i <= kMaxImportRuns; ++i) many.push_back(fortio);
  EXPECT_NE(import_error(many.dump()).find("the file holds 101 results, more than the 100 one import reads"),
            std::string::npos);
  json entry = json::parse(meshery_text())[0];
  entry["runner_results"] = json::array();
  for (size_t i = 0; i <= kMaxImportRuns; ++i) entry["runner_results"].push_back(fortio);
  EXPECT_NE(import_error(entry.dump()).find("runner_results has 101 entries, more than the limit of 100"),
            std::string::npos);

  const std::string text = fortio_text();
  EXPECT_NE(import_error(text.substr(0, text.size() / 2)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(import_error(std::string(40, '[') + std::string(40, ']')).find("nest deeper than 32 levels"),
            std::string::npos);
  std::string huge = text;
  huge.resize(kMaxImportBytes + 1, ' ');
  EXPECT_NE(import_error(huge).find("more than the limit of 67108864"), std::string::npos);
}

TEST(Import, TheReportsSayWhereTheFiguresComeFrom) {
  const model::RunResult r = import_ok(fortio_text()).at(0).result;
  const std::string human = render_human(r);
  for (const char* expected :
       {"fortio load GET https://www.google.com\n  open loop at 100 req/s, 5s, 8 connections, 8 threads\n",
        "  imported from fortio 1.6.8: exact: count, min, max, rate, duration, status codes; approximate:\n"
        "    percentiles, mean, stdev\n",
        "fortio keeps latencies in buckets",
        "fortio's own      158ms    180ms    193ms        -    282ms    425ms        -    436ms    132ms"}) {
    EXPECT_NE(human.find(expected), std::string::npos) << expected << "\n" << human;
  }
  EXPECT_EQ(human.find("schedule lag"), std::string::npos) << human;
  EXPECT_EQ(human.find("coordinated-omission free"), std::string::npos) << human;
  const std::string html = render_html(r);
  EXPECT_NE(html.find("Imported from fortio"), std::string::npos);
  EXPECT_NE(html.find("fortio&rsquo;s own"), std::string::npos);
  EXPECT_NE(html.find("each bucket&#39;s calls are taken at its upper bound"), std::string::npos) << "escaped";
  EXPECT_TRUE(provenance_lines(sample_result(true)).empty());
}

TEST(Import, AnImportedFortioResultRendersBackAsFortiosCountsAndCodes) {
  for (const std::string& text : {fortio_text(), meshery_text()}) {
    const json original = json::parse(text);
    const std::vector<ImportedRun> runs = import_ok(text);
    for (size_t i = 0; i < runs.size(); ++i) {
      const json& source = original.is_array() ? original[i]["runner_results"][0] : original;
      const json back = json::parse(render_fortio(runs[i].result));
      EXPECT_EQ(back["DurationHistogram"]["Count"], source["DurationHistogram"]["Count"]);
      EXPECT_EQ(back["RetCodes"], source["RetCodes"]);
      EXPECT_EQ(back["ActualDuration"], source["ActualDuration"]);
      EXPECT_EQ(back["RequestedQPS"], source["RequestedQPS"]);
      EXPECT_EQ(back["NumThreads"], source["NumThreads"]);
    }
  }
}

}  // namespace
}  // namespace nightjar::output
