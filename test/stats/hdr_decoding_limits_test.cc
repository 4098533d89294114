// The decoder's limits (stats/hdr_encoding.h, docs/statistics.md): what a hostile header can make
// it allocate. Every allocation of this test binary goes through the operator new below, which
// remembers the largest one, so the tests can show that a refused header allocated nothing big.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "stats/hdr_encoding.h"
#include "stats/hdr_histogram.h"

namespace {
std::atomic<size_t> largest_allocation{0};
}  // namespace

void* operator new(size_t size) {
  size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that the operator new above allocates with malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace nightjar::stats {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kOneDayNs = 86'400'000'000'000;
constexpr size_t kSmallAllocation = 64 * 1024;

HdrHistogram make(int64_t lowest, int64_t highest, int significant_figures) {
  auto result = HdrHistogram::create(lowest, highest, significant_figures);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return std::move(result).value();
}

// The largest single allocation made while decoding `bytes`, and the decode's status.
struct Decoded {
  Status status;
  size_t largest_allocation_bytes;
};

Decoded decode_tracked(const Bytes& bytes, int32_t max_counts_len = kMaxDecodedCountsLen) {
  largest_allocation.store(0);
  auto result = decode(bytes.data(), bytes.size(), max_counts_len);
  return {result.ok() ? Status::ok_status() : result.status(), largest_allocation.load()};
}

bool mentions(const Status& status, const std::string& needle) {
  return !status.ok() && status.message().find(needle) != std::string::npos;
}

TEST(HdrDecodingLimits, ARangeNeedingMoreBucketsThanTheLimitIsRefusedBeforeAllocating) {
  // 5 significant figures over the whole int64 range: 6,160,384 buckets (47 MiB of counts).
  auto needed = HdrHistogram::counts_len_for(1, INT64_MAX, 5);
  ASSERT_TRUE(needed.ok());
  ASSERT_GT(*needed, kMaxDecodedCountsLen);
  const HdrHistogram widest = make(1, INT64_MAX, 5);  // ours may exist; it may not be decoded
  for (const Bytes& bytes : {encode_uncompressed(widest), encode_compressed(widest)}) {
    const Decoded d = decode_tracked(bytes);
    EXPECT_TRUE(mentions(d.status, "needs 6160384 buckets, more than the limit of 4194304"))
        << d.status.message();
    EXPECT_LT(d.largest_allocation_bytes, kSmallAllocation);
  }
  largest_allocation.store(0);
  auto from_text = decode_base64(encode_base64(widest));
  EXPECT_TRUE(mentions(from_text.status(), "more than the limit of 4194304"));
  EXPECT_LT(largest_allocation.load(), kSmallAllocation);
}

TEST(HdrDecodingLimits, TheWidestRangeWithinTheLimitDecodesAndAllocatesAtMostItsCounts) {
  // 1 ns to a day at 5 significant figures: the widest such range under the limit.
  HdrHistogram h = make(1, kOneDayNs, 5);
  ASSERT_LE(h.counts_len(), kMaxDecodedCountsLen);
  for (int64_t v = 1; v < kOneDayNs; v = v * 3 + 1) h.record(v);
  const Decoded d = decode_tracked(encode_compressed(h));
  EXPECT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_LE(d.largest_allocation_bytes, size_t{kMaxDecodedCountsLen} * sizeof(int64_t));
}

TEST(HdrDecodingLimits, ACallersLowerBucketBudgetIsHonouredButCannotRaiseTheLimit) {
  HdrHistogram h;  // 1 ns .. 1 h, 3 figures: 33,792 buckets
  h.record(1000);
  const Bytes bytes = encode_compressed(h);
  EXPECT_TRUE(decode_tracked(bytes, 33'792).status.ok());
  const Decoded low = decode_tracked(bytes, 33'791);
  EXPECT_TRUE(mentions(low.status, "needs 33792 buckets, more than the limit of 33791"))
      << low.status.message();
  EXPECT_LT(low.largest_allocation_bytes, kSmallAllocation);
  EXPECT_TRUE(mentions(decode_tracked(encode_compressed(make(1, INT64_MAX, 5)), INT32_MAX).status,
                       "more than the limit of 4194304"));
}

TEST(HdrDecodingLimits, ADeclaredPayloadBeyondNineBytesPerBucketIsRefusedBeforeInflating) {
  HdrHistogram h;
  h.record(1);
  Bytes raw = encode_uncompressed(h);
  // 33,792 buckets hold at most 304,128 payload bytes; declare one more.
  const uint32_t declared = 33'792 * 9 + 1;
  for (int i = 0; i < 4; ++i)
    raw[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(declared >> (24 - 8 * i));
  const Decoded d = decode_tracked(raw);
  EXPECT_TRUE(mentions(d.status, "exceeds what the declared range can hold")) << d.status.message();
  EXPECT_LT(d.largest_allocation_bytes, kSmallAllocation);
}

TEST(HdrDecodingLimits, Base64BeyondItsLimitIsRefusedWithoutDecoding) {
  const std::string text(kMaxDecodedBase64Bytes + 4, 'A');
  largest_allocation.store(0);
  auto result = decode_base64(text);
  EXPECT_TRUE(mentions(result.status(), "longer than the limit of 67108864"))
      << result.status().message();
  EXPECT_LT(largest_allocation.load(), kSmallAllocation);
}

TEST(HdrHistogramLayout, CountsLenForAgreesWithCreateWithoutAllocating) {
  for (int figures = 0; figures <= 6; ++figures) {
    for (int64_t lowest :
         {int64_t{0}, int64_t{1}, int64_t{1000}, int64_t{1} << 40, INT64_MAX / 4}) {
      for (int64_t highest : {int64_t{2}, int64_t{3'600'000'000'000}, kOneDayNs, INT64_MAX}) {
        largest_allocation.store(0);
        auto len = HdrHistogram::counts_len_for(lowest, highest, figures);
        const size_t allocated = largest_allocation.load();
        auto h = HdrHistogram::create(lowest, highest, figures);
        ASSERT_EQ(len.ok(), h.ok()) << lowest << " " << highest << " " << figures;
        if (len.ok()) {
          EXPECT_EQ(*len, h->counts_len());
          EXPECT_LT(allocated, kSmallAllocation);
        } else {
          EXPECT_EQ(len.status().message(), h.status().message());
        }
      }
    }
  }
}

}  // namespace
}  // namespace nightjar::stats
