// The inventory operations: sales and their cancellation (queued like positions), movements
// through the API, the ledger, stock of one product-branch (now and as of a time), alerts, branch
// summaries and reorder points. Branch scope: a sale, movement or query filter of a branch the key
// does not cover is refused (403, nothing written; a batch with one such movement is refused
// whole); listings and the per-product stock show only the key's branches.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/cursor.h"
#include "api/handlers.h"
#include "api/http_util.h"
#include "api/inventory_json.h"
#include "api/json_writer.h"
#include "api/position_json.h"
#include "api/request_checks.h"
#include "api/sale_json.h"
#include "api/scoped_page.h"
#include "common/clock.h"
#include "domain/quantity.h"
#include "queue/message.h"

namespace estoque::api::handlers {

namespace http = boost::beast::http;

InventoryDecodeContext MakeDecodeContext(const ServiceContext& context) {
  InventoryDecodeContext decode;
  catalog::Catalog* catalog = context.catalog;
  const domain::TimeZone fallback = context.config->time_zone;
  decode.zone_of = [catalog, fallback](std::string_view branch) {
    return catalog->TimeZoneOf(branch, fallback);
  };
  decode.unit_of = [catalog](std::string_view barcode) { return catalog->UnitOf(barcode); };
  decode.require_gtin_check_digit = context.config->require_gtin_check_digit;
  decode.now_us = NowUnixMicros();
  return decode;
}

namespace {

// Enqueues `message` and answers 202 {"message_id", <fields>} once it is durable (from the
// queue's committer thread), or the queue's error.
void EnqueueAndAccept(const ServiceContext& context, RouteRequest& request, Responder& respond,
                      queue::Message message, std::string fields_json) {
  const unsigned version = request.http.version();
  const bool keep_alive = request.http.keep_alive();
  Responder taken = std::move(respond);
  respond = nullptr;
  context.queue->Enqueue(
      std::move(message), [respond = std::move(taken), fields = std::move(fields_json), version,
                           keep_alive](Result<uint64_t> id) mutable {
        if (!id.ok()) {
          respond(MakeErrorResponse(ApiErrorFromStatus(id.status()), version, keep_alive));
          return;
        }
        std::string body;  // built on the queue's committer thread: one allocation
        body.reserve(32 + fields.size());
        body.append("{\"message_id\":\"").append(std::to_string(*id)).append("\",");
        body.append(fields).push_back('}');
        respond(MakeJsonResponse(http::status::accepted, std::move(body), version, keep_alive));
      });
}

// Registers the products a sale names (without names) in the catalog.
void RegisterSaleProducts(const ServiceContext& context, const domain::Sale& sale) {
  std::vector<catalog::Catalog::Mention> mentions;
  for (const domain::SaleLine& line : sale.lines) {
    mentions.push_back({line.barcode, "", line.quantity_milli % 1000 != 0});
  }
  Status registered = context.catalog->RegisterMentioned(mentions);
  static_cast<void>(registered);  // best effort: the sale itself is what must not be lost
}

int64_t MinStockInForce(const ServiceContext& context, std::string_view barcode,
                        const store::StockState& state) {
  return state.min_stock_milli.value_or(context.catalog->DefaultMinStock(barcode));
}

// The name to show for a product: the catalog's, else the one its newest PDV count carried.
std::string ProductName(const ServiceContext& context, std::string_view barcode,
                        const store::StockState& state) {
  std::string name = context.catalog->NameOf(barcode);
  return name.empty() ? state.product_name : name;
}

void WriteStockObject(JsonWriter& writer, const ServiceContext& context, std::string_view barcode,
                      std::string_view branch, const store::StockState& state) {
  const domain::TimeZone& zone = context.config->time_zone;
  domain::Position position;
  position.barcode.assign(barcode);
  position.branch.assign(branch);
  position.product_name = ProductName(context, barcode, state);
  position.quantity_milli = state.on_hand_milli;
  position.updated_at_us = state.updated_at_us;
  // The core issue's fields first (qtd_estoque = em_estoque), so seed clients keep working.
  writer.BeginObject();
  WritePositionFields(writer, position, zone);
  WriteStockFields(writer, state, MinStockInForce(context, barcode, state), zone);
  writer.EndObject();
}

// Every movement's filial must be covered by the caller (one foreign movement refuses them all).
// A body that is one object, not an array, gets a detail without an index.
bool CheckMovementsScope(RouteRequest& request, Responder& respond,
                         const std::vector<domain::Movement>& movements) {
  const std::string_view body = request.http.body();
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || body[first] != '[') {
    return movements.empty() ||
           CheckBranchAccess(request, respond, "filial", movements.front().branch);
  }
  std::vector<std::string_view> branches;
  branches.reserve(movements.size());
  for (const domain::Movement& movement : movements) branches.push_back(movement.branch);
  return CheckBranchesAccess(request, respond, "filial", branches);
}

}  // namespace

void IngestSale(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckJsonMediaType(request, respond)) return;
  // The decoder looks every line's product up (its unit); counting the known ones spares a sale
  // of catalogued products the second lookup of RegisterSaleProducts.
  InventoryDecodeContext decode = MakeDecodeContext(context);
  std::size_t known_lines = 0;
  decode.unit_of = [catalog = context.catalog, &known_lines](std::string_view barcode) {
    std::optional<domain::Unit> unit = catalog->UnitOf(barcode);
    if (unit.has_value()) ++known_lines;
    return unit;
  };
  ApiResult<domain::Sale> sale = DecodeSaleBody(request.http.body(), decode);
  if (!sale.ok()) {
    RespondError(respond, request.http, sale.error());
    return;
  }
  if (!CheckBranchAccess(request, respond, "filial", sale.value().branch)) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  if (known_lines < sale.value().lines.size()) RegisterSaleProducts(context, sale.value());
  std::string fields = "\"venda_id\":";
  JsonWriter::AppendQuotedTo(fields, sale.value().id);
  fields += ",\"itens\":" + std::to_string(sale.value().lines.size());
  queue::Message message;
  message.enqueued_at_us = NowUnixMicros();
  message.sales.push_back(std::move(sale).value());
  EnqueueAndAccept(context, request, respond, std::move(message), std::move(fields));
}

void CancelSale(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& branch = request.path_params.at(0);
  const std::string& sale_id = request.path_params.at(1);
  if (!CheckBranch(request, respond, "filial", branch)) return;
  if (!CheckId(request, respond, "venda_id", sale_id)) return;
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<int64_t> at = DecodeEventTimeBody(
      request.http.body(), context.catalog->TimeZoneOf(branch, context.config->time_zone),
      NowUnixMicros());
  if (!at.ok()) {
    RespondError(respond, request.http, at.error());
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  std::string fields = "\"venda_id\":";
  JsonWriter::AppendQuotedTo(fields, sale_id);
  fields += ",\"filial\":";
  JsonWriter::AppendQuotedTo(fields, branch);
  queue::Message message;
  message.enqueued_at_us = NowUnixMicros();
  message.cancels.push_back(domain::SaleCancel{sale_id, branch, at.value(), "pdv"});
  EnqueueAndAccept(context, request, respond, std::move(message), std::move(fields));
}

void PostMovements(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  if (!CheckJsonMediaType(request, respond)) return;
  InventoryDecodeContext decode = MakeDecodeContext(context);
  // Without "origem", a movement is recorded under the id of the key that sent it.
  if (!request.caller.id().empty()) decode.default_origin = request.caller.id();
  ApiResult<std::vector<domain::Movement>> movements =
      DecodeMovementsBody(request.http.body(), decode);
  if (!movements.ok()) {
    RespondError(respond, request.http, movements.error());
    return;
  }
  if (!CheckMovementsScope(request, respond, movements.value())) return;
  if (!CheckAcceptingWrites(context, request, respond)) return;
  std::vector<catalog::Catalog::Mention> mentions;
  for (const domain::Movement& movement : movements.value()) {
    mentions.push_back({movement.barcode, "", movement.quantity_milli % 1000 != 0});
  }
  static_cast<void>(context.catalog->RegisterMentioned(mentions));
  Result<std::vector<store::MovementOutcome>> outcomes =
      context.store->RecordMovements(std::move(movements).value());
  if (!outcomes.ok()) {
    RespondStoreError(request, respond, outcomes.status(), "");
    return;
  }
  bool any_new = false;
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("movimentos");
  writer.BeginArray();
  for (const store::MovementOutcome& outcome : *outcomes) {
    any_new = any_new || !outcome.duplicate;
    WriteMovement(writer, outcome.movement, context.config->time_zone, outcome.duplicate);
  }
  writer.EndArray();
  writer.EndObject();
  // 201 if anything was recorded now; 200 if every movement was a repeat of an earlier request.
  RespondJson(respond, request.http, std::move(body),
              any_new ? http::status::created : http::status::ok);
}

void ListMovements(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  store::LedgerQuery query;
  auto barcode = ReadQueryParameter(request, respond, "codigo_barra");
  if (!barcode) return;
  if (barcode->has_value() && !CheckBarcode(context, request, respond, "codigo_barra", **barcode)) {
    return;
  }
  auto branch = ReadQueryParameter(request, respond, "filial");
  if (!branch) return;
  if (branch->has_value() && !CheckBranch(request, respond, "filial", **branch)) return;
  if (branch->has_value() && !CheckBranchAccess(request, respond, "filial", **branch)) return;
  const domain::TimeZone zone =
      branch->has_value() ? context.catalog->TimeZoneOf(**branch, context.config->time_zone)
                          : context.config->time_zone;
  auto since = ReadTimeParameter(request, respond, "desde", zone);
  if (!since) return;
  auto until = ReadTimeParameter(request, respond, "ate", zone);
  if (!until) return;
  auto limit = ReadPageLimit(request, respond);
  if (!limit) return;
  auto cursor = ReadPageCursor(request, respond);
  if (!cursor) return;
  query.barcode = *barcode;
  query.branch = *branch;
  query.since_us = *since;
  query.until_us = *until;
  query.after = *cursor;
  query.limit = *limit;
  if (!request.caller.all_branches()) query.branches = request.caller.key->branches;
  Result<store::LedgerPage> page = context.store->ListLedger(query);
  if (!page.ok()) {
    RespondError(respond, request.http,
                 page.status().code() == StatusCode::kInvalidArgument
                     ? InvalidParameter("cursor", page.status().message())
                     : ApiErrorFromStatus(page.status()));
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const domain::Movement& movement : page->items) {
    WriteMovement(writer, movement, context.config->time_zone);
  }
  writer.EndArray();
  WriteNextCursor(writer, page->next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void GetStock(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& barcode = request.path_params.at(0);
  const std::string& branch = request.path_params.at(1);
  if (!CheckKeys(context, request, respond, &barcode, &branch)) return;
  const domain::TimeZone& zone = context.config->time_zone;
  auto as_of = ReadTimeParameter(request, respond, "em",
                                 context.catalog->TimeZoneOf(branch, context.config->time_zone));
  if (!as_of) return;
  const std::string missing = "no stock for codigo_barra " + barcode + " at filial " + branch;
  if (as_of->has_value()) {
    Result<store::StockAsOf> past = context.store->StockAt(barcode, branch, **as_of);
    if (!past.ok()) {
      RespondStoreError(request, respond, past.status(), missing);
      return;
    }
    std::string body;
    JsonWriter writer(&body);
    writer.BeginObject();
    writer.Key("codigo_barra");
    writer.String(barcode);
    writer.Key("filial");
    writer.String(branch);
    writer.Key("em");
    writer.String(domain::FormatRfc3339(**as_of, zone));
    writer.Key("em_estoque");
    writer.RawNumber(domain::FormatQuantityMilli(past->on_hand_milli));
    writer.Key("qtd_estoque");
    writer.RawNumber(domain::FormatQuantityMilli(past->on_hand_milli));
    writer.Key("ultima_contagem");
    WriteOptionalTime(writer, past->count_at_us, zone);
    writer.Key("ultimo_movimento");
    WriteOptionalTime(writer, past->last_movement_at_us, zone);
    writer.Key("movimentos_lidos");
    writer.Int(past->movements);
    writer.EndObject();
    RespondJson(respond, request.http, std::move(body));
    return;
  }
  Result<store::StockState> state = context.store->GetStock(barcode, branch);
  if (!state.ok()) {
    RespondStoreError(request, respond, state.status(), missing);
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  WriteStockObject(writer, context, barcode, branch, *state);
  RespondJson(respond, request.http, std::move(body));
}

void GetProductStock(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& barcode = request.path_params.at(0);
  if (!CheckBarcode(context, request, respond, "codigo_barra", barcode)) return;
  auto states = context.store->GetStockByBarcode(barcode);
  if (!states.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(states.status()));
    return;
  }
  // A scoped key sees its branches only, and totals over them (404 if it has none of them).
  std::erase_if(*states, [&](const auto& entry) { return !request.caller.covers(entry.first); });
  if (states->empty()) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "not_found",
                              "no position for codigo_barra " + barcode));
    return;
  }
  __int128 on_hand = 0, reserved = 0, in_transit = 0;
  const store::StockState* newest = &states->front().second;
  for (const auto& [branch, state] : *states) {
    on_hand += state.on_hand_milli;
    reserved += state.reserved_milli;
    in_transit += state.in_transit_milli;
    if (state.updated_at_us > newest->updated_at_us) newest = &state;
  }
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("codigo_barra");
  writer.String(barcode);
  writer.Key("nome_produto");
  writer.String(ProductName(context, barcode, *newest));
  writer.Key("filiais");
  writer.Uint(states->size());
  writer.Key("total_qtd_estoque");
  writer.RawNumber(FormatQuantityMilliTotal(on_hand));
  writer.Key("totais");
  writer.BeginObject();
  writer.Key("em_estoque");
  writer.RawNumber(FormatQuantityMilliTotal(on_hand));
  writer.Key("reservado");
  writer.RawNumber(FormatQuantityMilliTotal(reserved));
  writer.Key("em_transito");
  writer.RawNumber(FormatQuantityMilliTotal(in_transit));
  writer.Key("disponivel");
  writer.RawNumber(FormatQuantityMilliTotal(on_hand - reserved));
  writer.EndObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const auto& [branch, state] : *states) WriteStockObject(writer, context, barcode, branch, state);
  writer.EndArray();
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void PutMinStock(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& barcode = request.path_params.at(0);
  const std::string& branch = request.path_params.at(1);
  if (!CheckKeys(context, request, respond, &barcode, &branch)) return;
  if (!CheckJsonMediaType(request, respond)) return;
  ApiResult<std::optional<int64_t>> min_stock =
      DecodeMinStockBody(request.http.body(), context.catalog->UnitOf(barcode));
  if (!min_stock.ok()) {
    RespondError(respond, request.http, min_stock.error());
    return;
  }
  if (!CheckAcceptingWrites(context, request, respond)) return;
  Result<store::StockState> state = context.store->SetMinStock(barcode, branch, min_stock.value());
  if (!state.ok()) {
    RespondStoreError(request, respond, state.status(), "");
    return;
  }
  std::string body;
  JsonWriter writer(&body);
  WriteStockObject(writer, context, barcode, branch, *state);
  RespondJson(respond, request.http, std::move(body));
}

void ListAlerts(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  auto requested = ReadQueryParameter(request, respond, "filial");
  if (!requested) return;
  if (requested->has_value() && !CheckBranch(request, respond, "filial", **requested)) return;
  std::optional<std::optional<std::string>> branch =
      ResolveListBranch(request, respond, *requested);
  if (!branch) return;
  auto kind_text = ReadQueryParameter(request, respond, "tipo");
  if (!kind_text) return;
  std::optional<store::AlertKind> kind;
  if (kind_text->has_value()) {
    kind = store::ParseAlertKind(**kind_text);
    if (!kind.has_value()) {
      RespondError(respond, request.http,
                   InvalidParameter("tipo", "must be estoque_baixo or estoque_negativo"));
      return;
    }
  }
  auto limit = ReadPageLimit(request, respond);
  if (!limit) return;
  auto cursor = ReadPageCursor(request, respond);
  if (!cursor) return;
  auto fetch = [&](std::optional<std::string_view> after, std::size_t count) {
    return context.store->ListAlerts(
        branch->has_value() ? std::optional<std::string_view>(**branch) : std::nullopt, kind,
        after, count);
  };
  // A key of several (not all) branches listing them all: every alert, filtered.
  Result<store::AlertPage> page =
      branch->has_value() || request.caller.all_branches()
          ? fetch(cursor->has_value() ? std::optional<std::string_view>(**cursor) : std::nullopt,
                  *limit)
          : ReadFilteredPage<store::AlertPage>(
                fetch,
                [&](const store::AlertEntry& alert) {
                  return request.caller.covers(alert.branch);
                },
                std::move(*cursor), *limit);
  if (!page.ok()) {
    RespondError(respond, request.http,
                 page.status().code() == StatusCode::kInvalidArgument
                     ? InvalidParameter("cursor", page.status().message())
                     : ApiErrorFromStatus(page.status()));
    return;
  }
  const domain::TimeZone& zone = context.config->time_zone;
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("itens");
  writer.BeginArray();
  for (const store::AlertEntry& alert : page->items) {
    writer.BeginObject();
    writer.Key("tipo");
    writer.String(store::AlertKindName(alert.kind));
    writer.Key("filial");
    writer.String(alert.branch);
    writer.Key("codigo_barra");
    writer.String(alert.barcode);
    writer.Key("nome_produto");
    writer.String(ProductName(context, alert.barcode, alert.state));
    writer.Key("em_estoque");
    writer.RawNumber(domain::FormatQuantityMilli(alert.state.on_hand_milli));
    writer.Key("estoque_minimo");
    writer.RawNumber(domain::FormatQuantityMilli(alert.min_stock_milli));
    writer.Key("desde");
    WriteOptionalTime(writer, alert.state.alert_since_us, zone);
    writer.EndObject();
  }
  writer.EndArray();
  WriteNextCursor(writer, page->next_after);
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

void GetBranchSummary(const ServiceContext& context, RouteRequest& request, Responder& respond) {
  const std::string& branch = request.path_params.at(0);
  if (!CheckBranch(request, respond, "filial", branch)) return;
  Result<store::BranchSummary> summary = context.store->Summary(branch);
  if (!summary.ok()) {
    RespondError(respond, request.http, ApiErrorFromStatus(summary.status()));
    return;
  }
  Result<catalog::Branch> registered = context.catalog->GetBranch(branch);
  if (!registered.ok() && summary->skus == 0 && summary->last_seen_at_us == 0) {
    RespondError(respond, request.http,
                 MakeApiError(http::status::not_found, "not_found", "no such filial: " + branch));
    return;
  }
  const domain::TimeZone& zone = context.config->time_zone;
  const int64_t now = NowUnixMicros();
  std::string body;
  JsonWriter writer(&body);
  writer.BeginObject();
  writer.Key("filial");
  writer.String(branch);
  writer.Key("nome");
  writer.String(registered.ok() ? registered->name : "");
  writer.Key("skus");
  writer.Uint(summary->skus);
  writer.Key("unidades");
  writer.RawNumber(FormatQuantityMilliTotal(summary->on_hand_total_milli));
  writer.Key("estoque_baixo");
  writer.Uint(summary->low_stock);
  writer.Key("estoque_negativo");
  writer.Uint(summary->negative_stock);
  writer.Key("ultimo_envio");
  WriteOptionalTime(writer, summary->last_seen_at_us, zone);
  writer.Key("segundos_desde_ultimo_envio");
  if (summary->last_seen_at_us > 0) {
    writer.Int((now - summary->last_seen_at_us) / 1'000'000);
  } else {
    writer.Null();
  }
  writer.EndObject();
  RespondJson(respond, request.http, std::move(body));
}

}  // namespace estoque::api::handlers
