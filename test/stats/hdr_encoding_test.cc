#include "stats/hdr_encoding.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "stats/hdr_histogram.h"
#include "support/shell.h"

namespace nightjar::stats {
namespace {

using Bytes = std::vector<uint8_t>;

std::string data_dir() { return std::string(NIGHTJAR_TEST_DATA_DIR) + "/stats"; }
constexpr const char* kJavaJar = "/usr/share/java/hdrhistogram.jar";

HdrHistogram make(int64_t lowest, int64_t highest, int significant_figures) {
  auto result = HdrHistogram::create(lowest, highest, significant_figures);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return std::move(result).value();
}

HdrHistogram lognormal_histogram(HdrHistogram h, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(2e6), 1.5);
  for (size_t i = 0; i < n; ++i) h.record(std::llround(dist(rng)));
  return h;
}

// The smallest histogram to spoil: the value 1 recorded once.
HdrHistogram one_value() {
  HdrHistogram h;
  h.record(1);
  return h;
}

Bytes payload_of(const Bytes& uncompressed) {
  return Bytes(uncompressed.begin() + 40, uncompressed.end());
}

void put_u32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

void put_u64(Bytes& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

uint64_t get_u64(const Bytes& b, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

Bytes zlib_compress(const Bytes& raw) {
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  Bytes out(size);
  EXPECT_EQ(compress2(out.data(), &size, raw.data(), static_cast<uLong>(raw.size()),
                      Z_DEFAULT_COMPRESSION),
            Z_OK);
  out.resize(size);
  return out;
}

// Wraps a zlib stream in the compressed V2 envelope (cookie, stream length).
Bytes compressed_envelope(const Bytes& zlib_stream) {
  Bytes out(8);
  put_u32(out, 0, 0x1c849314);
  put_u32(out, 4, static_cast<uint32_t>(zlib_stream.size()));
  out.insert(out.end(), zlib_stream.begin(), zlib_stream.end());
  return out;
}

// The raw V2 payload inside a compressed encoding, inflated independently of the decoder.
Bytes inflate_envelope(const Bytes& compressed) {
  Bytes out(1 << 20);
  uLongf size = out.size();
  EXPECT_EQ(uncompress(out.data(), &size, compressed.data() + 8,
                       static_cast<uLong>(compressed.size() - 8)),
            Z_OK);
  out.resize(size);
  return out;
}

::testing::AssertionResult decodes_equal(const Bytes& bytes, const HdrHistogram& want) {
  auto got = decode(bytes.data(), bytes.size());
  if (!got.ok())
    return ::testing::AssertionFailure() << "decode failed: " << got.status().message();
  if (!(*got == want)) return ::testing::AssertionFailure() << "decoded histogram differs";
  if (got->min() != want.min() || got->max() != want.max() ||
      got->total_count() != want.total_count() ||
      got->value_at_percentile(99) != want.value_at_percentile(99) || got->mean() != want.mean()) {
    return ::testing::AssertionFailure() << "decoded statistics differ";
  }
  return ::testing::AssertionSuccess();
}

Status decode_status(const Bytes& bytes) {
  auto result = decode(bytes.data(), bytes.size());
  return result.ok() ? Status::ok_status() : result.status();
}

::testing::AssertionResult fails_mentioning(const Status& status, const std::string& needle) {
  if (status.ok()) return ::testing::AssertionFailure() << "decode succeeded";
  if (status.code() != StatusCode::kInvalidArgument)
    return ::testing::AssertionFailure() << "wrong code";
  if (status.message().find(needle) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message '" << status.message() << "' lacks '" << needle << "'";
  }
  return ::testing::AssertionSuccess();
}

// --- layout -------------------------------------------------------------------------------

TEST(HdrEncoding, UncompressedHeaderIsBigEndianV2) {
  HdrHistogram h = make(7, 1'000'000, 2);
  h.record(100);
  const Bytes bytes = encode_uncompressed(h);
  ASSERT_GE(bytes.size(), 40u);
  // Cookie with the word-size nibble Java sets (readers mask it off).
  EXPECT_EQ(Bytes(bytes.begin(), bytes.begin() + 4), (Bytes{0x1c, 0x84, 0x93, 0x13}));
  EXPECT_EQ(Bytes(bytes.begin() + 4, bytes.begin() + 8),
            (Bytes{0, 0, 0, static_cast<uint8_t>(bytes.size() - 40)}));  // payload length
  EXPECT_EQ(Bytes(bytes.begin() + 8, bytes.begin() + 16),
            (Bytes{0, 0, 0, 0, 0, 0, 0, 2}));  // offset, figures
  EXPECT_EQ(get_u64(bytes, 16), 7u);
  EXPECT_EQ(get_u64(bytes, 24), 1'000'000u);
  EXPECT_EQ(get_u64(bytes, 32), 0x3ff0000000000000u);  // 1.0

  const Bytes compressed = encode_compressed(h);
  EXPECT_EQ(Bytes(compressed.begin(), compressed.begin() + 4), (Bytes{0x1c, 0x84, 0x93, 0x14}));
  EXPECT_EQ(inflate_envelope(compressed), bytes);
}

TEST(HdrEncoding, CountsAreZigZagVarintsWithNegativeRunsOfZeros) {
  HdrHistogram h;
  h.record_n(1, 3);
  h.record(3);
  // Buckets 0..3 = 0, 3, 0, 1; a single zero is written as 0, not as a run of one.
  EXPECT_EQ(payload_of(encode_uncompressed(h)), (Bytes{0x00, 0x06, 0x00, 0x02}));

  h.reset();
  h.record(0);
  h.record_n(100, 64);
  // 1, then 99 zeros as -99 (zigzag 197 = 0xc5 0x01), then 64 (zigzag 128 = 0x80 0x01).
  EXPECT_EQ(payload_of(encode_uncompressed(h)), (Bytes{0x02, 0xc5, 0x01, 0x80, 0x01}));

  // An empty histogram still carries its single (zero) bucket, like Java's.
  EXPECT_EQ(payload_of(encode_uncompressed(HdrHistogram())), (Bytes{0x00}));
}

TEST(HdrEncoding, LargestCountsUseTheNineByteVarint) {
  HdrHistogram h;
  h.record_n(0, INT64_MAX);
  const Bytes payload = payload_of(encode_uncompressed(h));
  // zigzag(INT64_MAX) = 2^64 - 2: eight 7-bit groups, then a whole ninth byte.
  EXPECT_EQ(payload, (Bytes{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_TRUE(decodes_equal(encode_uncompressed(h), h));

  HdrHistogram g;
  g.record_n(5, int64_t{1} << 62);
  EXPECT_TRUE(decodes_equal(encode_compressed(g), g));
}

// --- round trips --------------------------------------------------------------------------

TEST(HdrEncoding, RoundTripsEveryFormToAnEqualHistogram) {
  struct Config {
    int64_t lowest, highest;
    int figures;
  };
  const Config configs[] = {{1, HdrHistogram::kDefaultHighest, 3},
                            {1, 1'000'000, 2},
                            {1000, 10'000'000'000, 4},
                            {5, 100'000'000, 5},
                            {1, INT64_MAX, 1}};
  for (const Config& c : configs) {
    const HdrHistogram empty = make(c.lowest, c.highest, c.figures);
    HdrHistogram single = empty;
    single.record(c.highest / 3);
    HdrHistogram zero = empty;
    zero.record_n(0, 5);
    const HdrHistogram many = lognormal_histogram(empty, 20'000, 3);
    HdrHistogram extremes = many;
    extremes.record(0);
    extremes.record(c.highest);

    int index = 0;
    const HdrHistogram* all[] = {&empty, &single, &zero, &many, &extremes};
    for (const HdrHistogram* h : all) {
      SCOPED_TRACE("config " + std::to_string(c.lowest) + ".." + std::to_string(c.highest) + "/" +
                   std::to_string(c.figures) + " histogram #" + std::to_string(index++));
      EXPECT_TRUE(decodes_equal(encode_uncompressed(*h), *h));
      EXPECT_TRUE(decodes_equal(encode_compressed(*h), *h));
      auto from_text = decode_base64(encode_base64(*h));
      ASSERT_TRUE(from_text.ok()) << from_text.status().message();
      EXPECT_TRUE(*from_text == *h);
      EXPECT_EQ(from_text->lowest_discernible_value(), c.lowest);
      EXPECT_EQ(from_text->highest_trackable_value(), c.highest);
      EXPECT_EQ(from_text->significant_figures(), c.figures);
    }
    EXPECT_GT(many.total_count(), 0);
  }
}

TEST(HdrEncoding, Base64ToleratesSurroundingWhitespaceLikeHlogLines) {
  HdrHistogram h;
  h.record(12345);
  auto decoded = decode_base64("  " + encode_base64(h) + "\r\n");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_TRUE(*decoded == h);
}

// --- hostile input ------------------------------------------------------------------------

TEST(HdrDecoding, RejectsRandomBytes) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    Bytes bytes(std::uniform_int_distribution<size_t>(0, 200)(rng));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    auto result = decode(bytes.data(), bytes.size());
    EXPECT_FALSE(result.ok()) << i;
    EXPECT_FALSE(result.status().message().empty());
  }
  EXPECT_FALSE(decode(nullptr, 0).ok());
}

TEST(HdrDecoding, RandomBytesAfterAValidCookieNeverCrash) {
  std::mt19937_64 rng(2);
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes bytes(std::uniform_int_distribution<size_t>(4, 120)(rng));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    put_u32(bytes, 0, i % 2 == 0 ? 0x1c849313 : 0x1c849314);
    if (!decode(bytes.data(), bytes.size()).ok()) ++rejected;
  }
  EXPECT_EQ(rejected, 2000);  // random lengths and configurations never line up
}

TEST(HdrDecoding, RejectsEveryTruncation) {
  const HdrHistogram h = lognormal_histogram(HdrHistogram(), 2000, 4);
  for (const Bytes& full : {encode_uncompressed(h), encode_compressed(h)}) {
    for (size_t size = 0; size < full.size(); ++size) {
      EXPECT_FALSE(decode(full.data(), size).ok()) << size << " of " << full.size();
    }
    EXPECT_TRUE(fails_mentioning(decode_status(Bytes(full.begin(), full.end() - 1)), "truncated"));
    Bytes longer = full;
    longer.push_back(0);
    EXPECT_TRUE(fails_mentioning(decode_status(longer), "unexpected bytes"));
  }
}

TEST(HdrDecoding, RejectsWrongCookies) {
  const HdrHistogram h = one_value();
  Bytes bytes = encode_uncompressed(h);
  put_u32(bytes, 0, 0xdeadbeef);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "cookie"));
  // Pre-V2 (V1) cookies are recognised but unsupported.
  put_u32(bytes, 0, 0x1c849301);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "pre-V2"));
  // A compressed envelope must hold an uncompressed payload.
  Bytes inner = encode_uncompressed(h);
  put_u32(inner, 0, 0x1c849314);
  EXPECT_TRUE(fails_mentioning(decode_status(compressed_envelope(zlib_compress(inner))), "cookie"));
  // The word-size nibble is ignored, as Java and C readers do.
  Bytes plain_cookie = encode_uncompressed(h);
  put_u32(plain_cookie, 0, 0x1c849303);
  EXPECT_TRUE(decodes_equal(plain_cookie, h));
}

TEST(HdrDecoding, RejectsBadBase64) {
  const HdrHistogram h = one_value();
  const std::string good = encode_base64(h);
  for (const std::string& bad :
       {std::string(""), std::string("   "), std::string("abc"), std::string("not base64!"),
        std::string("===="), std::string("QU=D"), good.substr(0, good.size() - 1), good + "A",
        "*" + good.substr(1)}) {
    EXPECT_TRUE(fails_mentioning(decode_base64(bad).status(), "base64")) << "'" << bad << "'";
  }
  // Valid base64 of something that is not a histogram.
  EXPECT_TRUE(fails_mentioning(decode_base64("aGVsbG8gd29ybGQ=").status(), "cookie"));
}

TEST(Base64, RoundTripsEveryLengthAndTrimsWhitespace) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    auto back = from_base64(" " + to_base64(bytes) + "\n");
    if (bytes.empty()) {
      EXPECT_FALSE(back.ok());  // nothing is not base64 of anything
    } else {
      ASSERT_TRUE(back.ok()) << n << ": " << back.status().message();
      EXPECT_EQ(*back, bytes) << n;
    }
    bytes.push_back(static_cast<char>(n * 37));
  }
  EXPECT_EQ(to_base64("hello world"), "aGVsbG8gd29ybGQ=");
  EXPECT_TRUE(fails_mentioning(from_base64("aGVs*G8=").status(), "offset 4"));
}

TEST(HdrDecoding, RejectsHugeDeclaredLengthsBeforeAllocating) {
  const HdrHistogram h = one_value();
  Bytes bytes = encode_uncompressed(h);
  put_u32(bytes, 4, 0xfffffff0);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "payload length"));

  // The payload may not exceed 9 bytes per bucket of the declared range.
  Bytes widest = encode_uncompressed(make(1, 86'400'000'000'000, 5));
  put_u32(widest, 4, static_cast<uint32_t>(kMaxDecodedPayloadBytes));
  EXPECT_TRUE(fails_mentioning(decode_status(widest), "exceeds what the declared range can hold"));

  Bytes compressed = encode_compressed(h);
  put_u32(compressed, 4, 0xffffffff);
  EXPECT_TRUE(fails_mentioning(decode_status(compressed), "truncated"));
}

TEST(HdrDecoding, RejectsAZlibStreamLongerThanTheDeclaredPayload) {
  const HdrHistogram h = one_value();
  Bytes raw = encode_uncompressed(h);
  raw.resize(raw.size() + (8 << 20), 0);  // 8 MiB of zeros compress to a few KiB
  EXPECT_TRUE(fails_mentioning(decode_status(compressed_envelope(zlib_compress(raw))),
                               "more than the declared"));

  Bytes corrupt = encode_compressed(h);
  corrupt[corrupt.size() - 1] ^= 0xff;  // breaks the adler32 checksum
  EXPECT_FALSE(decode(corrupt.data(), corrupt.size()).ok());
}

TEST(HdrDecoding, RejectsCountsBeyondTheDeclaredRange) {
  const HdrHistogram small = make(1, 4095, 3);  // two buckets: counts_len 3072
  Bytes bytes = encode_uncompressed(small);
  bytes.resize(40);
  // -3071 zeros then a count lands on the last bucket: fine.
  auto with_payload = [&](const Bytes& payload) {
    Bytes b = bytes;
    b.insert(b.end(), payload.begin(), payload.end());
    put_u32(b, 4, static_cast<uint32_t>(payload.size()));
    return b;
  };
  ASSERT_EQ(small.counts_len(), 3072);
  auto last = decode_status(with_payload({0xfd, 0x2f, 0x02}));  // zigzag(-3071) = 6141
  EXPECT_TRUE(last.ok()) << last.message();
  EXPECT_TRUE(fails_mentioning(decode_status(with_payload({0xff, 0x2f, 0x02})),
                               "beyond the declared range"));
  // A zero run of INT64_MIN must not overflow the index.
  EXPECT_TRUE(fails_mentioning(
      decode_status(with_payload({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})),
      "beyond"));
  // A varint cut short by the end of the payload.
  EXPECT_TRUE(fails_mentioning(decode_status(with_payload({0x02, 0x80})), "truncated"));
  // Counts whose sum overflows.
  const Bytes max_count = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Bytes two_max = max_count;
  two_max.insert(two_max.end(), max_count.begin(), max_count.end());
  EXPECT_TRUE(fails_mentioning(decode_status(with_payload(two_max)), "overflow"));
}

TEST(HdrDecoding, RejectsInvalidHeaderFieldsNamingThem) {
  const HdrHistogram h = one_value();
  Bytes bytes = encode_uncompressed(h);
  put_u32(bytes, 12, 9);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "significant_figures"));
  bytes = encode_uncompressed(h);
  put_u64(bytes, 16, 0);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "lowest_discernible_value"));
  bytes = encode_uncompressed(h);
  put_u64(bytes, 24, static_cast<uint64_t>(-5));
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "highest_trackable_value"));
  bytes = encode_uncompressed(h);
  put_u32(bytes, 8, 3);
  EXPECT_TRUE(fails_mentioning(decode_status(bytes), "normalizing index offset"));
}

TEST(HdrDecoding, SurvivesThousandsOfMutationsOfAValidEncoding) {
  const HdrHistogram h = lognormal_histogram(HdrHistogram(), 2000, 5);
  std::mt19937_64 rng(6);
  int rejected = 0;
  int accepted = 0;
  for (const Bytes& valid : {encode_uncompressed(h), encode_compressed(h)}) {
    for (int i = 0; i < 2500; ++i) {
      Bytes bytes = valid;
      const int mutations = std::uniform_int_distribution<int>(1, 4)(rng);
      for (int m = 0; m < mutations; ++m) {
        const size_t at = std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng);
        switch (rng() % 4) {
          case 0:
            bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
            break;
          case 1:
            bytes[at] = static_cast<uint8_t>(rng());
            break;
          case 2:
            bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(at));
            break;
          default:
            bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(at), static_cast<uint8_t>(rng()));
            break;
        }
        if (bytes.empty()) bytes.push_back(0);
      }
      auto result = decode(bytes.data(), bytes.size());
      if (!result.ok()) {
        ++rejected;
        EXPECT_FALSE(result.status().message().empty());
        continue;
      }
      ++accepted;
      // Whatever was accepted is a self-consistent histogram.
      int64_t sum = 0;
      result->for_each_recorded([&](int64_t, int64_t, int64_t count) { sum += count; });
      EXPECT_EQ(sum, result->total_count());
      EXPECT_EQ(result->value_at_percentile(100), result->max());
      EXPECT_TRUE(decodes_equal(encode_compressed(*result), *result));
    }
  }
  EXPECT_GT(rejected, 2500);  // all corrupt zlib streams, most truncated or shifted payloads
  EXPECT_GT(accepted, 0);     // count bytes flipped in the uncompressed form stay decodable
}

// --- interoperability with HdrHistogram (Java) ---------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Base64 decoding straight through OpenSSL, bypassing the decoder under test.
Bytes base64_decode_independently(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  const size_t padding = static_cast<size_t>(
      std::count(text.end() - std::min<ptrdiff_t>(2, std::ssize(text)), text.end(), '='));
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

struct JavaSummary {
  std::map<std::string, std::string> fields;
  std::vector<PercentilePoint> spectrum;
};

JavaSummary parse_summary(const std::string& text) {
  JavaSummary summary;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "spectrum") {
      PercentilePoint p{};
      std::istringstream fields(value);
      fields >> p.percentile >> p.value >> p.count_at_or_below;
      summary.spectrum.push_back(p);
    } else {
      summary.fields[key] = value;
    }
  }
  return summary;
}

// Checks `h` against what HdrHistogram (Java) computed for the same histogram.
void expect_matches_java(const HdrHistogram& h, const JavaSummary& java) {
  ASSERT_GE(java.fields.size(), 12u) << "incomplete Java summary";
  auto field = [&](const std::string& key) { return std::stoll(java.fields.at(key)); };
  EXPECT_EQ(h.lowest_discernible_value(), field("lowest_discernible_value"));
  EXPECT_EQ(h.highest_trackable_value(), field("highest_trackable_value"));
  EXPECT_EQ(h.significant_figures(), field("significant_figures"));
  EXPECT_EQ(h.total_count(), field("total_count"));
  EXPECT_EQ(h.min(), field("min"));
  EXPECT_EQ(h.max(), field("max"));
  const double java_mean = std::stod(java.fields.at("mean"));
  EXPECT_NEAR(h.mean(), java_mean, 1e-12 * java_mean);
  for (const char* key : {"p50.0", "p90.0", "p99.0", "p99.9", "p100.0"}) {
    EXPECT_EQ(h.value_at_percentile(std::stod(std::string(key).substr(1))), field(key)) << key;
  }
  const auto ours = h.percentile_spectrum(5);
  ASSERT_EQ(ours.size(), java.spectrum.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_NEAR(ours[i].percentile, java.spectrum[i].percentile, 1e-9) << i;
    EXPECT_EQ(ours[i].value, java.spectrum[i].value) << i;
    EXPECT_EQ(ours[i].count_at_or_below, java.spectrum[i].count_at_or_below) << i;
  }
}

// The values MakeFixture.java records (see its header comment).
HdrHistogram fixture_values_recorded_here() {
  HdrHistogram h;
  for (int64_t v = 1; v <= 10'000; ++v) h.record(v);
  h.record_n(1'000'000'000, 1000);
  h.record_n(123'456'789, 7);
  h.record(2'500'000'000'000);
  h.record(3'599'999'999'999);
  return h;
}

TEST(JavaFixture, DecodesToJavasStatistics) {
  auto decoded = decode_base64(read_text(data_dir() + "/java_histogram.b64"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const JavaSummary java = parse_summary(read_text(data_dir() + "/java_histogram_expected.txt"));
  EXPECT_EQ(java.fields.at("total_count"), "11009");  // the fixture is the one documented
  expect_matches_java(*decoded, java);
}

TEST(JavaFixture, SameValuesRecordedHereGiveJavasHistogramAndBytes) {
  auto decoded = decode_base64(read_text(data_dir() + "/java_histogram.b64"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const HdrHistogram ours = fixture_values_recorded_here();
  EXPECT_TRUE(ours == *decoded);
  // Byte for byte, before compression (zlib output may differ between zlib builds).
  const Bytes java_compressed =
      base64_decode_independently(read_text(data_dir() + "/java_histogram.b64"));
  ASSERT_GT(java_compressed.size(), 8u);
  EXPECT_EQ(encode_uncompressed(ours), inflate_envelope(java_compressed));
}

TEST(JavaFixture, ReencodingRoundTrips) {
  auto decoded = decode_base64(read_text(data_dir() + "/java_histogram.b64"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  auto again = decode_base64(encode_base64(*decoded));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(*again == *decoded);
  EXPECT_EQ(again->max(), decoded->max());
  EXPECT_EQ(again->value_at_percentile(99.9), decoded->value_at_percentile(99.9));
}

// Reverse direction: Java decodes what we encode. Needs a JDK (11+, for running a source
// file directly) and Debian's libhdrhistogram-java; skipped without them.
TEST(JavaInterop, JavaDecodesOurEncoding) {
  if (!std::filesystem::exists(kJavaJar) || !testing::find_executable("java")) {
    GTEST_SKIP() << "java or " << kJavaJar << " not installed";
  }
  HdrHistogram h = lognormal_histogram(HdrHistogram(), 50'000, 9);
  h.record(0);
  h.record_n(3'000'000'000'000, 3);
  const testing::CommandResult java = testing::run_command(std::string("java -cp ") + kJavaJar + " " + data_dir() +
                                                           "/MakeFixture.java describe " + encode_base64(h));
  ASSERT_EQ(java.exit_code, 0) << java.output;
  expect_matches_java(h, parse_summary(java.output));
}

}  // namespace
}  // namespace nightjar::stats
