// JsonProtocolClient: calls an AWS service that speaks the AWS JSON protocol (DynamoDB with JSON
// 1.0; SQS with JSON 1.0 in current SDKs): every operation is a POST to the endpoint's path with
//   Content-Type: application/x-amz-json-1.0
//   X-Amz-Target: <target prefix>.<operation>      ("DynamoDB_20120810.PutItem")
// and a JSON object as the body, signed with SigV4 for the service's signing name. The answer
// is a JSON object; an error is an HTTP status >= 300 with a body
//   {"__type": "<namespace>#<code>", "message": "..."}   ("Message" in some services)
// that becomes an AwsError. A response carrying x-amz-crc32 (DynamoDB) is checked against it.
// Each call runs under the client's RetryStrategy and is signed anew for each send.
//
// Thread-safe: one client serves every thread (its connections are pooled).
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "aws/aws_error.h"
#include "aws/client_config.h"
#include "aws/http_client.h"
#include "aws/retry.h"

namespace estoque::aws {

inline constexpr std::string_view kAwsJson10ContentType = "application/x-amz-json-1.0";

struct JsonServiceProtocol {
  std::string signing_name;   // "dynamodb", "sqs"
  std::string target_prefix;  // "DynamoDB_20120810", "AmazonSQS"
  std::string content_type = std::string(kAwsJson10ContentType);
};

class JsonProtocolClient {
 public:
  // REQUIRES: protocol's fields non-empty; config's region and credentials non-empty.
  JsonProtocolClient(JsonServiceProtocol protocol, AwsClientConfig config);

  // Sends `operation` with `body` and returns the response object. An AwsError with the
  // service's code, message, status and error body when the service refuses; a transport or
  // kMalformedResponseCode error when no valid response arrived (a 2xx whose body is not a JSON
  // object, a checksum mismatch); each after the retries the RetryStrategy allows.
  // REQUIRES: operation is non-empty letters (an operation name).
  AwsResult<boost::json::object> Call(std::string_view operation, const boost::json::object& body);

  // The transport and retry state, for metrics and tests.
  const HttpClient& http() const { return http_; }
  const RetryStrategy& retry() const { return retry_; }
  const AwsClientConfig& config() const { return config_; }

 private:
  AwsResult<boost::json::object> Send(std::string_view operation, const std::string& body);

  const JsonServiceProtocol protocol_;
  const AwsClientConfig config_;
  HttpClient http_;
  RetryStrategy retry_;
};

// Turns one HTTP response of the JSON protocol into its object or its AwsError (exposed for
// tests): 2xx -> the body's object (an empty body is {}); otherwise the AwsError described at the
// top. A body that is not a JSON object, or that fails its x-amz-crc32, is kMalformedResponseCode.
AwsResult<boost::json::object> ParseJsonProtocolResponse(const HttpResponse& response);

}  // namespace estoque::aws
