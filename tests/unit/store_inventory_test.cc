// RocksInventoryStore's inventory model (docs/INVENTORY.md): the counting rule under any arrival
// order and duplication (a property test against a reference model), late events, quantities as
// of a time, the ledger's pages, transfers, reservations, alerts and branch statistics. Hermetic:
// each test owns a fresh RocksDB directory.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "store/ledger_codec.h"
#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"

namespace estoque::store {
namespace {

using domain::Movement;
using domain::MovementKind;
using estoque::test_support::TempDir;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;

std::string Barcode(int n) { return std::to_string(7890000000000ll + n); }

// A policy the tests can steer.
class TestPolicy final : public InventoryPolicy {
 public:
  bool AllowsNegativeStock(std::string_view branch) override {
    return allow_negative || negative_branches.count(std::string(branch)) != 0;
  }
  int64_t DefaultMinStock(std::string_view barcode) override {
    auto found = min_stock.find(std::string(barcode));
    return found == min_stock.end() ? 0 : found->second;
  }
  bool allow_negative = false;
  std::set<std::string> negative_branches;
  std::map<std::string, int64_t> min_stock;
};

// One store in its own directory.
struct Instance {
  explicit Instance(InventoryPolicy* policy) : policy_(policy) { Open(); }
  void Open() {
    EngineOptions options;
    options.data_dir = dir.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    options.sync_writes = false;  // durability is the crash tests' subject, not these
    Result<std::unique_ptr<RocksEngine>> opened = RocksEngine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine = std::move(*opened);
    store = std::make_unique<RocksInventoryStore>(engine.get(), policy_);
  }
  void Reopen() {
    store.reset();
    engine.reset();
    Open();
  }
  TempDir dir;
  InventoryPolicy* policy_;
  std::unique_ptr<RocksEngine> engine;
  std::unique_ptr<RocksInventoryStore> store;
};

domain::Position Count(const std::string& barcode, const std::string& branch, int64_t quantity,
                       int64_t at, std::string name = "Produto") {
  domain::Position position;
  position.barcode = barcode;
  position.branch = branch;
  position.product_name = std::move(name);
  position.quantity_milli = quantity;
  position.updated_at_us = at;
  return position;
}

domain::Sale Sale(const std::string& id, const std::string& branch,
                  std::vector<domain::SaleLine> lines, int64_t at) {
  return domain::Sale{id, branch, std::move(lines), at, "pdv"};
}

Movement ApiMovement(const std::string& id, MovementKind kind, const std::string& branch,
                     const std::string& barcode, int64_t effect, int64_t at,
                     domain::AdjustReason reason = domain::AdjustReason::kNone) {
  Movement movement;
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
std::vector<Movement> WholeLedger(InventoryStore& store, LedgerQuery query, std::size_t page) {
  std::vector<Movement> all;
  query.limit = page;
  for (int guard = 0; guard < 100000; ++guard) {
    Result<LedgerPage> listed = store.ListLedger(query);
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
std::vector<LedgerRow> Rows(const std::vector<Movement>& movements) {
  std::vector<LedgerRow> rows;
  for (const Movement& m : movements) {
    rows.emplace_back(m.event_at_us, m.barcode, m.branch, m.origin, m.id,
                      static_cast<int>(m.kind), static_cast<int>(m.reason), m.quantity_milli,
                      m.reference);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The property: any permutation, batching and duplication of the same events gives the same
// quantities and the same ledger, equal to the reference rule.

struct Event {
  enum Type { kPosition, kSale, kCancel, kApi } type;
  domain::Position position;
  domain::Sale sale;
  domain::SaleCancel cancel;
  Movement movement;
};

struct ReferenceMovement {
  bool is_count;
  int64_t at;
  int64_t quantity;
  std::string identity;
};

std::vector<Event> RandomEvents(std::mt19937_64& rng, int count,
                                std::map<std::pair<std::string, std::string>,
                                         std::vector<ReferenceMovement>>* reference) {
  const std::vector<std::string> barcodes = {Barcode(1), Barcode(2), Barcode(3)};
  const std::vector<std::string> branches = {"1001", "1002"};
  std::vector<Event> events;
  // Few distinct times so ties between counts and deltas happen.
  auto time = [&] { return kT0 + static_cast<int64_t>(rng() % 12) * kSecond; };
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  std::vector<domain::Sale> sales;
  for (int i = 0; i < count; ++i) {
    Event event;
    const std::string barcode = pick(barcodes);
    const std::string branch = pick(branches);
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 3) {
      event.type = Event::kPosition;
      event.position = Count(barcode, branch, static_cast<int64_t>(rng() % 50) * 1000, time(),
                             rng() % 2 ? "Arroz" : "Arroz 5kg");
      (*reference)[{barcode, branch}].push_back(
          {true, event.position.updated_at_us, event.position.quantity_milli,
           PositionCountIdentity(event.position.quantity_milli, event.position.product_name)});
    } else if (kind < 6) {
      event.type = Event::kSale;
      std::vector<domain::SaleLine> lines = {{barcode, static_cast<int64_t>(1 + rng() % 5) * 1000}};
      if (rng() % 2) lines.push_back({pick(barcodes), 500});
      event.sale = Sale("v" + std::to_string(i), branch, lines, time());
      for (std::size_t l = 0; l < lines.size(); ++l) {
        (*reference)[{lines[l].barcode, branch}].push_back(
            {false, event.sale.event_at_us, -lines[l].quantity_milli, ""});
      }
      sales.push_back(event.sale);
    } else if (kind == 6 && !sales.empty()) {
      const std::size_t chosen = rng() % sales.size();
      const domain::Sale sale = sales[chosen];
      sales.erase(sales.begin() + static_cast<std::ptrdiff_t>(chosen));  // cancelled once here
      event.type = Event::kCancel;
      event.cancel = domain::SaleCancel{sale.id, sale.branch, time(), "pdv"};
      for (const domain::SaleLine& line : sale.lines) {
        (*reference)[{line.barcode, sale.branch}].push_back(
            {false, event.cancel.event_at_us, line.quantity_milli, ""});
      }
    } else {
      event.type = Event::kApi;
      static const std::vector<std::pair<MovementKind, domain::AdjustReason>> kinds = {
          {MovementKind::kReceipt, domain::AdjustReason::kNone},
          {MovementKind::kReturn, domain::AdjustReason::kNone},
          {MovementKind::kAdjustment, domain::AdjustReason::kLoss},
          {MovementKind::kAdjustment, domain::AdjustReason::kCorrection},
          {MovementKind::kTransferOut, domain::AdjustReason::kNone},
          {MovementKind::kTransferIn, domain::AdjustReason::kNone},
          {MovementKind::kCount, domain::AdjustReason::kNone},
      };
      const auto [movement_kind, reason] = kinds[rng() % kinds.size()];
      const int64_t amount = static_cast<int64_t>(1 + rng() % 9) * 1000;
      Result<int64_t> effect = domain::SignedEffect(
          movement_kind, reason,
          reason == domain::AdjustReason::kCorrection && rng() % 2 ? -amount : amount);
      event.movement = ApiMovement("m" + std::to_string(i), movement_kind, branch, barcode,
                                   *effect, time(), reason);
      (*reference)[{barcode, branch}].push_back(
          {movement_kind == MovementKind::kCount, event.movement.event_at_us, *effect,
           MovementIdentity("api", event.movement.id)});
    }
    events.push_back(event);
  }
  return events;
}

int64_t ReferenceOnHand(const std::vector<ReferenceMovement>& movements) {
  const ReferenceMovement* newest = nullptr;
  for (const ReferenceMovement& m : movements) {
    if (!m.is_count) continue;
    if (newest == nullptr ||
        std::tie(m.at, m.quantity, m.identity) > std::tie(newest->at, newest->quantity, newest->identity)) {
      newest = &m;
    }
  }
  int64_t on_hand = newest != nullptr ? newest->quantity : 0;
  for (const ReferenceMovement& m : movements) {
    if (!m.is_count && (newest == nullptr || m.at > newest->at)) on_hand += m.quantity;
  }
  return on_hand;
}

// Applies `events` in batches of random sizes: queued kinds through ApplyBatch, API movements
// through RecordMovements.
void ApplyInBatches(InventoryStore& store, const std::vector<Event>& events, std::mt19937_64& rng) {
  std::size_t next = 0;
  while (next < events.size()) {
    const std::size_t size = std::min<std::size_t>(1 + rng() % 6, events.size() - next);
    std::vector<domain::Position> positions;
    std::vector<domain::Sale> sales;
    std::vector<domain::SaleCancel> cancels;
    std::vector<Movement> movements;
    for (std::size_t i = next; i < next + size; ++i) {
      const Event& event = events[i];
      switch (event.type) {
        case Event::kPosition: positions.push_back(event.position); break;
        case Event::kSale: sales.push_back(event.sale); break;
        case Event::kCancel: cancels.push_back(event.cancel); break;
        case Event::kApi: movements.push_back(event.movement); break;
      }
    }
    next += size;
    IngestBatch batch;
    batch.positions = positions;
    batch.sales = sales;
    batch.cancels = cancels;
    Result<ApplyOutcome> applied = store.ApplyBatch(batch);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    if (!movements.empty()) {
      Result<std::vector<MovementOutcome>> recorded = store.RecordMovements(movements);
      ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
    }
  }
}

TEST(InventoryPropertyTest, AnyOrderAndDuplicationGivesTheSameStockAndLedger) {
  TestPolicy policy;
  policy.allow_negative = true;  // facts in any order: no request may be refused
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    std::map<std::pair<std::string, std::string>, std::vector<ReferenceMovement>> reference;
    const std::vector<Event> events = RandomEvents(rng, 60, &reference);

    Instance in_order(&policy);
    ApplyInBatches(*in_order.store, events, rng);

    // Shuffled, with a third of the events delivered again at random places.
    std::vector<Event> shuffled = events;
    for (std::size_t i = 0; i < events.size(); i += 3) shuffled.push_back(events[rng() % events.size()]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    Instance permuted(&policy);
    ApplyInBatches(*permuted.store, shuffled, rng);
    permuted.Reopen();  // and it all survives a restart

    for (const auto& [key, movements] : reference) {
      SCOPED_TRACE(key.first + "/" + key.second);
      Result<StockState> a = in_order.store->GetStock(key.first, key.second);
      Result<StockState> b = permuted.store->GetStock(key.first, key.second);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->on_hand_milli, ReferenceOnHand(movements));
      EXPECT_EQ(b->on_hand_milli, ReferenceOnHand(movements));
    }
    const std::vector<Movement> ledger_a = WholeLedger(*in_order.store, LedgerQuery{}, 7);
    const std::vector<Movement> ledger_b = WholeLedger(*permuted.store, LedgerQuery{}, 5);
    EXPECT_EQ(Rows(ledger_a), Rows(ledger_b));
    // One entry per distinct movement (two identical positions are the same count).
    std::set<std::tuple<std::string, std::string, int64_t, std::string>> distinct;
    std::size_t deltas = 0;
    for (const auto& [key, movements] : reference) {
      for (const ReferenceMovement& m : movements) {
        if (m.is_count) {
          distinct.emplace(key.first, key.second, m.at, m.identity);
        } else {
          ++deltas;
        }
      }
    }
    EXPECT_EQ(ledger_a.size(), distinct.size() + deltas);
  }
}

// ---------------------------------------------------------------------------------------------

class InventoryTest : public ::testing::Test {
 protected:
  InventoryTest() : instance_(&policy_) {}
  InventoryStore& store() { return *instance_.store; }

  void Apply(std::vector<domain::Position> positions, std::vector<domain::Sale> sales = {},
             std::vector<domain::SaleCancel> cancels = {}) {
    IngestBatch batch;
    batch.positions = positions;
    batch.sales = sales;
    batch.cancels = cancels;
    Result<ApplyOutcome> applied = store().ApplyBatch(batch);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  }
  StockState Stock(const std::string& barcode, const std::string& branch) {
    Result<StockState> state = store().GetStock(barcode, branch);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? *state : StockState{};
  }
  Status Record(std::vector<Movement> movements) {
    return store().RecordMovements(std::move(movements)).status();
  }

  TestPolicy policy_;
  Instance instance_;
  const std::string b1_ = Barcode(1);
  const std::string b2_ = Barcode(2);
};

TEST_F(InventoryTest, LateSaleOlderThanTheCountChangesNothing) {
  Apply({Count(b1_, "1001", 10'000, kT0 + 10 * kSecond)});
  Apply({}, {Sale("v1", "1001", {{b1_, 3'000}}, kT0 + 5 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v2", "1001", {{b1_, 3'000}}, kT0 + 10 * kSecond)});  // same time: included
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v3", "1001", {{b1_, 2'000}}, kT0 + 11 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 8'000);
}

TEST_F(InventoryTest, LateCountRebasesOnLaterDeltas) {
  Apply({}, {Sale("v1", "1001", {{b1_, 1'000}}, kT0 + 1 * kSecond),
             Sale("v2", "1001", {{b1_, 2'000}}, kT0 + 20 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, -3'000);
  ASSERT_TRUE(Record({ApiMovement("r1", MovementKind::kReceipt, "1001", b1_, 5'000,
                                  kT0 + 30 * kSecond)})
                  .ok());
  Apply({Count(b1_, "1001", 50'000, kT0 + 10 * kSecond)});  // late: sees v2 and r1 after it
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 50'000 - 2'000 + 5'000);
  Apply({Count(b1_, "1001", 40'000, kT0 + 5 * kSecond)});  // older than the newest count
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 53'000);
}

TEST_F(InventoryTest, RepeatedSaleAndMovementAreAppliedOnce) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  const domain::Sale sale = Sale("v1", "1001", {{b1_, 1'000}, {b1_, 2'000}}, kT0 + kSecond);
  Apply({}, {sale, sale});
  Apply({}, {sale});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 7'000);
  const Movement receipt = ApiMovement("r1", MovementKind::kReceipt, "1001", b1_, 4'000, kT0 + 2 * kSecond);
  Result<std::vector<MovementOutcome>> first = store().RecordMovements({receipt});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->at(0).duplicate);
  Result<std::vector<MovementOutcome>> again = store().RecordMovements({receipt, receipt});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->at(0).duplicate);
  EXPECT_TRUE(again->at(1).duplicate);
  EXPECT_EQ(again->at(0).movement.recorded_at_us, first->at(0).movement.recorded_at_us);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 11'000);
  Movement reused = receipt;
  reused.quantity_milli = 9'000;
  EXPECT_EQ(Record({reused}).code(), StatusCode::kConflict);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 11'000);
}

TEST_F(InventoryTest, CancellationBeforeItsSaleWaitsForIt) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  Apply({}, {}, {domain::SaleCancel{"v1", "1001", kT0 + 5 * kSecond, "pdv"}});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v1", "1001", {{b1_, 4'000}}, kT0 + 2 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {}, {domain::SaleCancel{"v1", "1001", kT0 + 6 * kSecond, "pdv"}});  // again: no-op
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  LedgerQuery query;
  query.barcode = b1_;
  query.branch = "1001";
  EXPECT_EQ(WholeLedger(store(), query, 10).size(), 3u);  // count, sale, cancellation
}

TEST_F(InventoryTest, ApiRemovalsBelowZeroAreRefusedUnlessTheBranchAllowsIt) {
  Apply({Count(b1_, "1001", 2'000, kT0), Count(b1_, "1002", 2'000, kT0)});
  const Movement loss = ApiMovement("a1", MovementKind::kAdjustment, "1001", b1_, -3'000,
                                    kT0 + kSecond, domain::AdjustReason::kLoss);
  EXPECT_EQ(Record({loss}).code(), StatusCode::kConflict);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 2'000);
  // Nothing of a refused request is written, not even its other movements.
  const Movement receipt = ApiMovement("r1", MovementKind::kReceipt, "1001", b2_, 1'000, kT0);
  EXPECT_EQ(Record({receipt, loss}).code(), StatusCode::kConflict);
  EXPECT_EQ(store().GetStock(b2_, "1001").status().code(), StatusCode::kNotFound);
  // A reported sale is a fact: recorded below zero, with an alert.
  ASSERT_TRUE(Record({ApiMovement("s1", MovementKind::kSale, "1001", b1_, -3'000, kT0 + kSecond)}).ok());
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, -1'000);
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNegativeStock);
  policy_.negative_branches.insert("1002");
  Movement loss_1002 = loss;
  loss_1002.branch = "1002";
  EXPECT_TRUE(Record({loss_1002}).ok());
  EXPECT_EQ(Stock(b1_, "1002").on_hand_milli, -1'000);
}

TEST_F(InventoryTest, StockAsOfAnyTime) {
  Apply({Count(b1_, "1001", 10'000, kT0 + 10 * kSecond)},
        {Sale("v1", "1001", {{b1_, 1'000}}, kT0 + 5 * kSecond),
         Sale("v2", "1001", {{b1_, 2'000}}, kT0 + 15 * kSecond)});
  Apply({Count(b1_, "1001", 30'000, kT0 + 20 * kSecond)},
        {Sale("v3", "1001", {{b1_, 4'000}}, kT0 + 25 * kSecond)});
  auto at = [&](int64_t seconds) {
    Result<StockAsOf> as_of = store().StockAt(b1_, "1001", kT0 + seconds * kSecond);
    EXPECT_TRUE(as_of.ok());
    return as_of.ok() ? as_of->on_hand_milli : -1;
  };
  EXPECT_EQ(at(1), 0);
  EXPECT_EQ(at(5), -1'000);  // no count yet: deltas only
  EXPECT_EQ(at(10), 10'000);
  EXPECT_EQ(at(14), 10'000);
  EXPECT_EQ(at(15), 8'000);
  EXPECT_EQ(at(20), 30'000);
  EXPECT_EQ(at(30), 26'000);
  EXPECT_EQ(at(30), Stock(b1_, "1001").on_hand_milli);
  EXPECT_EQ(store().StockAt(b2_, "1001", kT0).status().code(), StatusCode::kNotFound);
}

TEST_F(InventoryTest, LedgerPagesAreNewestFirstWithoutGapsOrRepeats) {
  // Many movements with equal times across barcodes and branches: the hard case for cursors.
  std::vector<domain::Sale> sales;
  for (int i = 0; i < 40; ++i) {
    const std::string branch = i % 3 == 0 ? "1001" : (i % 3 == 1 ? "1002" : "1003");
    sales.push_back(Sale("v" + std::to_string(i), branch,
                         {{Barcode(i % 4), 1'000}, {Barcode((i + 1) % 4), 1'000}},
                         kT0 + (i % 5) * kSecond));
  }
  Apply({}, sales);
  for (const auto& [barcode, branch] :
       std::vector<std::pair<std::optional<std::string>, std::optional<std::string>>>{
           {std::nullopt, std::nullopt}, {Barcode(1), std::nullopt},
           {std::nullopt, "1002"}, {Barcode(2), "1003"}}) {
    LedgerQuery query;
    query.barcode = barcode;
    query.branch = branch;
    const std::vector<Movement> whole = WholeLedger(store(), query, 1000);
    for (std::size_t page : {1u, 2u, 3u, 7u}) {
      EXPECT_EQ(Rows(WholeLedger(store(), query, page)), Rows(whole)) << "page " << page;
    }
    for (std::size_t i = 1; i < whole.size(); ++i) {
      EXPECT_GE(whole[i - 1].event_at_us, whole[i].event_at_us);
    }
    std::size_t expected = 0;
    for (const domain::Sale& sale : sales) {
      for (const domain::SaleLine& line : sale.lines) {
        if ((!barcode || line.barcode == *barcode) && (!branch || sale.branch == *branch)) ++expected;
      }
    }
    EXPECT_EQ(whole.size(), expected);
    // Time bounds.
    query.since_us = kT0 + 1 * kSecond;
    query.until_us = kT0 + 3 * kSecond;
    for (const Movement& m : WholeLedger(store(), query, 3)) {
      EXPECT_GE(m.event_at_us, kT0 + 1 * kSecond);
      EXPECT_LE(m.event_at_us, kT0 + 3 * kSecond);
    }
  }
  LedgerQuery bad;
  bad.after = "garbage";
  EXPECT_EQ(store().ListLedger(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(InventoryTest, BranchLedgerListsEverySaleLineOnceInOrderThroughAnyPageSize) {
  // A sale's lines share one branch index entry; other movements at the same times sort between
  // whole sales, never inside one. Listings must still return every movement exactly once, in
  // (time, branch, origin, id, barcode) order, whatever the page size.
  using Key = std::tuple<int64_t, std::string, std::string, std::string, std::string>;
  std::vector<Key> expected;
  std::vector<domain::Sale> first_half, second_half;
  for (int i = 0; i < 12; ++i) {
    const std::string branch = i % 2 == 0 ? "1001" : "1002";
    std::vector<domain::SaleLine> lines;
    for (int line = 0; line < 11; ++line) lines.push_back({Barcode((i * 7 + line * 3) % 13), 1'000});
    domain::Sale sale = Sale("s" + std::to_string(i), branch, lines, kT0 + (i % 3) * kSecond);
    for (std::size_t line = 0; line < lines.size(); ++line) {
      expected.emplace_back(sale.event_at_us, branch, "venda", sale.id + "#" + std::to_string(line + 1),
                            lines[line].barcode);
    }
    (i < 6 ? first_half : second_half).push_back(std::move(sale));
  }
  Apply({}, first_half);
  Apply({}, second_half);
  std::vector<Movement> receipts;
  for (int i = 0; i < 6; ++i) {
    const std::string branch = i % 2 == 0 ? "1001" : "1002";
    receipts.push_back(ApiMovement("r" + std::to_string(i), MovementKind::kReceipt, branch,
                                   Barcode(i), 5'000, kT0 + (i % 3) * kSecond));
    expected.emplace_back(kT0 + (i % 3) * kSecond, branch, "api", "r" + std::to_string(i), Barcode(i));
  }
  ASSERT_TRUE(Record(receipts).ok());
  Apply({}, {}, {domain::SaleCancel{"s3", "1002", kT0 + 1 * kSecond, "pdv"}});
  for (int line = 0; line < 11; ++line) {
    expected.emplace_back(kT0 + 1 * kSecond, "1002", "cancelamento", "s3#" + std::to_string(line + 1),
                          Barcode((3 * 7 + line * 3) % 13));
  }
  std::sort(expected.begin(), expected.end(), std::greater<>());

  auto keys_of = [](const std::vector<Movement>& movements) {
    std::vector<Key> keys;
    for (const Movement& m : movements) keys.emplace_back(m.event_at_us, m.branch, m.origin, m.id, m.barcode);
    return keys;
  };
  for (const std::optional<std::string>& branch :
       std::vector<std::optional<std::string>>{std::nullopt, "1001", "1002"}) {
    std::vector<Key> wanted;
    for (const Key& key : expected) {
      if (!branch || std::get<1>(key) == *branch) wanted.push_back(key);
    }
    LedgerQuery query;
    query.branch = branch;
    for (std::size_t page : {1u, 2u, 5u, 11u, 12u, 1000u}) {
      const std::vector<Movement> listed = WholeLedger(store(), query, page);
      EXPECT_EQ(keys_of(listed), wanted) << "branch " << branch.value_or("*") << " page " << page;
      for (const Movement& m : listed) {
        EXPECT_NE(m.quantity_milli, 0) << m.id;  // values were read for every member
        EXPECT_EQ(m.reference, m.origin == "api" ? "" : m.id.substr(0, m.id.find('#')));
      }
    }
  }
  // One index entry per sale and per cancellation, one per other movement.
  std::unique_ptr<rocksdb::Iterator> it(
      instance_.engine->db()->NewIterator(rocksdb::ReadOptions(), instance_.engine->ledger_by_branch()));
  std::size_t index_entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++index_entries;
  EXPECT_EQ(index_entries, 12u + 6u + 1u);
}

TEST_F(InventoryTest, FormatTwoBranchIndexIsRebuiltOnOpen) {
  Apply({Count(b1_, "1001", 10'000, kT0)},
        {Sale("v1", "1001", {{b1_, 1'000}, {b2_, 2'000}}, kT0 + kSecond),
         Sale("v2", "1002", {{b1_, 1'000}}, kT0 + kSecond)});
  ASSERT_TRUE(Record({ApiMovement("r1", MovementKind::kReceipt, "1001", b2_, 3'000, kT0)}).ok());
  LedgerQuery all;
  const std::vector<Movement> before = WholeLedger(store(), all, 1000);
  ASSERT_EQ(before.size(), 5u);

  // Rewrite the index as a format 2 server left it: branch \0 time barcode \0 origin \0 id.
  RocksEngine& engine = *instance_.engine;
  rocksdb::WriteBatch old_layout;
  std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), engine.ledger_by_branch()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) old_layout.Delete(engine.ledger_by_branch(), it->key());
  for (const Movement& m : before) {
    std::string key = m.branch + std::string(1, '\0');
    AppendEventTime(&key, m.event_at_us);
    key += m.barcode + std::string(1, '\0') + m.origin + std::string(1, '\0') + m.id;
    old_layout.Put(engine.ledger_by_branch(), key, "");
  }
  old_layout.Put(engine.meta(), "format_version", "2");
  ASSERT_TRUE(engine.db()->Write(rocksdb::WriteOptions(), &old_layout).ok());
  it.reset();

  instance_.Reopen();
  EXPECT_EQ(Rows(WholeLedger(store(), all, 2)), Rows(before));
  LedgerQuery branch;
  branch.branch = "1001";
  EXPECT_EQ(WholeLedger(store(), branch, 1).size(), 4u);
  std::string version;
  ASSERT_TRUE(instance_.engine->db()->Get(rocksdb::ReadOptions(), instance_.engine->meta(),
                                         "format_version", &version).ok());
  EXPECT_EQ(version, "3");
}

TEST_F(InventoryTest, TransferConservesStock) {
  Apply({Count(b1_, "1001", 10'000, kT0), Count(b2_, "1001", 5'000, kT0)});
  domain::Transfer transfer;
  transfer.id = "t1";
  transfer.source = "1001";
  transfer.destination = "1002";
  transfer.lines = {{b1_, 4'000, 0}, {b2_, 5'000, 0}};
  auto created = store().CreateTransfer(transfer);
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(created->second);
  EXPECT_FALSE(store().CreateTransfer(transfer)->second);  // identical repeat
  domain::Transfer other = transfer;
  other.lines[0].quantity_milli = 1'000;
  EXPECT_EQ(store().CreateTransfer(other).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().ReceiveTransfer("t1", std::nullopt, kT0).status().code(), StatusCode::kConflict);

  Result<domain::Transfer> shipped = store().ShipTransfer("t1", kT0 + kSecond);
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  EXPECT_EQ(shipped->status, domain::TransferStatus::kInTransit);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 6'000);
  EXPECT_EQ(Stock(b1_, "1002").in_transit_milli, 4'000);
  EXPECT_EQ(Stock(b2_, "1002").in_transit_milli, 5'000);
  EXPECT_TRUE(store().ShipTransfer("t1", kT0 + kSecond).ok());  // repeat: unchanged
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 6'000);

  Result<domain::Transfer> received =
      store().ReceiveTransfer("t1", std::vector<int64_t>{3'000, 5'000}, kT0 + 2 * kSecond);
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_EQ(Stock(b1_, "1002").on_hand_milli, 3'000);
  EXPECT_EQ(Stock(b1_, "1002").in_transit_milli, 0);
  EXPECT_EQ(Stock(b2_, "1002").on_hand_milli, 5'000);
  EXPECT_EQ(store().CancelTransfer("t1", kT0).status().code(), StatusCode::kConflict);
  // Conservation: out + in + loss = 0 over the transfer's movements.
  int64_t sum = 0;
  int losses = 0;
  for (const Movement& m : WholeLedger(store(), LedgerQuery{}, 100)) {
    if (m.reference != "t1") continue;
    sum += m.quantity_milli;
    if (m.kind == MovementKind::kAdjustment) {
      ++losses;
      EXPECT_EQ(m.quantity_milli, -1'000);
      EXPECT_EQ(m.branch, "1002");
    }
  }
  EXPECT_EQ(sum, -1'000);  // exactly the recorded loss
  EXPECT_EQ(losses, 1);
}

TEST_F(InventoryTest, TransferNeedsAvailableStockAndCancelReturnsIt) {
  Apply({Count(b1_, "1001", 3'000, kT0)});
  domain::Transfer transfer;
  transfer.id = "t2";
  transfer.source = "1001";
  transfer.destination = "1002";
  transfer.lines = {{b1_, 4'000, 0}};
  ASSERT_TRUE(store().CreateTransfer(transfer).ok());
  EXPECT_EQ(store().ShipTransfer("t2", kT0 + kSecond).status().code(), StatusCode::kConflict);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 3'000);
  Apply({Count(b1_, "1001", 8'000, kT0 + kSecond)});
  ASSERT_TRUE(store().ShipTransfer("t2", kT0 + 2 * kSecond).ok());
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 4'000);
  Result<domain::Transfer> cancelled = store().CancelTransfer("t2", kT0 + 3 * kSecond);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->status, domain::TransferStatus::kCancelled);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 8'000);
  EXPECT_EQ(Stock(b1_, "1002").in_transit_milli, 0);
  EXPECT_EQ(store().ShipTransfer("t2", kT0).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().ShipTransfer("nope", kT0).status().code(), StatusCode::kNotFound);
  Result<TransferPage> listed =
      store().ListTransfers("1002", domain::TransferStatus::kCancelled, std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, "t2");
}

TEST_F(InventoryTest, ReservationsNeverOversell) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  const int64_t now = kT0 + kSecond;
  int accepted = 0;
  for (int i = 0; i < 20; ++i) {
    domain::Reservation reservation;
    reservation.id = "r" + std::to_string(i);
    reservation.branch = "1001";
    reservation.lines = {{b1_, 1'000}};
    reservation.expires_at_us = now + 3600 * kSecond;
    auto created = store().CreateReservation(reservation, now);
    if (created.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(created.status().code(), StatusCode::kConflict);
    }
  }
  EXPECT_EQ(accepted, 10);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 10'000);
  EXPECT_EQ(Stock(b1_, "1001").available_milli(), 0);

  Result<domain::Reservation> confirmed = store().ConfirmReservation("r0", now);
  ASSERT_TRUE(confirmed.ok());
  EXPECT_EQ(confirmed->status, domain::ReservationStatus::kConfirmed);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 9'000);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 9'000);
  ASSERT_TRUE(store().ReleaseReservation("r1", now).ok());
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 8'000);
  EXPECT_EQ(store().ConfirmReservation("r1", now).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().ReleaseReservation("r0", now).status().code(), StatusCode::kConflict);
  EXPECT_TRUE(store().ConfirmReservation("r0", now).ok());  // repeat: unchanged
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 9'000);
}

TEST_F(InventoryTest, ExpiredReservationsReleaseThemselves) {
  Apply({Count(b1_, "1001", 5'000, kT0)});
  domain::Reservation reservation;
  reservation.id = "r1";
  reservation.branch = "1001";
  reservation.lines = {{b1_, 5'000}};
  reservation.expires_at_us = kT0 + 10 * kSecond;
  ASSERT_TRUE(store().CreateReservation(reservation, kT0).ok());
  EXPECT_EQ(*store().ExpireReservations(kT0 + 9 * kSecond), 0u);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 5'000);
  EXPECT_EQ(*store().ExpireReservations(kT0 + 10 * kSecond), 1u);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 0);
  EXPECT_EQ(store().GetReservation("r1")->status, domain::ReservationStatus::kExpired);
  EXPECT_EQ(store().ConfirmReservation("r1", kT0 + 11 * kSecond).status().code(),
            StatusCode::kConflict);
  // Due but not swept yet: a new reservation sees the stock free, a confirmation is refused.
  reservation.id = "r2";
  reservation.expires_at_us = kT0 + 20 * kSecond;
  ASSERT_TRUE(store().CreateReservation(reservation, kT0 + 11 * kSecond).ok());
  domain::Reservation r3 = reservation;
  r3.id = "r3";
  r3.expires_at_us = kT0 + 40 * kSecond;
  ASSERT_TRUE(store().CreateReservation(r3, kT0 + 21 * kSecond).ok());
  EXPECT_EQ(store().GetReservation("r2")->status, domain::ReservationStatus::kExpired);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 5'000);
}

TEST_F(InventoryTest, AlertsFollowTheStockAndTheReorderPoint) {
  policy_.min_stock[b1_] = 5'000;
  policy_.allow_negative = true;
  Apply({Count(b1_, "1001", 10'000, kT0), Count(b2_, "1001", 1'000, kT0)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNone);
  EXPECT_EQ(Stock(b2_, "1001").alert, AlertKind::kNone);  // no reorder point
  Apply({}, {Sale("v1", "1001", {{b1_, 6'000}}, kT0 + kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kLowStock);
  Apply({}, {Sale("v2", "1001", {{b1_, 6'000}}, kT0 + 2 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNegativeStock);
  Result<AlertPage> alerts = store().ListAlerts("1001", std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->items.size(), 1u);
  EXPECT_EQ(alerts->items[0].kind, AlertKind::kNegativeStock);
  EXPECT_EQ(alerts->items[0].state.on_hand_milli, -2'000);
  Result<BranchSummary> summary = store().Summary("1001");
  EXPECT_EQ(summary->negative_stock, 1u);
  EXPECT_EQ(summary->low_stock, 0u);
  EXPECT_EQ(summary->skus, 2u);
  EXPECT_EQ(summary->on_hand_total_milli, -1'000);

  // A branch's own reorder point wins over the product's.
  ASSERT_TRUE(store().SetMinStock(b2_, "1001", 2'000).ok());
  EXPECT_EQ(Stock(b2_, "1001").alert, AlertKind::kLowStock);
  Apply({Count(b1_, "1001", 20'000, kT0 + 3 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNone);
  // The product's default changes: its alerts are re-evaluated.
  policy_.min_stock[b1_] = 30'000;
  ASSERT_TRUE(store().RefreshAlerts(b1_).ok());
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kLowStock);
  alerts = store().ListAlerts(std::nullopt, AlertKind::kLowStock, std::nullopt, 1);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->items.size(), 1u);
  ASSERT_TRUE(alerts->next_after.has_value());
  Result<AlertPage> second = store().ListAlerts(std::nullopt, AlertKind::kLowStock, alerts->next_after, 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 1u);
  EXPECT_NE(second->items[0].barcode, alerts->items[0].barcode);

  instance_.Reopen();  // statistics survive a restart
  summary = store().Summary("1001");
  EXPECT_EQ(summary->low_stock, 2u);
  EXPECT_EQ(summary->negative_stock, 0u);
  EXPECT_EQ(summary->on_hand_total_milli, 21'000);
  EXPECT_GT(summary->last_seen_at_us, 0);
}

}  // namespace
}  // namespace estoque::store
