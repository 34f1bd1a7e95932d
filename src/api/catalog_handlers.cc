// The catalog operations: /v1/produtos (one product, search, batch) and /v1/filiais. Products are
// not branch data: every key reads them. A scoped key sees only its branches in /v1/filiais (the
// dispatcher refuses a foreign {filial} in the path).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/field.hpp>

#include "api/catalog_json.h"
#include "api/cursor.h"
#include "api/handlers.h"
#include "api/request_checks.h"
#include "api/http_util.h"
#include "api/json_writer.h"
#include "catalog/catalog.h"
#include "catalog/validation.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/catalog_fields.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kFieldItems = "itens";
constexpr std::string_view kFieldNextCursor = "proximo_cursor";

// Responds 400 and returns false if the path's codigo_barra is malformed.
bool CheckBarcodeParameter(const ServiceContext& context, RouteRequest& request,
                           Responder& respond) {
  return CheckBarcode(context, request, respond, "codigo_barra", request.path_params.at(0));
}

// Responds 400 and returns false if the path's filial is malformed.
bool CheckBranchParameter(RouteRequest& request, Responder& respond) {
  return CheckBranch(request, respond, "filial", request.path_params.at(0));
}

// After a product's default reorder point changed, its branches' alerts are re-evaluated (best
// effort: an I/O failure here leaves them to the next change of their stock).
void RefreshAlertsIfMinChanged(const ServiceContext& context, const std::string& barcode,
                               int64_t old_min_stock_milli, int64_t new_min_stock_milli) {
  if (old_min_stock_milli == new_min_stock_milli) return;
  static_cast<void>(context.store->RefreshAlerts(barcode));
}

// The catalog's error for `status`: NotFound with a message naming the record, InvalidArgument
// (a rule the decoder already checks, so a race or a bug) as a 400, the rest as usual.
ApiError CatalogError(const Status& status) {
  if (status.code() == StatusCode::kNotFound) {
    return MakeApiError(http::status::not_found, "not_found", status.message());
  }
  return ApiErrorFromStatus(status);
}

std::string EncodeProduct(const catalog::Product& product, const domain::TimeZone& zone) {
  std::string body;
  body.reserve(256);
  JsonWriter writer(&body);
  WriteProduct(writer, product, zone);
  return body;
}

std::string EncodeBranch(const catalog::Branch& branch, const domain::TimeZone& zone) {
  std::string body;
  body.reserve(256);
  JsonWriter writer(&body);
  WriteBranch(writer, branch, zone);
  return body;
}

// 201 if the stored record was created by this write (its times are equal), else 200.
http::status CreatedOrOk(int64_t created_at_us, int64_t updated_at_us) {
  return created_at_us == updated_at_us ? http::status::created : http::status::ok;
}

}  // namespace

void PutCatalogProduct(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckBarcodeParameter(context, request, respond)) return;
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<catalog::Product> decoded = DecodeProductBody(
      request.http.body(), request.path_params[0], context.config->require_gtin_check_digit);
  if (!decoded.ok()) {
    RespondError(respond, request.http, decoded.error());
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  const int64_t old_min_stock = context.catalog->DefaultMinStock(request.path_params[0]);
  Result<catalog::Product> stored = context.catalog->PutProduct(std::move(decoded).value());
  if (!stored.ok()) {
    RespondError(respond, request.http, CatalogError(stored.status()));
    return;
  }
  RefreshAlertsIfMinChanged(context, stored->barcode, old_min_stock, stored->min_stock_milli);
  RespondJson(respond, request.http, EncodeProduct(*stored, context.config->time_zone),
              CreatedOrOk(stored->created_at_us, stored->updated_at_us));
}

void GetCatalogProduct(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckBarcodeParameter(context, request, respond)) return;
  Result<catalog::Product> product = context.catalog->GetProduct(request.path_params[0]);
  if (!product.ok()) {
    RespondError(respond, request.http, CatalogError(product.status()));
    return;
  }
  RespondJson(respond, request.http, EncodeProduct(*product, context.config->time_zone));
}

void DeleteCatalogProduct(const ServiceContext& context, RouteRequest& request,
                          Responder& respond) {
  if (!CheckBarcodeParameter(context, request, respond)) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  const int64_t old_min_stock = context.catalog->DefaultMinStock(request.path_params[0]);
  if (Status deleted = context.catalog->DeleteProduct(request.path_params[0]); !deleted.ok()) {
    RespondError(respond, request.http, CatalogError(deleted));
    return;
  }
  RefreshAlertsIfMinChanged(context, request.path_params[0], old_min_stock, 0);
  HttpResponse response{http::status::no_content, request.http.version()};
  response.keep_alive(request.http.keep_alive());
  Respond(respond, std::move(response));
}

void SearchCatalogProducts(const ServiceContext& context, RouteRequest& request,
                           Responder& respond) {
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
  std::optional<std::string> query = FindQueryParameter(request.query, "q", &malformed);
  if (malformed) {
    RespondError(respond, request.http, InvalidParameter("q", "malformed percent-encoding"));
    return;
  }
  if (query) {
    if (Status valid = domain::ValidateCatalogText(*query, limits::kSearchQueryCodePointsMax);
        !valid.ok()) {
      RespondError(respond, request.http, InvalidParameter("q", valid.message()));
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
    // The cursor carries the last barcode of the previous page.
    if (decoded.ok() && !domain::ValidateBarcode(*decoded, false).ok()) {
      decoded = Status::InvalidArgument("malformed cursor");
    }
    if (!decoded.ok()) {
      RespondError(respond, request.http, InvalidParameter("cursor", decoded.status().message()));
      return;
    }
    after = std::move(*decoded);
  }

  Result<catalog::ProductPage> page = context.catalog->SearchProducts(
      query ? std::string_view(*query) : std::string_view(),
      after ? std::optional<std::string_view>(*after) : std::nullopt, limit);
  if (!page.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(page.status()));
    return;
  }
  std::string body;
  body.reserve(64 + page->items.size() * 256);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key(kFieldItems);
  writer.BeginArray();
  for (const catalog::Product& product : page->items) {
    WriteProduct(writer, product, context.config->time_zone);
  }
  writer.EndArray();
  if (page->next_after) {  // absent on the last page
    writer.Key(kFieldNextCursor);
    writer.String(EncodeCursor(*page->next_after));
  }
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void PutCatalogProductBatch(const ServiceContext& context, RouteRequest& request,
                            Responder& respond) {
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<std::vector<catalog::Product>> decoded =
      DecodeProductBatchBody(request.http.body(), context.config->require_gtin_check_digit);
  if (!decoded.ok()) {
    RespondError(respond, request.http, decoded.error());
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  std::vector<std::pair<std::string, int64_t>> old_min_stock;  // (barcode, before)
  std::vector<int64_t> new_min_stock;
  for (const catalog::Product& product : decoded.value()) {
    old_min_stock.emplace_back(product.barcode, context.catalog->DefaultMinStock(product.barcode));
    new_min_stock.push_back(product.min_stock_milli);
  }
  Result<catalog::Catalog::PutProductsOutcome> outcome =
      context.catalog->PutProducts(std::move(decoded).value());
  if (outcome.ok()) {
    for (std::size_t i = 0; i < old_min_stock.size(); ++i) {
      RefreshAlertsIfMinChanged(context, old_min_stock[i].first, old_min_stock[i].second,
                                new_min_stock[i]);
    }
  }
  if (!outcome.ok()) {
    RespondError(respond, request.http, CatalogError(outcome.status()));
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("criados");
  writer.Uint(outcome->created);
  writer.Key("atualizados");
  writer.Uint(outcome->updated);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void PutCatalogBranch(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckBranchParameter(request, respond)) return;
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<catalog::Branch> decoded = DecodeBranchBody(request.http.body(), request.path_params[0]);
  if (!decoded.ok()) {
    RespondError(respond, request.http, decoded.error());
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  Result<catalog::Branch> stored = context.catalog->PutBranch(std::move(decoded).value());
  if (!stored.ok()) {
    RespondError(respond, request.http, CatalogError(stored.status()));
    return;
  }
  RespondJson(respond, request.http, EncodeBranch(*stored, context.config->time_zone),
              CreatedOrOk(stored->created_at_us, stored->updated_at_us));
}

void GetCatalogBranch(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckBranchParameter(request, respond)) return;
  Result<catalog::Branch> branch = context.catalog->GetBranch(request.path_params[0]);
  if (!branch.ok()) {
    RespondError(respond, request.http, CatalogError(branch.status()));
    return;
  }
  RespondJson(respond, request.http, EncodeBranch(*branch, context.config->time_zone));
}

void ListCatalogBranches(const ServiceContext& context, RouteRequest& request,
                         Responder& respond) {
  Result<std::vector<catalog::Branch>> branches = context.catalog->ListBranches();
  if (!branches.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(branches.status()));
    return;
  }
  std::string body;
  body.reserve(16 + branches->size() * 256);
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key(kFieldItems);
  writer.BeginArray();
  for (const catalog::Branch& branch : *branches) {
    if (!request.caller.covers(branch.branch)) continue;  // a scoped key lists its branches only
    WriteBranch(writer, branch, context.config->time_zone);
  }
  writer.EndArray();
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
