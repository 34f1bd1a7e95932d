// RateLimiter: token buckets per key with an injected clock: the burst, refusals and their
// retry_after, refill, precedence of the limits, and independent keys.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/rate_limiter.h"

namespace estoque::auth {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kStart = 1'000 * kSecond;  // an arbitrary monotonic origin

ApiKeyRecord Key(std::string id, Role role = Role::kLeitura) {
  ApiKeyRecord key;
  key.id = std::move(id);
  key.role = role;
  return key;
}

RateLimits Limits(double per_second, double burst) {
  RateLimits limits;
  limits.default_limit = {per_second, burst};
  return limits;
}

// Takes until refused (at most `max` times) at `now`; returns how many were allowed.
int TakeUntilRefused(RateLimiter& limiter, const ApiKeyRecord& key, int64_t now, int max = 1000) {
  int allowed = 0;
  while (allowed < max && limiter.Take(key, now).allowed) ++allowed;
  return allowed;
}

TEST(AuthRateLimiterTest, BurstThenRefusalWithRetryAfter) {
  RateLimiter limiter(Limits(5, 5));
  const ApiKeyRecord key = Key("k_a");
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take(key, kStart).allowed) << i;
  const RateLimiter::Decision refused = limiter.Take(key, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_NEAR(refused.retry_after_s, 0.2, 1e-9);  // one token at 5/s
  // Still refused a little later, with less to wait.
  const RateLimiter::Decision later = limiter.Take(key, kStart + 150'000);
  EXPECT_FALSE(later.allowed);
  EXPECT_NEAR(later.retry_after_s, 0.05, 1e-6);
  EXPECT_GT(later.retry_after_s, 0);
  // Refusals do not consume: after the advertised wait a request passes.
  EXPECT_TRUE(
      limiter.Take(key, kStart + 150'000 + static_cast<int64_t>(later.retry_after_s * kSecond) + 100).allowed);
}

TEST(AuthRateLimiterTest, SlowRatesAdvertiseLongerWaits) {
  RateLimiter limiter(Limits(0.5, 1));
  const ApiKeyRecord key = Key("k_slow");
  EXPECT_TRUE(limiter.Take(key, kStart).allowed);
  const RateLimiter::Decision refused = limiter.Take(key, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_NEAR(refused.retry_after_s, 2.0, 1e-9);
  EXPECT_FALSE(limiter.Take(key, kStart + 1'999'000).allowed);
  EXPECT_TRUE(limiter.Take(key, kStart + 2 * kSecond + 1'000).allowed);
}

TEST(AuthRateLimiterTest, RefillsOverTimeUpToTheBurst) {
  RateLimiter limiter(Limits(10, 4));
  const ApiKeyRecord key = Key("k_refill");
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart), 4);
  // (Times stay clear of exact token boundaries: microseconds times a rate are not exact.)
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart + 101'000), 1);  // 0.101 s at 10/s: one token
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart + 350'000), 2);  // 0.249 s more: 2.5 tokens
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart + 410'000), 1);  // the half left + 0.6
  // A long idle time fills the bucket to the burst, not beyond.
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart + 3600 * kSecond), 4);
}

TEST(AuthRateLimiterTest, ClockGoingBackwardsGivesNothingAndBreaksNothing) {
  RateLimiter limiter(Limits(1, 2));
  const ApiKeyRecord key = Key("k_clock");
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart), 2);
  EXPECT_FALSE(limiter.Take(key, kStart - 10 * kSecond).allowed);
  EXPECT_TRUE(limiter.Take(key, kStart + kSecond + 1'000).allowed);
}

TEST(AuthRateLimiterTest, KeyOverrideBeatsRoleWhichBeatsDefault) {
  RateLimits limits = Limits(100, 200);
  limits.by_role[static_cast<std::size_t>(Role::kPdv)] = RateOverride{10, 20};
  RateLimiter limiter(limits);
  ApiKeyRecord plain = Key("k_plain", Role::kLeitura);
  ApiKeyRecord pdv = Key("k_pdv", Role::kPdv);
  ApiKeyRecord pdv_own = Key("k_pdv_own", Role::kPdv);
  pdv_own.rate = RateOverride{1, 3};
  ApiKeyRecord leitura_own = Key("k_leitura_own", Role::kLeitura);
  leitura_own.rate = RateOverride{2, 2};
  EXPECT_EQ(limiter.LimitOf(plain), (RateOverride{100, 200}));
  EXPECT_EQ(limiter.LimitOf(pdv), (RateOverride{10, 20}));
  EXPECT_EQ(limiter.LimitOf(pdv_own), (RateOverride{1, 3}));
  EXPECT_EQ(limiter.LimitOf(leitura_own), (RateOverride{2, 2}));
  EXPECT_EQ(TakeUntilRefused(limiter, plain, kStart), 200);
  EXPECT_EQ(TakeUntilRefused(limiter, pdv, kStart), 20);
  EXPECT_EQ(TakeUntilRefused(limiter, pdv_own, kStart), 3);
  EXPECT_EQ(TakeUntilRefused(limiter, leitura_own, kStart), 2);
}

TEST(AuthRateLimiterTest, KeysHaveIndependentBuckets) {
  RateLimiter limiter(Limits(1, 3));
  const ApiKeyRecord a = Key("k_a", Role::kPdv);
  const ApiKeyRecord b = Key("k_b", Role::kPdv);  // same role, same limit, its own bucket
  EXPECT_EQ(TakeUntilRefused(limiter, a, kStart), 3);
  EXPECT_FALSE(limiter.Take(a, kStart).allowed);
  EXPECT_EQ(TakeUntilRefused(limiter, b, kStart), 3);
  // Many keys at once (across the shards): each gets its full burst.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(TakeUntilRefused(limiter, Key("k_many_" + std::to_string(i)), kStart), 3) << i;
  }
  EXPECT_FALSE(limiter.Take(a, kStart).allowed);
}

TEST(AuthRateLimiterTest, AChangedLimitStartsAFreshBucket) {
  RateLimiter limiter(Limits(1, 2));
  ApiKeyRecord key = Key("k_change");
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart), 2);
  key.rate = RateOverride{1, 5};  // e.g. the key was recreated with its own limit
  EXPECT_EQ(TakeUntilRefused(limiter, key, kStart), 5);
}

TEST(AuthRateLimiterTest, ConcurrentTakesNeverExceedTheBurst) {
  RateLimiter limiter(Limits(1, 50));
  const ApiKeyRecord key = Key("k_shared");
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Take(key, kStart).allowed) allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 50);
}

}  // namespace
}  // namespace estoque::auth
