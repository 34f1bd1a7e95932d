// The decoder of POST /v1/vendas bodies, the hot path of sales ingest. It streams the body once
// with simdjson On-Demand, as the positions decoder (position_json.h) does, instead of building a
// JSON tree (json_tree.h) first: a sale of 35 lines decodes with a handful of allocations.
#pragma once

#include <string_view>

#include "api/api_error.h"
#include "api/inventory_json.h"
#include "domain/sale.h"

namespace estoque::api {

// POST /v1/vendas: {"venda_id", "filial", "itens": [{"codigo_barra", "quantidade" > 0}],
// "data"?}. A barcode may repeat; members not named here are ignored but must be valid JSON.
// origin = "pdv"; event_at_us = "data" read in the branch's zone (context.zone_of), else
// context.now_us. Quantities must suit the product's unit when context.unit_of knows it.
//
// Errors (all 400):
//   "invalid_json"    not JSON, nested deeper than limits::kJsonDepthMax, trailing content, or
//                     not an object ("request body must be a JSON object (a sale)");
//   "invalid_fields"  one detail per problem, in this order: repeated keys of the sale ("duplicate
//                     key"), venda_id, filial, itens ("required", "must be an array", "must not be
//                     empty", "at most N items"; or each line's details, with the line's index:
//                     its repeated keys, codigo_barra, quantidade, or "must be an object" with
//                     field ""), then data (only when filial is valid). null counts as absent.
// Thread-safe (uses the calling thread's parser).
ApiResult<domain::Sale> DecodeSaleBody(std::string_view body, const InventoryDecodeContext& context);

}  // namespace estoque::api
