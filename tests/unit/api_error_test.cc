// The one error type (api/api_error.h): its rendering and the Status mapping.
#include "api/api_error.h"

#include <gtest/gtest.h>

#include "api/json_writer.h"

namespace estoque::api {
namespace {

namespace http = boost::beast::http;

TEST(ApiError, RendersWithEmptyDetails) {
  const ApiError error = MakeApiError(http::status::not_found, "not_found", "no such thing");
  EXPECT_EQ(RenderApiError(error),
            R"({"error":{"code":"not_found","message":"no such thing","details":[]}})");
}

TEST(ApiError, RendersDetailsWithAndWithoutIndex) {
  ApiError error = MakeApiError(http::status::bad_request, "invalid_items", "2 problems");
  error.details.push_back({0, "codigo_barra", "must be 8 to 14 digits"});
  error.details.push_back({std::nullopt, "limit", "must be \"an\" integer"});
  EXPECT_EQ(RenderApiError(error),
            R"({"error":{"code":"invalid_items","message":"2 problems","details":[)"
            R"({"index":0,"field":"codigo_barra","reason":"must be 8 to 14 digits"},)"
            R"({"field":"limit","reason":"must be \"an\" integer"}]}})");
}

TEST(ApiError, NestsInEnvelopes) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject();
  writer.Key("status_code");
  writer.Uint(404);
  writer.Key("error");
  WriteErrorObject(writer, MakeApiError(http::status::not_found, "not_found", "x"));
  writer.EndObject();
  EXPECT_EQ(out, R"({"status_code":404,"error":{"code":"not_found","message":"x","details":[]}})");
}

TEST(ApiError, MapsStatuses) {
  struct Case {
    Status status;
    http::status http_status;
    std::string code;
    bool retry_after;
  };
  const Case cases[] = {
      {Status::NotFound("k"), http::status::not_found, "not_found", false},
      {Status::InvalidArgument("bad"), http::status::bad_request, "invalid_argument", false},
      {Status::Conflict("c"), http::status::conflict, "conflict", false},
      {Status::ResourceExhausted("full"), http::status::service_unavailable, "queue_full", true},
      {Status::Unavailable("io"), http::status::service_unavailable, "unavailable", true},
      {Status::Corruption("crc"), http::status::internal_server_error, "internal", false},
      {Status::Internal("bug"), http::status::internal_server_error, "internal", false},
  };
  for (const Case& c : cases) {
    const ApiError error = ApiErrorFromStatus(c.status);
    EXPECT_EQ(error.http_status, c.http_status) << c.status.ToString();
    EXPECT_EQ(error.code, c.code) << c.status.ToString();
    EXPECT_EQ(error.retry_after_s.has_value(), c.retry_after) << c.status.ToString();
    EXPECT_TRUE(error.details.empty());
  }
  // Internal details never reach clients.
  EXPECT_EQ(ApiErrorFromStatus(Status::Corruption("sst 000123 crc")).message, "internal error");
}

TEST(ApiError, ResponseCarriesStatusHeadersAndBody) {
  const HttpResponse response =
      MakeErrorResponse(ApiErrorFromStatus(Status::ResourceExhausted("full")), 11, true);
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response[http::field::retry_after], "1");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_TRUE(response.keep_alive());
  EXPECT_EQ(response.body(), RenderApiError(ApiErrorFromStatus(Status::ResourceExhausted("x"))));
  EXPECT_EQ(response[http::field::content_length], std::to_string(response.body().size()));
}

TEST(ApiError, AnInvalidArgumentAboutAFieldNamesIt) {
  const ApiError named = ApiErrorFromStatus(
      Status::InvalidArgument("itens: a transfer has at most 32 lines with the DynamoDB store"));
  EXPECT_EQ(named.http_status, http::status::bad_request);
  ASSERT_EQ(named.details.size(), 1u);
  EXPECT_EQ(named.details[0].field, "itens");
  EXPECT_EQ(named.details[0].reason, "a transfer has at most 32 lines with the DynamoDB store");
  EXPECT_FALSE(named.details[0].index.has_value());
  // Only a lower_snake name before ": " is a field.
  EXPECT_TRUE(ApiErrorFromStatus(Status::InvalidArgument("product 3: bad")).details.empty());
  EXPECT_TRUE(ApiErrorFromStatus(Status::InvalidArgument("Bad: x")).details.empty());
  EXPECT_TRUE(ApiErrorFromStatus(Status::InvalidArgument(": x")).details.empty());
  EXPECT_TRUE(ApiErrorFromStatus(Status::InvalidArgument("no field")).details.empty());
}

TEST(ApiError, InvalidParameterNamesTheField) {
  const ApiError error = InvalidParameter("limit", "must be an integer from 1 to 1000");
  EXPECT_EQ(error.http_status, http::status::bad_request);
  EXPECT_EQ(error.code, "invalid_parameter");
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].field, "limit");
  EXPECT_FALSE(error.details[0].index.has_value());
}

}  // namespace
}  // namespace estoque::api
