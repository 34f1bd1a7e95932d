#include "aws/retry.h"

#include <algorithm>
#include <cassert>
#include <random>
#include <thread>

namespace estoque::aws {

RetryKind ClassifyForRetry(const AwsError& error) {
  if (error.code == kTransportTimeoutCode) return RetryKind::kTimeout;
  if (error.is_transport() || error.code == kMalformedResponseCode) return RetryKind::kTransient;
  if (IsThrottlingCode(error.code) || error.http_status == 429) return RetryKind::kThrottling;
  // DynamoDB: a single-item write that met a transaction in progress on the item; the service's
  // documentation says to retry it.
  if (error.code == "TransactionConflictException") return RetryKind::kTransient;
  if (error.code == "RequestTimeout" || error.code == "RequestTimeoutException") {
    return RetryKind::kTransient;
  }
  if (error.http_status >= 500) return RetryKind::kTransient;
  return RetryKind::kNone;
}

std::chrono::milliseconds BackoffCeiling(const RetryOptions& options, int retry_number) {
  assert(retry_number >= 1);
  std::chrono::milliseconds ceiling = options.base_delay;
  for (int i = 1; i < retry_number && ceiling < options.max_backoff; ++i) ceiling *= 2;
  return std::min(ceiling, options.max_backoff);
}

RetryHooks RealRetryHooks() {
  return {
      [](std::chrono::milliseconds delay) { std::this_thread::sleep_for(delay); },
      [](std::chrono::milliseconds ceiling) {
        thread_local std::mt19937_64 generator{std::random_device{}()};
        std::uniform_int_distribution<std::int64_t> draw(0, ceiling.count());
        return std::chrono::milliseconds(draw(generator));
      },
  };
}

int RetryQuota::Acquire(RetryKind kind) {
  assert(kind != RetryKind::kNone);
  const int cost = kind == RetryKind::kTimeout ? kRetryQuotaTimeoutCost : kRetryQuotaCost;
  std::lock_guard lock(mutex_);
  if (available_ < cost) return 0;
  available_ -= cost;
  return cost;
}

void RetryQuota::Release(int acquired) {
  std::lock_guard lock(mutex_);
  available_ = std::min(kRetryQuotaCapacity, available_ + (acquired > 0 ? acquired : 1));
}

int RetryQuota::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

RetryStrategy::RetryStrategy(RetryOptions options, RetryHooks hooks)
    : options_(options), hooks_(std::move(hooks)) {
  assert(options_.max_attempts >= 1 && options_.max_attempts <= kRetryAttemptsMax);
  assert(options_.base_delay.count() > 0 && options_.max_backoff.count() > 0);
  assert(hooks_.sleep && hooks_.jitter);
}

std::chrono::milliseconds RetryStrategy::NextDelay(const AwsError& error, int sends,
                                                   int* quota_taken) {
  constexpr std::chrono::milliseconds kNoRetry{-1};
  const RetryKind kind = ClassifyForRetry(error);
  if (kind == RetryKind::kNone || sends >= options_.max_attempts) return kNoRetry;
  if (options_.use_retry_quota) {
    const int taken = quota_.Acquire(kind);
    if (taken == 0) return kNoRetry;
    *quota_taken = taken;
  }
  const std::chrono::milliseconds ceiling = BackoffCeiling(options_, sends);
  const std::chrono::milliseconds delay = hooks_.jitter(ceiling);
  assert(delay.count() >= 0 && delay <= ceiling);
  return delay;
}

}  // namespace estoque::aws
