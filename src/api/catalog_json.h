// The JSON codec of catalog records on the API's wire: the decoders of PUT /v1/produtos/{..},
// POST /v1/produtos/lote and PUT /v1/filiais/{..} bodies, and the encoders of a product and a
// branch. Field names are catalog/validation.h's.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/json_writer.h"
#include "catalog/catalog.h"
#include "domain/timestamp.h"

namespace estoque::api {

// Decodes and validates the body of PUT /v1/produtos/{codigo_barra}: an object with
//   nome_produto  string, required
//   unidade       "UN" (default), "KG", "L" or "M"
//   categoria     string, default ""
//   estoque_minimo number, default 0, taken from its exact text (like qtd_estoque), >= 0, whole
//                 for UN
//   ativo         boolean, default true
//   codigo_barra  optional; if present it must equal `barcode` (the path's, already validated)
// Unknown members are ignored but must be valid JSON. Returns the product (times unset), or 400:
//   "invalid_json"   not JSON, too deep, trailing content, or not an object;
//   "invalid_fields" one detail {field, reason} per problem: "required", "must be a string",
//                    "must be a number", "must be a boolean", "duplicate key",
//                    "must be one of UN, KG, L, M", "must match the path", or the domain's reason.
// Thread-safe.
ApiResult<catalog::Product> DecodeProductBody(std::string_view body, std::string_view barcode,
                                              bool require_gtin_check_digit);

// Decodes and validates the body of POST /v1/produtos/lote: a JSON array of product objects as
// above, each with its codigo_barra (required, validated). Returns them in body order, or 400:
//   "invalid_json"   as above, or the root is not an array;
//   "too_many_items" more than limits::kCatalogBatchItemsMax items;
//   "empty"          no items;
//   "invalid_items"  one detail {index, field, reason} per problem of every item, as above, and
//                    "duplicate of item N" for a codigo_barra already in the batch.
// Nothing is returned unless every item is valid. Thread-safe.
ApiResult<std::vector<catalog::Product>> DecodeProductBatchBody(std::string_view body,
                                                                bool require_gtin_check_digit);

// DecodeProductBatchBody with another bound on the items ("too_many_items" beyond `items_max`):
// the same format read from a file by `estoque import produtos`.
ApiResult<std::vector<catalog::Product>> DecodeProductList(std::string_view json,
                                                           bool require_gtin_check_digit,
                                                           std::size_t items_max);

// Decodes and validates the body of PUT /v1/filiais/{filial}: an object with optional
//   nome, cidade, uf, fuso (strings; default ""), ativo (default true),
//   permite_estoque_negativo (default false), and filial (if present, equal to `branch`).
// Errors as DecodeProductBody's. Thread-safe.
ApiResult<catalog::Branch> DecodeBranchBody(std::string_view body, std::string_view branch);

// Writes `product` as the next value of `writer`: {"codigo_barra","nome_produto","unidade",
// "categoria","estoque_minimo" (exact number),"ativo","criado_em","atualizado_em"} with the times
// in RFC 3339 in `zone`.
void WriteProduct(JsonWriter& writer, const catalog::Product& product, const domain::TimeZone& zone);

// Writes `product` as one item of a POST /v1/produtos/lote body (what DecodeProductBatchBody
// reads back): {"codigo_barra","nome_produto","unidade","categoria","estoque_minimo","ativo"}.
void WriteProductInput(JsonWriter& writer, const catalog::Product& product);

// Writes `branch` as the next value of `writer`: {"filial","nome","cidade","uf","fuso","ativo",
// "permite_estoque_negativo","criado_em","atualizado_em"}.
void WriteBranch(JsonWriter& writer, const catalog::Branch& branch, const domain::TimeZone& zone);

}  // namespace estoque::api
