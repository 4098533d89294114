// The one validation of a run's options: every limit is enforced, at its edges, with a
// message naming the option and its range.
#include "load/load_options.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "common/duration.h"

namespace nightjar::load {
namespace {

LoadOptions valid_options() {
  LoadOptions o;
  o.urls.push_back(*http::parse_url("http://127.0.0.1:8080/"));
  o.run.urls = {"http://127.0.0.1:8080/"};
  o.run.requested_rps = 100;
  o.run.duration_ns = kNanosPerSecond;
  o.run.connections = 1;
  o.run.threads = 1;
  o.run.timeout_ns = kNanosPerSecond;
  o.run.max_pending = 10;
  o.request.method = "GET";
  return o;
}

struct LimitCase {
  const char* name;
  std::function<void(LoadOptions&)> set;
  const char* message;  // a part of the error that names the option (and its range)
};

void PrintTo(const LimitCase& c, std::ostream* os) { *os << c.name; }

class OutOfRange : public ::testing::TestWithParam<LimitCase> {};

TEST_P(OutOfRange, IsRefusedWithAMessageNamingTheOption) {
  LoadOptions o = valid_options();
  ASSERT_TRUE(validate(o).ok()) << validate(o).message();
  GetParam().set(o);
  const Status s = validate(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(GetParam().message), std::string::npos) << s.message();
}

constexpr int64_t kHour = 3600 * kNanosPerSecond;

INSTANTIATE_TEST_SUITE_P(
    EveryField, OutOfRange,
    ::testing::Values(
        LimitCase{"no_url", [](LoadOptions& o) { o.urls.clear(); }, "at least one URL"},
        LimitCase{"too_many_urls", [](LoadOptions& o) { o.urls.resize(limits::kMaxUrls + 1, o.urls.front()); },
                  "at most 100 URLs"},
        LimitCase{"negative_rps", [](LoadOptions& o) { o.run.requested_rps = -1; }, "--rps must be 0"},
        LimitCase{"nan_rps", [](LoadOptions& o) { o.run.requested_rps = std::nan(""); }, "--rps"},
        LimitCase{"infinite_rps", [](LoadOptions& o) { o.run.requested_rps = std::numeric_limits<double>::infinity(); }, "--rps"},
        LimitCase{"tiny_rps", [](LoadOptions& o) { o.run.requested_rps = 1e-4; }, "--rps must be from 0.001"},
        LimitCase{"huge_rps", [](LoadOptions& o) { o.run.requested_rps = 1e15; }, "to 10000000"},
        LimitCase{"negative_duration", [](LoadOptions& o) { o.run.duration_ns = -1; }, "--duration must be from"},
        LimitCase{"long_duration", [](LoadOptions& o) { o.run.duration_ns = 25 * kHour; }, "--duration must be from 0ns to 24h0m (got 25h0m)"},
        LimitCase{"no_bound", [](LoadOptions& o) { o.run.duration_ns = 0; }, "--duration above 0 or --requests"},
        LimitCase{"negative_requests", [](LoadOptions& o) { o.run.requests = -5; }, "--requests must be from 0"},
        LimitCase{"huge_requests", [](LoadOptions& o) { o.run.requests = limits::kMaxRequests + 1; }, "--requests"},
        LimitCase{"zero_connections", [](LoadOptions& o) { o.run.connections = 0; }, "--connections must be from 1 to 100000"},
        LimitCase{"huge_connections", [](LoadOptions& o) { o.run.connections = 2000000000; }, "--connections"},
        LimitCase{"zero_threads", [](LoadOptions& o) { o.run.threads = 0; }, "--threads must be from 1 to 256"},
        LimitCase{"huge_threads", [](LoadOptions& o) { o.run.threads = 100000; }, "--threads"},
        LimitCase{"negative_warmup", [](LoadOptions& o) { o.run.warmup_ns = -1; }, "--warmup must be from 0ns to 1h0m"},
        LimitCase{"long_warmup", [](LoadOptions& o) { o.run.warmup_ns = kHour + 1; }, "--warmup"},
        LimitCase{"zero_timeout", [](LoadOptions& o) { o.run.timeout_ns = 0; }, "--timeout must be from 1ms to 1h"},
        LimitCase{"long_timeout", [](LoadOptions& o) { o.run.timeout_ns = 2 * kHour; }, "--timeout"},
        LimitCase{"negative_max_pending", [](LoadOptions& o) { o.run.max_pending = -1; }, "--max-pending must be from 0"},
        LimitCase{"huge_max_pending", [](LoadOptions& o) { o.run.max_pending = 4'000'000'000'000; },
                  "--max-pending must be from 0 to 1000000 (got 4000000000000)"},
        LimitCase{"zero_streams", [](LoadOptions& o) { o.run.max_concurrent_streams = 0; },
                  "--max-concurrent-streams must be from 1 to 1000"},
        LimitCase{"huge_streams", [](LoadOptions& o) { o.run.max_concurrent_streams = 1001; }, "--max-concurrent-streams"},
        LimitCase{"unknown_protocol", [](LoadOptions& o) { o.run.protocol = "spdy"; }, "protocol 'spdy'"},
        LimitCase{"grpc_without_method", [](LoadOptions& o) { o.run.protocol = "grpc"; }, "--grpc-method"},
        LimitCase{"empty_method", [](LoadOptions& o) { o.request.method = ""; }, "--method"},
        LimitCase{"method_with_space", [](LoadOptions& o) { o.request.method = "GE T"; }, "--method 'GE T'"},
        LimitCase{"long_method", [](LoadOptions& o) { o.request.method = std::string(33, 'A'); }, "--method"},
        LimitCase{"too_many_headers",
                  [](LoadOptions& o) { o.request.headers.assign(limits::kMaxHeaders + 1, {"X-A", "b"}); },
                  "at most 100 headers"},
        LimitCase{"bad_header_name", [](LoadOptions& o) { o.request.headers = {{"X A", "b"}}; }, "header name 'X A'"},
        LimitCase{"header_line_break", [](LoadOptions& o) { o.request.headers = {{"X-A", "b\r\nX-Evil: 1"}}; },
                  "line break or NUL"},
        LimitCase{"header_nul", [](LoadOptions& o) { o.request.headers = {{"X-A", std::string("b\0c", 3)}}; },
                  "line break or NUL"},
        LimitCase{"long_header", [](LoadOptions& o) { o.request.headers = {{"X-A", std::string(9000, 'v')}}; },
                  "at most 8192"},
        LimitCase{"huge_body", [](LoadOptions& o) { o.request.body.assign(limits::kMaxBodyBytes + 1, 'b'); }, "--body"},
        LimitCase{"huge_grpc_message",
                  [](LoadOptions& o) { o.grpc_message.assign(limits::kMaxBodyBytes + 1, 'b'); }, "--grpc-data-file"},
        LimitCase{"long_name", [](LoadOptions& o) { o.run.test_name.assign(2000, 'n'); }, "--name"},
        LimitCase{"too_many_labels",
                  [](LoadOptions& o) {
                    for (int i = 0; i < 65; ++i) o.run.labels["k" + std::to_string(i)] = "v";
                  },
                  "at most 64 labels"},
        LimitCase{"empty_label_key", [](LoadOptions& o) { o.run.labels[""] = "v"; }, "--label"},
        LimitCase{"long_label_value", [](LoadOptions& o) { o.run.labels["k"] = std::string(2000, 'v'); }, "--label 'k'"},
        LimitCase{"shard_beyond_count", [](LoadOptions& o) { o.shard_index = 3, o.shard_count = 3; }, "shard 3 of 3"},
        LimitCase{"zero_shards", [](LoadOptions& o) { o.shard_count = 0; }, "does not exist"},
        LimitCase{"too_many_shards", [](LoadOptions& o) { o.shard_count = limits::kMaxShards + 1; }, "at most 10000"}),
    [](const ::testing::TestParamInfo<LimitCase>& case_info) { return std::string(case_info.param.name); });

TEST(Validate, AcceptsEveryLimitAtItsEdge) {
  LoadOptions o = valid_options();
  o.run.requested_rps = limits::kMaxRps;
  o.run.duration_ns = limits::kMaxDurationNs;
  o.run.requests = limits::kMaxRequests;
  o.run.connections = limits::kMaxConnections;
  o.run.threads = limits::kMaxThreads;
  o.run.warmup_ns = limits::kMaxWarmupNs;
  o.run.timeout_ns = limits::kMaxTimeoutNs;
  o.run.max_pending = limits::kMaxPending;
  o.run.max_concurrent_streams = limits::kMaxConcurrentStreams;
  o.request.headers.assign(limits::kMaxHeaders, {"X-A", std::string(limits::kMaxHeaderBytes - 3, 'v')});
  o.run.test_name.assign(limits::kMaxNameBytes, 'n');
  o.shard_count = limits::kMaxShards;
  o.shard_index = limits::kMaxShards - 1;
  EXPECT_TRUE(validate(o).ok()) << validate(o).message();
  o.run.requested_rps = limits::kMinRps;
  o.run.timeout_ns = limits::kMinTimeoutNs;
  o.run.max_pending = 0;
  EXPECT_TRUE(validate(o).ok()) << validate(o).message();
  o.run.requested_rps = 0;  // closed loop
  EXPECT_TRUE(validate(o).ok()) << validate(o).message();
}

TEST(Validate, NonAsciiTextIsAcceptedAsBytes) {
  // Names, labels and header values are bytes; outputs replace what is not UTF-8.
  LoadOptions o = valid_options();
  o.run.test_name = "x\xff\xfe";
  o.run.labels["k"] = "\xc3";
  o.request.headers = {{"X-A", "\xff"}};
  EXPECT_TRUE(validate(o).ok()) << validate(o).message();
}

}  // namespace
}  // namespace nightjar::load
