// The /v1/posicoes operations: ingest (POST), one position, one product's positions, and the
// paged listing. Branch scope: a batch with one item of a branch the key does not cover is
// refused whole (403, nothing queued); the listing shows only the key's branches.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/http_util.h"
#include "api/json_writer.h"
#include "api/position_json.h"
#include "api/request_checks.h"
#include "api/scoped_page.h"
#include "common/clock.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "queue/message.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;


void IngestPositions(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const auto content_type = request.http.find(http::field::content_type);
  if (content_type != request.http.end() && !IsJsonMediaType(content_type->value())) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::unsupported_media_type, "unsupported_media_type",
                              "Content-Type must be application/json"));
    return;
  }
  catalog::Catalog* catalog = context.catalog;
  const domain::TimeZone fallback = context.config->time_zone;
  ApiResult<std::vector<domain::Position>> decoded = DecodePositionsBody(
      request.http.body(),
      PositionDecodeOptions{fallback, context.config->require_gtin_check_digit,
                            [catalog, fallback](std::string_view branch) {
                              return catalog->TimeZoneOf(branch, fallback);
                            }});
  if (!decoded.ok()) {
    RespondError(respond, request.http, decoded.error());
    return;
  }
  // Quantities must fit the unit of products already in the catalog (UN: whole numbers).
  ApiError unit_errors = MakeApiError(http::status::bad_request, "invalid_items", "");
  for (std::size_t i = 0; i < decoded.value().size(); ++i) {
    const domain::Position& position = decoded.value()[i];
    if (position.quantity_milli % 1000 == 0) continue;
    std::optional<domain::Unit> unit = catalog->UnitOf(position.barcode);
    if (!unit.has_value()) continue;
    const Status valid = domain::ValidateQuantityForUnit(position.quantity_milli, *unit);
    if (!valid.ok()) unit_errors.details.push_back({i, std::string(kFieldQuantity), valid.message()});
  }
  if (!unit_errors.details.empty()) {
    unit_errors.message = std::to_string(unit_errors.details.size()) +
                          " invalid item(s); nothing was queued";
    RespondError(respond, request.http, unit_errors);
    return;
  }
  // Every item must be of one of the caller's branches: one foreign item refuses the batch.
  std::vector<std::string_view> branches;
  branches.reserve(decoded.value().size());
  for (const domain::Position& position : decoded.value()) branches.push_back(position.branch);
  if (!CheckBranchesAccess(request, respond, kFieldBranch, branches)) return;
  if (context.shutting_down->load(std::memory_order_acquire)) {
    ApiError error = MakeApiError(http::status::service_unavailable, "shutting_down",
                                  "the server is shutting down; retry on another instance");
    error.retry_after_s = 1;
    RespondError(respond, request.http, error);
    return;
  }
  // The first message that names a product registers it in the catalog (best effort: the
  // positions themselves are what must not be lost).
  std::vector<catalog::Catalog::Mention> mentions;
  mentions.reserve(decoded.value().size());
  for (const domain::Position& position : decoded.value()) {
    mentions.push_back(
        {position.barcode, position.product_name, position.quantity_milli % 1000 != 0});
  }
  static_cast<void>(catalog->RegisterMentioned(mentions));
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
    if (!CheckKeys(context, request, respond, nullptr, &*branch)) return;
  }
  std::optional<std::optional<std::string>> scope = ResolveListBranch(request, respond, branch);
  if (!scope) return;
  branch = std::move(*scope);
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

  // A key of several (not all) branches listing them all: the whole listing, filtered.
  auto fetch = [&](std::optional<std::string_view> from, std::size_t count) {
    return context.store->List(branch ? std::optional<std::string_view>(*branch) : std::nullopt,
                               from, count);
  };
  Result<store::PositionPage> page =
      branch || request.caller.all_branches()
          ? fetch(after ? std::optional<std::string_view>(*after) : std::nullopt, limit)
          : ReadFilteredPage<store::PositionPage>(
                fetch,
                [&](const domain::Position& position) {
                  return request.caller.covers(position.branch);
                },
                std::move(after), limit);
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
  WriteNextCursor(writer, page->next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
