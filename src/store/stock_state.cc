#include "store/stock_state.h"

#include <cassert>
#include <limits>
#include <tuple>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"
#include "domain/position.h"
#include "domain/quantity.h"
#include "store/position_codec.h"

namespace estoque::store {
namespace {

constexpr uint8_t kStockStateVersion = 2;
constexpr uint8_t kPositionValueVersion = 1;  // position_codec.h
constexpr uint8_t kFlagHasCount = 1;
constexpr uint8_t kFlagHasMinStock = 2;

}  // namespace

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kLowStock: return "estoque_baixo";
    case AlertKind::kNegativeStock: return "estoque_negativo";
    case AlertKind::kNone: return "";
  }
  return "";
}

std::optional<AlertKind> ParseAlertKind(std::string_view text) {
  if (text == "estoque_baixo") return AlertKind::kLowStock;
  if (text == "estoque_negativo") return AlertKind::kNegativeStock;
  return std::nullopt;
}

bool CountIsNewest(const StockState& state, int64_t at_us, int64_t quantity_milli,
                   std::string_view identity) {
  if (!state.has_count) return true;
  // Both sides as string_view: clang cannot order a tuple of string_view against one of string.
  const std::string_view count_identity = state.count_identity;
  return std::tie(at_us, quantity_milli, identity) >
         std::tie(state.count_at_us, state.count_quantity_milli, count_identity);
}

bool DeltaIsAfterCount(const StockState& state, int64_t at_us) {
  return !state.has_count || at_us > state.count_at_us;
}

AlertKind AlertFor(int64_t on_hand_milli, int64_t min_stock_milli) {
  if (on_hand_milli < 0) return AlertKind::kNegativeStock;
  if (min_stock_milli > 0 && on_hand_milli < min_stock_milli) return AlertKind::kLowStock;
  return AlertKind::kNone;
}

std::string PositionCountIdentity(int64_t quantity_milli, std::string_view product_name) {
  std::string identity = "posicao";
  identity.push_back('\0');
  identity += domain::FormatQuantityMilli(quantity_milli);
  identity.push_back('|');
  identity.append(product_name);
  return identity;
}

void EncodeStockStateTo(const StockState& state, std::string* out) {
  assert(state.product_name.size() <= std::numeric_limits<uint16_t>::max());
  assert(state.count_identity.size() <= std::numeric_limits<uint16_t>::max());
  out->clear();
  out->push_back(static_cast<char>(kStockStateVersion));
  uint8_t flags = 0;
  if (state.has_count) flags |= kFlagHasCount;
  if (state.min_stock_milli.has_value()) flags |= kFlagHasMinStock;
  AppendFixed<uint8_t>(out, flags);
  AppendFixed<int64_t>(out, state.count_at_us);
  AppendFixed<int64_t>(out, state.count_quantity_milli);
  AppendFixed<int64_t>(out, state.on_hand_milli);
  AppendFixed<int64_t>(out, state.reserved_milli);
  AppendFixed<int64_t>(out, state.in_transit_milli);
  AppendFixed<int64_t>(out, state.min_stock_milli.value_or(0));
  AppendFixed<int64_t>(out, state.last_movement_at_us);
  AppendFixed<int64_t>(out, state.updated_at_us);
  AppendFixed<uint8_t>(out, static_cast<uint8_t>(state.alert));
  AppendFixed<int64_t>(out, state.alert_since_us);
  AppendFixed<uint16_t>(out, static_cast<uint16_t>(state.product_name.size()));
  out->append(state.product_name);
  AppendFixed<uint16_t>(out, static_cast<uint16_t>(state.count_identity.size()));
  out->append(state.count_identity);
}

std::string EncodeStockState(const StockState& state) {
  std::string out;
  EncodeStockStateTo(state, &out);
  return out;
}

Status DecodeStockState(std::string_view value, StockState* out) {
  if (value.empty()) return Status::Corruption("empty stock value");
  const uint8_t version = static_cast<uint8_t>(value[0]);
  if (version == kPositionValueVersion) {
    domain::Position position;
    Status decoded = DecodePositionValue(value, &position);
    if (!decoded.ok()) return decoded;
    *out = StockState{};
    out->product_name = position.product_name;
    out->has_count = true;
    out->count_at_us = position.updated_at_us;
    out->count_quantity_milli = position.quantity_milli;
    out->count_identity = PositionCountIdentity(position.quantity_milli, position.product_name);
    out->on_hand_milli = position.quantity_milli;
    out->updated_at_us = position.updated_at_us;
    return Status::Ok();
  }
  if (version != kStockStateVersion) {
    return Status::Corruption("unknown stock value version " + std::to_string(version));
  }
  ByteReader reader(value.substr(1));
  uint8_t flags = 0;
  int64_t min_stock = 0;
  uint8_t alert = 0;
  reader.Fixed(&flags);
  reader.Fixed(&out->count_at_us);
  reader.Fixed(&out->count_quantity_milli);
  reader.Fixed(&out->on_hand_milli);
  reader.Fixed(&out->reserved_milli);
  reader.Fixed(&out->in_transit_milli);
  reader.Fixed(&min_stock);
  reader.Fixed(&out->last_movement_at_us);
  reader.Fixed(&out->updated_at_us);
  reader.Fixed(&alert);
  reader.Fixed(&out->alert_since_us);
  reader.String<uint16_t>(&out->product_name);
  reader.String<uint16_t>(&out->count_identity);
  if (reader.failed() || reader.remaining() != 0 || alert > 2) {
    return Status::Corruption("malformed stock value");
  }
  out->has_count = (flags & kFlagHasCount) != 0;
  out->min_stock_milli = (flags & kFlagHasMinStock) != 0 ? std::optional<int64_t>(min_stock)
                                                          : std::nullopt;
  out->alert = static_cast<AlertKind>(alert);
  return Status::Ok();
}

}  // namespace estoque::store
