#include "store/run_id.h"

#include <cassert>

namespace nightjar::store {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The value of an upper-case ID character, -1 for none.
int digit_value(char c) {
  for (int i = 0; i < 32; ++i) {
    if (kAlphabet[i] == c) return i;
  }
  return -1;
}

}  // namespace

std::string make_run_id(int64_t unix_ms, uint64_t random_bits) {
  assert(unix_ms >= 0);
  // 50 bits of time then 10 random bits: 60 bits, 12 digits of 5 bits, most significant first.
  const uint64_t value = (static_cast<uint64_t>(unix_ms) << 10) | (random_bits & 0x3ff);
  std::string id(kRunIdLength, '0');
  for (size_t i = 0; i < kRunIdLength; ++i) {
    id[kRunIdLength - 1 - i] = kAlphabet[(value >> (5 * i)) & 31];
  }
  return id;
}

std::string next_run_id(std::string_view id) {
  std::string next(id);
  for (size_t i = next.size(); i-- > 0;) {
    const int v = digit_value(next[i]);
    if (v < 31) {
      next[i] = kAlphabet[v + 1];
      return next;
    }
    next[i] = '0';  // carry
  }
  assert(false && "next_run_id of the largest ID");
  return next;
}

std::string normalize_run_id_prefix(std::string_view prefix) {
  if (prefix.size() > kRunIdLength) return {};
  std::string out;
  for (char c : prefix) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (digit_value(c) < 0) return {};
    out += c;
  }
  return out;
}

}  // namespace nightjar::store
