// The on-disk encoding of catalog records (the "products" and "branches" column families). One
// encoder and one decoder each; described in docs/STORAGE.md. The key is the record's identifier
// (codigo_barra, filial) as is, so it is not repeated in the value.
#pragma once

#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "common/status.h"

namespace estoque::catalog {

// Product value v1 (integers little-endian):
//   u8 version(=1) | u8 unit (domain::Unit) | u8 flags (bit 0 ativo, bit 1 edited_by_api)
//   | i64 min_stock_milli | i64 created_at_us | i64 updated_at_us
//   | u16 name_len | name | u16 category_len | category
// REQUIRES: name and category at most 65535 bytes each (validated ones are far shorter).
std::string EncodeProductValue(const Product& product);
// Fills every field of *out but barcode (the key's). Corruption on a short buffer, trailing
// bytes, an unknown version, unit or flag bit (*out is then unspecified).
[[nodiscard]] Status DecodeProductValue(std::string_view value, Product* out);

// Branch value v1:
//   u8 version(=1) | u8 flags (bit 0 ativo, bit 1 permite_estoque_negativo)
//   | i64 created_at_us | i64 updated_at_us
//   | u16 name_len | name | u16 city_len | city | u8 state_len | state | u8 zone_len | time_zone
// REQUIRES: name and city at most 65535 bytes, state and time_zone at most 255.
std::string EncodeBranchValue(const Branch& branch);
// Fills every field of *out but branch (the key's). Corruption as DecodeProductValue.
[[nodiscard]] Status DecodeBranchValue(std::string_view value, Branch* out);

}  // namespace estoque::catalog
