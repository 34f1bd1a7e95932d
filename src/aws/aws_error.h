// AwsError: why a call to an AWS service (or an emulator of one) failed, shaped like the
// protocol: the service's error code and message, the HTTP status, and the whole error body (which
// carries the operation's details: DynamoDB's Item on a failed condition, CancellationReasons on
// a cancelled transaction). A failure before a whole HTTP response arrived (connect, timeout,
// reset, a body that fails its checksum) is an AwsError too, with http_status 0 and one of the
// kTransport* codes. AwsResult<T> is a T or an AwsError.
//
// Value types; thread-compatible.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <boost/json/object.hpp>

#include "common/status.h"

namespace estoque::aws {

// Codes of failures that are not the service's answer (http_status == 0).
inline constexpr std::string_view kTransportTimeoutCode = "TransportTimeout";  // a timeout expired
inline constexpr std::string_view kTransportErrorCode = "TransportError";  // connect, reset, TLS...
// A response that is not what the protocol promises (a bad checksum, JSON that does not parse).
inline constexpr std::string_view kMalformedResponseCode = "MalformedResponse";
// The request could not be signed: a configuration error (empty secret key, a header holding CR or
// LF). Nothing was sent; http_status is 400, as for any request the caller must fix.
inline constexpr std::string_view kSigningFailedCode = "SigningFailed";

struct AwsError {
  // The service's code without its namespace ("ConditionalCheckFailedException"), or a kTransport*
  // / kMalformedResponseCode code.
  std::string code;
  std::string message;
  int http_status = 0;  // 0: no complete response arrived
  // The error response's JSON object as the service sent it (empty for transport errors).
  boost::json::object body;
  std::string request_id;  // x-amzn-RequestId, when the service sent one
  int attempts = 1;        // how many times the request was sent (retry.h)

  bool is_transport() const { return http_status == 0; }
  // "ConditionalCheckFailedException (HTTP 400): The conditional request failed", for logs.
  std::string ToString() const;
  // The estoque Status a caller acts on: kConflict for a failed condition or a cancelled
  // transaction; kNotFound for ResourceNotFoundException and SQS's QueueDoesNotExist; kResourceExhausted for throttling;
  // kUnavailable for 5xx, transport and malformed responses; kInvalidArgument for other 4xx
  // (validation, authentication, access). The message is ToString().
  Status ToStatus() const;
};

// True when `code` is one the AWS SDKs treat as throttling (ThrottlingException,
// ProvisionedThroughputExceededException, RequestLimitExceeded, TooManyRequestsException, ...).
bool IsThrottlingCode(std::string_view code);

// The error code in a JSON-protocol "__type" (or x-amzn-ErrorType) value: what follows the last
// '#' and precedes the first ':', e.g.
// "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" -> "ResourceNotFoundException".
std::string ErrorCodeFromType(std::string_view type);

// A T, or the AwsError explaining why there is none.
template <typename T>
class [[nodiscard]] AwsResult {
 public:
  AwsResult(T value) : state_(std::move(value)) {}         // NOLINT: implicit by design
  AwsResult(AwsError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  // REQUIRES: !ok()
  const AwsError& error() const& { assert(!ok()); return std::get<AwsError>(state_); }
  AwsError&& error() && { assert(!ok()); return std::get<AwsError>(std::move(state_)); }
  // Status::Ok() when ok(), else error().ToStatus().
  Status status() const { return ok() ? Status::Ok() : error().ToStatus(); }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, AwsError> state_;
};

// For calls whose success carries nothing.
struct Done {};

}  // namespace estoque::aws
