// The store contract: the same tests against both InventoryStore backends, the embedded
// RocksInventoryStore (the reference) and DynamoInventoryStore over Amazon's DynamoDB Local
// (started once for this binary on 127.0.0.1, tests/support/dynamodb_local.h; every test works in
// tables of its own prefix). Counting rule under any arrival order and duplication (a property
// test against a reference model), late events, exactly-once ids, quantities as of a time, ledger
// pages, position listings, transfers, reservations (never oversell, also with 20 concurrent
// clients), alerts and branch statistics. The DynamoDB backend's tests are skipped, saying why,
// only when Java or DynamoDB Local is not installed (scripts/setup installs both); under CI
// (CI=true) a missing install fails instead.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb_capacity.h"
#include "aws/dynamodb_tables.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"
#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"
#include "support/shared_dynamodb_local.h"
#include "support/inventory_builders.h"
#include "support/temp_dir.h"

namespace estoque::store {
namespace {

using domain::Movement;
using domain::MovementKind;
using domain::Position;
using dynamo::DynamoInventoryStore;
using test_support::DynamoDbLocal;
using test_support::TempDir;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;

std::string Barcode(int n) { return std::to_string(7890000000000ll + n); }

// ---------------------------------------------------------------------------------------------
// The backends.

enum class Backend { kRocks, kDynamo };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kRocks ? "Rocks" : "Dynamo";
}

// DynamoDB Local, shared by every test of this binary, started by the first test that needs it.
test_support::SharedDynamoDbLocal& Server() { return test_support::SharedDynamoDbLocal::Get(); }

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
  std::atomic<bool> allow_negative = false;
  std::set<std::string> negative_branches;
  std::map<std::string, int64_t> min_stock;
};

// One store of either backend, on storage of its own: a RocksDB directory, or DynamoDB tables
// under a prefix no other instance uses.
class Instance {
 public:
  Instance(Backend backend, InventoryPolicy* policy) : backend_(backend), policy_(policy) {
    static std::atomic<int> next{0};
    prefix_ = "t" + std::to_string(next++) + "_";
    Open();
  }
  void Open() {
    if (backend_ == Backend::kRocks) {
      EngineOptions options;
      options.data_dir = dir_.path() + "/db";
      options.block_cache_bytes = 8 << 20;
      options.write_buffer_bytes = 1 << 20;
      options.sync_writes = false;
      Result<std::unique_ptr<RocksEngine>> opened = RocksEngine::Open(options);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      engine_ = std::move(*opened);
      store_ = std::make_unique<RocksInventoryStore>(engine_.get(), policy_);
      return;
    }
    dynamo::DynamoStoreOptions options;
    options.table_prefix = prefix_;
    Result<std::unique_ptr<DynamoInventoryStore>> opened =
        dynamo::OpenDynamoInventoryStore(Server().server->ClientConfig(), options, policy_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    dynamo_ = opened->get();
    store_ = std::move(*opened);
  }
  // DynamoDB only: another store object (another node) over the tables of `other`.
  enum SameTables { kSameTables };
  Instance(const Instance& other, SameTables)
      : backend_(other.backend_), policy_(other.policy_), prefix_(other.prefix_) {
    Open();
  }
  // A new store object over the same storage (a restart, or another node).
  void Reopen() {
    store_.reset();
    dynamo_ = nullptr;
    engine_.reset();
    Open();
  }
  InventoryStore& store() { return *store_; }
  DynamoInventoryStore* dynamo() { return dynamo_; }

 private:
  Backend backend_;
  InventoryPolicy* policy_;
  std::string prefix_;
  TempDir dir_;
  std::unique_ptr<RocksEngine> engine_;
  std::unique_ptr<InventoryStore> store_;
  DynamoInventoryStore* dynamo_ = nullptr;
};

// Skips (or, under CI, fails) a DynamoDB test when DynamoDB Local is not installed.
#define REQUIRE_BACKEND(backend)                                                        \
  do {                                                                                  \
    if ((backend) == Backend::kDynamo && !test_support::SharedDynamoDbLocal::Require()) { \
      return;                                                                           \
    }                                                                                   \
  } while (false)

// ---------------------------------------------------------------------------------------------
// Helpers (tests/support/inventory_builders.h).

using test_support::ApiMovement;
using test_support::Count;
using test_support::Rows;
using test_support::Sale;
using test_support::WholeLedger;

// ---------------------------------------------------------------------------------------------
// The property: any permutation, batching and duplication of the same events gives the same
// quantities and the same ledger, equal to the reference rule.

struct Event {
  enum Type { kPosition, kSale, kCancel, kApi } type;
  Position position;
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
using Reference = std::map<std::pair<std::string, std::string>, std::vector<ReferenceMovement>>;

std::vector<Event> RandomEvents(std::mt19937_64& rng, int count, Reference* reference) {
  const std::vector<std::string> barcodes = {Barcode(1), Barcode(2), Barcode(3)};
  const std::vector<std::string> branches = {"1001", "1002"};
  std::vector<Event> events;
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
      for (const domain::SaleLine& line : lines) {
        (*reference)[{line.barcode, branch}].push_back(
            {false, event.sale.event_at_us, -line.quantity_milli, ""});
      }
      sales.push_back(event.sale);
    } else if (kind == 6 && !sales.empty()) {
      const std::size_t chosen = rng() % sales.size();
      const domain::Sale sale = sales[chosen];
      sales.erase(sales.begin() + static_cast<std::ptrdiff_t>(chosen));
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
    if (newest == nullptr || std::tie(m.at, m.quantity, m.identity) >
                                 std::tie(newest->at, newest->quantity, newest->identity)) {
      newest = &m;
    }
  }
  int64_t on_hand = newest != nullptr ? newest->quantity : 0;
  for (const ReferenceMovement& m : movements) {
    if (!m.is_count && (newest == nullptr || m.at > newest->at)) on_hand += m.quantity;
  }
  return on_hand;
}

void ApplyInBatches(InventoryStore& store, const std::vector<Event>& events, std::mt19937_64& rng) {
  std::size_t next = 0;
  while (next < events.size()) {
    const std::size_t size = std::min<std::size_t>(1 + rng() % 6, events.size() - next);
    std::vector<Position> positions;
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

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    REQUIRE_BACKEND(GetParam());
    instance_ = std::make_unique<Instance>(GetParam(), &policy_);
  }
  InventoryStore& store() { return instance_->store(); }

  ApplyOutcome Apply(std::vector<Position> positions, std::vector<domain::Sale> sales = {},
                     std::vector<domain::SaleCancel> cancels = {}) {
    IngestBatch batch;
    batch.positions = positions;
    batch.sales = sales;
    batch.cancels = cancels;
    Result<ApplyOutcome> applied = store().ApplyBatch(batch);
    EXPECT_TRUE(applied.ok()) << applied.status().ToString();
    return applied.ok() ? *applied : ApplyOutcome{};
  }
  StockState Stock(const std::string& barcode, const std::string& branch) {
    Result<StockState> state = store().GetStock(barcode, branch);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    return state.ok() ? *state : StockState{};
  }
  Status Record(std::vector<Movement> movements) {
    return store().RecordMovements(std::move(movements)).status();
  }
  std::vector<Position> ListAll(std::optional<std::string> branch, std::size_t limit) {
    std::vector<Position> all;
    std::optional<std::string> after;
    for (int guard = 0; guard < 10000; ++guard) {
      Result<PositionPage> page = store().List(branch, after, limit);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (!page->next_after) break;
      after = page->next_after;
    }
    return all;
  }

  TestPolicy policy_;
  std::unique_ptr<Instance> instance_;
  const std::string b1_ = Barcode(1);
  const std::string b2_ = Barcode(2);
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract,
                         ::testing::Values(Backend::kRocks, Backend::kDynamo), BackendName);

TEST_P(StoreContract, AnyOrderAndDuplicationGivesTheSameStockAndLedger) {
  policy_.allow_negative = true;  // facts in any order: no request may be refused
  const uint64_t seeds = GetParam() == Backend::kRocks ? 12 : 6;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    Reference reference;
    const std::vector<Event> events = RandomEvents(rng, 60, &reference);

    Instance in_order(GetParam(), &policy_);
    ApplyInBatches(in_order.store(), events, rng);

    std::vector<Event> shuffled = events;
    for (std::size_t i = 0; i < events.size(); i += 3) shuffled.push_back(events[rng() % events.size()]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    Instance permuted(GetParam(), &policy_);
    ApplyInBatches(permuted.store(), shuffled, rng);
    permuted.Reopen();

    for (const auto& [key, movements] : reference) {
      SCOPED_TRACE(key.first + "/" + key.second);
      Result<StockState> a = in_order.store().GetStock(key.first, key.second);
      Result<StockState> b = permuted.store().GetStock(key.first, key.second);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->on_hand_milli, ReferenceOnHand(movements));
      EXPECT_EQ(b->on_hand_milli, ReferenceOnHand(movements));
    }
    const std::vector<Movement> ledger_a = WholeLedger(in_order.store(), LedgerQuery{}, 7);
    const std::vector<Movement> ledger_b = WholeLedger(permuted.store(), LedgerQuery{}, 5);
    EXPECT_EQ(Rows(ledger_a), Rows(ledger_b));
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

// Several nodes (store objects over the same storage; one shared store for the embedded backend,
// whose writer serialises them) apply the same events at once, each in its own order and
// batching, with duplicates: the stock, the ledger and the branch statistics are what one node
// applying them once gives.
TEST_P(StoreContract, ConcurrentNodesApplyingTheSameEventsAgreeWithTheReference) {
  policy_.allow_negative = true;
  std::mt19937_64 rng(42);
  Reference reference;
  const std::vector<Event> events = RandomEvents(rng, 80, &reference);
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Instance>> nodes;
  std::vector<InventoryStore*> stores;
  for (int i = 0; i < kNodes; ++i) {
    if (GetParam() == Backend::kRocks) {
      stores.push_back(&store());
    } else {
      nodes.push_back(std::make_unique<Instance>(*instance_, Instance::kSameTables));
      stores.push_back(&nodes.back()->store());
    }
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 node_rng(100 + i);
      std::vector<Event> mine = events;
      std::shuffle(mine.begin(), mine.end(), node_rng);
      ApplyInBatches(*stores[i], mine, node_rng);
    });
  }
  for (std::thread& thread : threads) thread.join();

  int64_t total = 0;
  for (const auto& [key, movements] : reference) {
    SCOPED_TRACE(key.first + "/" + key.second);
    const StockState state = Stock(key.first, key.second);
    EXPECT_EQ(state.on_hand_milli, ReferenceOnHand(movements));
    if (key.second == "1001") total += state.on_hand_milli;
  }
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
  EXPECT_EQ(WholeLedger(store(), LedgerQuery{}, 50).size(), distinct.size() + deltas);
  Result<BranchSummary> summary = store().Summary("1001");
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->on_hand_total_milli, total);
}

TEST_P(StoreContract, GetListByBarcodeAndNewerWins) {
  EXPECT_EQ(store().Get(b1_, "1001").status().code(), StatusCode::kNotFound);
  const Position position = Count("0423746182527", "1001", 3'011'000, kT0, "Caf\xC3\xA9");
  ApplyOutcome outcome = Apply({position});
  EXPECT_EQ(outcome.applied_items, 1u);
  Result<Position> got = store().Get("0423746182527", "1001");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, position);
  EXPECT_EQ(store().Get("0423746182527", "1002").status().code(), StatusCode::kNotFound);

  // Newer wins within one call and across calls; identical redeliveries are dropped.
  outcome = Apply({Count(b1_, "1001", 10, kT0 + 100), Count(b1_, "1001", 30, kT0 + 300),
                   Count(b1_, "1001", 20, kT0 + 200), Count(b1_, "1001", 30, kT0 + 300)});
  EXPECT_EQ(store().Get(b1_, "1001")->quantity_milli, 30);
  outcome = Apply({Count(b1_, "1001", 5, kT0 + 250)});
  EXPECT_EQ(outcome.applied_items, 0u);
  EXPECT_EQ(outcome.dropped_older_items, 1u);
  EXPECT_EQ(store().Get(b1_, "1001")->quantity_milli, 30);

  Apply({Count("12345678", "1002", 2, kT0), Count("12345678", "1001", 1, kT0),
         Count("123456789", "1000", 9, kT0), Count("12345670", "1003", 0, kT0),
         Count("12345678", "A-9", 3, kT0)});
  Result<std::vector<Position>> listed = store().ListByBarcode("12345678");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].branch, "1001");
  EXPECT_EQ((*listed)[1].branch, "1002");
  EXPECT_EQ((*listed)[2].branch, "A-9");
  EXPECT_TRUE(store().ListByBarcode("99999999")->empty());

  Result<ApplyCounters> counters = store().Counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->applied_items_total, 1u + 2u + 5u);
  EXPECT_EQ(counters->dropped_older_items_total, 2u + 1u);
}

TEST_P(StoreContract, ListPagesInKeyOrderWithoutSkipsOrRepeats) {
  std::vector<Position> items;
  for (int b = 0; b < 30; ++b) {
    for (const char* branch : {"1001", "1002", "0999"}) {
      items.push_back(Count(Barcode(b * 7 % 30), branch, b, kT0));
    }
  }
  Apply(items);
  using Key = std::pair<std::string, std::string>;
  std::vector<Key> expected;
  for (const Position& p : items) expected.emplace_back(p.barcode, p.branch);
  std::sort(expected.begin(), expected.end());
  for (std::size_t limit : {1u, 7u, 90u, 1000u}) {
    std::vector<Key> keys;
    for (const Position& p : ListAll(std::nullopt, limit)) keys.emplace_back(p.barcode, p.branch);
    EXPECT_EQ(keys, expected) << "limit " << limit;
  }
  for (std::size_t limit : {1u, 4u, 30u, 31u}) {
    std::vector<Position> branch = ListAll(std::string("1002"), limit);
    ASSERT_EQ(branch.size(), 30u) << "limit " << limit;
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(branch[i].barcode, Barcode(i));
      EXPECT_EQ(branch[i].branch, "1002");
      EXPECT_EQ(branch[i].quantity_milli, [&] {  // the value came with it
        for (int b = 0; b < 30; ++b) if (b * 7 % 30 == i) return b;
        return -1;
      }());
    }
  }
  EXPECT_TRUE(ListAll(std::string("7777"), 5).empty());
  Result<PositionPage> full = store().List("1001", std::nullopt, 30);
  ASSERT_TRUE(full.ok());
  EXPECT_FALSE(full->next_after.has_value());  // an exactly full last page has no cursor

  Result<PositionPage> branch_page = store().List("1001", std::nullopt, 1);
  Result<PositionPage> store_page = store().List(std::nullopt, std::nullopt, 1);
  ASSERT_TRUE(branch_page.ok() && store_page.ok());
  ASSERT_TRUE(branch_page->next_after && store_page->next_after);
  auto code = [&](std::optional<std::string_view> branch, std::string_view after) {
    return store().List(branch, after, 10).status().code();
  };
  EXPECT_EQ(code("1002", *branch_page->next_after), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("1001", *store_page->next_after), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::nullopt, *branch_page->next_after), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::nullopt, "garbage"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("bad branch", std::string_view("x")), StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, LateSaleOlderThanTheCountChangesNothing) {
  Apply({Count(b1_, "1001", 10'000, kT0 + 10 * kSecond)});
  Apply({}, {Sale("v1", "1001", {{b1_, 3'000}}, kT0 + 5 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v2", "1001", {{b1_, 3'000}}, kT0 + 10 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v3", "1001", {{b1_, 2'000}}, kT0 + 11 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 8'000);
}

TEST_P(StoreContract, LateCountRebasesOnLaterDeltas) {
  Apply({}, {Sale("v1", "1001", {{b1_, 1'000}}, kT0 + 1 * kSecond),
             Sale("v2", "1001", {{b1_, 2'000}}, kT0 + 20 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, -3'000);
  ASSERT_TRUE(Record({ApiMovement("r1", MovementKind::kReceipt, "1001", b1_, 5'000,
                                  kT0 + 30 * kSecond)}).ok());
  Apply({Count(b1_, "1001", 50'000, kT0 + 10 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 50'000 - 2'000 + 5'000);
  Apply({Count(b1_, "1001", 40'000, kT0 + 5 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 53'000);
}

TEST_P(StoreContract, RepeatedSaleAndMovementAreAppliedOnce) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  const domain::Sale sale = Sale("v1", "1001", {{b1_, 1'000}, {b1_, 2'000}}, kT0 + kSecond);
  Apply({}, {sale, sale});
  Apply({}, {sale});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 7'000);
  const Movement receipt =
      ApiMovement("r1", MovementKind::kReceipt, "1001", b1_, 4'000, kT0 + 2 * kSecond);
  Result<std::vector<MovementOutcome>> first = store().RecordMovements({receipt});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->at(0).duplicate);
  Result<std::vector<MovementOutcome>> again = store().RecordMovements({receipt, receipt});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->at(0).duplicate);
  EXPECT_TRUE(again->at(1).duplicate);
  EXPECT_EQ(again->at(0).movement.recorded_at_us, first->at(0).movement.recorded_at_us);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 11'000);
  Movement reused = receipt;
  reused.quantity_milli = 9'000;
  EXPECT_EQ(Record({reused}).code(), StatusCode::kConflict);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 11'000);
  // Without a time, a repeat matches the original whatever its time was.
  Movement untimed = receipt;
  untimed.event_at_us = -1;
  Result<std::vector<MovementOutcome>> repeat = store().RecordMovements({untimed});
  ASSERT_TRUE(repeat.ok());
  EXPECT_TRUE(repeat->at(0).duplicate);
  EXPECT_EQ(repeat->at(0).movement.event_at_us, receipt.event_at_us);
}

TEST_P(StoreContract, CancellationBeforeItsSaleWaitsForIt) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  Apply({}, {}, {domain::SaleCancel{"v1", "1001", kT0 + 5 * kSecond, "pdv"}});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v1", "1001", {{b1_, 4'000}}, kT0 + 2 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {}, {domain::SaleCancel{"v1", "1001", kT0 + 6 * kSecond, "pdv"}});
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  Apply({}, {Sale("v2", "1001", {{b1_, 1'000}}, kT0 + 7 * kSecond)},
        {domain::SaleCancel{"v2", "1001", kT0 + 8 * kSecond, "pdv"}});  // both in one batch
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 10'000);
  LedgerQuery query;
  query.barcode = b1_;
  query.branch = "1001";
  EXPECT_EQ(WholeLedger(store(), query, 10).size(), 5u);
}

// A sale of more lines than one DynamoDB transaction holds (the DynamoDB store applies it in parts,
// each exactly-once, the sale record last): applied once, redelivered harmlessly, cancelled once,
// and a cancellation that came first applies with it.
TEST_P(StoreContract, LargeSalesAreAppliedOnceAndCancelledOnce) {
  policy_.allow_negative = true;
  std::vector<Position> counts;
  std::vector<domain::SaleLine> lines;
  for (int i = 0; i < 90; ++i) {
    counts.push_back(Count(Barcode(i % 45), "1001", 100'000, kT0));
    lines.push_back({Barcode(i % 45), 1'000});  // every barcode twice
  }
  Apply(counts);
  const domain::Sale big = Sale("big", "1001", lines, kT0 + kSecond);
  ApplyOutcome outcome = Apply({Count(b1_, "1002", 5'000, kT0)}, {big, big});
  EXPECT_EQ(outcome.applied_items, 1u + 90u);
  EXPECT_EQ(outcome.dropped_older_items, 90u);
  Apply({}, {big});
  for (int i = 0; i < 45; ++i) EXPECT_EQ(Stock(Barcode(i), "1001").on_hand_milli, 98'000);
  Apply({}, {}, {domain::SaleCancel{"big", "1001", kT0 + 2 * kSecond, "pdv"}});
  Apply({}, {}, {domain::SaleCancel{"big", "1001", kT0 + 3 * kSecond, "pdv"}});
  for (int i = 0; i < 45; ++i) EXPECT_EQ(Stock(Barcode(i), "1001").on_hand_milli, 100'000);

  // Cancelled before it arrives: both apply together, once.
  domain::Sale late = Sale("late", "1001", lines, kT0 + 4 * kSecond);
  Apply({}, {}, {domain::SaleCancel{"late", "1001", kT0 + 5 * kSecond, "pdv"}});
  Apply({}, {late});
  Apply({}, {late});
  for (int i = 0; i < 45; ++i) EXPECT_EQ(Stock(Barcode(i), "1001").on_hand_milli, 100'000);
  LedgerQuery query;
  query.barcode = Barcode(7);
  query.branch = "1001";
  EXPECT_EQ(WholeLedger(store(), query, 100).size(), 1u + 2u * 4u);  // count, 2 lines x 4
  Result<ApplyCounters> counters = store().Counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->applied_items_total, 45u + 1u + 90u + 90u);
}

TEST_P(StoreContract, ApiRemovalsBelowZeroAreRefusedUnlessTheBranchAllowsIt) {
  Apply({Count(b1_, "1001", 2'000, kT0), Count(b1_, "1002", 2'000, kT0)});
  const Movement loss = ApiMovement("a1", MovementKind::kAdjustment, "1001", b1_, -3'000,
                                    kT0 + kSecond, domain::AdjustReason::kLoss);
  EXPECT_EQ(Record({loss}).code(), StatusCode::kConflict);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 2'000);
  const Movement receipt = ApiMovement("r1", MovementKind::kReceipt, "1001", b2_, 1'000, kT0);
  EXPECT_EQ(Record({receipt, loss}).code(), StatusCode::kConflict);
  EXPECT_EQ(store().GetStock(b2_, "1001").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(Record({ApiMovement("s1", MovementKind::kSale, "1001", b1_, -3'000, kT0 + kSecond)}).ok());
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, -1'000);
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNegativeStock);
  policy_.negative_branches.insert("1002");
  Movement loss_1002 = loss;
  loss_1002.branch = "1002";
  EXPECT_TRUE(Record({loss_1002}).ok());
  EXPECT_EQ(Stock(b1_, "1002").on_hand_milli, -1'000);
}

TEST_P(StoreContract, StockAsOfAnyTime) {
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
  EXPECT_EQ(at(5), -1'000);
  EXPECT_EQ(at(10), 10'000);
  EXPECT_EQ(at(14), 10'000);
  EXPECT_EQ(at(15), 8'000);
  EXPECT_EQ(at(20), 30'000);
  EXPECT_EQ(at(30), 26'000);
  EXPECT_EQ(at(30), Stock(b1_, "1001").on_hand_milli);
  EXPECT_EQ(store().StockAt(b2_, "1001", kT0).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContract, LedgerPagesAreNewestFirstWithoutGapsOrRepeats) {
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
    for (std::size_t page : {1u, 3u, 7u}) {
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
    query.since_us = kT0 + 1 * kSecond;
    query.until_us = kT0 + 3 * kSecond;
    const std::vector<Movement> bounded = WholeLedger(store(), query, 3);
    EXPECT_FALSE(bounded.empty());
    for (const Movement& m : bounded) {
      EXPECT_GE(m.event_at_us, kT0 + 1 * kSecond);
      EXPECT_LE(m.event_at_us, kT0 + 3 * kSecond);
    }
  }
  LedgerQuery bad;
  bad.after = "garbage";
  EXPECT_EQ(store().ListLedger(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, LedgerInOrderThroughAnyPageSizeAndScope) {
  using Key = std::tuple<int64_t, std::string, std::string, std::string, std::string>;
  std::vector<Key> expected;
  std::vector<domain::Sale> first_half, second_half;
  for (int i = 0; i < 12; ++i) {
    const std::string branch = i % 2 == 0 ? "1001" : "1002";
    std::vector<domain::SaleLine> lines;
    for (int line = 0; line < 11; ++line) lines.push_back({Barcode((i * 7 + line * 3) % 13), 1'000});
    domain::Sale sale = Sale("s" + std::to_string(i), branch, lines, kT0 + (i % 3) * kSecond);
    for (std::size_t line = 0; line < lines.size(); ++line) {
      expected.emplace_back(sale.event_at_us, branch, "venda",
                            sale.id + "#" + std::to_string(line + 1), lines[line].barcode);
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
    expected.emplace_back(kT0 + 1 * kSecond, "1002", "cancelamento",
                          "s3#" + std::to_string(line + 1), Barcode((3 * 7 + line * 3) % 13));
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
    for (std::size_t page : {1u, 5u, 11u, 1000u}) {
      const std::vector<Movement> listed = WholeLedger(store(), query, page);
      EXPECT_EQ(keys_of(listed), wanted) << "branch " << branch.value_or("*") << " page " << page;
      for (const Movement& m : listed) {
        EXPECT_NE(m.quantity_milli, 0) << m.id;
        EXPECT_EQ(m.reference, m.origin == "api" ? "" : m.id.substr(0, m.id.find('#')));
      }
    }
    // A key's scope: the same listing minus the other branches, in the same order.
    LedgerQuery scoped = query;
    scoped.branches = std::vector<std::string>{"1002"};
    std::vector<Key> in_scope;
    for (const Key& key : wanted) {
      if (std::get<1>(key) == "1002") in_scope.push_back(key);
    }
    for (std::size_t page : {2u, 1000u}) {
      EXPECT_EQ(keys_of(WholeLedger(store(), scoped, page)), in_scope) << "scoped page " << page;
    }
  }
  LedgerQuery by_product;
  by_product.barcode = Barcode(3);
  by_product.branches = std::vector<std::string>{"1001"};
  std::vector<Key> wanted;
  for (const Key& key : expected) {
    if (std::get<4>(key) == Barcode(3) && std::get<1>(key) == "1001") wanted.push_back(key);
  }
  EXPECT_EQ(keys_of(WholeLedger(store(), by_product, 2)), wanted);
}

TEST_P(StoreContract, TransferConservesStock) {
  Apply({Count(b1_, "1001", 10'000, kT0), Count(b2_, "1001", 5'000, kT0)});
  domain::Transfer transfer;
  transfer.id = "t1";
  transfer.source = "1001";
  transfer.destination = "1002";
  transfer.lines = {{b1_, 4'000, 0}, {b2_, 5'000, 0}};
  auto created = store().CreateTransfer(transfer);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->second);
  EXPECT_FALSE(store().CreateTransfer(transfer)->second);
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
  EXPECT_TRUE(store().ShipTransfer("t1", kT0 + kSecond).ok());
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 6'000);

  Result<domain::Transfer> received =
      store().ReceiveTransfer("t1", std::vector<int64_t>{3'000, 5'000}, kT0 + 2 * kSecond);
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_EQ(Stock(b1_, "1002").on_hand_milli, 3'000);
  EXPECT_EQ(Stock(b1_, "1002").in_transit_milli, 0);
  EXPECT_EQ(Stock(b2_, "1002").on_hand_milli, 5'000);
  EXPECT_EQ(store().CancelTransfer("t1", kT0).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().GetTransfer("t1")->lines[0].received_milli, 3'000);
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
  EXPECT_EQ(sum, -1'000);
  EXPECT_EQ(losses, 1);
}

TEST_P(StoreContract, TransferNeedsAvailableStockAndCancelReturnsIt) {
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
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(cancelled->status, domain::TransferStatus::kCancelled);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 8'000);
  EXPECT_EQ(Stock(b1_, "1002").in_transit_milli, 0);
  EXPECT_EQ(store().ShipTransfer("t2", kT0).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().ShipTransfer("nope", kT0).status().code(), StatusCode::kNotFound);
  transfer.id = "t3";
  ASSERT_TRUE(store().CreateTransfer(transfer).ok());
  Result<TransferPage> listed =
      store().ListTransfers("1002", domain::TransferStatus::kCancelled, std::nullopt, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, "t2");
  Result<TransferPage> first = store().ListTransfers("1001", std::nullopt, std::nullopt, 1);
  ASSERT_TRUE(first.ok() && first->next_after);
  EXPECT_EQ(first->items[0].id, "t2");
  Result<TransferPage> second = store().ListTransfers("1001", std::nullopt, *first->next_after, 1);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].id, "t3");
  EXPECT_FALSE(second->next_after);
}

TEST_P(StoreContract, ReservationsNeverOversell) {
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
  ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString();
  EXPECT_EQ(confirmed->status, domain::ReservationStatus::kConfirmed);
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 9'000);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 9'000);
  ASSERT_TRUE(store().ReleaseReservation("r1", now).ok());
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 8'000);
  EXPECT_EQ(store().ConfirmReservation("r1", now).status().code(), StatusCode::kConflict);
  EXPECT_EQ(store().ReleaseReservation("r0", now).status().code(), StatusCode::kConflict);
  EXPECT_TRUE(store().ConfirmReservation("r0", now).ok());
  EXPECT_EQ(Stock(b1_, "1001").on_hand_milli, 9'000);
  Result<ReservationPage> active =
      store().ListReservations("1001", domain::ReservationStatus::kActive, std::nullopt, 100);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->items.size(), 8u);
}

// 20 clients reserve the last 10 units at once, each on its own store object (as 20 nodes would):
// exactly 10 succeed, and what is reserved never exceeds what was there.
TEST_P(StoreContract, ConcurrentReservationsOfTheLastUnitsNeverOversell) {
  Apply({Count(b1_, "1001", 10'000, kT0)});
  const int64_t now = kT0 + kSecond;
  constexpr int kClients = 20;
  std::vector<std::unique_ptr<Instance>> nodes;
  std::vector<InventoryStore*> stores;
  for (int i = 0; i < kClients; ++i) {
    if (GetParam() == Backend::kRocks) {
      stores.push_back(&store());  // one embedded store per directory: its writer serialises them
    } else {
      nodes.push_back(std::make_unique<Instance>(*instance_, Instance::kSameTables));
      stores.push_back(&nodes.back()->store());
    }
  }
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      domain::Reservation reservation;
      reservation.id = "c" + std::to_string(i);
      reservation.branch = "1001";
      reservation.lines = {{b1_, 1'000}};
      reservation.expires_at_us = now + 3600 * kSecond;
      auto created = stores[i]->CreateReservation(reservation, now);
      if (created.ok()) {
        ++accepted;
      } else if (created.status().code() == StatusCode::kConflict) {
        ++refused;
      } else {
        ++failed;
        ADD_FAILURE() << created.status().ToString();
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(accepted.load(), 10);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 10'000);
  EXPECT_EQ(Stock(b1_, "1001").available_milli(), 0);
  Result<ReservationPage> active =
      store().ListReservations("1001", domain::ReservationStatus::kActive, std::nullopt, 100);
  ASSERT_TRUE(active.ok());
  EXPECT_EQ(active->items.size(), 10u);
}

TEST_P(StoreContract, ExpiredReservationsReleaseThemselves) {
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
  reservation.id = "r2";
  reservation.expires_at_us = kT0 + 20 * kSecond;
  ASSERT_TRUE(store().CreateReservation(reservation, kT0 + 11 * kSecond).ok());
  domain::Reservation r3 = reservation;
  r3.id = "r3";
  r3.expires_at_us = kT0 + 40 * kSecond;
  ASSERT_TRUE(store().CreateReservation(r3, kT0 + 21 * kSecond).ok());
  EXPECT_EQ(store().GetReservation("r2")->status, domain::ReservationStatus::kExpired);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 5'000);
  // Due, not swept: a confirmation expires it instead.
  EXPECT_EQ(store().ConfirmReservation("r3", kT0 + 41 * kSecond).status().code(),
            StatusCode::kConflict);
  EXPECT_EQ(store().GetReservation("r3")->status, domain::ReservationStatus::kExpired);
  EXPECT_EQ(Stock(b1_, "1001").reserved_milli, 0);
}

TEST_P(StoreContract, AlertsFollowTheStockAndTheReorderPoint) {
  policy_.min_stock[b1_] = 5'000;
  policy_.allow_negative = true;
  Apply({Count(b1_, "1001", 10'000, kT0), Count(b2_, "1001", 1'000, kT0)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNone);
  EXPECT_EQ(Stock(b2_, "1001").alert, AlertKind::kNone);
  Apply({}, {Sale("v1", "1001", {{b1_, 6'000}}, kT0 + kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kLowStock);
  Apply({}, {Sale("v2", "1001", {{b1_, 6'000}}, kT0 + 2 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNegativeStock);
  Result<AlertPage> alerts = store().ListAlerts("1001", std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  ASSERT_EQ(alerts->items.size(), 1u);
  EXPECT_EQ(alerts->items[0].kind, AlertKind::kNegativeStock);
  EXPECT_EQ(alerts->items[0].state.on_hand_milli, -2'000);
  Result<BranchSummary> summary = store().Summary("1001");
  EXPECT_EQ(summary->negative_stock, 1u);
  EXPECT_EQ(summary->low_stock, 0u);
  EXPECT_EQ(summary->skus, 2u);
  EXPECT_EQ(summary->on_hand_total_milli, -1'000);

  ASSERT_TRUE(store().SetMinStock(b2_, "1001", 2'000).ok());
  EXPECT_EQ(Stock(b2_, "1001").alert, AlertKind::kLowStock);
  Apply({Count(b1_, "1001", 20'000, kT0 + 3 * kSecond)});
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kNone);
  policy_.min_stock[b1_] = 30'000;
  ASSERT_TRUE(store().RefreshAlerts(b1_).ok());
  EXPECT_EQ(Stock(b1_, "1001").alert, AlertKind::kLowStock);
  alerts = store().ListAlerts(std::nullopt, AlertKind::kLowStock, std::nullopt, 1);
  ASSERT_TRUE(alerts.ok());
  ASSERT_EQ(alerts->items.size(), 1u);
  ASSERT_TRUE(alerts->next_after.has_value());
  Result<AlertPage> second =
      store().ListAlerts(std::nullopt, AlertKind::kLowStock, alerts->next_after, 1);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 1u);
  EXPECT_NE(second->items[0].barcode, alerts->items[0].barcode);
  EXPECT_FALSE(second->next_after.has_value());
  EXPECT_EQ(store().ListAlerts("1001", std::nullopt, std::string_view("garbage"), 5).status().code(),
            StatusCode::kInvalidArgument);

  instance_->Reopen();
  summary = store().Summary("1001");
  EXPECT_EQ(summary->low_stock, 2u);
  EXPECT_EQ(summary->negative_stock, 0u);
  EXPECT_EQ(summary->on_hand_total_milli, 21'000);
  EXPECT_GT(summary->last_seen_at_us, 0);
}


// ---------------------------------------------------------------------------------------------
// What the DynamoDB store costs in requests (the issue's goal: one write request per position,
// batching wherever DynamoDB allows). Prints the figures docs/BENCHMARKS.md records, and fails
// if batching is lost.
// Tables are created on first start, under the prefix, in the configured billing mode; a second
// start over them creates nothing.
TEST(DynamoTables, CreatedOnFirstStartInTheConfiguredBillingMode) {
  REQUIRE_BACKEND(Backend::kDynamo);
  dynamo::DynamoStoreOptions options;
  options.table_prefix = "provisioned_";
  options.billing_mode = aws::dynamodb::BillingMode::kProvisioned;  // the seed's 5 / 5
  Result<std::unique_ptr<DynamoInventoryStore>> opened =
      dynamo::OpenDynamoInventoryStore(Server().server->ClientConfig(), options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  aws::dynamodb::DynamoDbClient client(Server().server->ClientConfig());
  for (const std::string& table : {std::string("provisioned_posicoes"),
                                   std::string("provisioned_movimentos"),
                                   std::string("provisioned_ids"),
                                   std::string("provisioned_estatisticas"),
                                   std::string("provisioned_transferencias"),
                                   std::string("provisioned_reservas")}) {
    aws::AwsResult<boost::json::object> described = aws::dynamodb::DescribeTable(client, table);
    ASSERT_TRUE(described.ok()) << table << ": " << described.error().ToString();
    EXPECT_EQ(described->at("TableStatus"), "ACTIVE");
    EXPECT_EQ(described->at("ProvisionedThroughput").at("WriteCapacityUnits").to_number<int>(), 5);
    EXPECT_EQ(described->at("ProvisionedThroughput").at("ReadCapacityUnits").to_number<int>(), 5);
    if (const boost::json::value* indexes = described->if_contains("GlobalSecondaryIndexes")) {
      for (const boost::json::value& index : indexes->as_array()) {
        EXPECT_EQ(index.at("ProvisionedThroughput").at("WriteCapacityUnits").to_number<int>(), 5);
      }
    }
  }
  aws::AwsResult<boost::json::object> posicoes =
      aws::dynamodb::DescribeTable(client, "provisioned_posicoes");
  ASSERT_TRUE(posicoes.ok());
  EXPECT_EQ(posicoes->at("GlobalSecondaryIndexes").as_array().size(), 3u);
  // A second node starts over the existing tables.
  Result<std::unique_ptr<DynamoInventoryStore>> again =
      dynamo::OpenDynamoInventoryStore(Server().server->ClientConfig(), options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const Position position = Count(Barcode(1), "1001", 1'000, kT0);
  ASSERT_TRUE((*opened)->Apply(std::vector<Position>{position}, {}).ok());
  EXPECT_EQ((*again)->Get(Barcode(1), "1001")->quantity_milli, 1'000);
}

// What one transaction cannot hold is refused whole, before anything is written; the bounds
// themselves fit even in the worst case (every movement in its own branch).
TEST(DynamoLimits, RequestsBeyondOneTransactionAreRefusedWhole) {
  REQUIRE_BACKEND(Backend::kDynamo);
  TestPolicy policy;
  policy.allow_negative = true;
  Instance instance(Backend::kDynamo, &policy);
  InventoryStore& store = instance.store();
  std::vector<Movement> movements;
  for (std::size_t i = 0; i <= dynamo::kMovementsPerWriteMax; ++i) {
    movements.push_back(ApiMovement("m" + std::to_string(i), MovementKind::kReceipt,
                                    "b" + std::to_string(i), Barcode(static_cast<int>(i)), 1'000,
                                    kT0));
  }
  EXPECT_EQ(store.RecordMovements(movements).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.GetStock(Barcode(0), "b0").status().code(), StatusCode::kNotFound);
  movements.pop_back();
  Result<std::vector<MovementOutcome>> recorded = store.RecordMovements(movements);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->size(), dynamo::kMovementsPerWriteMax);
  EXPECT_EQ(store.Summary("b23")->skus, 1u);

  domain::Transfer transfer;
  transfer.id = "t1";
  transfer.source = "b0";
  transfer.destination = "b1";
  for (std::size_t i = 0; i <= dynamo::kTransferLinesMax; ++i) {
    transfer.lines.push_back({Barcode(static_cast<int>(i)), 1'000, 0});
  }
  EXPECT_EQ(store.CreateTransfer(transfer).status().code(), StatusCode::kInvalidArgument);
  transfer.lines.pop_back();
  ASSERT_TRUE(store.CreateTransfer(transfer).ok());
  Result<domain::Transfer> shipped = store.ShipTransfer("t1", kT0 + kSecond);  // 99 actions
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  Result<domain::Transfer> cancelled = store.CancelTransfer("t1", kT0 + 2 * kSecond);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();

  domain::Reservation reservation;
  reservation.id = "r1";
  reservation.branch = "b0";
  reservation.expires_at_us = kT0 + 3600 * kSecond;
  for (std::size_t i = 0; i <= dynamo::kReservationLinesMax; ++i) {
    reservation.lines.push_back({Barcode(static_cast<int>(i)), 1'000});
  }
  EXPECT_EQ(store.CreateReservation(reservation, kT0).status().code(),
            StatusCode::kInvalidArgument);
  reservation.lines.pop_back();
  ASSERT_TRUE(store.CreateReservation(reservation, kT0).ok());
  Result<domain::Reservation> confirmed = store.ConfirmReservation("r1", kT0 + kSecond);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status().ToString();
}

namespace count_requests {

using dynamo::RequestCounts;

std::string Describe(const RequestCounts& counts) {
  std::string text;
  for (const auto& [operation, count] : counts) {
    text += " " + operation + "=" + std::to_string(count.requests) + " (" +
            std::to_string(count.read_units) + " RCU, " + std::to_string(count.write_units) +
            " WCU; reported " +
            std::to_string(static_cast<int64_t>(count.reported_capacity_units + 0.5)) + " CU)";
  }
  return text;
}

uint64_t RequestsOf(const RequestCounts& counts, const std::string& operation) {
  auto found = counts.find(operation);
  return found == counts.end() ? 0 : found->second.requests;
}

// An item's size as DynamoDB bills it (aws/dynamodb_capacity.h).
std::size_t ItemBytes(const dynamo::Item& item) { return aws::dynamodb::ItemSizeBytes(item); }

double WriteUnitsOf(const RequestCounts& counts, const std::string& operation) {
  auto found = counts.find(operation);
  return found == counts.end() ? 0 : found->second.write_units;
}

TEST(DynamoRequestCounts, ItemSizes) {
  StockState state;
  state.has_count = true;
  state.count_at_us = kT0;
  state.count_quantity_milli = 12'000;
  state.count_identity = PositionCountIdentity(12'000, "Arroz Tio Joao 5kg");
  state.product_name = "Arroz Tio Joao 5kg";
  state.on_hand_milli = 12'000;
  state.updated_at_us = kT0;
  Movement count;
  count.branch = "1001";
  count.barcode = Barcode(1);
  count.quantity_milli = 12'000;
  count.event_at_us = kT0;
  count.recorded_at_us = kT0;
  count.origin = "posicao";
  count.id = "12|Arroz Tio Joao 5kg";
  count.product_name = "Arroz Tio Joao 5kg";
  Movement sale = count;
  sale.kind = MovementKind::kSale;
  sale.origin = "venda";
  sale.id = "v123456#1";
  sale.reference = "v123456";
  sale.product_name.clear();
  const std::size_t state_bytes = ItemBytes(dynamo::EncodeState(Barcode(1), "1001", state, 7));
  const std::size_t count_bytes = ItemBytes(dynamo::EncodeMovement(count));
  const std::size_t sale_bytes = ItemBytes(dynamo::EncodeMovement(sale));
  std::cout << "item bytes: state " << state_bytes << ", ledger count " << count_bytes
            << ", ledger sale line " << sale_bytes << std::endl;
  EXPECT_LE(state_bytes, 1024u);  // 1 WCU each (and per index it is projected into)
  EXPECT_LE(count_bytes, 1024u);
}

TEST(DynamoRequestCounts, PositionsAndSaleLinesAreBatched) {
  REQUIRE_BACKEND(Backend::kDynamo);
  TestPolicy policy;
  policy.allow_negative = true;
  Instance instance(Backend::kDynamo, &policy);
  DynamoInventoryStore& store = *instance.dynamo();
  auto measure = [&](const char* what, std::size_t units, const std::function<void()>& run) {
    const RequestCounts before = store.RequestCountsSnapshot();
    run();
    const RequestCounts spent = dynamo::Difference(store.RequestCountsSnapshot(), before);
    const uint64_t total = dynamo::TotalRequests(spent);
    std::cout << what << ": " << units << " in " << total << " requests ("
              << static_cast<double>(total) / static_cast<double>(units) << " per unit):"
              << Describe(spent) << std::endl;
    return spent;
  };
  constexpr int kPositions = 200;
  std::vector<Position> positions;
  for (int i = 0; i < kPositions; ++i) positions.push_back(Count(Barcode(i), "1001", 5'000, kT0));
  IngestBatch batch;
  batch.positions = positions;
  RequestCounts spent = measure("new positions, one batch", kPositions, [&] {
    ASSERT_TRUE(store.ApplyBatch(batch).ok());
  });
  // About 47 positions per TransactWriteItems (2 actions each of its 100) and a BatchGetItem.
  EXPECT_LE(RequestsOf(spent, "TransactWriteItems"), 5u);
  EXPECT_LE(dynamo::TotalRequests(spent), 10u);
  // Each position puts its state (table + por_filial + lista) and its ledger entry (table +
  // por_filial + por_produto), items under 1 KB, in a transaction: 2 x 3 x 2 = 12 WCU; plus 2 WCU
  // per statistics update (one or two per transaction).
  const double transaction_units = WriteUnitsOf(spent, "TransactWriteItems");
  EXPECT_GE(transaction_units, 12.0 * kPositions);
  EXPECT_LE(transaction_units, 12.0 * kPositions + 2 * 2 * 5);

  for (Position& position : positions) position.updated_at_us += kSecond;
  spent = measure("newer positions of existing states", kPositions, [&] {
    ASSERT_TRUE(store.ApplyBatch(batch).ok());
  });
  EXPECT_LE(RequestsOf(spent, "TransactWriteItems"), 5u);
  EXPECT_LE(dynamo::TotalRequests(spent), 10u);

  spent = measure("redelivered positions", kPositions, [&] {
    ASSERT_TRUE(store.ApplyBatch(batch).ok());
  });
  EXPECT_LE(dynamo::TotalRequests(spent), 10u);

  std::vector<domain::Sale> sales;
  for (int i = 0; i < 40; ++i) {
    std::vector<domain::SaleLine> lines;
    for (int line = 0; line < 5; ++line) lines.push_back({Barcode((i * 5 + line) % kPositions), 1'000});
    sales.push_back(Sale("v" + std::to_string(i), "1001", lines, kT0 + 2 * kSecond));
  }
  IngestBatch sale_batch;
  sale_batch.sales = sales;
  spent = measure("sale lines (40 sales of 5 lines), one batch", 200, [&] {
    ASSERT_TRUE(store.ApplyBatch(sale_batch).ok());
  });
  // A sale line is 2 actions (state, ledger) and a sale 1 more (its record) plus a GetItem of it.
  EXPECT_LE(RequestsOf(spent, "TransactWriteItems"), 8u);

  spent = measure("one API movement", 1, [&] {
    ASSERT_TRUE(store.RecordMovements({ApiMovement("m1", MovementKind::kReceipt, "1001", Barcode(1),
                                                   1'000, kT0 + 3 * kSecond)}).ok());
  });
  EXPECT_EQ(RequestsOf(spent, "TransactWriteItems"), 1u);
  spent = measure("one reservation", 1, [&] {
    domain::Reservation reservation;
    reservation.id = "r1";
    reservation.branch = "1001";
    reservation.lines = {{Barcode(2), 1'000}};
    reservation.expires_at_us = kT0 + 3600 * kSecond;
    ASSERT_TRUE(store.CreateReservation(reservation, kT0 + 3 * kSecond).ok());
  });
  EXPECT_EQ(RequestsOf(spent, "TransactWriteItems"), 1u);
  measure("a late count re-basing on 200 later sale lines of its product-branch", 1, [&] {
    std::vector<domain::Sale> later;
    for (int i = 0; i < 200; ++i) {
      later.push_back(Sale("w" + std::to_string(i), "1001", {{Barcode(7), 1'000}}, kT0 + 10 * kSecond + i));
    }
    IngestBatch later_batch;
    later_batch.sales = later;
    ASSERT_TRUE(store.ApplyBatch(later_batch).ok());
    ASSERT_TRUE(store.Apply(std::vector<Position>{Count(Barcode(7), "1001", 900'000, kT0 + 5 * kSecond)}, {}).ok());
  });
  EXPECT_EQ(store.GetStock(Barcode(7), "1001")->on_hand_milli, 900'000 - 200'000);
}

}  // namespace count_requests

}  // namespace
}  // namespace estoque::store
