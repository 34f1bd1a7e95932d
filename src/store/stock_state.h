// StockState: everything estoque keeps about one product in one branch (a "product-branch"), the
// value of the "positions" column family, and the rules that keep it equal to what the ledger
// says whatever order movements arrive in (docs/INVENTORY.md).
//
//   on_hand = quantity of the newest count + sum of the deltas whose event time is after it
//
// "Newest count" is the greatest (event time, quantity, identity) among the counts: a total order,
// so equal times settle the same way on every arrival order. A delta at the very time of the
// newest count is taken to be included in it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::store {

enum class AlertKind : uint8_t {
  kNone = 0,
  kLowStock = 1,       // estoque_baixo: 0 <= on hand < reorder point
  kNegativeStock = 2,  // estoque_negativo: on hand < 0
};
std::string_view AlertKindName(AlertKind kind);  // "estoque_baixo", "estoque_negativo", ""
std::optional<AlertKind> ParseAlertKind(std::string_view text);

struct StockState {
  // The name carried by the newest count from a PDV position (the seed's nome_produto).
  std::string product_name;
  bool has_count = false;
  int64_t count_at_us = 0;
  int64_t count_quantity_milli = 0;
  std::string count_identity;  // ledger identity (origin '\0' id) of the newest count

  int64_t on_hand_milli = 0;     // em_estoque
  int64_t reserved_milli = 0;    // reservado: held by active reservations
  int64_t in_transit_milli = 0;  // em_transito: shipped to this branch, not yet received
  std::optional<int64_t> min_stock_milli;  // estoque_minimo of this branch; else the product's

  int64_t last_movement_at_us = 0;  // newest event time of any non-count movement (0: none)
  int64_t updated_at_us = 0;        // newest event time of any movement, count or not

  AlertKind alert = AlertKind::kNone;  // the alert currently raised for it
  int64_t alert_since_us = 0;          // record time it was raised

  int64_t available_milli() const { return on_hand_milli - reserved_milli; }  // disponivel
  friend bool operator==(const StockState&, const StockState&) = default;
};

// True iff a count (at, quantity, identity) is newer than `state`'s newest count (or there is
// none), i.e. it becomes the base of on_hand.
bool CountIsNewest(const StockState& state, int64_t at_us, int64_t quantity_milli,
                   std::string_view identity);

// True iff a delta at `at_us` changes on_hand now (it is after the newest count, or there is no
// count). Otherwise the newest count already saw it and it only enters the ledger.
bool DeltaIsAfterCount(const StockState& state, int64_t at_us);

// The alert `on_hand_milli` calls for with reorder point `min_stock_milli`.
AlertKind AlertFor(int64_t on_hand_milli, int64_t min_stock_milli);

// Value layout v2: u8 version(=2) | u8 flags (bit0 has_count, bit1 has min_stock) |
//   i64 count_at_us | i64 count_quantity | i64 on_hand | i64 reserved | i64 in_transit |
//   i64 min_stock | i64 last_movement_at | i64 updated_at | u8 alert | i64 alert_since |
//   u16 name_len | name | u16 identity_len | identity                  (integers little-endian)
// A version-1 value (a core-issue position) reads as a count of its quantity at its time.
void EncodeStockStateTo(const StockState& state, std::string* out);
std::string EncodeStockState(const StockState& state);
[[nodiscard]] Status DecodeStockState(std::string_view value, StockState* out);

// The ledger identity of the count a PDV position makes: origin "posicao", id "<qty>|<name>", so
// a redelivered position is the same movement and equal times order by (quantity, name) like the
// core issue's newer-wins rule.
std::string PositionCountIdentity(int64_t quantity_milli, std::string_view product_name);

}  // namespace estoque::store
