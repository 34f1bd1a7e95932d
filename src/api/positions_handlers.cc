// The /v1/posicoes operations: ingest (POST), one position, one product's positions, and the
// paged listing.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <boost/beast/http/field.hpp>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/http_util.h"
#include "api/json_writer.h"
#include "api/position_json.h"
#include "common/clock.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "queue/message.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;

namespace {

// Adds a detail for each invalid path parameter; returns the error if there was any.
std::optional<ApiError> ValidateKeyParameters(const ServiceContext& context,
                                              const std::string* barcode,
                                              const std::string* branch) {
  ApiError error = MakeApiError(http::status::bad_request, "invalid_parameter", "");
  if (barcode) {
    const Status status =
        domain::ValidateBarcode(*barcode, context.config->require_gtin_check_digit);
    if (!status.ok()) error.details.push_back({std::nullopt, "codigo_barra", status.message()});
  }
  if (branch) {
    const Status status = domain::ValidateBranch(*branch);
    if (!status.ok()) error.details.push_back({std::nullopt, "filial", status.message()});
  }
  if (error.details.empty()) return std::nullopt;
  error.message = "invalid parameter '" + error.details.front().field +
                  "': " + error.details.front().reason;
  return error;
}


}  // namespace

void IngestPositions(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const auto content_type = request.http.find(http::field::content_type);
  if (content_type != request.http.end() && !IsJsonMediaType(content_type->value())) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::unsupported_media_type, "unsupported_media_type",
                              "Content-Type must be application/json"));
    return;
  }
  ApiResult<std::vector<domain::Position>> decoded = DecodePositionsBody(
      request.http.body(),
      PositionDecodeOptions{context.config->time_zone, context.config->require_gtin_check_digit});
  if (!decoded.ok()) {
    RespondError(respond, request.http, decoded.error());
    return;
  }
  if (context.shutting_down->load(std::memory_order_acquire)) {
    ApiError error = MakeApiError(http::status::service_unavailable, "shutting_down",
                                  "the server is shutting down; retry on another instance");
    error.retry_after_s = 1;
    RespondError(respond, request.http, error);
    return;
  }
  const std::size_t item_count = decoded.value().size();
  const unsigned version = request.http.version();
  const bool keep_alive = request.http.keep_alive();
  Responder taken = std::move(respond);
  respond = nullptr;
  // The queue answers from its committer thread once the message is durable.
  context.queue->Enqueue(
      queue::Message{std::move(decoded).value(), NowUnixMicros()},
      [respond = std::move(taken), item_count, version, keep_alive](Result<uint64_t> id) mutable {
        if (!id.ok()) {
          respond(MakeErrorResponse(ApiErrorFromStatus(id.status()), version, keep_alive));
          return;
        }
        std::string body;
        JsonWriter writer(&body);
        writer.BeginObject();
        writer.Key("message_id");
        writer.String(std::to_string(*id));  // a string: ids may exceed 2^53
        writer.Key("itens");
        writer.Uint(item_count);
        writer.EndObject();
        respond(MakeJsonResponse(http::status::accepted, std::move(body), version, keep_alive));
      });
}

void GetPosition(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& barcode = request.path_params.at(0);
  const std::string& branch = request.path_params.at(1);
  if (auto error = ValidateKeyParameters(context, &barcode, &branch)) {
    RespondError(respond, request.http, *error);
    return;
  }
  Result<domain::Position> position = context.store->Get(barcode, branch);
  if (!position.ok()) {
    RespondError(respond, request.http,
                 position.status().code() == StatusCode::kNotFound
                     ? MakeApiError(http::status::not_found, "not_found",
                                    "no position for codigo_barra " + barcode + " at filial " +
                                        branch)
                     : ApiErrorFromStatus(position.status()));
    return;
  }
  RespondJson(respond, request.http, EncodePosition(*position, context.config->time_zone));
}

void GetProduct(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& barcode = request.path_params.at(0);
  if (auto error = ValidateKeyParameters(context, &barcode, nullptr)) {
    RespondError(respond, request.http, *error);
    return;
  }
  Result<std::vector<domain::Position>> positions = context.store->ListByBarcode(barcode);
  if (!positions.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(positions.status()));
    return;
  }
  if (positions->empty()) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "not_found",
                              "no position for codigo_barra " + barcode));
    return;
  }
  // The newest position names the product; quantities are summed exactly.
  const domain::Position* newest = &positions->front();
  __int128 total_milli = 0;
  for (const domain::Position& position : *positions) {
    if (position.updated_at_us > newest->updated_at_us) newest = &position;
    total_milli += position.quantity_milli;
  }
  std::string body;
  body.reserve(128 + positions->size() * 256);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key(kFieldBarcode);
  writer.String(barcode);
  writer.Key(kFieldProductName);
  writer.String(newest->product_name);
  writer.Key("filiais");
  writer.Uint(positions->size());
  writer.Key("total_qtd_estoque");
  writer.RawNumber(FormatQuantityMilliTotal(total_milli));
  writer.Key(kFieldItems);
  writer.BeginArray();
  for (const domain::Position& position : *positions) {
    WritePosition(writer, position, context.config->time_zone);
  }
  writer.EndArray();
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void ListPositions(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  bool malformed = false;
  std::size_t limit = limits::kPageLimitDefault;
  if (std::optional<std::string> text = FindQueryParameter(request.query, "limit", &malformed);
      text || malformed) {
    std::optional<std::size_t> parsed = text ? ParsePageSize(*text) : std::nullopt;
    if (!parsed) {
      RespondError(respond, request.http,
                   InvalidParameter("limit", "must be an integer from 1 to " +
                                                 std::to_string(limits::kPageLimitMax)));
      return;
    }
    limit = *parsed;
  }
  std::optional<std::string> branch = FindQueryParameter(request.query, "filial", &malformed);
  if (malformed) {
    RespondError(respond, request.http, InvalidParameter("filial", "malformed percent-encoding"));
    return;
  }
  if (branch) {
    if (auto error = ValidateKeyParameters(context, nullptr, &*branch)) {
      RespondError(respond, request.http, *error);
      return;
    }
  }
  std::optional<std::string> after;
  std::optional<std::string> cursor = FindQueryParameter(request.query, "cursor", &malformed);
  if (malformed) {
    RespondError(respond, request.http, InvalidParameter("cursor", "malformed percent-encoding"));
    return;
  }
  if (cursor && !cursor->empty()) {  // "cursor=" means the first page
    Result<std::string> decoded = DecodeCursor(*cursor);
    if (!decoded.ok()) {
      RespondError(respond, request.http, InvalidParameter("cursor", decoded.status().message()));
      return;
    }
    after = std::move(*decoded);
  }

  Result<store::PositionPage> page = context.store->List(
      branch ? std::optional<std::string_view>(*branch) : std::nullopt,
      after ? std::optional<std::string_view>(*after) : std::nullopt, limit);
  if (!page.ok()) {
    // The store's only InvalidArgument here is a cursor it cannot resume from.
    RespondError(respond, request.http,
                 page.status().code() == StatusCode::kInvalidArgument
                     ? InvalidParameter("cursor", page.status().message())
                     : ApiErrorFromStatus(page.status()));
    return;
  }
  std::string body;
  body.reserve(64 + page->items.size() * 256);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key(kFieldItems);
  writer.BeginArray();
  for (const domain::Position& position : page->items) {
    WritePosition(writer, position, context.config->time_zone);
  }
  writer.EndArray();
  writer.Key("proximo_cursor");
  if (page->next_after) {
    writer.String(EncodeCursor(*page->next_after));
  } else {
    writer.Null();
  }
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
