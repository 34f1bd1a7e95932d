// Checks shared by the handlers: each either passes (returns true / a value) or responds with the
// error and returns false / nullopt, so a handler reads as a sequence of early returns.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "api/handlers.h"

namespace estoque::api::handlers {

// 415 unless the request names no media type or JSON (no Content-Type is taken as JSON).
bool CheckJsonMediaType(RouteRequest& request, Responder& respond);
// 503 shutting_down (Retry-After: 1) once the server is shutting down.
bool CheckAcceptingWrites(const ServiceContext& context, RouteRequest& request, Responder& respond);
// 400 invalid_parameter unless `value` is a valid codigo_barra / filial / id for `field`.
bool CheckBarcode(const ServiceContext& context, RouteRequest& request, Responder& respond,
                  std::string_view field, std::string_view value);
// Both path keys at once: one detail per invalid one (either may be null: not checked).
bool CheckKeys(const ServiceContext& context, RouteRequest& request, Responder& respond,
               const std::string* barcode, const std::string* branch);
bool CheckBranch(RouteRequest& request, Responder& respond, std::string_view field,
                 std::string_view value);
bool CheckId(RouteRequest& request, Responder& respond, std::string_view field,
             std::string_view value);

// Query parameters. Each responds 400 invalid_parameter naming the parameter on a problem.
// `limit`: 1..limits::kPageLimitMax, default limits::kPageLimitDefault.
std::optional<std::size_t> ReadPageLimit(RouteRequest& request, Responder& respond);
// The percent-decoded value of `name` (nullopt inside the optional if absent).
std::optional<std::optional<std::string>> ReadQueryParameter(RouteRequest& request,
                                                             Responder& respond,
                                                             std::string_view name);
// `cursor`, decoded to the store's raw resume point ("cursor=" means the first page).
std::optional<std::optional<std::string>> ReadPageCursor(RouteRequest& request, Responder& respond);
// A time parameter (domain::ParseTimestampMicros in `zone`).
std::optional<std::optional<int64_t>> ReadTimeParameter(RouteRequest& request, Responder& respond,
                                                        std::string_view name,
                                                        const domain::TimeZone& zone);

// Responds with the ApiError for a store Status; NotFound gets "not_found" with `what_missing`.
void RespondStoreError(RouteRequest& request, Responder& respond, const Status& status,
                       std::string_view what_missing);

}  // namespace estoque::api::handlers
