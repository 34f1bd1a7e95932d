// LedgerQuery::branches (a key's branch scope): the ledger read with it is exactly the ledger read
// without it minus the other branches' movements, in the same order, whatever the page size, with
// and without codigo_barra / filial filters. Hermetic: a fresh RocksDB directory.
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"

namespace estoque::store {
namespace {

using domain::Movement;
using estoque::test_support::TempDir;

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;
const std::string kP = "7891000100103";
const std::string kQ = "7891000100110";

class AllowAll final : public InventoryPolicy {
 public:
  bool AllowsNegativeStock(std::string_view) override { return true; }
  int64_t DefaultMinStock(std::string_view) override { return 0; }
};

using Key = std::tuple<int64_t, std::string, std::string, std::string, std::string>;

Key KeyOf(const Movement& m) { return {m.event_at_us, m.branch, m.origin, m.id, m.barcode}; }

class LedgerScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.sync_writes = false;
    Result<std::unique_ptr<RocksEngine>> opened = RocksEngine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine_ = std::move(*opened);
    store_ = std::make_unique<RocksInventoryStore>(engine_.get(), &policy_);
    // Three branches, two products, movements sharing event times across branches (ties are
    // broken by branch, so a cursor must resume correctly between sources).
    std::vector<Movement> movements;
    int n = 0;
    for (const std::string branch : {"1001", "1002", "1003"}) {
      for (const std::string& barcode : {kP, kQ}) {
        for (int i = 0; i < 4; ++i) {
          Movement m;
          m.id = "m" + std::to_string(n++);
          m.kind = domain::MovementKind::kReceipt;
          m.branch = branch;
          m.barcode = barcode;
          m.quantity_milli = 1'000;
          m.event_at_us = kT0 + (i % 2) * kSecond;
          m.origin = "k_test";
          movements.push_back(std::move(m));
        }
      }
    }
    ASSERT_TRUE(store_->RecordMovements(std::move(movements)).ok());
  }

  std::vector<Key> Whole(LedgerQuery query, std::size_t page) {
    std::vector<Key> keys;
    query.limit = page;
    for (int guard = 0; guard < 1000; ++guard) {
      Result<LedgerPage> listed = store_->ListLedger(query);
      EXPECT_TRUE(listed.ok()) << listed.status().ToString();
      if (!listed.ok()) break;
      for (const Movement& m : listed->items) keys.push_back(KeyOf(m));
      if (!listed->next_after) break;
      query.after = listed->next_after;
    }
    return keys;
  }

  TempDir dir_;
  AllowAll policy_;
  std::unique_ptr<RocksEngine> engine_;
  std::unique_ptr<RocksInventoryStore> store_;
};

TEST_F(LedgerScopeTest, OnlyTheScopedBranchesInTheUnscopedOrder) {
  const std::vector<std::string> scope = {"1001", "1003"};
  for (const std::optional<std::string>& barcode :
       std::vector<std::optional<std::string>>{std::nullopt, kP}) {
    LedgerQuery unscoped;
    unscoped.barcode = barcode;
    std::vector<Key> expected;
    for (const Key& key : Whole(unscoped, 1000)) {
      if (std::get<1>(key) != "1002") expected.push_back(key);
    }
    ASSERT_EQ(expected.size(), barcode ? 8u : 16u);
    LedgerQuery scoped = unscoped;
    scoped.branches = scope;
    for (std::size_t page : {1u, 3u, 5u, 1000u}) {
      EXPECT_EQ(Whole(scoped, page), expected) << "page " << page << " barcode " << barcode.value_or("*");
    }
  }
}

TEST_F(LedgerScopeTest, ABranchFilterOutsideTheScopeIsEmpty) {
  LedgerQuery query;
  query.branches = std::vector<std::string>{"1001"};
  query.branch = "1001";
  EXPECT_EQ(Whole(query, 100).size(), 8u);
  query.barcode = kQ;
  EXPECT_EQ(Whole(query, 100).size(), 4u);
  query.branch = "1002";
  EXPECT_TRUE(Whole(query, 100).empty());
  query.barcode.reset();
  EXPECT_TRUE(Whole(query, 100).empty());
  query.branch.reset();
  query.branches = std::vector<std::string>{};
  EXPECT_TRUE(Whole(query, 100).empty());
}

}  // namespace
}  // namespace estoque::store
