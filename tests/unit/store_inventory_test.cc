// What only the embedded store has: the branch index of its ledger (every sale line listed once,
// in order, through any page size) and its rebuild from the older format on open. The inventory
// model itself (counting rule, late events, as-of quantities, ledger pages, transfers,
// reservations, alerts) is tested against both stores by tests/integration/store_contract_test.cc,
// whose embedded half runs everywhere. Hermetic: each test owns a fresh RocksDB directory.
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
#include "support/inventory_builders.h"
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

using test_support::ApiMovement;
using test_support::Count;
using test_support::Rows;
using test_support::Sale;
using test_support::WholeLedger;


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

}  // namespace
}  // namespace estoque::store
