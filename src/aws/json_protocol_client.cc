#include "aws/json_protocol_client.h"

#include <cassert>
#include <charconv>
#include <cstdint>

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/version.h"

namespace estoque::aws {
namespace {

// How much of a non-JSON error body goes into an error message.
constexpr std::size_t kErrorSnippetBytesMax = 200;

AwsError Malformed(const HttpResponse& response, std::string message) {
  AwsError error;
  error.code = std::string(kMalformedResponseCode);
  error.message = std::move(message);
  error.http_status = response.status;
  error.request_id = std::string(response.Header("x-amzn-RequestId"));
  return error;
}

// False when the response has an x-amz-crc32 header that its body does not match.
bool ChecksumMatches(const HttpResponse& response) {
  const std::string_view expected_text = response.Header("x-amz-crc32");
  if (expected_text.empty()) return true;
  std::uint32_t expected = 0;
  const auto [end, parse_error] =
      std::from_chars(expected_text.data(), expected_text.data() + expected_text.size(), expected);
  if (parse_error != std::errc() || end != expected_text.data() + expected_text.size()) {
    return false;
  }
  boost::crc_32_type crc;
  crc.process_bytes(response.body.data(), response.body.size());
  return crc.checksum() == expected;
}

std::string StringField(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->get_string());
}

AwsError ServiceError(const HttpResponse& response, boost::json::object body, bool body_is_json) {
  AwsError error;
  error.http_status = response.status;
  error.request_id = std::string(response.Header("x-amzn-RequestId"));
  std::string type = StringField(body, "__type");
  if (type.empty()) type = StringField(body, "code");
  if (type.empty()) type = std::string(response.Header("x-amzn-ErrorType"));
  error.code = ErrorCodeFromType(type);
  if (error.code.empty()) {
    // No code: a proxy or load balancer answered, not the service.
    error.code = response.status == 503 ? "ServiceUnavailable"
                 : response.status >= 500 ? "InternalFailure"
                                          : "HttpStatus" + std::to_string(response.status);
  }
  error.message = StringField(body, "message");
  if (error.message.empty()) error.message = StringField(body, "Message");
  if (error.message.empty() && !body_is_json) {
    error.message = response.body.substr(0, kErrorSnippetBytesMax);
  }
  error.body = std::move(body);
  return error;
}

}  // namespace

AwsResult<boost::json::object> ParseJsonProtocolResponse(const HttpResponse& response) {
  if (!ChecksumMatches(response)) {
    return Malformed(response, "the body does not match its x-amz-crc32 header");
  }
  boost::json::object object;
  bool is_json_object = true;
  if (!response.body.empty()) {
    boost::system::error_code parse_error;
    boost::json::value value = boost::json::parse(response.body, parse_error);
    if (parse_error || !value.is_object()) {
      is_json_object = false;
    } else {
      object = std::move(value.get_object());
    }
  }
  const bool success = response.status >= 200 && response.status < 300;
  if (success) {
    if (!is_json_object) return Malformed(response, "the body is not a JSON object");
    return object;
  }
  return ServiceError(response, std::move(object), is_json_object);
}

JsonProtocolClient::JsonProtocolClient(JsonServiceProtocol protocol, AwsClientConfig config)
    : protocol_(std::move(protocol)),
      config_(std::move(config)),
      http_(config_.http),
      retry_(config_.retry, config_.retry_hooks) {
  assert(!protocol_.signing_name.empty() && !protocol_.target_prefix.empty());
  assert(!config_.region.empty() && !config_.credentials.access_key_id.empty());
}

AwsResult<boost::json::object> JsonProtocolClient::Call(std::string_view operation,
                                                         const boost::json::object& body) {
  assert(!operation.empty());
  const std::string serialized = boost::json::serialize(body);
  return retry_.Run<boost::json::object>([&] { return Send(operation, serialized); });
}

AwsResult<boost::json::object> JsonProtocolClient::Send(std::string_view operation,
                                                         const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = config_.endpoint.Url();
  request.body = body;
  request.headers = {
      {"Host", config_.endpoint.HostHeader()},
      {"Content-Type", protocol_.content_type},
      {"X-Amz-Target", protocol_.target_prefix + "." + std::string(operation)},
  };
  SigningRequest signing;
  signing.method = request.method;
  signing.path = config_.endpoint.path;
  signing.headers = request.headers;
  signing.body = request.body;
  const SigningScope scope{config_.region, protocol_.signing_name, config_.clock()};
  Result<SignedRequest> signed_request = SignWithHeaders(signing, config_.credentials, scope);
  if (!signed_request.ok()) {
    AwsError error;
    error.code = std::string(kSigningFailedCode);
    error.message = signed_request.status().message();
    error.http_status = 400;
    return error;
  }
  for (HttpHeader& header : signed_request->headers_to_add) {
    request.headers.push_back(std::move(header));
  }
  request.headers.push_back({"User-Agent", "estoque/" + std::string(kEstoqueVersion)});

  AwsResult<HttpResponse> response = http_.Send(request);
  if (!response.ok()) return std::move(response).error();
  return ParseJsonProtocolResponse(response.value());
}

}  // namespace estoque::aws
