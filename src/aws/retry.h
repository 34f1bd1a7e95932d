// Retries of AWS calls, as the AWS SDKs' "standard" retry mode does them (docs/AWS.md):
//   - what is retried: throttling (IsThrottlingCode, HTTP 429), 5xx, transport errors and
//     timeouts, a malformed response, TransactionConflictException; never a 4xx the caller must
//     fix (ValidationException, ConditionalCheckFailedException, TransactionCanceledException,
//     ResourceNotFoundException, authentication and access errors);
//   - how long to wait before retry n (n = 1 after the first failure): exponential backoff with
//     full jitter, a uniform random time in [0, min(max_backoff, base_delay * 2^(n-1))];
//   - how many: at most max_attempts sends in all (default 3, the standard mode's);
//   - a retry quota shared by every call through one RetryStrategy: a token bucket of 500 that
//     a retry takes 5 from (a timeout 10) and a success gives back, so an outage makes calls fail
//     fast instead of multiplying the load by max_attempts.
// The sleep and the random draw are injected (RetryHooks), so tests are deterministic and never
// sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

#include "aws/aws_error.h"

namespace estoque::aws {

// A bound on max_attempts: a misconfiguration must not retry for ever.
inline constexpr int kRetryAttemptsMax = 20;
// The standard mode's retry quota.
inline constexpr int kRetryQuotaCapacity = 500;
inline constexpr int kRetryQuotaCost = 5;
inline constexpr int kRetryQuotaTimeoutCost = 10;

struct RetryOptions {
  // Sends in all, the first included: 1 = never retry. REQUIRES: 1 ..= kRetryAttemptsMax.
  int max_attempts = 3;
  // The first retry waits up to this long. The SDKs use 25 ms for DynamoDB (50 ms elsewhere in
  // the legacy mode); each further retry doubles the ceiling.
  std::chrono::milliseconds base_delay{25};
  // The ceiling never exceeds this: 20 s, the SDKs' maximum backoff.
  std::chrono::milliseconds max_backoff{20000};
  // false: no quota, every retryable failure is retried (tests, a single-shot tool).
  bool use_retry_quota = true;
};

enum class RetryKind {
  kNone,        // not retryable
  kThrottling,  // the service asked us to slow down
  kTransient,   // 5xx, a transport error, a malformed response
  kTimeout,     // a timeout: costs more quota (the peer may be overloaded)
};

// Whether and why `error` is retryable (see the list at the top).
RetryKind ClassifyForRetry(const AwsError& error);

// The ceiling of the random wait before retry `retry_number` (1 = the first retry):
// min(max_backoff, base_delay * 2^(retry_number - 1)). REQUIRES: retry_number >= 1.
std::chrono::milliseconds BackoffCeiling(const RetryOptions& options, int retry_number);

struct RetryHooks {
  // Waits `delay`. Must be thread-safe.
  std::function<void(std::chrono::milliseconds delay)> sleep;
  // A uniform random duration in [0, ceiling]. Must be thread-safe.
  std::function<std::chrono::milliseconds(std::chrono::milliseconds ceiling)> jitter;
};

// std::this_thread::sleep_for, and a per-thread Mersenne Twister seeded from std::random_device.
RetryHooks RealRetryHooks();

// The token bucket described at the top. Thread-safe.
class RetryQuota {
 public:
  // Takes the cost of a retry of `kind` (REQUIRES: kind != kNone). Returns the amount taken, or
  // 0 when the bucket holds too little: then do not retry.
  int Acquire(RetryKind kind);
  // After a success: gives back what the call's last retry took, or 1 when it needed no retry.
  void Release(int acquired);
  int available() const;

 private:
  mutable std::mutex mutex_;
  int available_ = kRetryQuotaCapacity;  // guarded by mutex_
};

// Runs a call with the retries above. One RetryStrategy serves every call of a client (they
// share its quota); thread-safe.
class RetryStrategy {
 public:
  // REQUIRES: options.max_attempts in 1 ..= kRetryAttemptsMax; base_delay, max_backoff > 0;
  // hooks' functions non-null.
  explicit RetryStrategy(RetryOptions options = {}, RetryHooks hooks = RealRetryHooks());

  // Calls `attempt` until it succeeds, fails with an error that is not retryable, has been sent
  // max_attempts times, or the quota is empty; sleeps between sends as described at the top.
  // Returns the success, or the last error with `attempts` set to the number of sends.
  template <typename T>
  AwsResult<T> Run(const std::function<AwsResult<T>()>& attempt) {
    int quota_taken = 0;
    for (int sends = 1;; ++sends) {
      AwsResult<T> result = attempt();
      if (result.ok()) {
        if (options_.use_retry_quota) quota_.Release(quota_taken);
        return result;
      }
      const std::chrono::milliseconds delay = NextDelay(result.error(), sends, &quota_taken);
      if (delay.count() < 0) {
        AwsError error = std::move(result).error();
        error.attempts = sends;
        return error;
      }
      retries_total_.fetch_add(1, std::memory_order_relaxed);
      hooks_.sleep(delay);
    }
  }

  // Retries made so far by every Run (a metric).
  std::uint64_t retries_total() const { return retries_total_.load(std::memory_order_relaxed); }
  const RetryQuota& quota() const { return quota_; }
  const RetryOptions& options() const { return options_; }
  // The injected sleep and jitter, for other waits of the client (DynamoDB's UnprocessedItems).
  const RetryHooks& hooks() const { return hooks_; }

 private:
  // The wait before the next send after `error` on send number `sends`, or -1 ms when there is
  // none (not retryable, attempts used up, quota empty). Updates *quota_taken.
  std::chrono::milliseconds NextDelay(const AwsError& error, int sends, int* quota_taken);

  const RetryOptions options_;
  const RetryHooks hooks_;
  RetryQuota quota_;
  std::atomic<std::uint64_t> retries_total_{0};
};

}  // namespace estoque::aws
