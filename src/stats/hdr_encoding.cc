#include "stats/hdr_encoding.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace nightjar::stats {
namespace {

constexpr uint32_t kV2EncodingCookie = 0x1c849303;
constexpr uint32_t kV2CompressedEncodingCookie = 0x1c849304;
// Java and C set bit 4 ("word size" nibble) in the cookies they write; readers mask the
// whole nibble off, and so do we. Writing it keeps our bytes identical to Java's.
constexpr uint32_t kWordSizeNibble = 0xf0;
constexpr uint32_t kWrittenWordSizeBits = 0x10;
// Pre-V2 cookies (fixed-width counts); recognised only to say why they are refused.
constexpr uint32_t kV1EncodingCookie = 0x1c849301;
constexpr uint32_t kV1CompressedEncodingCookie = 0x1c849302;
constexpr uint32_t kV0EncodingCookie = 0x1c849308;
constexpr uint32_t kV0CompressedEncodingCookie = 0x1c849309;

constexpr size_t kHeaderSize = 40;           // cookie .. conversion ratio
constexpr size_t kCompressedHeaderSize = 8;  // cookie, zlib stream length
constexpr size_t kMaxVarintSize = 9;         // LEB128-64b9B

uint32_t cookie_base(uint32_t cookie) { return cookie & ~kWordSizeNibble; }

std::string hex(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xf];
  return out;
}

void put_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

void put_u64(std::vector<uint8_t>& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

void set_u32(std::vector<uint8_t>& out, size_t at, uint32_t value) {
  for (int i = 0; i < 4; ++i)
    out[at + static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (24 - 8 * i));
}

uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

uint64_t get_u64(const uint8_t* p) { return (uint64_t{get_u32(p)} << 32) | get_u32(p + 4); }

// ZigZag then LEB128, at most 9 bytes: eight 7-bit groups with a continuation bit, then
// a ninth byte carrying the remaining 8 bits whole (HdrHistogram's "LEB128-64b9B").
void put_varint(std::vector<uint8_t>& out, int64_t signed_value) {
  uint64_t value =
      (static_cast<uint64_t>(signed_value) << 1) ^ static_cast<uint64_t>(signed_value >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((value >> 7) == 0) {
      out.push_back(static_cast<uint8_t>(value));
      return;
    }
    out.push_back(static_cast<uint8_t>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

// Reads one varint from [*pos, end). False when the input ends inside it.
bool get_varint(const uint8_t* data, size_t end, size_t* pos, int64_t* result) {
  uint64_t value = 0;
  for (size_t i = 0; i < kMaxVarintSize; ++i) {
    if (*pos >= end) return false;
    const uint8_t byte = data[(*pos)++];
    if (i == 8) {
      value |= uint64_t{byte} << 56;
      break;
    }
    value |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) break;
  }
  *result = static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
  return true;
}

// Upper bound on the counts payload of a histogram with `counts_len` buckets: every varint
// advances the bucket index by at least one.
size_t max_payload_size(int32_t counts_len) {
  return static_cast<size_t>(counts_len) * kMaxVarintSize;
}
static_assert(kMaxDecodedPayloadBytes == size_t{kMaxDecodedCountsLen} * kMaxVarintSize);

Status invalid(const std::string& message) {
  return Status::invalid_argument("HdrHistogram decode: " + message);
}

struct V2Header {
  uint32_t payload_size;
  int32_t normalizing_index_offset;
  int32_t significant_figures;
  int64_t lowest;
  int64_t highest;
};

V2Header parse_header(const uint8_t* p) {
  return {get_u32(p + 4), static_cast<int32_t>(get_u32(p + 8)),
          static_cast<int32_t>(get_u32(p + 12)), static_cast<int64_t>(get_u64(p + 16)),
          static_cast<int64_t>(get_u64(p + 24))};
}

Status check_cookie(uint32_t cookie, uint32_t expected_base, const char* what) {
  const uint32_t base = cookie_base(cookie);
  if (base == expected_base) return Status::ok_status();
  if (base == kV1EncodingCookie || base == kV1CompressedEncodingCookie ||
      base == kV0EncodingCookie || base == kV0CompressedEncodingCookie) {
    return invalid("unsupported pre-V2 encoding (fixed word size) with cookie " + hex(cookie));
  }
  return invalid(std::string("wrong cookie ") + hex(cookie) + " for " + what + ", expected " +
                 hex(expected_base));
}

// Builds the histogram the header declares and checks the payload size against it, before
// any count is read (so a hostile header cannot make us allocate or read beyond bounds).
Result<HdrHistogram> histogram_for_header(const V2Header& header, int32_t max_counts_len) {
  if (header.normalizing_index_offset != 0) {
    return invalid("unsupported normalizing index offset " +
                   std::to_string(header.normalizing_index_offset));
  }
  auto counts_len =
      HdrHistogram::counts_len_for(header.lowest, header.highest, header.significant_figures);
  if (!counts_len.ok()) return invalid("bad header: " + counts_len.status().message());
  const int32_t limit = std::min(max_counts_len, kMaxDecodedCountsLen);
  if (*counts_len > limit) {
    return invalid("the header's range (" + std::to_string(header.lowest) + " to " +
                   std::to_string(header.highest) + " at " +
                   std::to_string(header.significant_figures) + " significant figures) needs " +
                   std::to_string(*counts_len) + " buckets, more than the limit of " +
                   std::to_string(limit));
  }
  if (header.payload_size > max_payload_size(*counts_len)) {
    return invalid("declared payload length " + std::to_string(header.payload_size) +
                   " exceeds what the declared range can hold");
  }
  auto histogram = HdrHistogram::create(header.lowest, header.highest, header.significant_figures);
  if (!histogram.ok()) return invalid("bad header: " + histogram.status().message());
  return histogram;
}

Status decode_counts(const uint8_t* payload, size_t size, HdrHistogram& histogram) {
  const int64_t counts_len = histogram.counts_len();
  int64_t index = 0;
  int64_t total = 0;
  size_t pos = 0;
  while (pos < size) {
    int64_t value = 0;
    if (!get_varint(payload, size, &pos, &value))
      return invalid("truncated payload (varint cut short)");
    if (value < 0) {
      // -n: n empty buckets. -value cannot overflow a bounded index check this way.
      if (value < -(counts_len - index)) return invalid("counts beyond the declared range");
      index -= value;
      continue;
    }
    if (index >= counts_len) return invalid("counts beyond the declared range");
    if (__builtin_add_overflow(total, value, &total)) return invalid("total count overflows int64");
    histogram.add_count_at_index(static_cast<int32_t>(index), value);
    ++index;
  }
  return Status::ok_status();
}

Result<HdrHistogram> decode_uncompressed(const uint8_t* data, size_t size, int32_t max_counts_len) {
  if (size < kHeaderSize)
    return invalid("truncated payload (" + std::to_string(size) + " bytes, header needs 40)");
  if (Status s = check_cookie(get_u32(data), kV2EncodingCookie, "an uncompressed V2 histogram");
      !s.ok())
    return s;
  const V2Header header = parse_header(data);
  auto histogram = histogram_for_header(header, max_counts_len);
  if (!histogram.ok()) return histogram;
  const size_t available = size - kHeaderSize;
  if (header.payload_size > available) {
    return invalid("truncated payload (declared " + std::to_string(header.payload_size) +
                   " bytes, " + std::to_string(available) + " present)");
  }
  if (header.payload_size < available) {
    return invalid(std::to_string(available - header.payload_size) +
                   " unexpected bytes after the payload");
  }
  if (Status s = decode_counts(data + kHeaderSize, header.payload_size, *histogram); !s.ok())
    return s;
  return histogram;
}

// Inflates from `stream` into exactly `size` bytes at `out`. Fails on a corrupt stream or
// one that ends early.
Status inflate_exactly(z_stream& stream, uint8_t* out, size_t size) {
  stream.next_out = out;
  stream.avail_out = static_cast<uInt>(size);
  while (stream.avail_out > 0) {
    const int rc = inflate(&stream, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      return invalid(std::string("corrupt zlib stream") +
                     (stream.msg != nullptr ? std::string(": ") + stream.msg : ""));
    }
    if (stream.avail_in == 0 && stream.avail_out > 0) break;
  }
  if (stream.avail_out > 0) return invalid("truncated payload (zlib stream ends early)");
  return Status::ok_status();
}

struct InflateGuard {
  z_stream* stream;
  ~InflateGuard() { inflateEnd(stream); }
};

Result<HdrHistogram> decode_compressed(const uint8_t* data, size_t size, int32_t max_counts_len) {
  if (size < kCompressedHeaderSize)
    return invalid("truncated payload (compressed header needs 8 bytes)");
  const size_t zlib_size = get_u32(data + 4);
  const size_t available = size - kCompressedHeaderSize;
  if (zlib_size > available) {
    return invalid("truncated payload (declared zlib length " + std::to_string(zlib_size) + ", " +
                   std::to_string(available) + " bytes present)");
  }
  if (zlib_size < available) {
    return invalid(std::to_string(available - zlib_size) +
                   " unexpected bytes after the zlib stream");
  }

  z_stream stream{};
  if (inflateInit(&stream) != Z_OK)
    return Status::internal("HdrHistogram decode: inflateInit failed");
  InflateGuard guard{&stream};
  // zlib's API is not const-correct; inflate only reads next_in.
  stream.next_in = const_cast<Bytef*>(data + kCompressedHeaderSize);
  stream.avail_in = static_cast<uInt>(zlib_size);

  // The header first, so the output buffer is sized by the range it declares, not by
  // whatever the stream would inflate to.
  uint8_t header_bytes[kHeaderSize];
  if (Status s = inflate_exactly(stream, header_bytes, kHeaderSize); !s.ok()) return s;
  if (Status s = check_cookie(get_u32(header_bytes), kV2EncodingCookie,
                              "the payload of a compressed V2 histogram");
      !s.ok()) {
    return s;
  }
  const V2Header header = parse_header(header_bytes);
  auto histogram = histogram_for_header(header, max_counts_len);
  if (!histogram.ok()) return histogram;

  std::vector<uint8_t> payload(header.payload_size);
  if (Status s = inflate_exactly(stream, payload.data(), payload.size()); !s.ok()) return s;
  // The stream must end exactly here: one more byte of room must yield nothing.
  uint8_t extra = 0;
  stream.next_out = &extra;
  stream.avail_out = 1;
  const int rc = inflate(&stream, Z_FINISH);
  if (rc != Z_STREAM_END || stream.avail_out != 1) {
    return invalid(rc == Z_STREAM_END || stream.avail_out != 1
                       ? "zlib stream holds more than the declared payload"
                       : "corrupt or truncated zlib stream");
  }
  if (Status s = decode_counts(payload.data(), payload.size(), *histogram); !s.ok()) return s;
  return histogram;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::vector<uint8_t> encode_uncompressed(const HdrHistogram& histogram) {
  std::vector<uint8_t> out;
  put_u32(out, kV2EncodingCookie | kWrittenWordSizeBits);
  put_u32(out, 0);  // payload length, filled in below
  put_u32(out, 0);  // normalizing index offset
  put_u32(out, static_cast<uint32_t>(histogram.significant_figures()));
  put_u64(out, static_cast<uint64_t>(histogram.lowest_discernible_value()));
  put_u64(out, static_cast<uint64_t>(histogram.highest_trackable_value()));
  put_u64(out, std::bit_cast<uint64_t>(1.0));  // integer to double conversion ratio

  // Like Java, counts stop at the bucket of the largest value (the rest are implied zeros);
  // an empty histogram still carries one zero count.
  int32_t last_index = 0;
  for (int32_t i = histogram.counts_len() - 1; i > 0; --i) {
    if (histogram.count_at_index(i) != 0) {
      last_index = i;
      break;
    }
  }
  for (int32_t i = 0; i <= last_index;) {
    const int64_t count = histogram.count_at_index(i++);
    if (count != 0) {
      put_varint(out, count);
      continue;
    }
    int64_t zeros = 1;
    while (i <= last_index && histogram.count_at_index(i) == 0) {
      ++zeros;
      ++i;
    }
    put_varint(out, zeros > 1 ? -zeros : 0);
  }
  set_u32(out, 4, static_cast<uint32_t>(out.size() - kHeaderSize));
  return out;
}

std::vector<uint8_t> encode_compressed(const HdrHistogram& histogram) {
  const std::vector<uint8_t> raw = encode_uncompressed(histogram);
  uLongf zlib_size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> out(kCompressedHeaderSize + zlib_size);
  const int rc = compress2(out.data() + kCompressedHeaderSize, &zlib_size, raw.data(),
                           static_cast<uLong>(raw.size()), Z_DEFAULT_COMPRESSION);
  // compress2 fails only on memory exhaustion (the buffer is compressBound-sized).
  assert(rc == Z_OK);
  (void)rc;
  out.resize(kCompressedHeaderSize + zlib_size);
  set_u32(out, 0, kV2CompressedEncodingCookie | kWrittenWordSizeBits);
  set_u32(out, 4, static_cast<uint32_t>(zlib_size));
  return out;
}

std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // + NUL written by OpenSSL
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(std::max(written, 0)));
  return out;
}

std::string encode_base64(const HdrHistogram& histogram) {
  const std::vector<uint8_t> bytes = encode_compressed(histogram);
  return to_base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<HdrHistogram> decode(const uint8_t* data, size_t size, int32_t max_counts_len) {
  if (data == nullptr || size < 4)
    return invalid("truncated payload (" + std::to_string(size) + " bytes)");
  const uint32_t base = cookie_base(get_u32(data));
  if (base == kV2CompressedEncodingCookie) return decode_compressed(data, size, max_counts_len);
  if (base == kV2EncodingCookie) return decode_uncompressed(data, size, max_counts_len);
  return check_cookie(get_u32(data), kV2CompressedEncodingCookie,
                      "a V2 histogram (compressed or not)");
}

Result<std::string> from_base64(std::string_view text) {
  // .hlog lines may carry surrounding whitespace; nothing else may be there.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return invalid("bad base64: empty input");
  text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
  if (text.size() > kMaxDecodedBase64Bytes) {
    return invalid("bad base64: input of " + std::to_string(text.size()) +
                   " bytes is longer than the limit of " + std::to_string(kMaxDecodedBase64Bytes));
  }
  if (text.size() % 4 != 0)
    return invalid("bad base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    if (!is_base64_char(text[i]))
      return invalid("bad base64: unexpected character at offset " + std::to_string(i));
  }
  std::string bytes(text.size() / 4 * 3, '\0');
  const int decoded =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                      reinterpret_cast<const unsigned char*>(text.data()),
                      static_cast<int>(text.size()));
  if (decoded < 0 || static_cast<size_t>(decoded) != bytes.size()) return invalid("bad base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  bytes.resize(bytes.size() - padding);
  return bytes;
}

Result<HdrHistogram> decode_base64(std::string_view text, int32_t max_counts_len) {
  Result<std::string> bytes = from_base64(text);
  if (!bytes.ok()) return bytes.status();
  return decode(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(), max_counts_len);
}

namespace {
// What a decode within a budget may take: what is left, as a counts length.
int32_t budget_limit(int64_t left) { return static_cast<int32_t>(std::min<int64_t>(left, INT32_MAX)); }
}  // namespace

Result<HdrHistogram> DecodeBudget::decode_base64(std::string_view text) {
  if (text.empty()) return HdrHistogram();
  return spend(stats::decode_base64(text, budget_limit(left_)));
}

Result<HdrHistogram> DecodeBudget::decode(std::string_view bytes) {
  if (bytes.empty()) return HdrHistogram();
  return spend(stats::decode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                             budget_limit(left_)));
}

Result<HdrHistogram> DecodeBudget::spend(Result<HdrHistogram> h) {
  if (!h.ok()) {
    if (left_ >= kMaxDecodedCountsLen) return h.status();
    return Status::invalid_argument(h.status().message() + " (the input's histograms together may hold " +
                                    std::to_string(total_) + " buckets)");
  }
  left_ -= h->counts_len();
  return h;
}

}  // namespace nightjar::stats
