// The worker's conversion of a Start message to load options (distributed/spec.cc) on messages
// a controller should never send; found by test/fuzz/worker_start_fuzzer.
#include "distributed/spec.h"

#include <gtest/gtest.h>

namespace nightjar::distributed {
namespace {

TEST(FromStart, AStartWithoutUrlsIsRefusedNamingTheField) {
  v1::Start start;
  start.set_run_id("run-1");
  start.set_shard_count(1);
  start.mutable_spec()->set_duration_ns(1'000'000'000);
  start.mutable_spec()->set_timeout_ns(1'000'000'000);
  start.mutable_spec()->set_connections(1);
  start.mutable_spec()->set_threads(1);
  auto options = from_start(start, 0);
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.status().message(), "LoadSpec.urls: at least one URL is needed");

  start.mutable_spec()->add_urls("http://127.0.0.1:8080/");
  auto fixed = from_start(start, 0);
  EXPECT_TRUE(fixed.ok()) << fixed.status().message();
}

}  // namespace
}  // namespace nightjar::distributed
