// ApplyMovement: the counting rule (stock_state.h, docs/INVENTORY.md) applied to the working state
// of one product-branch, in the one form every store uses: RocksInventoryStore's StockTxn and
// DynamoInventoryStore's DynamoTxn both call it from Record, so the two backends cannot count
// differently (the store contract suite checks that they agree).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "domain/movement.h"
#include "store/ledger_codec.h"
#include "store/stock_state.h"

namespace estoque::store {

// Applies `movement` (of `state`'s product-branch) to `state`:
//   - a count that is the newest (CountIsNewest) becomes the base: on_hand = its quantity + the
//     deltas after its time, which `sum_deltas_after(at_us, &sum)` adds up from the store's ledger
//     and this transaction's `pending_deltas` (called only when a delta after it exists); a PDV
//     position's count also renames the product-branch;
//   - a delta changes on_hand when it is after the newest count (DeltaIsAfterCount) and is
//     appended to `pending_deltas`, the deltas of this transaction not yet in the ledger.
// Errors: those of `sum_deltas_after`; `state` is then partly changed (the caller drops its
// transaction).
template <typename SumDeltasAfter>
Status ApplyMovement(StockState& state, std::vector<std::pair<int64_t, int64_t>>& pending_deltas,
                     const domain::Movement& movement, SumDeltasAfter&& sum_deltas_after) {
  const int64_t at = movement.event_at_us;
  if (movement.is_count()) {
    const std::string identity = MovementIdentity(movement.origin, movement.id);
    if (CountIsNewest(state, at, movement.quantity_milli, identity)) {
      int64_t later = 0;
      if (state.last_movement_at_us > at) {
        Status summed = sum_deltas_after(at, &later);
        if (!summed.ok()) return summed;
      }
      state.has_count = true;
      state.count_at_us = at;
      state.count_quantity_milli = movement.quantity_milli;
      state.count_identity = identity;
      state.on_hand_milli = movement.quantity_milli + later;
      if (movement.origin == "posicao") state.product_name = movement.product_name;
    }
  } else {
    if (DeltaIsAfterCount(state, at)) state.on_hand_milli += movement.quantity_milli;
    state.last_movement_at_us = std::max(state.last_movement_at_us, at);
    pending_deltas.emplace_back(at, movement.quantity_milli);
  }
  state.updated_at_us = std::max(state.updated_at_us, at);
  return Status::Ok();
}

}  // namespace estoque::store
