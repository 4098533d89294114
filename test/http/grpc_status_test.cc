#include <gtest/gtest.h>

#include "http/grpc.h"

namespace nightjar::http {
namespace {

TEST(EffectiveGrpcStatus, TakesTheServersStatusWithinGrpcsRange) {
  EXPECT_EQ(effective_grpc_status(200, 0), 0);
  EXPECT_EQ(effective_grpc_status(200, 16), 16);
  EXPECT_EQ(effective_grpc_status(503, 5), 5);
}

TEST(EffectiveGrpcStatus, MapsTheHttpStatusWhenThereIsNone) {
  EXPECT_EQ(effective_grpc_status(200, -1), 13);
  EXPECT_EQ(effective_grpc_status(404, -1), 12);
  EXPECT_EQ(effective_grpc_status(503, -1), 14);
  EXPECT_EQ(effective_grpc_status(418, -1), 2);
}

TEST(EffectiveGrpcStatus, NumbersGrpcDoesNotDefineAreUnknown) {
  // A hostile server cannot make the per-status counts grow: every such number is one key.
  EXPECT_EQ(effective_grpc_status(200, 17), 2);
  EXPECT_EQ(effective_grpc_status(200, 999999), 2);
}

}  // namespace
}  // namespace nightjar::http
