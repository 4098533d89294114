// The HdrHistogram V2 encoding, so histograms travel between processes and into
// .hlog interval logs readable by the HdrHistogram tools (Java, Go, Python, C).
//
// Layout (big-endian), as HdrHistogram's Java/C implementations write it:
//   uncompressed "V2" payload: cookie 0x1c849303, payload length, normalizing index
//   offset (0), significant figures, lowest discernible value, highest trackable value,
//   integer-to-double conversion ratio (1.0), then counts as ZigZag LEB128 varints where a
//   negative number -n stands for n consecutive empty buckets.
//   compressed: cookie 0x1c849304, length of the zlib stream, then the zlib-deflated
//   uncompressed payload.
// The base64 form is the compressed form in standard base64 (what .hlog lines carry).
// Like Java, the cookies are written with bit 4 set (0x1c849313, 0x1c849314); readers,
// ours included, ignore bits 4-7. Counts stop at the bucket of the largest value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stats/hdr_histogram.h"

namespace nightjar::stats {

std::vector<uint8_t> encode_uncompressed(const HdrHistogram& histogram);
std::vector<uint8_t> encode_compressed(const HdrHistogram& histogram);
std::string encode_base64(const HdrHistogram& histogram);  // base64 of encode_compressed

// Standard base64 (with padding) of any bytes, and back. from_base64 trims surrounding
// whitespace (as .hlog lines may carry) and refuses anything else that is not base64, or
// text longer than kMaxDecodedBase64Bytes, with a message saying what was wrong.
std::string to_base64(std::string_view bytes);
Result<std::string> from_base64(std::string_view text);

// Limits of the decoder, so that a hostile header cannot make it allocate without bound
// (docs/statistics.md, "Decoding limits"). A header is checked before anything is allocated:
//  - significant figures 1..5, lowest discernible value >= 1, highest >= 2 * lowest
//    (HdrHistogram::create's rules);
//  - the counts array those declare at most kMaxDecodedCountsLen buckets (32 MiB of counts):
//    any range at up to 4 significant figures, 5 figures up to a range of about 2^46
//    (1 ns to a day);
//  - the (inflated) payload at most 9 bytes per bucket, so at most kMaxDecodedPayloadBytes;
//  - base64 text at most kMaxDecodedBase64Bytes.
// A decode's peak allocation is therefore below 32 + 36 MiB, plus 3/4 of the base64 text.
inline constexpr int32_t kMaxDecodedCountsLen = int32_t{1} << 22;  // 4,194,304 buckets
inline constexpr size_t kMaxDecodedPayloadBytes = size_t{kMaxDecodedCountsLen} * 9;  // 36 MiB
inline constexpr size_t kMaxDecodedBase64Bytes = size_t{64} << 20;                   // 64 MiB

// Decoding accepts the compressed and the uncompressed V2 forms. Errors name what was
// wrong (bad base64, wrong cookie, truncated payload, corrupt zlib stream, counts beyond
// the declared range, a range beyond the limits above, unsupported word size) and never
// crash on hostile input. `max_counts_len` lowers the bucket limit (a reader decoding many
// histograms passes what is left of its budget); it cannot raise it. The conversion ratio
// is ignored (integer histograms only); a non-zero normalizing index offset is refused.
Result<HdrHistogram> decode(const uint8_t* data, size_t size,
                            int32_t max_counts_len = kMaxDecodedCountsLen);
Result<HdrHistogram> decode_base64(std::string_view text,
                                   int32_t max_counts_len = kMaxDecodedCountsLen);

// Decodes the histograms of one input (a result file, a result message) within one bucket
// budget, so that many histograms cannot together take more than the input may.
class DecodeBudget {
 public:
  explicit DecodeBudget(int64_t buckets) : total_(buckets), left_(buckets) {}
  // decode_base64 within what is left; "" is an empty histogram. Once the budget is smaller
  // than one histogram's limit, an error says what the input's histograms together may hold.
  Result<HdrHistogram> decode_base64(std::string_view text);
  // decode() of binary bytes within what is left; "" is an empty histogram.
  Result<HdrHistogram> decode(std::string_view bytes);

 private:
  Result<HdrHistogram> spend(Result<HdrHistogram> decoded);

  const int64_t total_;
  int64_t left_;
};

}  // namespace nightjar::stats
