// The AWS JSON protocol layer (src/aws/json_protocol_client.h, aws_error.h): how responses and
// error bodies become objects and AwsErrors, what a signed request carries, and that a call is
// retried (re-signed) on a 5xx. The peer is a loopback server the test scripts; DynamoDB's own
// answers are covered against DynamoDB Local in tests/integration/aws_dynamodb_test.cc.
#include "aws/json_protocol_client.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <vector>

#include <boost/crc.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"
#include "support/loopback_http_server.h"

namespace estoque::aws {
namespace {

using test_support::LoopbackHttpServer;
using test_support::LoopbackRequest;
using test_support::LoopbackResponse;

HttpResponse Response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

TEST(AwsErrorCode, StripsTheNamespaceAndTheSuffix) {
  EXPECT_EQ(ErrorCodeFromType("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"),
            "ResourceNotFoundException");
  EXPECT_EQ(ErrorCodeFromType("ValidationException:http://internal.amazon.com/coral/"),
            "ValidationException");
  EXPECT_EQ(ErrorCodeFromType("ThrottlingException"), "ThrottlingException");
  EXPECT_EQ(ErrorCodeFromType(""), "");
}

TEST(AwsErrorStatus, MapsToTheCodesACallerActsOn) {
  const auto status_of = [](std::string code, int http_status) {
    AwsError error;
    error.code = std::move(code);
    error.http_status = http_status;
    return error.ToStatus().code();
  };
  EXPECT_EQ(status_of("ConditionalCheckFailedException", 400), StatusCode::kConflict);
  EXPECT_EQ(status_of("TransactionCanceledException", 400), StatusCode::kConflict);
  EXPECT_EQ(status_of("ResourceNotFoundException", 400), StatusCode::kNotFound);
  EXPECT_EQ(status_of("ProvisionedThroughputExceededException", 400),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(status_of("HttpStatus429", 429), StatusCode::kResourceExhausted);
  EXPECT_EQ(status_of("InternalServerError", 500), StatusCode::kUnavailable);
  EXPECT_EQ(status_of(std::string(kTransportTimeoutCode), 0), StatusCode::kUnavailable);
  EXPECT_EQ(status_of(std::string(kMalformedResponseCode), 200), StatusCode::kUnavailable);
  EXPECT_EQ(status_of("ValidationException", 400), StatusCode::kInvalidArgument);
  EXPECT_EQ(status_of("UnrecognizedClientException", 400), StatusCode::kInvalidArgument);
}

TEST(AwsJsonResponse, ASuccessIsTheBodysObject) {
  AwsResult<boost::json::object> parsed = ParseJsonProtocolResponse(Response(200, R"({"a":[1]})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value(), boost::json::parse(R"({"a":[1]})").as_object());
  AwsResult<boost::json::object> empty = ParseJsonProtocolResponse(Response(200, ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(AwsJsonResponse, AnErrorBodyBecomesAnAwsErrorWithTheWholeBody) {
  HttpResponse response = Response(
      400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
           R"("message":"The conditional request failed","Item":{"k":{"S":"v"}}})");
  response.headers.push_back({"x-amzn-RequestId", "REQ1"});
  AwsResult<boost::json::object> parsed = ParseJsonProtocolResponse(response);
  ASSERT_FALSE(parsed.ok());
  const AwsError& error = parsed.error();
  EXPECT_EQ(error.code, "ConditionalCheckFailedException");
  EXPECT_EQ(error.message, "The conditional request failed");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.request_id, "REQ1");
  ASSERT_TRUE(error.body.contains("Item"));
  EXPECT_EQ(error.ToString(),
            "ConditionalCheckFailedException (HTTP 400): The conditional request failed");
}

TEST(AwsJsonResponse, ReadsMessageWithACapitalAndTheErrorTypeHeader) {
  AwsResult<boost::json::object> capital =
      ParseJsonProtocolResponse(Response(400, R"({"__type":"x#ValidationException","Message":"m"})"));
  ASSERT_FALSE(capital.ok());
  EXPECT_EQ(capital.error().message, "m");

  HttpResponse header_only = Response(400, "{}");
  header_only.headers.push_back({"X-Amzn-ErrorType", "ThrottlingException:http://x/"});
  AwsResult<boost::json::object> from_header = ParseJsonProtocolResponse(header_only);
  ASSERT_FALSE(from_header.ok());
  EXPECT_EQ(from_header.error().code, "ThrottlingException");
}

TEST(AwsJsonResponse, ANonJsonErrorFromAProxyKeepsItsStatusAndASnippet) {
  AwsResult<boost::json::object> parsed =
      ParseJsonProtocolResponse(Response(503, "<html>Service Unavailable</html>"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "ServiceUnavailable");
  EXPECT_EQ(parsed.error().message, "<html>Service Unavailable</html>");
  AwsResult<boost::json::object> bad_gateway = ParseJsonProtocolResponse(Response(502, "x"));
  EXPECT_EQ(bad_gateway.error().code, "InternalFailure");
  AwsResult<boost::json::object> teapot = ParseJsonProtocolResponse(Response(418, "x"));
  EXPECT_EQ(teapot.error().code, "HttpStatus418");
}

TEST(AwsJsonResponse, ASuccessThatIsNotAnObjectIsMalformed) {
  for (const char* body : {"[1,2]", "{\"a\":", "not json"}) {
    AwsResult<boost::json::object> parsed = ParseJsonProtocolResponse(Response(200, body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().code, kMalformedResponseCode);
  }
}

TEST(AwsJsonResponse, ChecksTheCrc32Header) {
  const std::string body = R"({"TableNames":[]})";
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  HttpResponse good = Response(200, body);
  good.headers.push_back({"x-amz-crc32", std::to_string(crc.checksum())});
  EXPECT_TRUE(ParseJsonProtocolResponse(good).ok());

  HttpResponse corrupted = good;
  corrupted.body[2] = 'X';
  AwsResult<boost::json::object> parsed = ParseJsonProtocolResponse(corrupted);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, kMalformedResponseCode);
}

AwsClientConfig LoopbackConfig(const LoopbackHttpServer& server, std::vector<std::chrono::milliseconds>* sleeps) {
  AwsClientConfig config;
  config.endpoint = ParseEndpointUrl(server.url()).value();
  config.region = "us-east-1";
  config.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  config.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)); };
  config.retry_hooks = {[sleeps](std::chrono::milliseconds d) { sleeps->push_back(d); },
                        [](std::chrono::milliseconds ceiling) { return ceiling; }};
  return config;
}

TEST(AwsJsonProtocolClient, SendsASignedJson10RequestToTheTarget) {
  LoopbackHttpServer server([](const LoopbackRequest&) {
    return LoopbackResponse{200, {}, R"({"TableNames":["t"]})"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  JsonProtocolClient client({"dynamodb", "DynamoDB_20120810"}, LoopbackConfig(server, &sleeps));
  AwsResult<boost::json::object> response = client.Call("ListTables", {{"Limit", 5}});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(response->at("TableNames").as_array().size(), 1u);

  ASSERT_EQ(server.requests().size(), 1u);
  const LoopbackRequest request = server.requests()[0];
  EXPECT_EQ(request.request_line, "POST / HTTP/1.1");
  EXPECT_EQ(request.body, R"({"Limit":5})");
  EXPECT_EQ(request.headers.at("x-amz-target"), "DynamoDB_20120810.ListTables");
  EXPECT_EQ(request.headers.at("content-type"), "application/x-amz-json-1.0");
  EXPECT_EQ(request.headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(request.headers.at("x-amz-date"), "20231114T221320Z");
  const std::string authorization = request.headers.at("authorization");
  EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/"
                                "dynamodb/aws4_request, SignedHeaders=content-type;host;"
                                "x-amz-date;x-amz-target, Signature=",
                                0),
            0u)
      << authorization;
}

TEST(AwsJsonProtocolClient, RetriesA5xxAndSucceeds) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const LoopbackRequest&) {
    if (++calls <= 2) {
      return LoopbackResponse{500, {}, R"({"__type":"x#InternalServerError","message":"boom"})"};
    }
    return LoopbackResponse{200, {}, "{}"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  JsonProtocolClient client({"dynamodb", "DynamoDB_20120810"}, LoopbackConfig(server, &sleeps));
  AwsResult<boost::json::object> response = client.Call("ListTables", {});
  ASSERT_TRUE(response.ok()) << response.error().ToString();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(25),
                                                             std::chrono::milliseconds(50)}));
  EXPECT_EQ(server.connections_accepted(), 1) << "retries reuse the kept-alive connection";
}

TEST(AwsJsonProtocolClient, DoesNotRetryAValidationError) {
  std::atomic<int> calls{0};
  LoopbackHttpServer server([&calls](const LoopbackRequest&) {
    ++calls;
    return LoopbackResponse{400, {}, R"({"__type":"x#ValidationException","message":"bad"})"};
  });
  std::vector<std::chrono::milliseconds> sleeps;
  JsonProtocolClient client({"dynamodb", "DynamoDB_20120810"}, LoopbackConfig(server, &sleeps));
  AwsResult<boost::json::object> response = client.Call("PutItem", {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, "ValidationException");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(sleeps.empty());
}

// DynamoDB Local never leaves UnprocessedItems or UnprocessedKeys, so the resubmission loop is
// tested here.
TEST(DynamoDbBatchRounds, ResubmitsUnprocessedItemsWithBackoff) {
  std::vector<std::chrono::milliseconds> sleeps;
  RetryStrategy retry(RetryOptions{}, {[&](std::chrono::milliseconds d) { sleeps.push_back(d); },
                                       [](std::chrono::milliseconds c) { return c; }});
  const boost::json::object all = boost::json::parse(
      R"({"t":[{"PutRequest":{"Item":{"k":{"S":"1"}}}},{"PutRequest":{"Item":{"k":{"S":"2"}}}}]})")
                                      .as_object();
  const boost::json::object second = boost::json::parse(
      R"({"t":[{"PutRequest":{"Item":{"k":{"S":"2"}}}}]})").as_object();
  std::vector<boost::json::object> sent;
  std::deque<boost::json::object> answers = {
      {{"UnprocessedItems", second}}, {{"UnprocessedItems", second}}, {{"UnprocessedItems", {}}}};
  auto send = [&](const boost::json::object& items) -> AwsResult<boost::json::object> {
    sent.push_back(items);
    boost::json::object answer = answers.front();
    answers.pop_front();
    return answer;
  };
  int answers_seen = 0;
  int rounds = 0;
  AwsResult<boost::json::object> unprocessed = dynamodb::BatchRounds(
      all, "UnprocessedItems", 6, retry, send, [&](const boost::json::object&) { ++answers_seen; },
      &rounds);
  ASSERT_TRUE(unprocessed.ok());
  EXPECT_TRUE(unprocessed->empty());
  EXPECT_EQ(rounds, 3);
  EXPECT_EQ(answers_seen, 3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], all);
  EXPECT_EQ(sent[1], second);
  EXPECT_EQ(sent[2], second);
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(25),
                                                             std::chrono::milliseconds(50)}));
}

TEST(DynamoDbBatchRounds, ReturnsWhatIsStillUnprocessedAfterTheLastRound) {
  RetryStrategy retry(RetryOptions{}, {[](std::chrono::milliseconds) {},
                                       [](std::chrono::milliseconds c) { return c; }});
  const boost::json::object items =
      boost::json::parse(R"({"t":[{"DeleteRequest":{"Key":{"k":{"S":"1"}}}}]})").as_object();
  int calls = 0;
  auto send = [&](const boost::json::object& request) -> AwsResult<boost::json::object> {
    ++calls;
    return boost::json::object{{"UnprocessedKeys", request}};
  };
  int rounds = 0;
  AwsResult<boost::json::object> unprocessed = dynamodb::BatchRounds(
      items, "UnprocessedKeys", 3, retry, send, [](const boost::json::object&) {}, &rounds);
  ASSERT_TRUE(unprocessed.ok());
  EXPECT_EQ(*unprocessed, items);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rounds, 3);
}

TEST(DynamoDbBatchRounds, StopsAtTheFirstError) {
  RetryStrategy retry(RetryOptions{}, {[](std::chrono::milliseconds) {},
                                       [](std::chrono::milliseconds c) { return c; }});
  int calls = 0;
  auto send = [&](const boost::json::object&) -> AwsResult<boost::json::object> {
    ++calls;
    AwsError error;
    error.code = "ValidationException";
    error.http_status = 400;
    return error;
  };
  int rounds = 0;
  AwsResult<boost::json::object> unprocessed = dynamodb::BatchRounds(
      {{"t", 1}}, "UnprocessedItems", 3, retry, send, [](const boost::json::object&) {}, &rounds);
  ASSERT_FALSE(unprocessed.ok());
  EXPECT_EQ(unprocessed.error().code, "ValidationException");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace estoque::aws
