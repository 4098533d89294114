// libFuzzer target for the HdrHistogram V2 decoder (compressed, uncompressed and base64), what
// arrives in result files, .hlog lines and workers' interval streams. The first byte picks the
// form: even for the binary forms, odd for base64 text. A histogram that decodes must respect
// the decoder's limits and survive a round trip through the encoder unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stats/hdr_encoding.h"
#include "stats/hdr_histogram.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nightjar::stats;
  if (size == 0) return 0;
  const bool base64 = (data[0] & 1) != 0;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1;
  auto histogram =
      base64 ? decode_base64(std::string_view(reinterpret_cast<const char*>(body), body_size))
             : decode(body, body_size);
  if (!histogram.ok()) {
    if (histogram.status().message().empty()) __builtin_trap();  // every error says what
    return 0;
  }
  if (histogram->counts_len() > kMaxDecodedCountsLen) __builtin_trap();
  // What consumers ask of a decoded histogram.
  const int64_t p99 = histogram->value_at_percentile(99);
  if (histogram->total_count() > 0 && (p99 < histogram->min() || p99 > histogram->max()))
    __builtin_trap();
  (void)histogram->mean();
  (void)histogram->stddev();
  (void)histogram->percentile_spectrum();
  HdrHistogram merged;
  merged.add(*histogram);
  // Re-encoding gives bytes that decode to the same histogram.
  const std::vector<uint8_t> again = encode_compressed(*histogram);
  auto round_trip = decode(again.data(), again.size());
  if (!round_trip.ok() || !(*round_trip == *histogram)) __builtin_trap();
  return 0;
}
