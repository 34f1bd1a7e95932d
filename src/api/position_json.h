// The JSON codec of stock positions on the API's wire: the one decoder of POST /v1/posicoes
// bodies (the seed's queue message) and the one encoder of a position, in the API's shape and in
// the seed's query-Lambda shape.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.h"
#include "api/json_writer.h"
#include "domain/position.h"
#include "domain/timestamp.h"

namespace estoque::api {

// Wire names. The seed's PDVs send the misspelt time key; the correct spelling is accepted too.
inline constexpr std::string_view kFieldBarcode = "codigo_barra";
inline constexpr std::string_view kFieldProductName = "nome_produto";
inline constexpr std::string_view kFieldBranch = "filial";
inline constexpr std::string_view kFieldQuantity = "qtd_estoque";
inline constexpr std::string_view kFieldTimeSeed = "data_atulizacao_posicao_estoque";
inline constexpr std::string_view kFieldTime = "data_atualizacao_posicao_estoque";
inline constexpr std::string_view kFieldItems = "itens";

// Details listed in one "invalid_items" error; further problems are counted in its message only.
inline constexpr std::size_t kErrorDetailsMax = 1000;

// How a body's items are checked.
struct PositionDecodeOptions {
  domain::TimeZone time_zone;             // zone of times written without an offset
  bool require_gtin_check_digit = false;  // passed to domain::ValidateBarcode
  // If set, the zone of zone-less times of an item of a (valid) branch: the branch's fuso.
  std::function<domain::TimeZone(std::string_view branch)> zone_of;
};

// Decodes and validates a whole POST /v1/posicoes body: a JSON array of items, or an object whose
// "itens" member is that array (other members are ignored). Each item is an object with
// codigo_barra, nome_produto, filial (strings, validated by the domain), qtd_estoque (a JSON
// number, taken from its exact text), and the time under "data_atulizacao_posicao_estoque" and/or
// "data_atualizacao_posicao_estoque" (if both, they must name the same instant; a time written in
// whole seconds, as the seed's format always is, agrees with any instant within that second, and
// the more precise one is kept; else the second key gets the error). Unknown members
// are ignored but must be valid JSON; a repeated member is an error.
//
// Returns the positions in body order, or (all 400):
//   "invalid_json"   not JSON, invalid UTF-8, nested deeper than limits::kJsonDepthMax, trailing
//                    content, or not an array/object at the root; message = the parser's reason;
//   "too_many_items" more than limits::kItemsPerMessageMax items (parsing stops there);
//   "empty"          no items;
//   "invalid_items"  one detail {index, field, reason} per problem of every item (up to
//                    kErrorDetailsMax); reasons: "required", "must be a string", "must be a
//                    number", "must be an object" (field ""), "duplicate key", or the domain's.
// Nothing is returned unless every item is valid. Thread-safe (uses a per-thread parser).
ApiResult<std::vector<domain::Position>> DecodePositionsBody(std::string_view body,
                                                             const PositionDecodeOptions& options);

// Writes `position` in the API's shape as the next value of `writer`:
// {"codigo_barra","filial","nome_produto","qtd_estoque" (exact number),
//  "data_atulizacao_posicao_estoque" (seed format in `zone`),
//  "data_atualizacao_posicao_estoque" (RFC 3339 in `zone`)}.
void WritePosition(JsonWriter& writer, const domain::Position& position,
                   const domain::TimeZone& zone);

// The members of WritePosition's object, inside an object the caller opened.
void WritePositionFields(JsonWriter& writer, const domain::Position& position,
                         const domain::TimeZone& zone);

// Writes `position` in the seed's query-Lambda item shape, fields in the seed's order:
// {"nome_produto","filial","data_atulizacao_posicao_estoque","qtd_estoque","codigo_barra"}.
void WriteSeedItem(JsonWriter& writer, const domain::Position& position,
                   const domain::TimeZone& zone);

// `milli` (a sum of quantities, which may exceed int64) in the format of
// domain::FormatQuantityMilli: the shortest exact decimal, whole numbers as integers.
std::string FormatQuantityMilliTotal(__int128 milli);

// WritePosition into a new string.
std::string EncodePosition(const domain::Position& position, const domain::TimeZone& zone);

}  // namespace estoque::api
