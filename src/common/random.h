// Randomness, behind a seam: code that draws (Poisson arrivals, jitter, sampling) takes a
// `RandomSource` it was given, so a run or a test can be replayed from its seed.
#pragma once

#include <cstdint>

namespace nightjar {

// A stream of uniformly distributed 64-bit values, and the draws built on it.
// Not thread-safe: each thread owns its own source (seed them differently).
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // 64 uniformly random bits.
  virtual uint64_t next_u64() = 0;

  // Uniform in [0, 1), from the top 53 bits: every value is a multiple of 2^-53.
  double next_unit();
  // Uniform in [0, bound) without modulo bias (Lemire's method). `bound` > 0.
  uint64_t next_below(uint64_t bound);
  // Exponentially distributed with mean `mean` (> 0): the gaps between Poisson arrivals.
  // Finite: at most about 37.4 means.
  double next_exponential(double mean);
};

// SplitMix64: one step of the generator that seeds others (and the finaliser that
// spreads consecutive seeds apart). Advances `state`.
uint64_t splitmix64(uint64_t& state);

// xoshiro256** (Blackman and Vigna), its state seeded by SplitMix64 from one 64-bit seed:
// fast, 2^256 - 1 period, and the same sequence for the same seed on every platform.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t next_u64() override;

 private:
  uint64_t state_[4];
};

}  // namespace nightjar
