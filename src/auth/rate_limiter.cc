#include "auth/rate_limiter.h"

#include <algorithm>
#include <functional>

namespace estoque::auth {

RateOverride RateLimiter::LimitOf(const ApiKeyRecord& key) const {
  if (key.rate.has_value()) return *key.rate;
  const auto& role = limits_.by_role[static_cast<std::size_t>(key.role)];
  return role.has_value() ? *role : limits_.default_limit;
}

RateLimiter::Decision RateLimiter::Take(const ApiKeyRecord& key, int64_t now_us) {
  const RateOverride limit = LimitOf(key);
  Shard& shard = shards_[std::hash<std::string>{}(key.id) % kShards];
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.buckets.try_emplace(key.id);
  Bucket& bucket = it->second;
  if (inserted || !(bucket.limit == limit)) {  // new key, or its limit changed: a full bucket
    bucket.tokens = limit.burst;
    bucket.at_us = now_us;
    bucket.limit = limit;
  }
  if (now_us > bucket.at_us) {
    bucket.tokens = std::min(limit.burst, bucket.tokens + (now_us - bucket.at_us) * 1e-6 * limit.per_second);
    bucket.at_us = now_us;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return {true, 0};
  }
  return {false, (1 - bucket.tokens) / limit.per_second};
}

}  // namespace estoque::auth
