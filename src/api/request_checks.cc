#include "api/request_checks.h"

#include "api/cursor.h"
#include "api/http_util.h"
#include "api/position_json.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/sale.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;

bool CheckJsonMediaType(RouteRequest& request, Responder& respond) {
  const auto content_type = request.http.find(http::field::content_type);
  if (content_type == request.http.end() || IsJsonMediaType(content_type->value())) return true;
  RespondError(respond, request.http,
               MakeApiError(http::status::unsupported_media_type, "unsupported_media_type",
                            "Content-Type must be application/json"));
  return false;
}

bool CheckAcceptingWrites(const ServiceContext& context, RouteRequest& request,
                          Responder& respond) {
  if (!context.shutting_down->load(std::memory_order_acquire)) return true;
  ApiError error = MakeApiError(http::status::service_unavailable, "shutting_down",
                                "the server is shutting down; retry on another instance");
  error.retry_after_s = 1;
  RespondError(respond, request.http, error);
  return false;
}

bool CheckBarcode(const ServiceContext& context, RouteRequest& request, Responder& respond,
                  std::string_view field, std::string_view value) {
  const Status valid = domain::ValidateBarcode(value, context.config->require_gtin_check_digit);
  if (valid.ok()) return true;
  RespondError(respond, request.http, InvalidParameter(std::string(field), valid.message()));
  return false;
}

bool CheckKeys(const ServiceContext& context, RouteRequest& request, Responder& respond,
               const std::string* barcode, const std::string* branch) {
  ApiError error = MakeApiError(http::status::bad_request, "invalid_parameter", "");
  if (barcode != nullptr) {
    const Status valid = domain::ValidateBarcode(*barcode, context.config->require_gtin_check_digit);
    if (!valid.ok()) error.details.push_back({std::nullopt, "codigo_barra", valid.message()});
  }
  if (branch != nullptr) {
    const Status valid = domain::ValidateBranch(*branch);
    if (!valid.ok()) error.details.push_back({std::nullopt, "filial", valid.message()});
  }
  if (error.details.empty()) return true;
  error.message = "invalid parameter '" + error.details.front().field +
                  "': " + error.details.front().reason;
  RespondError(respond, request.http, error);
  return false;
}

bool CheckBranch(RouteRequest& request, Responder& respond, std::string_view field,
                 std::string_view value) {
  const Status valid = domain::ValidateBranch(value);
  if (valid.ok()) return true;
  RespondError(respond, request.http, InvalidParameter(std::string(field), valid.message()));
  return false;
}

bool CheckId(RouteRequest& request, Responder& respond, std::string_view field,
             std::string_view value) {
  if (domain::IsValidId(value)) return true;
  RespondError(respond, request.http,
               InvalidParameter(std::string(field),
                                std::string(domain::kInvalidIdReason)));
  return false;
}

namespace {

constexpr std::string_view kNotCovered = "not one of this key's branches";

}  // namespace

ApiError ForbiddenBranch(std::string_view field, std::string_view branch) {
  ApiError error = MakeApiError(http::status::forbidden, "forbidden",
                                std::string(field) + " " + std::string(branch) +
                                    " is not one of this key's branches");
  error.details.push_back({std::nullopt, std::string(field), std::string(kNotCovered)});
  return error;
}

bool CheckBranchAccess(RouteRequest& request, Responder& respond, std::string_view field,
                       std::string_view branch, std::optional<std::size_t> index) {
  if (request.caller.covers(branch)) return true;
  ApiError error = ForbiddenBranch(field, branch);
  error.details.front().index = index;
  RespondError(respond, request.http, error);
  return false;
}

bool CheckBranchesAccess(RouteRequest& request, Responder& respond, std::string_view field,
                         const std::vector<std::string_view>& branches) {
  if (request.caller.all_branches()) return true;
  ApiError error = MakeApiError(http::status::forbidden, "forbidden", "");
  std::size_t foreign = 0;
  for (std::size_t i = 0; i < branches.size(); ++i) {
    if (request.caller.covers(branches[i])) continue;
    ++foreign;
    if (error.details.size() < kErrorDetailsMax) {
      error.details.push_back({i, std::string(field), std::string(kNotCovered)});
    }
  }
  if (foreign == 0) return true;
  error.message = std::to_string(foreign) + " item(s) name a " + std::string(field) +
                  " that is not one of this key's branches; nothing was done";
  RespondError(respond, request.http, error);
  return false;
}

std::optional<std::optional<std::string>> ResolveListBranch(
    RouteRequest& request, Responder& respond, const std::optional<std::string>& requested) {
  if (requested.has_value()) {
    if (!CheckBranchAccess(request, respond, "filial", *requested)) return std::nullopt;
    return requested;
  }
  const Caller& caller = request.caller;
  if (caller.key != nullptr && caller.key->branches.size() == 1) {
    return std::optional<std::string>(caller.key->branches.front());
  }
  return std::optional<std::string>();
}

std::optional<std::optional<std::string>> ReadQueryParameter(RouteRequest& request,
                                                             Responder& respond,
                                                             std::string_view name) {
  bool malformed = false;
  std::optional<std::string> value = FindQueryParameter(request.query, name, &malformed);
  if (malformed) {
    RespondError(respond, request.http,
                 InvalidParameter(std::string(name), "malformed percent-encoding"));
    return std::nullopt;
  }
  return value;
}

std::optional<std::size_t> ReadPageLimit(RouteRequest& request, Responder& respond) {
  std::optional<std::optional<std::string>> text = ReadQueryParameter(request, respond, "limit");
  if (!text) return std::nullopt;
  if (!text->has_value()) return limits::kPageLimitDefault;
  std::optional<std::size_t> parsed = ParsePageSize(**text);
  if (!parsed) {
    RespondError(respond, request.http,
                 InvalidParameter("limit", "must be an integer from 1 to " +
                                               std::to_string(limits::kPageLimitMax)));
  }
  return parsed;
}

std::optional<std::optional<std::string>> ReadPageCursor(RouteRequest& request,
                                                         Responder& respond) {
  std::optional<std::optional<std::string>> text = ReadQueryParameter(request, respond, "cursor");
  if (!text) return std::nullopt;
  if (!text->has_value() || (*text)->empty()) return std::optional<std::string>();
  Result<std::string> decoded = DecodeCursor(**text);
  if (!decoded.ok()) {
    RespondError(respond, request.http, InvalidParameter("cursor", decoded.status().message()));
    return std::nullopt;
  }
  return std::optional<std::string>(std::move(*decoded));
}

std::optional<std::optional<int64_t>> ReadTimeParameter(RouteRequest& request, Responder& respond,
                                                        std::string_view name,
                                                        const domain::TimeZone& zone) {
  std::optional<std::optional<std::string>> text = ReadQueryParameter(request, respond, name);
  if (!text) return std::nullopt;
  if (!text->has_value()) return std::optional<int64_t>();
  Result<int64_t> at = domain::ParseTimestampMicros(**text, zone);
  if (!at.ok()) {
    RespondError(respond, request.http, InvalidParameter(std::string(name), at.status().message()));
    return std::nullopt;
  }
  return std::optional<int64_t>(*at);
}

void RespondStoreError(RouteRequest& request, Responder& respond, const Status& status,
                       std::string_view what_missing) {
  if (status.code() == StatusCode::kNotFound) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "not_found", std::string(what_missing)));
    return;
  }
  if (status.code() == StatusCode::kConflict) {
    const bool stock = status.message().starts_with("insufficient stock");
    RespondError(respond, request.http,
                 MakeApiError(http::status::conflict,
                              stock ? "insufficient_stock" : "conflict", status.message()));
    return;
  }
  RespondError(respond, request.http, ApiErrorFromStatus(status));
}

}  // namespace estoque::api::handlers
