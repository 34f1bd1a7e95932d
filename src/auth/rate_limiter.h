// RateLimiter: per-key token buckets, like API Gateway usage plans. Each key has a rate (requests
// per second) and a burst (the bucket's size); a request takes one token; an empty bucket means
// 429 with the seconds until the next token. Limits come from the key's own override, else its
// role's, else the default.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/api_key.h"

namespace estoque::auth {

struct RateLimits {
  RateOverride default_limit{1000, 2000};
  std::array<std::optional<RateOverride>, 5> by_role{};  // indexed by Role's value
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimits limits) : limits_(limits) {}

  struct Decision {
    bool allowed = true;
    double retry_after_s = 0;  // when refused: time until a token is back
  };
  // Takes a token from `key`'s bucket at `now_us` (monotonic microseconds). Thread-safe.
  Decision Take(const ApiKeyRecord& key, int64_t now_us);
  // The limit that applies to `key`.
  RateOverride LimitOf(const ApiKeyRecord& key) const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t at_us = 0;
    RateOverride limit;
  };
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Bucket> buckets;  // by key id
  };
  RateLimits limits_;
  std::array<Shard, kShards> shards_;
};

}  // namespace estoque::auth
