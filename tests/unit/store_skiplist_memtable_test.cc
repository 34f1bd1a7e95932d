// The memtable representation (store/skiplist_memtable.h) inside a real RocksDB: everything a
// memtable serves (Get, MultiGet, iterators both ways, Seek, SeekForPrev, snapshots of older
// versions, flush) equals a std::map model, for the insert patterns of the stores (a prefix's
// appends, a key's new versions, random keys, deletes), with and without insert hints, in
// bytewise and reverse order; and readers running beside the writer see sorted, growing data.
// Hermetic: each test owns a fresh directory under /tmp.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include "store/skiplist_memtable.h"
#include "support/temp_dir.h"

namespace estoque::store {
namespace {

using estoque::test_support::TempDir;
using Model = std::map<std::string, std::string, std::function<bool(const std::string&, const std::string&)>>;

enum class Hint { kNone, kFixedPrefix, kWholeKey };

struct MemTableSetup {
  Hint hint = Hint::kNone;
  bool reverse = false;
  // The hint prefix goes to the representation (as estoque configures it), not to RocksDB's
  // memtable_insert_with_hint_prefix_extractor.
  bool rep_hints = false;
};

class Db {
 public:
  Db(const std::string& dir, MemTableSetup setup) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.allow_concurrent_memtable_write = false;
    options.write_buffer_size = 256 << 20;  // everything stays in the memtable until Flush()
    if (setup.reverse) options.comparator = rocksdb::ReverseBytewiseComparator();
    std::shared_ptr<const rocksdb::SliceTransform> prefix;
    if (setup.hint == Hint::kFixedPrefix) {
      prefix.reset(rocksdb::NewFixedPrefixTransform(4));
    } else if (setup.hint == Hint::kWholeKey) {
      prefix.reset(rocksdb::NewNoopTransform());
    }
    options.memtable_factory = NewSkipListMemTableFactory(setup.rep_hints ? prefix : nullptr);
    if (!setup.rep_hints) options.memtable_insert_with_hint_prefix_extractor = prefix;
    rocksdb::DB* db = nullptr;
    rocksdb::Status opened = rocksdb::DB::Open(options, dir, &db);
    EXPECT_TRUE(opened.ok()) << opened.ToString();
    db_.reset(db);
  }
  rocksdb::DB* operator->() { return db_.get(); }
  rocksdb::DB* get() { return db_.get(); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

Model EmptyModel(bool reverse) {
  if (reverse) return Model([](const std::string& a, const std::string& b) { return a > b; });
  return Model([](const std::string& a, const std::string& b) { return a < b; });
}

// Keys of the stores' shapes: "pNNN" prefixes with growing suffixes (a product-branch's ledger),
// a few hot keys rewritten (positions), and random keys; about one write in eight deletes.
void WriteRandomBatches(rocksdb::DB* db, Model* model, std::mt19937* random, int batches) {
  static int64_t clock = 0;
  for (int b = 0; b < batches; ++b) {
    rocksdb::WriteBatch batch;
    const int writes = 1 + static_cast<int>((*random)() % 64);
    for (int w = 0; w < writes; ++w) {
      std::string key;
      switch ((*random)() % 3) {
        case 0: {  // append to a prefix
          char prefix[8];
          std::snprintf(prefix, sizeof(prefix), "p%03u", static_cast<unsigned>((*random)() % 50));
          char suffix[24];
          std::snprintf(suffix, sizeof(suffix), "%012lld", static_cast<long long>(++clock));
          key = std::string(prefix) + suffix;
          break;
        }
        case 1:  // a new version of a hot key
          key = "h" + std::to_string((*random)() % 40);
          break;
        default:
          key = "r" + std::to_string((*random)());
      }
      if ((*random)() % 8 == 0 && !model->empty()) {
        // delete an existing key (or a missing one, which changes nothing)
        auto it = model->lower_bound(key);
        if (it != model->end() && (*random)() % 2 == 0) key = it->first;
        batch.Delete(key);
        model->erase(key);
      } else {
        const std::string value = "v" + std::to_string((*random)());
        batch.Put(key, value);
        (*model)[key] = value;
      }
    }
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
  }
}

// Every read path against the model, at `snapshot` (null: now).
void ExpectMatches(rocksdb::DB* db, const Model& model, std::mt19937* random,
                   const rocksdb::Snapshot* snapshot = nullptr) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  // Forward and backward scans.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  auto expected = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    ASSERT_NE(expected, model.end());
    ASSERT_EQ(it->key().ToString(), expected->first);
    ASSERT_EQ(it->value().ToString(), expected->second);
  }
  ASSERT_TRUE(it->status().ok());
  ASSERT_EQ(expected, model.end());
  auto backward = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++backward) {
    ASSERT_NE(backward, model.rend());
    ASSERT_EQ(it->key().ToString(), backward->first);
  }
  ASSERT_EQ(backward, model.rend());
  // Point reads of present and absent keys, alone and together.
  std::vector<std::string> keys;
  for (const auto& [key, value] : model) {
    if ((*random)() % 4 == 0) keys.push_back(key);
  }
  for (int i = 0; i < 200; ++i) keys.push_back("r" + std::to_string((*random)()));
  keys.push_back("h999");
  for (const std::string& key : keys) {
    std::string value;
    rocksdb::Status got = db->Get(read, key, &value);
    auto found = model.find(key);
    if (found == model.end()) {
      ASSERT_TRUE(got.IsNotFound()) << key;
    } else {
      ASSERT_TRUE(got.ok()) << key << ": " << got.ToString();
      ASSERT_EQ(value, found->second);
    }
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses = db->MultiGet(read, slices, &values);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_EQ(statuses[i].ok(), model.count(keys[i]) == 1) << keys[i];
  }
  // Seek and SeekForPrev to random targets, then a few steps each way.
  for (int i = 0; i < 300; ++i) {
    std::string target;
    if (!model.empty() && i % 2 == 0) {
      auto pick = model.begin();
      std::advance(pick, (*random)() % model.size());
      target = pick->first;
      if (i % 4 == 0) target.push_back('\0');  // just after an existing key
    } else {
      target = std::string(1, "hpr"[(*random)() % 3]) + std::to_string((*random)() % 1000);
    }
    it->Seek(target);
    auto lower = std::find_if(model.begin(), model.end(), [&](const auto& entry) {
      return !model.key_comp()(entry.first, target);
    });
    for (int step = 0; step < 3; ++step, ++lower) {
      if (lower == model.end()) {
        ASSERT_FALSE(it->Valid()) << target;
        break;
      }
      ASSERT_TRUE(it->Valid()) << target;
      ASSERT_EQ(it->key().ToString(), lower->first);
      it->Next();
    }
    it->SeekForPrev(target);
    auto upper = std::find_if(model.rbegin(), model.rend(), [&](const auto& entry) {
      return !model.key_comp()(target, entry.first);
    });
    for (int step = 0; step < 3; ++step, ++upper) {
      if (upper == model.rend()) {
        ASSERT_FALSE(it->Valid()) << target;
        break;
      }
      ASSERT_TRUE(it->Valid()) << target;
      ASSERT_EQ(it->key().ToString(), upper->first);
      it->Prev();
    }
  }
}

class SkipListMemTableModelTest : public ::testing::TestWithParam<MemTableSetup> {};

TEST_P(SkipListMemTableModelTest, EveryReadEqualsTheModelBeforeAndAfterFlushAndAtSnapshots) {
  TempDir dir;
  Db db(dir.path(), GetParam());
  std::mt19937 random(20261126);
  Model model = EmptyModel(GetParam().reverse);
  WriteRandomBatches(db.get(), &model, &random, 300);
  const rocksdb::Snapshot* snapshot = db->GetSnapshot();
  const Model at_snapshot = model;
  WriteRandomBatches(db.get(), &model, &random, 300);  // new versions over the snapshot's
  ExpectMatches(db.get(), model, &random);
  ExpectMatches(db.get(), at_snapshot, &random, snapshot);
  // Flushing reads the memtable through its iterator: the files must hold the same.
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  ExpectMatches(db.get(), model, &random);
  ExpectMatches(db.get(), at_snapshot, &random, snapshot);
  db->ReleaseSnapshot(snapshot);
  // A new memtable over the flushed data.
  WriteRandomBatches(db.get(), &model, &random, 100);
  ExpectMatches(db.get(), model, &random);
}

INSTANTIATE_TEST_SUITE_P(Patterns, SkipListMemTableModelTest,
                         ::testing::Values(MemTableSetup{Hint::kNone, false}, MemTableSetup{Hint::kFixedPrefix, false},
                                           MemTableSetup{Hint::kWholeKey, false}, MemTableSetup{Hint::kNone, true},
                                           MemTableSetup{Hint::kFixedPrefix, true},
                                           MemTableSetup{Hint::kFixedPrefix, false, true},
                                           MemTableSetup{Hint::kWholeKey, false, true},
                                           MemTableSetup{Hint::kFixedPrefix, true, true}));

TEST(SkipListMemTableTest, ManyVersionsOfOneKeyKeepTheNewestFirst) {
  TempDir dir;
  Db db(dir.path(), MemTableSetup{Hint::kWholeKey, false, true});
  std::vector<const rocksdb::Snapshot*> snapshots;
  for (int version = 0; version < 2000; ++version) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "k", std::to_string(version)).ok());
    if (version % 500 == 0) snapshots.push_back(db->GetSnapshot());
  }
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "k", &value).ok());
  EXPECT_EQ(value, "1999");
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    rocksdb::ReadOptions read;
    read.snapshot = snapshots[i];
    ASSERT_TRUE(db->Get(read, "k", &value).ok());
    EXPECT_EQ(value, std::to_string(i * 500));
    db->ReleaseSnapshot(snapshots[i]);
  }
}

// One writer appends keys "a<n>" in order while readers scan: every scan is sorted and complete
// up to what the writer had acknowledged before it started (nothing published is half-built).
TEST(SkipListMemTableTest, ReadersBesideTheWriterSeeSortedCompleteData) {
  TempDir dir;
  Db db(dir.path(), MemTableSetup{Hint::kFixedPrefix, false, true});
  constexpr int kKeys = 20000;
  std::atomic<int> written{0};
  std::atomic<bool> failed{false};
  auto key_of = [](int n) {
    char key[16];
    std::snprintf(key, sizeof(key), "a%08d", n);
    return std::string(key);
  };
  std::thread writer([&] {
    for (int n = 0; n < kKeys; ++n) {
      rocksdb::WriteBatch batch;
      batch.Put(key_of(n), "v");
      if (!db->Write(rocksdb::WriteOptions(), &batch).ok()) failed = true;
      written.store(n + 1, std::memory_order_release);
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (written.load(std::memory_order_acquire) < kKeys && !failed) {
        const int before = written.load(std::memory_order_acquire);
        std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
        int seen = 0;
        std::string previous;
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          const std::string key = it->key().ToString();
          if (key != key_of(seen) || (!previous.empty() && key <= previous)) failed = true;
          previous = key;
          ++seen;
        }
        if (seen < before) failed = true;
        std::string value;
        if (before > 0 && !db->Get(rocksdb::ReadOptions(), key_of(before - 1), &value).ok()) {
          failed = true;
        }
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) reader.join();
  EXPECT_FALSE(failed);
}

}  // namespace
}  // namespace estoque::store
