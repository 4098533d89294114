// The parts of the test server's HTTP/2 connection below its session: a request's header
// (http2_headers.h) and the per-stream state and its pool and waits (http2_stream.h).
#include "server/http2_stream.h"

#include <gtest/gtest.h>

#include <string>

#include "server/http2_headers.h"

namespace nightjar::server {
namespace {

ConnectionLimits limits(uint32_t max_header_bytes, uint32_t max_header_fields) {
  ConnectionLimits limits;
  limits.max_header_bytes = max_header_bytes;
  limits.max_header_fields = max_header_fields;
  return limits;
}

TEST(Http2RequestHead, CollectsWhatTheAnswerDependsOn) {
  Http2RequestHead head;
  const ConnectionLimits within = limits(4096, 100);
  head.add(":method", "HEAD", within);
  head.add(":path", "/a?size=1", within);
  head.add("content-type", "application/grpc+proto", within);
  head.add("content-length", "42", within);
  head.add("x-nightjar-control", "size=2", within);
  head.add("x-nightjar-control", "status=201", within);
  EXPECT_TRUE(head.head_method);
  EXPECT_EQ(head.path, "/a?size=1");
  EXPECT_TRUE(head.grpc);
  EXPECT_EQ(head.content_length, 42);
  EXPECT_EQ(head.control, "size=2&status=201");
  EXPECT_EQ(head.header_fields, 6u);
  EXPECT_FALSE(head.too_large);
}

TEST(Http2RequestHead, PastTheSizeLimitKeepsNothing) {
  Http2RequestHead head;
  const ConnectionLimits small = limits(100, 100);
  head.add(":path", "/", small);                    // 5 + 1 + 32 bytes
  head.add("x-nightjar-control", "size=1", small);  // 18 + 6 + 32: 94 in all
  EXPECT_FALSE(head.too_large);
  head.add("x", "", small);  // 33 more
  EXPECT_TRUE(head.too_large);
  EXPECT_FALSE(head.too_many_fields(small));
  EXPECT_EQ(head.path, "");
  EXPECT_EQ(head.control, "");
  head.reset();
  EXPECT_FALSE(head.too_large);
  EXPECT_EQ(head.header_fields, 0u);
}

TEST(Http2RequestHead, PastTheFieldLimitSaysSo) {
  Http2RequestHead head;
  const ConnectionLimits two = limits(4096, 2);
  head.add("a", "1", two);
  head.add("b", "2", two);
  EXPECT_FALSE(head.too_large);
  head.add("c", "3", two);
  EXPECT_TRUE(head.too_large);
  EXPECT_TRUE(head.too_many_fields(two));
}

TEST(Http2RequestHead, RecognisesGrpcContentTypesAndLengths) {
  EXPECT_TRUE(is_grpc_content_type("application/grpc"));
  EXPECT_TRUE(is_grpc_content_type("Application/GRPC;charset=x"));
  EXPECT_FALSE(is_grpc_content_type("application/grpc-web"));
  EXPECT_FALSE(is_grpc_content_type("application/json"));
  EXPECT_EQ(parse_content_length("0"), 0);
  EXPECT_EQ(parse_content_length("123456789012345678"), 123456789012345678);
  EXPECT_EQ(parse_content_length("1234567890123456789"), -1);
  EXPECT_EQ(parse_content_length(""), -1);
  EXPECT_EQ(parse_content_length("12a"), -1);
}

TEST(Http2StreamPool, ReusesReleasedStreamsReset) {
  Http2StreamPool pool;
  Http2Stream* first = pool.acquire();
  first->id = 1;
  first->head.path = "/x";
  first->grpc_request.assign(size_t{128} * 1024, 'g');  // over the capacity kept
  pool.release(first);
  Http2Stream* again = pool.acquire();
  EXPECT_EQ(again, first);
  EXPECT_EQ(again->id, 0);
  EXPECT_EQ(again->head.path, "");
  EXPECT_LE(again->grpc_request.capacity(), size_t{64} * 1024);
  EXPECT_NE(pool.acquire(), first);  // none free: a new one
}

TEST(Http2StreamWaits, ReleasesStreamsInDeadlineOrderWhenDue) {
  Http2StreamWaits waits;
  waits.push(300, 5);
  waits.push(100, 3);
  waits.push(200, 1);
  EXPECT_EQ(waits.earliest_ns(), 100);
  int32_t stream_id = 0;
  int64_t deadline_ns = 0;
  ASSERT_TRUE(waits.pop_due(250, stream_id, deadline_ns));
  EXPECT_EQ(stream_id, 3);
  EXPECT_EQ(deadline_ns, 100);
  ASSERT_TRUE(waits.pop_due(250, stream_id, deadline_ns));
  EXPECT_EQ(stream_id, 1);
  EXPECT_FALSE(waits.pop_due(250, stream_id, deadline_ns));
  EXPECT_EQ(waits.earliest_ns(), 300);
  ASSERT_TRUE(waits.pop_due(300, stream_id, deadline_ns));
  EXPECT_TRUE(waits.empty());
}

}  // namespace
}  // namespace nightjar::server
