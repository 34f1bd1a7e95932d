// The on-disk encoding of a stored position value and of the counters (format version 1).
// One encoder and one decoder each; described in docs/STORAGE.md.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "domain/position.h"
#include "store/position_store.h"

namespace estoque::store {

// Value layout v1: u8 version(=1) | i64 updated_at_us | i64 quantity_milli | u16 name_len | name
// (integers little-endian). The key carries barcode and branch, so they are not repeated.
// REQUIRES: position.product_name.size() <= 65535 bytes (validated names are far shorter).
std::string EncodePositionValue(const domain::Position& position);
// The same bytes, written over *out (its capacity is reused: the apply path calls this per item).
void EncodePositionValueTo(const domain::Position& position, std::string* out);
// Fills product_name, quantity_milli and updated_at_us of *out; barcode/branch come from the key.
// Corruption on a short buffer, trailing bytes or an unknown version (*out is then unspecified).
[[nodiscard]] Status DecodePositionValue(std::string_view value, domain::Position* out);

// Counters layout v1: u8 version | u64 applied_messages | u64 applied_items | u64 dropped_older.
std::string EncodeCounters(const ApplyCounters& counters);
// Corruption unless `value` is exactly one v1 counters record.
Result<ApplyCounters> DecodeCounters(std::string_view value);

}  // namespace estoque::store
