// Retries (src/aws/retry.h): what is retried, how long each wait may be (exponential backoff,
// full jitter, the cap), how many sends, and the retry quota. The sleep and the random draw are
// injected: nothing sleeps, and every run is the same.
#include "aws/retry.h"

#include <chrono>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

namespace estoque::aws {
namespace {

using std::chrono::milliseconds;

AwsError ServiceError(std::string code, int status) {
  AwsError error;
  error.code = std::move(code);
  error.http_status = status;
  return error;
}

AwsError Transport(std::string_view code) {
  AwsError error;
  error.code = std::string(code);
  return error;
}

// Records each wait; the "random" draw is a fixed fraction of its ceiling, so waits are exact.
struct FakeTime {
  explicit FakeTime(double fraction = 1.0) : fraction(fraction) {}
  RetryHooks Hooks() {
    return {[this](milliseconds delay) { sleeps.push_back(delay); },
            [this](milliseconds ceiling) {
              ceilings.push_back(ceiling);
              return milliseconds(static_cast<std::int64_t>(ceiling.count() * fraction));
            }};
  }
  double fraction;
  std::vector<milliseconds> sleeps;
  std::vector<milliseconds> ceilings;
};

// A call that fails with each of `errors` in turn, then succeeds with 42.
struct ScriptedCall {
  std::deque<AwsError> errors;
  int sends = 0;
  AwsResult<int> operator()() {
    ++sends;
    if (errors.empty()) return 42;
    AwsError error = errors.front();
    errors.pop_front();
    return error;
  }
};

TEST(AwsRetryClassification, RetriesThrottling5xxAndTransportButNotCallerErrors) {
  EXPECT_EQ(ClassifyForRetry(ServiceError("ThrottlingException", 400)), RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("ProvisionedThroughputExceededException", 400)),
            RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("RequestLimitExceeded", 400)), RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("TooManyRequestsException", 400)),
            RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("TransactionInProgressException", 400)),
            RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("HttpStatus429", 429)), RetryKind::kThrottling);
  EXPECT_EQ(ClassifyForRetry(ServiceError("InternalServerError", 500)), RetryKind::kTransient);
  EXPECT_EQ(ClassifyForRetry(ServiceError("ServiceUnavailable", 503)), RetryKind::kTransient);
  EXPECT_EQ(ClassifyForRetry(ServiceError("TransactionConflictException", 400)),
            RetryKind::kTransient);
  EXPECT_EQ(ClassifyForRetry(Transport(kTransportErrorCode)), RetryKind::kTransient);
  EXPECT_EQ(ClassifyForRetry(Transport(kTransportTimeoutCode)), RetryKind::kTimeout);
  EXPECT_EQ(ClassifyForRetry(ServiceError(std::string(kMalformedResponseCode), 200)),
            RetryKind::kTransient);

  for (const char* code : {"ValidationException", "ConditionalCheckFailedException",
                           "TransactionCanceledException", "ResourceNotFoundException",
                           "UnrecognizedClientException", "AccessDeniedException",
                           "IdempotentParameterMismatchException", "SigningFailed"}) {
    EXPECT_EQ(ClassifyForRetry(ServiceError(code, 400)), RetryKind::kNone) << code;
  }
}

TEST(AwsRetryBackoff, CeilingDoublesFromTheBaseUpToTheCap) {
  RetryOptions options;  // 25 ms base, 20 s cap
  EXPECT_EQ(BackoffCeiling(options, 1), milliseconds(25));
  EXPECT_EQ(BackoffCeiling(options, 2), milliseconds(50));
  EXPECT_EQ(BackoffCeiling(options, 3), milliseconds(100));
  EXPECT_EQ(BackoffCeiling(options, 10), milliseconds(12800));
  EXPECT_EQ(BackoffCeiling(options, 11), milliseconds(20000));
  EXPECT_EQ(BackoffCeiling(options, 60), milliseconds(20000)) << "no overflow far past the cap";
}

TEST(AwsRetryStrategy, RetriesAThrottledCallWithFullJitterUntilItSucceeds) {
  FakeTime time(0.5);
  RetryOptions options;
  options.max_attempts = 3;
  RetryStrategy retry(options, time.Hooks());
  ScriptedCall call{{ServiceError("ProvisionedThroughputExceededException", 400),
                     ServiceError("ThrottlingException", 400)}};
  AwsResult<int> result = retry.Run<int>(std::ref(call));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(call.sends, 3);
  EXPECT_EQ(time.ceilings, (std::vector<milliseconds>{milliseconds(25), milliseconds(50)}));
  // Full jitter: the wait is the random draw within [0, ceiling], here half of it.
  EXPECT_EQ(time.sleeps, (std::vector<milliseconds>{milliseconds(12), milliseconds(25)}));
  EXPECT_EQ(retry.retries_total(), 2u);
}

TEST(AwsRetryStrategy, GivesUpAfterMaxAttemptsWithTheLastError) {
  FakeTime time;
  RetryOptions options;
  options.max_attempts = 3;
  RetryStrategy retry(options, time.Hooks());
  ScriptedCall call{{ServiceError("InternalServerError", 500), ServiceError("InternalServerError", 500),
                     ServiceError("ServiceUnavailable", 503), ServiceError("ServiceUnavailable", 503)}};
  AwsResult<int> result = retry.Run<int>(std::ref(call));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(call.sends, 3);
  EXPECT_EQ(result.error().attempts, 3);
  EXPECT_EQ(result.error().code, "ServiceUnavailable");
  EXPECT_EQ(time.sleeps.size(), 2u);
}

TEST(AwsRetryStrategy, NeverRetriesAValidationErrorOrAFailedCondition) {
  for (const char* code : {"ValidationException", "ConditionalCheckFailedException"}) {
    FakeTime time;
    RetryStrategy retry(RetryOptions{}, time.Hooks());
    ScriptedCall call{{ServiceError(code, 400)}};
    AwsResult<int> result = retry.Run<int>(std::ref(call));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(call.sends, 1) << code;
    EXPECT_EQ(result.error().attempts, 1);
    EXPECT_TRUE(time.sleeps.empty());
  }
}

TEST(AwsRetryStrategy, OneAttemptMeansNoRetry) {
  FakeTime time;
  RetryOptions options;
  options.max_attempts = 1;
  RetryStrategy retry(options, time.Hooks());
  ScriptedCall call{{Transport(kTransportErrorCode)}};
  EXPECT_FALSE(retry.Run<int>(std::ref(call)).ok());
  EXPECT_EQ(call.sends, 1);
}

TEST(AwsRetryStrategy, WaitsAreCappedByMaxBackoff) {
  FakeTime time;
  RetryOptions options;
  options.max_attempts = 6;
  options.base_delay = milliseconds(1000);
  options.max_backoff = milliseconds(3000);
  options.use_retry_quota = false;
  RetryStrategy retry(options, time.Hooks());
  ScriptedCall call{std::deque<AwsError>(5, Transport(kTransportErrorCode))};
  ASSERT_TRUE(retry.Run<int>(std::ref(call)).ok());
  EXPECT_EQ(time.sleeps, (std::vector<milliseconds>{milliseconds(1000), milliseconds(2000),
                                                    milliseconds(3000), milliseconds(3000),
                                                    milliseconds(3000)}));
}

TEST(AwsRetryQuota, AnOutageDrainsTheQuotaThenCallsFailWithoutRetrying) {
  FakeTime time;
  RetryOptions options;
  options.max_attempts = 3;
  RetryStrategy retry(options, time.Hooks());
  // Each failing call retries twice at 10 tokens a timeout: 500 tokens last 25 calls.
  for (int call_number = 1; call_number <= 25; ++call_number) {
    ScriptedCall call{std::deque<AwsError>(3, Transport(kTransportTimeoutCode))};
    EXPECT_FALSE(retry.Run<int>(std::ref(call)).ok());
    EXPECT_EQ(call.sends, 3) << "call " << call_number;
  }
  EXPECT_EQ(retry.quota().available(), 0);
  ScriptedCall starved{std::deque<AwsError>(3, Transport(kTransportTimeoutCode))};
  AwsResult<int> result = retry.Run<int>(std::ref(starved));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(starved.sends, 1) << "an empty quota means no retry";
  EXPECT_EQ(result.error().attempts, 1);

  // Successes refill it: 1 token each without retries.
  for (int i = 0; i < 5; ++i) {
    ScriptedCall ok;
    ASSERT_TRUE(retry.Run<int>(std::ref(ok)).ok());
  }
  EXPECT_EQ(retry.quota().available(), 5);
  ScriptedCall recovered{{ServiceError("ThrottlingException", 400)}};
  ASSERT_TRUE(retry.Run<int>(std::ref(recovered)).ok());
  EXPECT_EQ(recovered.sends, 2);
  EXPECT_EQ(retry.quota().available(), 5) << "a success after a retry gives back its cost";
}

TEST(AwsRetryHooks, RealJitterStaysWithinTheCeiling) {
  const RetryHooks hooks = RealRetryHooks();
  for (int i = 0; i < 1000; ++i) {
    const milliseconds delay = hooks.jitter(milliseconds(25));
    ASSERT_GE(delay.count(), 0);
    ASSERT_LE(delay.count(), 25);
  }
  EXPECT_EQ(hooks.jitter(milliseconds(0)).count(), 0);
}

}  // namespace
}  // namespace estoque::aws
