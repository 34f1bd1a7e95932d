// Checks shared by the handlers: each either passes (returns true / a value) or responds with the
// error and returns false / nullopt, so a handler reads as a sequence of early returns.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Branch scope (request.caller.covers). Each responds 403 "forbidden" and returns false if the
// caller may not act on a branch; every detail is {index?, field, "not one of this key's
// branches"}. Callers check scope after validating the request (400 first; a record named by an
// {id} is read first, so 404 comes before 403) and before writing anything or answering with the
// branch's data, so a refused request changes and shows nothing.
// One branch: `field` is its wire name ("filial", "origem", ...), `index` the item of a list.
bool CheckBranchAccess(RouteRequest& request, Responder& respond, std::string_view field,
                       std::string_view branch, std::optional<std::size_t> index = std::nullopt);
// The branches of a batch's items, in item order (index i = item i): one detail per foreign item,
// and the whole batch is refused.
bool CheckBranchesAccess(RouteRequest& request, Responder& respond, std::string_view field,
                         const std::vector<std::string_view>& branches);
// The 403 of CheckBranchAccess, for handlers that wrap errors in their own envelope.
ApiError ForbiddenBranch(std::string_view field, std::string_view branch);

// The branch a listing reads for this caller, given the `filial` query parameter `requested`:
//   - requested and covered: it; requested and foreign: 403 (returns nullopt);
//   - absent, and the key has exactly one branch: that branch (the store's branch index);
//   - absent otherwise: no branch (an inner nullopt); a scoped caller's rows must then be
//     filtered with request.caller.covers (see scoped_page.h).
std::optional<std::optional<std::string>> ResolveListBranch(
    RouteRequest& request, Responder& respond, const std::optional<std::string>& requested);

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
