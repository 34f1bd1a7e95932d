// The load generator's random numbers: fast and deterministic per seed, good enough for picking
// keys and quantities (not for anything that needs unpredictability).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

namespace estoque::load {

// splitmix64. Not thread-safe: one per body builder.
class KeyRandom {
 public:
  explicit KeyRandom(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // A value in [0, bound), by Lemire's multiply-shift (no division). REQUIRES: bound >= 1.
  std::size_t Below(uint64_t bound) {
    assert(bound >= 1);
    return static_cast<std::size_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }

 private:
  uint64_t state_;
};

}  // namespace estoque::load
