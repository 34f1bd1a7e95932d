#include "api/api_error.h"

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "api/http_util.h"
#include "api/json_writer.h"
#include "common/limits.h"

namespace estoque::api {

namespace http = boost::beast::http;

ApiError MakeApiError(http::status http_status, std::string code, std::string message) {
  ApiError error;
  error.http_status = http_status;
  error.code = std::move(code);
  error.message = std::move(message);
  return error;
}

namespace {

// "codigo_barra: must be ..." -> "codigo_barra": a message that starts with a lower_snake name
// and ": " names the field it is about (the store's and the catalog's InvalidArgument messages).
std::optional<std::string_view> FieldOfMessage(std::string_view message) {
  const std::size_t colon = message.find(": ");
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  for (char c : message.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'))) return std::nullopt;
  }
  return message.substr(0, colon);
}

}  // namespace

ApiError InvalidParameter(std::string field, std::string reason) {
  ApiError error = MakeApiError(http::status::bad_request, "invalid_parameter",
                                "invalid parameter '" + field + "': " + reason);
  error.details.push_back(ErrorDetail{std::nullopt, std::move(field), std::move(reason)});
  return error;
}

ApiError ApiErrorFromStatus(const Status& status) {
  assert(!status.ok());
  switch (status.code()) {
    case StatusCode::kNotFound:
      return MakeApiError(http::status::not_found, "not_found", status.message());
    case StatusCode::kInvalidArgument: {
      ApiError error = MakeApiError(http::status::bad_request, "invalid_argument", status.message());
      if (auto field = FieldOfMessage(status.message())) {
        error.details.push_back(ErrorDetail{std::nullopt, std::string(*field),
                                            status.message().substr(field->size() + 2)});
      }
      return error;
    }
    case StatusCode::kConflict:
      return MakeApiError(http::status::conflict, "conflict", status.message());
    case StatusCode::kResourceExhausted: {
      ApiError error = MakeApiError(http::status::service_unavailable, "queue_full",
                                    "the ingest queue is full; retry later");
      error.retry_after_s = 1;
      return error;
    }
    case StatusCode::kUnavailable: {
      ApiError error = MakeApiError(http::status::service_unavailable, "unavailable",
                                    "temporarily unavailable; retry later");
      error.retry_after_s = 1;
      spdlog::warn("request failed: {}", status.ToString());
      return error;
    }
    case StatusCode::kOk:
    case StatusCode::kCorruption:
    case StatusCode::kInternal:
      break;
  }
  spdlog::error("request failed: {}", status.ToString());
  return MakeApiError(http::status::internal_server_error, "internal", "internal error");
}

ApiError StorageError(store::StorageCondition condition) {
  assert(condition != store::StorageCondition::kOk);
  ApiError error =
      condition == store::StorageCondition::kNoSpace
          ? MakeApiError(http::status::insufficient_storage, "insufficient_storage",
                         "the server's disk is full: the write was not accepted; retry later "
                         "(reads keep working)")
          : MakeApiError(http::status::service_unavailable, "storage_unavailable",
                         "the server cannot write to its disk (I/O error): the write was not "
                         "accepted; retry later (reads keep working)");
  error.retry_after_s = limits::kStorageRetryAfterSeconds;
  return error;
}

std::string_view StorageWireName(store::StorageCondition condition) {
  switch (condition) {
    case store::StorageCondition::kOk:
      return "ok";
    case store::StorageCondition::kNoSpace:
      return "sem_espaco";
    case store::StorageCondition::kIoError:
      return "erro_de_io";
  }
  return "erro_de_io";
}

void WriteErrorObject(JsonWriter& writer, const ApiError& error) {
  writer.BeginObject();
  writer.Key("code");
  writer.String(error.code);
  writer.Key("message");
  writer.String(error.message);
  writer.Key("details");
  writer.BeginArray();
  for (const ErrorDetail& detail : error.details) {
    writer.BeginObject();
    if (detail.index) {
      writer.Key("index");
      writer.Uint(*detail.index);
    }
    writer.Key("field");
    writer.String(detail.field);
    writer.Key("reason");
    writer.String(detail.reason);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
}

std::string RenderApiError(const ApiError& error) {
  std::string body;
  body.reserve(96 + error.message.size() + error.details.size() * 64);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("error");
  WriteErrorObject(writer, error);
  writer.EndObject();
  return body;
}

HttpResponse MakeErrorResponse(const ApiError& error, unsigned http_version, bool keep_alive,
                               std::optional<std::string> body) {
  HttpResponse response =
      MakeJsonResponse(error.http_status, body ? std::move(*body) : RenderApiError(error),
                       http_version, keep_alive);
  if (error.retry_after_s) {
    response.set(http::field::retry_after, std::to_string(*error.retry_after_s));
  }
  return response;
}

}  // namespace estoque::api
