#include "common/random.h"

#include <cassert>
#include <cmath>

namespace nightjar {
namespace {

__extension__ typedef unsigned __int128 Uint128;  // GCC and Clang

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

double RandomSource::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

uint64_t RandomSource::next_below(uint64_t bound) {
  assert(bound > 0);
  // The high half of a 128-bit product is uniform once the few low products that would
  // favour some results are rejected.
  Uint128 product = static_cast<Uint128>(next_u64()) * bound;
  auto low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = -bound % bound;
    while (low < threshold) {
      product = static_cast<Uint128>(next_u64()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

double RandomSource::next_exponential(double mean) {
  assert(mean > 0);
  // 1 - u is in (0, 1]: the logarithm is finite.
  return -mean * std::log1p(-next_unit());
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

SeededRandom::SeededRandom(uint64_t seed) {
  for (uint64_t& word : state_) word = splitmix64(seed);
}

uint64_t SeededRandom::next_u64() {
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

}  // namespace nightjar
