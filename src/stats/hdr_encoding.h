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

// Decoding accepts the compressed and the uncompressed V2 forms. Errors name what was
// wrong (bad base64, wrong cookie, truncated payload, corrupt zlib stream, counts beyond
// the declared range, unsupported word size) and never crash on hostile input. Allocation
// is bounded by the range the header declares (create()'s limits), and a payload may not
// be longer than 9 bytes per bucket of that range. The conversion ratio is ignored
// (integer histograms only); a non-zero normalizing index offset is refused.
Result<HdrHistogram> decode(const uint8_t* data, size_t size);
Result<HdrHistogram> decode_base64(std::string_view text);

}  // namespace nightjar::stats
