// RocksInventoryStore and RocksEngine: reads, paging, the newer-wins Apply, counters, queue row
// removal and reopening. Hermetic: each test owns a fresh directory under /tmp.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "store/position_codec.h"
#include "store/rocksdb_engine.h"
#include "store/rocks_inventory_store.h"

namespace estoque::store {
namespace {

using domain::Position;
using Key = std::pair<std::string, std::string>;  // (barcode, branch)

using estoque::test_support::TempDir;

Position MakePosition(std::string barcode, std::string branch, int64_t quantity_milli,
                      int64_t updated_at_us, std::string name = "Produto") {
  Position position;
  position.barcode = std::move(barcode);
  position.branch = std::move(branch);
  position.product_name = std::move(name);
  position.quantity_milli = quantity_milli;
  position.updated_at_us = updated_at_us;
  return position;
}

std::string Barcode(int n) {
  std::string digits = std::to_string(7890000000000ll + n);
  return digits;  // 13 digits
}

class RocksStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    Result<std::unique_ptr<RocksEngine>> engine = RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    store_ = std::make_unique<RocksInventoryStore>(engine_.get(), nullptr, cache_entries_);
  }

  void Reopen() {
    store_.reset();
    engine_.reset();
    Open();
  }

  ApplyOutcome ApplyOk(const std::vector<Position>& items, const std::vector<uint64_t>& ids = {}) {
    Result<ApplyOutcome> outcome = store_->Apply(items, ids);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? *outcome : ApplyOutcome{};
  }

  ApplyCounters CountersOk() {
    Result<ApplyCounters> counters = store_->Counters();
    EXPECT_TRUE(counters.ok()) << counters.status().ToString();
    return counters.ok() ? *counters : ApplyCounters{};
  }

  // Every page of a listing, with `between` called after each page (to write concurrently).
  std::vector<Position> ListAll(std::optional<std::string> branch, std::size_t limit,
                                const std::function<void(const PositionPage&)>& between = {}) {
    std::vector<Position> all;
    std::optional<std::string> after;
    for (int pages = 0; pages < 10'000; ++pages) {
      std::optional<std::string_view> after_view;
      if (after) after_view = *after;
      std::optional<std::string_view> branch_view;
      if (branch) branch_view = *branch;
      Result<PositionPage> page = store_->List(branch_view, after_view, limit);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      EXPECT_LE(page->items.size(), limit);
      all.insert(all.end(), page->items.begin(), page->items.end());
      if (!page->next_after) break;
      EXPECT_EQ(page->items.size(), limit);
      if (between) between(*page);
      after = page->next_after;
    }
    return all;
  }

  std::size_t QueueRows() {
    std::unique_ptr<rocksdb::Iterator> it(
        engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->queue()));
    std::size_t rows = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
    EXPECT_TRUE(it->status().ok());
    return rows;
  }

  TempDir dir_;
  std::size_t cache_entries_ = RocksInventoryStore::kStateCacheEntriesMax;
  std::unique_ptr<RocksEngine> engine_;
  std::unique_ptr<RocksInventoryStore> store_;
};

// The same tests with a decision cache that is off, or so small that it is emptied all the time.
class RocksStoreCacheTest : public RocksStoreTest, public ::testing::WithParamInterface<std::size_t> {
 protected:
  void SetUp() override {
    cache_entries_ = GetParam();
    RocksStoreTest::SetUp();
  }
};
INSTANTIATE_TEST_SUITE_P(CacheSizes, RocksStoreCacheTest,
                         ::testing::Values(RocksInventoryStore::kStateCacheEntriesMax, 0, 5));

TEST_F(RocksStoreTest, GetMissingIsNotFound) {
  EXPECT_EQ(store_->Get("7890000000001", "1001").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(CountersOk().applied_items_total, 0u);
}

TEST_F(RocksStoreTest, GetReturnsAppliedPosition) {
  const Position position = MakePosition("0423746182527", "1001", 3'011'000, 1000, "Caf\xC3\xA9");
  ApplyOutcome outcome = ApplyOk({position});
  EXPECT_EQ(outcome.applied_items, 1u);
  EXPECT_EQ(outcome.dropped_older_items, 0u);
  Result<Position> got = store_->Get("0423746182527", "1001");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, position);
  EXPECT_EQ(store_->Get("0423746182527", "1002").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("423746182527", "1001").status().code(), StatusCode::kNotFound);
}

TEST_F(RocksStoreTest, ListByBarcodeReturnsEveryBranchOfExactlyThatBarcode) {
  ApplyOk({MakePosition("12345678", "1002", 2, 1), MakePosition("12345678", "1001", 1, 1),
           MakePosition("123456789", "1000", 9, 1), MakePosition("12345670", "1003", 0, 1),
           MakePosition("12345678", "A-9", 3, 1)});
  Result<std::vector<Position>> listed = store_->ListByBarcode("12345678");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].branch, "1001");
  EXPECT_EQ((*listed)[1].branch, "1002");
  EXPECT_EQ((*listed)[2].branch, "A-9");
  for (const Position& p : *listed) EXPECT_EQ(p.barcode, "12345678");
  Result<std::vector<Position>> none = store_->ListByBarcode("99999999");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(RocksStoreTest, ListPagesInKeyOrderWithoutSkipsOrRepeats) {
  std::vector<Position> items;
  for (int b = 0; b < 40; ++b) {
    for (const char* branch : {"1001", "1002", "0999"}) {
      items.push_back(MakePosition(Barcode(b * 7 % 40), branch, b, 10));
    }
  }
  ApplyOk(items);
  std::vector<Key> expected;
  for (const Position& p : items) expected.emplace_back(p.barcode, p.branch);
  std::sort(expected.begin(), expected.end());

  for (std::size_t limit : {1u, 7u, 40u, 120u, 1000u}) {
    std::vector<Position> listed = ListAll(std::nullopt, limit);
    std::vector<Key> keys;
    for (const Position& p : listed) keys.emplace_back(p.barcode, p.branch);
    EXPECT_EQ(keys, expected) << "limit " << limit;
  }
}

TEST_F(RocksStoreTest, ExactlyFullLastPageHasNoCursor) {
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 1), MakePosition(Barcode(2), "1001", 1, 1)});
  Result<PositionPage> page = store_->List(std::nullopt, std::nullopt, 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->next_after.has_value());
  Result<PositionPage> first = store_->List(std::nullopt, std::nullopt, 1);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->next_after.has_value());
  EXPECT_EQ(*first->next_after, PositionKey(Barcode(1), "1001"));
}

TEST_F(RocksStoreTest, ListWhileKeysAreInsertedNeverSkipsOrRepeats) {
  std::vector<Position> initial;
  for (int b = 0; b < 100; b += 2) initial.push_back(MakePosition(Barcode(b), "1001", 1, 1));
  for (int b = 0; b < 100; b += 3) initial.push_back(MakePosition(Barcode(b), "1002", 1, 1));
  ApplyOk(initial);

  for (bool by_branch : {false, true}) {
    SCOPED_TRACE(by_branch ? "by branch" : "whole store");
    std::set<Key> must_appear;
    for (const Position& p : initial) {
      if (!by_branch || p.branch == "1001") must_appear.emplace(p.barcode, p.branch);
    }
    std::mt19937 random(by_branch ? 7 : 11);
    int next_barcode = 100;
    auto insert_between_pages = [&](const PositionPage& page) {
      const Position& last = page.items.back();
      // New keys on both sides of the cursor, in both branches, plus overwrites of listed keys.
      std::vector<Position> writes;
      for (int i = 0; i < 3; ++i) {
        const int b = static_cast<int>(random() % 300);
        for (const char* branch : {"1001", "1002"}) {
          writes.push_back(MakePosition(Barcode(b), branch, 2, 2 + next_barcode));
        }
      }
      writes.push_back(MakePosition(last.barcode, last.branch, 5, 1'000'000 + next_barcode));
      ++next_barcode;
      ApplyOk(writes);
      // A key written after the cursor must show up later in this listing.
      for (const Position& w : writes) {
        const Key key(w.barcode, w.branch);
        const Key cursor(last.barcode, last.branch);
        const bool after_cursor = by_branch ? (w.branch == "1001" && w.barcode > last.barcode)
                                            : key > cursor;
        if (after_cursor) must_appear.insert(key);
      }
    };
    std::optional<std::string> branch;
    if (by_branch) branch = "1001";
    std::vector<Position> listed = ListAll(branch, 9, insert_between_pages);

    std::vector<Key> keys;
    for (const Position& p : listed) {
      if (by_branch) {
        EXPECT_EQ(p.branch, "1001");
      }
      keys.emplace_back(p.barcode, p.branch);
    }
    for (std::size_t i = 1; i < keys.size(); ++i) {
      EXPECT_LT(keys[i - 1], keys[i]) << "repeat or disorder at " << i;
    }
    const std::set<Key> seen(keys.begin(), keys.end());
    for (const Key& key : must_appear) {
      EXPECT_TRUE(seen.count(key)) << "skipped " << key.first << "/" << key.second;
    }
  }
}

TEST_F(RocksStoreTest, ListByBranchReadsOnlyThatBranchInBarcodeOrder) {
  ApplyOk({MakePosition(Barcode(3), "1001", 3, 1), MakePosition(Barcode(1), "1002", 1, 1),
           MakePosition(Barcode(2), "1001", 2, 1), MakePosition(Barcode(1), "1001", 1, 1),
           MakePosition(Barcode(5), "10010", 5, 1), MakePosition(Barcode(4), "100", 4, 1)});
  std::vector<Position> listed = ListAll(std::string("1001"), 2);
  ASSERT_EQ(listed.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(listed[i].barcode, Barcode(i + 1));
    EXPECT_EQ(listed[i].branch, "1001");
    EXPECT_EQ(listed[i].quantity_milli, i + 1);  // values come from the positions family
  }
  EXPECT_TRUE(ListAll(std::string("7777"), 5).empty());
}

TEST_F(RocksStoreTest, ForeignOrGarbageCursorIsInvalidArgument) {
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 1), MakePosition(Barcode(2), "1001", 1, 1),
           MakePosition(Barcode(1), "1002", 1, 1)});
  Result<PositionPage> branch_page = store_->List("1001", std::nullopt, 1);
  ASSERT_TRUE(branch_page.ok());
  ASSERT_TRUE(branch_page->next_after);
  const std::string branch_cursor = *branch_page->next_after;
  Result<PositionPage> store_page = store_->List(std::nullopt, std::nullopt, 1);
  ASSERT_TRUE(store_page.ok());
  ASSERT_TRUE(store_page->next_after);
  const std::string store_cursor = *store_page->next_after;

  EXPECT_TRUE(store_->List("1001", std::string_view(branch_cursor), 1).ok());
  EXPECT_TRUE(store_->List(std::nullopt, std::string_view(store_cursor), 1).ok());

  auto code = [&](std::optional<std::string_view> branch, std::string_view after) {
    return store_->List(branch, after, 10).status().code();
  };
  EXPECT_EQ(code("1002", branch_cursor), StatusCode::kInvalidArgument);  // another branch
  EXPECT_EQ(code("1001", store_cursor), StatusCode::kInvalidArgument);   // whole-store cursor
  EXPECT_EQ(code(std::nullopt, branch_cursor), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::nullopt, "garbage"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::nullopt, ""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::nullopt, std::string("12345678\0" "1001\0x", 15)),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(code("1001", std::string("1001\0", 5)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("1001", std::string("1001\0" "12ab5678", 13)), StatusCode::kInvalidArgument);
  EXPECT_EQ(code("bad branch", std::string_view("x")), StatusCode::kInvalidArgument);
}

TEST_P(RocksStoreCacheTest, ApplyKeepsTheNewestWithinOneCall) {
  const std::string b = Barcode(1);
  ApplyOutcome outcome = ApplyOk({MakePosition(b, "1001", 10, 100), MakePosition(b, "1001", 30, 300),
                                  MakePosition(b, "1001", 20, 200), MakePosition(b, "1001", 30, 300),
                                  MakePosition(b, "1002", 5, 50)});
  // Items count in call order: 10 and 30 each became the newest count when applied.
  EXPECT_EQ(outcome.applied_items, 3u);
  EXPECT_EQ(outcome.dropped_older_items, 2u);
  EXPECT_EQ(store_->Get(b, "1001")->quantity_milli, 30);
  EXPECT_EQ(store_->Get(b, "1002")->quantity_milli, 5);
}

TEST_P(RocksStoreCacheTest, ApplyKeepsTheNewestAcrossCalls) {
  const std::string b = Barcode(2);
  EXPECT_EQ(ApplyOk({MakePosition(b, "1001", 20, 200)}).applied_items, 1u);
  // Older: dropped. Identical redelivery: dropped.
  ApplyOutcome older = ApplyOk({MakePosition(b, "1001", 99, 100), MakePosition(b, "1001", 20, 200)});
  EXPECT_EQ(older.applied_items, 0u);
  EXPECT_EQ(older.dropped_older_items, 2u);
  EXPECT_EQ(store_->Get(b, "1001")->quantity_milli, 20);
  // Same time: the larger quantity wins, then the greater name.
  EXPECT_EQ(ApplyOk({MakePosition(b, "1001", 21, 200)}).applied_items, 1u);
  EXPECT_EQ(ApplyOk({MakePosition(b, "1001", 21, 200, "Produto B")}).applied_items, 1u);
  EXPECT_EQ(ApplyOk({MakePosition(b, "1001", 21, 200, "Produto A")}).applied_items, 0u);
  EXPECT_EQ(store_->Get(b, "1001")->product_name, "Produto B");
  // Newer: applied, and the branch index follows.
  EXPECT_EQ(ApplyOk({MakePosition(b, "1001", 7, 201)}).applied_items, 1u);
  std::vector<Position> by_branch = ListAll(std::string("1001"), 10);
  ASSERT_EQ(by_branch.size(), 1u);
  EXPECT_EQ(by_branch[0], *store_->Get(b, "1001"));

  const ApplyCounters counters = CountersOk();
  EXPECT_EQ(counters.applied_items_total, 4u);
  EXPECT_EQ(counters.dropped_older_items_total, 3u);
  EXPECT_EQ(counters.applied_messages_total, 0u);
}

// Random items over few keys, with ties and duplicates, applied in random chunks and orders: the
// result equals the maximum of each key under Supersedes, and the counters add up.
TEST_P(RocksStoreCacheTest, ApplyMatchesReferenceModelForAnyOrder) {
  std::mt19937 random(42);
  std::vector<Position> items;
  const char* branches[] = {"1001", "1002", "1003"};
  for (int i = 0; i < 3000; ++i) {
    Position p = MakePosition(Barcode(random() % 20), branches[random() % 3],
                              static_cast<int64_t>(random() % 5), random() % 40,
                              random() % 2 ? "A" : "B");
    items.push_back(p);
    if (random() % 10 == 0) items.push_back(p);  // duplicate delivery
  }
  std::shuffle(items.begin(), items.end(), random);

  std::map<Key, Position> model;
  uint64_t expected_applied = 0;
  uint64_t applied = 0;
  uint64_t dropped = 0;
  std::size_t offset = 0;
  while (offset < items.size()) {
    const std::size_t chunk = std::min<std::size_t>(1 + random() % 70, items.size() - offset);
    std::vector<Position> call(items.begin() + offset, items.begin() + offset + chunk);
    offset += chunk;
    // Reference: items in call order; one counts as applied if it beats what is stored by then.
    for (const Position& p : call) {
      const Key key(p.barcode, p.branch);
      auto stored = model.find(key);
      if (stored == model.end() || domain::Supersedes(p, stored->second)) {
        model[key] = p;
        ++expected_applied;
      }
    }
    const ApplyOutcome outcome = ApplyOk(call);
    EXPECT_EQ(outcome.applied_items + outcome.dropped_older_items, chunk);
    applied += outcome.applied_items;
    dropped += outcome.dropped_older_items;
  }
  EXPECT_EQ(applied, expected_applied);
  EXPECT_EQ(applied + dropped, items.size());

  std::vector<Position> listed = ListAll(std::nullopt, 13);
  ASSERT_EQ(listed.size(), model.size());
  std::size_t i = 0;
  for (const auto& [key, p] : model) EXPECT_EQ(listed[i++], p);
  for (const char* branch : branches) {
    for (const Position& p : ListAll(std::string(branch), 6)) {
      EXPECT_EQ(p, model.at(Key(p.barcode, p.branch)));
    }
  }
  const ApplyCounters counters = CountersOk();
  EXPECT_EQ(counters.applied_items_total, applied);
  EXPECT_EQ(counters.dropped_older_items_total, dropped);

  // The same items once more, in another order: nothing changes, everything is dropped.
  std::shuffle(items.begin(), items.end(), random);
  const ApplyOutcome again = ApplyOk(items);
  EXPECT_EQ(again.applied_items, 0u);
  EXPECT_EQ(again.dropped_older_items, items.size());
  EXPECT_EQ(ListAll(std::nullopt, 1000), listed);
}

TEST_F(RocksStoreTest, ApplyRemovesConsumedQueueRowsAtomically) {
  for (uint64_t id = 1; id <= 5; ++id) {
    ASSERT_TRUE(engine_->db()->Put(rocksdb::WriteOptions(), engine_->queue(), QueueKey(id), "m").ok());
  }
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 1)}, {1, 2, 4});
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->queue()));
  std::vector<uint64_t> left;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    left.push_back(DecodeQueueKey(std::string_view(it->key().data(), it->key().size())));
  }
  EXPECT_EQ(left, (std::vector<uint64_t>{3, 5}));
  // A message whose items are all old still counts as applied, and is removed.
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 0)}, {3});
  ApplyOk({}, {5});
  EXPECT_EQ(QueueRows(), 0u);
  const ApplyCounters counters = CountersOk();
  EXPECT_EQ(counters.applied_messages_total, 5u);
  EXPECT_EQ(counters.applied_items_total, 1u);
  EXPECT_EQ(counters.dropped_older_items_total, 1u);
}

TEST_P(RocksStoreCacheTest, ReopenKeepsPositionsAndCounters) {
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 10), MakePosition(Barcode(2), "1002", 2, 20)}, {7});
  ApplyOk({MakePosition(Barcode(1), "1001", 0, 5)}, {8});
  const std::vector<Position> before = ListAll(std::nullopt, 100);
  Reopen();
  EXPECT_EQ(ListAll(std::nullopt, 100), before);
  EXPECT_EQ(store_->Get(Barcode(2), "1002")->quantity_milli, 2);
  EXPECT_EQ(ListAll(std::string("1002"), 100).size(), 1u);
  ApplyCounters counters = CountersOk();
  EXPECT_EQ(counters.applied_messages_total, 2u);
  EXPECT_EQ(counters.applied_items_total, 2u);
  EXPECT_EQ(counters.dropped_older_items_total, 1u);
  // Counting continues from the stored totals.
  ApplyOk({MakePosition(Barcode(3), "1001", 1, 1)}, {9});
  Reopen();
  counters = CountersOk();
  EXPECT_EQ(counters.applied_messages_total, 3u);
  EXPECT_EQ(counters.applied_items_total, 3u);
}

TEST_F(RocksStoreTest, BranchIndexKeyWithoutPositionIsCorruption) {
  ApplyOk({MakePosition(Barcode(1), "1001", 1, 1)});
  ASSERT_TRUE(engine_->db()
                  ->Put(rocksdb::WriteOptions(), engine_->positions_by_branch(),
                        BranchIndexKey("1001", Barcode(2)), "")
                  .ok());
  EXPECT_EQ(store_->List("1001", std::nullopt, 10).status().code(), StatusCode::kCorruption);
}

TEST_F(RocksStoreTest, UnknownFormatVersionIsCorruption) {
  ASSERT_TRUE(
      engine_->db()->Put(rocksdb::WriteOptions(), engine_->meta(), "format_version", "99").ok());
  store_.reset();
  engine_.reset();
  EngineOptions options;
  options.data_dir = dir_.path() + "/db";
  EXPECT_EQ(RocksEngine::Open(options).status().code(), StatusCode::kCorruption);
}

TEST_F(RocksStoreTest, CorruptCountersAreReported) {
  ASSERT_TRUE(engine_->db()->Put(rocksdb::WriteOptions(), engine_->meta(), "counters", "xx").ok());
  store_ = std::make_unique<RocksInventoryStore>(engine_.get());
  EXPECT_EQ(store_->Counters().status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store_->Apply({}, {}).status().code(), StatusCode::kCorruption);
}

TEST(RocksEngineTest, SecondOpenOfTheSameDirectoryIsUnavailable) {
  TempDir dir;
  EngineOptions options;
  options.data_dir = dir.path() + "/db";
  Result<std::unique_ptr<RocksEngine>> first = RocksEngine::Open(options);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(RocksEngine::Open(options).status().code(), StatusCode::kUnavailable);
}

TEST(RocksEngineTest, DataDirThatIsAFileIsUnavailable) {
  TempDir dir;
  const std::string file = dir.path() + "/file";
  std::ofstream(file) << "not a directory";
  EngineOptions options;
  options.data_dir = file + "/db";
  EXPECT_EQ(RocksEngine::Open(options).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace estoque::store
