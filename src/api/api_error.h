// ApiError: the one error type of the HTTP API, shaped like what goes on the wire, and the one
// place it is formatted:
//
//   {"error":{"code":"invalid_items","message":"...",
//             "details":[{"index":0,"field":"codigo_barra","reason":"..."}]}}
//
// "details" is always present (possibly empty); "index" appears only in details about one item of
// a list. Every error response of the server and of every handler is built here.
#pragma once

#include <cassert>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "api/http_types.h"
#include "common/status.h"
#include "store/storage_condition.h"

namespace estoque::api {

class JsonWriter;

// One specific problem of a request: which item (if the request carries a list), which field,
// and why.
struct ErrorDetail {
  std::optional<std::size_t> index;  // position in the request's item list
  std::string field;                 // wire name of the field ("codigo_barra", "limit", ...)
  std::string reason;                // human-readable ("required", "must be a string", ...)

  friend bool operator==(const ErrorDetail&, const ErrorDetail&) = default;
};

struct ApiError {
  boost::beast::http::status http_status = boost::beast::http::status::internal_server_error;
  std::string code;     // stable lower_snake identifier clients may branch on
  std::string message;  // human-readable
  std::vector<ErrorDetail> details;
  std::optional<int> retry_after_s;  // sent as Retry-After when set
};

// A T or the ApiError explaining why there is none (the API layer's Result).
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : state_(std::move(value)) {}        // NOLINT: implicit by design
  ApiResult(ApiError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  // REQUIRES: !ok()
  ApiError& error() & { assert(!ok()); return std::get<ApiError>(state_); }
  const ApiError& error() const& { assert(!ok()); return std::get<ApiError>(state_); }
  ApiError&& error() && { assert(!ok()); return std::get<ApiError>(std::move(state_)); }

 private:
  std::variant<T, ApiError> state_;
};

// Builds an error with the given status, code and message and no details.
ApiError MakeApiError(boost::beast::http::status http_status, std::string code,
                      std::string message);

// 400 "invalid_parameter" about one named request parameter (query or path).
ApiError InvalidParameter(std::string field, std::string reason);

// Maps a Status from the store or the queue to the ApiError clients see:
//   NotFound -> 404 not_found; InvalidArgument -> 400 invalid_argument (a message of the form
//   "<field>: <reason>", field a lower_snake wire name, also gives the detail {field, reason});
//   Conflict -> 409 conflict;
//   ResourceExhausted -> 503 queue_full + Retry-After: 1; Unavailable -> 503 unavailable +
//   Retry-After: 1; Corruption, Internal -> 500 internal with a generic message (the real one is
//   logged, never sent). REQUIRES: !status.ok()
ApiError ApiErrorFromStatus(const Status& status);

// The error of a write refused because the storage refuses writes, with Retry-After
// (limits::kStorageRetryAfterSeconds):
//   kNoSpace  -> 507 insufficient_storage ("the server's disk is full ...");
//   kIoError  -> 503 storage_unavailable ("the server cannot write to its disk ...").
// REQUIRES: condition != StorageCondition::kOk
ApiError StorageError(store::StorageCondition condition);

// The wire name of a storage condition ("armazenamento" of GET /health and GET /v1/fila):
// "ok", "sem_espaco", "erro_de_io".
std::string_view StorageWireName(store::StorageCondition condition);

// Writes the inner error object {"code":..,"message":..,"details":[..]} as the next value of
// `writer`. Used by RenderApiError and by envelopes that nest it (the seed's /v1/consulta).
void WriteErrorObject(JsonWriter& writer, const ApiError& error);

// The whole error body: {"error":{...}}.
std::string RenderApiError(const ApiError& error);

// A complete response for `error` with body RenderApiError(error) (or `body` when given, for
// envelopes like /v1/consulta's), Content-Type application/json and, when set, Retry-After.
HttpResponse MakeErrorResponse(const ApiError& error, unsigned http_version, bool keep_alive,
                               std::optional<std::string> body = std::nullopt);

}  // namespace estoque::api
