// The JSON codec of the inventory endpoints (docs/INVENTORY.md, docs/openapi.yaml): decoders of
// sales, movements, transfers, reservations and reorder points, and encoders of movements, stock
// states, transfers and reservations. Every decoder validates the whole body and returns 400
// "invalid_json" (not JSON), or "invalid_fields" with one detail per problem ({field, reason}, and
// {index} for an element of a list: the line of "itens", or the movement of an array).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/json_writer.h"
#include "domain/movement.h"
#include "domain/sale.h"
#include "domain/timestamp.h"
#include "domain/transfer.h"
#include "domain/unit.h"
#include "store/stock_state.h"

namespace estoque::api {

struct InventoryDecodeContext {
  // Zone of zone-less times sent for `branch` (its fuso, else the server's).
  std::function<domain::TimeZone(std::string_view branch)> zone_of;
  // Unit of a product in the catalog (nullopt: unknown product, any quantity with 3 decimals).
  std::function<std::optional<domain::Unit>(std::string_view barcode)> unit_of;
  bool require_gtin_check_digit = false;
  int64_t now_us = 0;  // default event time ("data" absent)
  std::string default_origin = "api";  // origin of a movement without "origem" (the key's id)
};

// POST /v1/vendas: DecodeSaleBody in sale_json.h (a streaming decoder: the hot path of sales).

// Bodies that only carry an optional event time: {"data"?} or an empty body. Returns the time
// (context.now_us when absent), zone-less times read in `zone`.
ApiResult<int64_t> DecodeEventTimeBody(std::string_view body, const domain::TimeZone& zone,
                                       int64_t now_us);

// POST /v1/movimentos: one movement object or an array of 1..1000: {"id", "tipo", "motivo"
// (ajuste only), "filial", "codigo_barra", "quantidade" (see domain::SignedEffect), "data"?,
// "origem"? (default context.default_origin; not one of the names estoque derives movements
// under), "referencia"?}. Returns the movements with the signed effect in quantity_milli, and
// event_at_us = -1 when "data" is absent (InventoryStore::RecordMovements: the record time).
ApiResult<std::vector<domain::Movement>> DecodeMovementsBody(std::string_view body,
                                                             const InventoryDecodeContext& context);

// POST /v1/transferencias: {"id", "origem", "destino" (another branch), "itens": [{"codigo_barra",
// "quantidade" > 0}] with distinct barcodes}.
ApiResult<domain::Transfer> DecodeTransferBody(std::string_view body,
                                               const InventoryDecodeContext& context);

struct ReceiveRequest {
  std::optional<std::vector<int64_t>> received;  // per line of the transfer, in its order
  int64_t at_us = 0;
};
// POST /v1/transferencias/{id}/recebimento: {"itens"?: [{"codigo_barra", "quantidade" (received,
// 0..shipped)}], "data"?}; lines not listed are received in full.
ApiResult<ReceiveRequest> DecodeReceiveBody(std::string_view body, const domain::Transfer& transfer,
                                            const InventoryDecodeContext& context);

// POST /v1/reservas: {"id", "filial", "itens" (distinct barcodes), "expira_em" (after now)}.
ApiResult<domain::Reservation> DecodeReservationBody(std::string_view body,
                                                     const InventoryDecodeContext& context);

// PUT /v1/posicoes/{codigo_barra}/{filial}/estoque_minimo: {"estoque_minimo": number >= 0 | null}
// (null: use the product's default).
ApiResult<std::optional<int64_t>> DecodeMinStockBody(std::string_view body,
                                                     std::optional<domain::Unit> unit);

// A ledger entry; with `duplicate`, also "duplicado" (the answer to POST /v1/movimentos).
void WriteMovement(JsonWriter& writer, const domain::Movement& movement,
                   const domain::TimeZone& zone, std::optional<bool> duplicate = std::nullopt);
void WriteTransfer(JsonWriter& writer, const domain::Transfer& transfer,
                   const domain::TimeZone& zone);
void WriteReservation(JsonWriter& writer, const domain::Reservation& reservation,
                      const domain::TimeZone& zone);
// The inventory fields of a stock state (continuing an object the caller opened):
// "em_estoque","reservado","em_transito","disponivel","estoque_minimo","ultima_contagem",
// "ultimo_movimento","alerta".
void WriteStockFields(JsonWriter& writer, const store::StockState& state, int64_t min_stock_milli,
                      const domain::TimeZone& zone);
// A time, or null when `at_us` <= 0 ... as RFC 3339 in `zone`.
void WriteOptionalTime(JsonWriter& writer, int64_t at_us, const domain::TimeZone& zone);

}  // namespace estoque::api
