// Builders and readers shared by the store tests (tests/unit/store_inventory_test.cc, the store
// contract suite tests/integration/store_contract_test.cc): events in the form the stores take
// them, a whole ledger listing, and the ledger compared without record times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "domain/movement.h"
#include "domain/position.h"
#include "domain/sale.h"
#include "store/inventory_store.h"

namespace estoque::test_support {

// A PDV position: a count of `quantity` (thousandths) at `at` (UTC microseconds).
inline domain::Position Count(const std::string& barcode, const std::string& branch,
                              int64_t quantity, int64_t at, std::string name = "Produto") {
  domain::Position position;
  position.barcode = barcode;
  position.branch = branch;
  position.product_name = std::move(name);
  position.quantity_milli = quantity;
  position.updated_at_us = at;
  return position;
}

inline domain::Sale Sale(const std::string& id, const std::string& branch,
                         std::vector<domain::SaleLine> lines, int64_t at) {
  return domain::Sale{id, branch, std::move(lines), at, "pdv"};
}

// A movement as POST /v1/movimentos records it (origin "api"); `effect` signed.
inline domain::Movement ApiMovement(const std::string& id, domain::MovementKind kind,
                                    const std::string& branch, const std::string& barcode,
                                    int64_t effect, int64_t at,
                                    domain::AdjustReason reason = domain::AdjustReason::kNone) {
  domain::Movement movement;
  movement.id = id;
  movement.kind = kind;
  movement.reason = reason;
  movement.branch = branch;
  movement.barcode = barcode;
  movement.quantity_milli = effect;
  movement.event_at_us = at;
  movement.origin = "api";
  return movement;
}

// Every entry of a listing, following the cursor with pages of `page` entries.
inline std::vector<domain::Movement> WholeLedger(store::InventoryStore& store,
                                                 store::LedgerQuery query, std::size_t page) {
  std::vector<domain::Movement> all;
  query.limit = page;
  for (int guard = 0; guard < 100000; ++guard) {
    Result<store::LedgerPage> listed = store.ListLedger(query);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (!listed.ok()) break;
    all.insert(all.end(), listed->items.begin(), listed->items.end());
    if (!listed->next_after) break;
    query.after = listed->next_after;
  }
  return all;
}

// The ledger without record times (which depend on arrival), for comparing arrival orders.
using LedgerRow = std::tuple<int64_t, std::string, std::string, std::string, std::string, int,
                             int, int64_t, std::string>;
inline std::vector<LedgerRow> Rows(const std::vector<domain::Movement>& movements) {
  std::vector<LedgerRow> rows;
  for (const domain::Movement& m : movements) {
    rows.emplace_back(m.event_at_us, m.barcode, m.branch, m.origin, m.id,
                      static_cast<int>(m.kind), static_cast<int>(m.reason), m.quantity_milli,
                      m.reference);
  }
  return rows;
}

}  // namespace estoque::test_support
