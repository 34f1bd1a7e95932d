#include "aws/aws_error.h"

#include <array>

namespace estoque::aws {
namespace {

// The union of the throttling codes of the AWS SDKs' standard retry mode (botocore and the Java
// SDK v2). ProvisionedThroughputExceededException and RequestLimitExceeded are DynamoDB's;
// TransactionInProgressException is DynamoDB's answer to a ClientRequestToken still in flight.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

}  // namespace

bool IsThrottlingCode(std::string_view code) {
  for (std::string_view throttling : kThrottlingCodes) {
    if (code == throttling) return true;
  }
  return false;
}

std::string ErrorCodeFromType(std::string_view type) {
  const std::size_t hash = type.rfind('#');
  if (hash != std::string_view::npos) type.remove_prefix(hash + 1);
  const std::size_t colon = type.find(':');
  if (colon != std::string_view::npos) type = type.substr(0, colon);
  return std::string(type);
}

std::string AwsError::ToString() const {
  std::string text = code;
  if (http_status != 0) text += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) text += ": " + message;
  if (attempts > 1) text += " [after " + std::to_string(attempts) + " attempts]";
  return text;
}

Status AwsError::ToStatus() const {
  StatusCode status_code = StatusCode::kInvalidArgument;
  if (code == "ConditionalCheckFailedException" || code == "TransactionCanceledException") {
    status_code = StatusCode::kConflict;
  } else if (code == "ResourceNotFoundException" || code == "QueueDoesNotExist") {
    status_code = StatusCode::kNotFound;
  } else if (IsThrottlingCode(code) || http_status == 429) {
    status_code = StatusCode::kResourceExhausted;
  } else if (http_status == 0 || http_status >= 500 || code == kMalformedResponseCode) {
    status_code = StatusCode::kUnavailable;
  }
  return Status(status_code, ToString());
}

}  // namespace estoque::aws
