// RocksEngine's storage gate and StorageMonitor against real RocksDB behaviour, with faults
// injected under it (tests/support/fault_file_system.h): a disk short of space, ENOSPC and EIO on
// WAL appends and syncs and on flushes. Writes are refused while the storage cannot take them,
// reads go on, writes come back by themselves when the disk allows (never by a DB::Resume() that
// would crash the process), and nothing acknowledged is lost across a reopen. Hermetic: each test
// owns a fresh directory under /tmp.
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include "queue/embedded_dead_letters.h"
#include "queue/embedded_queue.h"
#include "store/checkpoint.h"
#include "store/rocksdb_engine.h"
#include "support/fault_file_system.h"
#include "support/temp_dir.h"

namespace estoque::store {
namespace {

using namespace std::chrono_literals;
using estoque::test_support::FaultFileSystem;
using estoque::test_support::TempDir;
using Fault = FaultFileSystem::Fault;

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kPlenty = 1024 * kMiB;

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FaultFileSystem>();
    fs_->free_bytes = kPlenty;
    Open();
  }

  // `min_free_bytes` 8 MiB: writes accepted again at 10 MiB; 0: free space not watched.
  void Open(std::chrono::milliseconds check_interval = 5ms, int64_t min_free_bytes = 8 * kMiB) {
    EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    options.min_free_bytes = static_cast<uint64_t>(min_free_bytes);
    options.storage_check_interval = check_interval;
    options.resume_backoff_initial = 5ms;
    options.resume_backoff_max = 40ms;
    options.file_system = fs_;
    Result<std::unique_ptr<RocksEngine>> engine = RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  void Reopen(std::chrono::milliseconds check_interval = 5ms, int64_t min_free_bytes = 8 * kMiB) {
    engine_.reset();
    Open(check_interval, min_free_bytes);
  }

  Status Put(const std::string& key, bool sync = true) {
    rocksdb::WriteBatch batch;
    batch.Put(engine_->meta(), key, "v");
    rocksdb::WriteOptions options;
    options.sync = sync;
    return engine_->Write(options, &batch, "test write");
  }

  bool Has(const std::string& key) {
    std::string value;
    return engine_->db()->Get(rocksdb::ReadOptions(), engine_->meta(), key, &value).ok();
  }

  // Writes keys k<first>..k<first+count-1>; all must be accepted.
  void PutKeys(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      ASSERT_TRUE(Put("k" + std::to_string(i)).ok()) << i;
    }
  }
  void ExpectKeys(int first, int count) {
    for (int i = first; i < first + count; ++i) EXPECT_TRUE(Has("k" + std::to_string(i))) << i;
  }

  bool Condition(StorageCondition expected) {
    return Eventually([&] { return engine_->storage_condition() == expected; });
  }

  TempDir dir_;
  std::shared_ptr<FaultFileSystem> fs_;
  std::unique_ptr<RocksEngine> engine_;
};

TEST_F(StorageTest, LowFreeSpaceRefusesWritesBeforeRocksDbAndReopensWithHysteresis) {
  PutKeys(0, 10);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kOk);

  fs_->free_bytes = 7 * kMiB;  // below the 8 MiB minimum
  ASSERT_TRUE(Condition(StorageCondition::kNoSpace));
  const uint64_t appends = fs_->wal_appends.load();
  const Status refused = Put("refused");
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find("no_space"), std::string::npos) << refused.message();
  EXPECT_EQ(fs_->wal_appends.load(), appends);  // never reached RocksDB
  ExpectKeys(0, 10);                            // reads go on
  const StorageHealth health = engine_->storage_health();
  EXPECT_EQ(health.free_bytes, static_cast<uint64_t>(7 * kMiB));
  EXPECT_FALSE(health.restart_required);
  EXPECT_NE(health.reason.find("below the minimum"), std::string::npos) << health.reason;

  fs_->free_bytes = 9 * kMiB;  // above the minimum, below 1.25x: still refused
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);

  fs_->free_bytes = 10 * kMiB;
  ASSERT_TRUE(Condition(StorageCondition::kOk));
  EXPECT_TRUE(Put("accepted").ok());
  EXPECT_EQ(engine_->storage_health().resumes_total, 0u);  // RocksDB never stopped
}

TEST_F(StorageTest, WalAppendOutOfSpaceClosesTheGateAndResumesWhenSpaceReturns) {
  PutKeys(0, 50);
  // The disk fills up faster than the free-space check: RocksDB itself gets ENOSPC, on the first
  // write after a restart (every memtable flushed, a fresh WAL: resumable only thanks to the
  // sentinel).
  Reopen(/*check_interval=*/1h);  // the monitor then looks only when woken
  fs_->wal_append = Fault::kNoSpace;
  fs_->free_bytes = 0;
  const Status failed = Put("failed");
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_NE(failed.message().find("No space"), std::string::npos) << failed.message();
  // The listener closed the gate before the failing write returned.
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  ExpectKeys(0, 50);
  EXPECT_EQ(Put("refused").code(), StatusCode::kUnavailable);

  // Still no space: RocksDB is not resumed.
  engine_->CheckStorageSoon();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  EXPECT_EQ(engine_->storage_health().resumes_total, 0u);

  fs_->wal_append = Fault::kNone;
  fs_->free_bytes = kPlenty;
  engine_->CheckStorageSoon();
  ASSERT_TRUE(Condition(StorageCondition::kOk)) << engine_->storage_health().reason;
  EXPECT_EQ(engine_->storage_health().resumes_total, 1u);
  PutKeys(50, 50);

  Reopen();
  ExpectKeys(0, 100);
  EXPECT_FALSE(Has("failed"));
  EXPECT_FALSE(Has("refused"));
  PutKeys(100, 1);
}

TEST_F(StorageTest, RocksDbOutOfSpaceOnTheWalIsRecoveredWithoutTheWatermark) {
  // The same on a data directory whose free space is not watched (min_free_bytes = 0): the
  // RocksDB error alone closes the gate, and the monitor resumes once 64 MiB are free.
  Reopen(5ms, /*min_free_bytes=*/0);
  PutKeys(0, 20);
  fs_->wal_append = Fault::kNoSpace;
  fs_->free_bytes = 0;
  const Status failed = Put("failed");
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  fs_->wal_append = Fault::kNone;
  fs_->free_bytes = 63 * kMiB;
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  fs_->free_bytes = 64 * kMiB;
  ASSERT_TRUE(Condition(StorageCondition::kOk)) << engine_->storage_health().reason;
  EXPECT_EQ(engine_->storage_health().resumes_total, 1u);
  PutKeys(20, 20);
  Reopen(5ms, 0);
  ExpectKeys(0, 40);
  EXPECT_FALSE(Has("failed"));
}

TEST_F(StorageTest, EnqueueWhoseFsyncFailsIsNeverAcknowledged) {
  Reopen(/*check_interval=*/1h);
  Result<std::unique_ptr<queue::EmbeddedQueue>> opened =
      queue::EmbeddedQueue::Open(engine_.get(), queue::EmbeddedQueueOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<queue::EmbeddedQueue> queue = std::move(*opened);
  auto enqueue = [&](int tag) {
    queue::Message message;
    domain::Position item;
    item.barcode = "789000000" + std::to_string(1000 + tag);
    item.branch = "1001";
    item.product_name = "Produto";
    item.quantity_milli = tag * 1000;
    item.updated_at_us = 1'700'000'000'000'000 + tag;
    message.items.push_back(item);
    std::promise<Result<uint64_t>> answered;
    queue->Enqueue(std::move(message),
                   [&answered](Result<uint64_t> id) { answered.set_value(std::move(id)); });
    return answered.get_future().get();
  };

  Result<uint64_t> first = enqueue(1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  fs_->free_bytes = 0;              // (the monitor looks only when woken: see the fixture)
  fs_->wal_sync = Fault::kNoSpace;  // the record is written, its fsync fails
  Result<uint64_t> second = enqueue(2);
  EXPECT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  Result<uint64_t> third = enqueue(3);  // refused at the gate
  EXPECT_EQ(third.status().code(), StatusCode::kUnavailable);

  fs_->wal_sync = Fault::kNone;
  fs_->free_bytes = kPlenty;
  engine_->CheckStorageSoon();
  ASSERT_TRUE(Condition(StorageCondition::kOk)) << engine_->storage_health().reason;
  Result<uint64_t> fourth = enqueue(4);
  ASSERT_TRUE(fourth.ok()) << fourth.status().ToString();

  queue.reset();
  Reopen();
  opened = queue::EmbeddedQueue::Open(engine_.get(), queue::EmbeddedQueueOptions{});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Result<std::vector<queue::Delivery>> waiting = (*opened)->Receive(100, 0ms);
  ASSERT_TRUE(waiting.ok());
  std::vector<uint64_t> ids;
  for (const queue::Delivery& delivery : *waiting) ids.push_back(delivery.id);
  // Exactly the acknowledged messages: the one whose fsync failed did not come back.
  EXPECT_EQ(ids, (std::vector<uint64_t>{*first, *fourth}));
}

// The dead-letter queue's moves (dead-letter, replay, drop) and an online backup's checkpoint go
// through the same gate as every other write: refused while the disk is short, nothing moved or
// left behind, and done once space is back.
TEST_F(StorageTest, DeadLetterMovesAndCheckpointsWaitForTheDisk) {
  Result<std::unique_ptr<queue::EmbeddedQueue>> opened_queue =
      queue::EmbeddedQueue::Open(engine_.get(), queue::EmbeddedQueueOptions{});
  ASSERT_TRUE(opened_queue.ok()) << opened_queue.status().ToString();
  std::unique_ptr<queue::EmbeddedQueue> queue = std::move(*opened_queue);
  Result<std::unique_ptr<queue::EmbeddedDeadLetterQueue>> opened_letters =
      queue::EmbeddedDeadLetterQueue::Open(engine_.get(), queue.get());
  ASSERT_TRUE(opened_letters.ok()) << opened_letters.status().ToString();
  std::unique_ptr<queue::EmbeddedDeadLetterQueue> letters = std::move(*opened_letters);
  for (int tag = 0; tag < 2; ++tag) {
    queue::Message message;
    domain::Position item;
    item.barcode = "789000000" + std::to_string(1000 + tag);
    item.branch = "1001";
    item.product_name = "Produto";
    item.quantity_milli = 1000;
    item.updated_at_us = 1'700'000'000'000'000 + tag;
    message.items.push_back(item);
    std::promise<Result<uint64_t>> answered;
    queue->Enqueue(std::move(message),
                   [&answered](Result<uint64_t> id) { answered.set_value(std::move(id)); });
    ASSERT_TRUE(answered.get_future().get().ok());
  }
  Result<std::vector<queue::Delivery>> received = queue->Receive(10, 0ms);
  ASSERT_TRUE(received.ok());
  ASSERT_EQ(received->size(), 2u);
  const queue::DeliveryFailure failure{Status::Internal("boom"), 3, 1, 2};
  ASSERT_TRUE(letters->Add((*received)[0], failure).ok());
  const uint64_t dead_id = (*received)[0].id;

  fs_->free_bytes = 7 * kMiB;
  ASSERT_TRUE(Condition(StorageCondition::kNoSpace));
  const uint64_t appends = fs_->wal_appends.load();
  EXPECT_EQ(letters->Add((*received)[1], failure).code(), StatusCode::kUnavailable);
  Result<queue::DeadLetterOutcome> replayed = letters->Replay({false, {dead_id}});
  EXPECT_EQ(replayed.status().code(), StatusCode::kUnavailable);
  Result<queue::DeadLetterOutcome> dropped = letters->Drop({false, {dead_id}});
  EXPECT_EQ(dropped.status().code(), StatusCode::kUnavailable);
  const std::string checkpoint_dir = dir_.path() + "/checkpoint";
  const Status checkpoint = CreateCheckpoint(*engine_, checkpoint_dir);
  EXPECT_EQ(checkpoint.code(), StatusCode::kUnavailable) << checkpoint.ToString();
  EXPECT_NE(checkpoint.message().find("no_space"), std::string::npos) << checkpoint.message();
  EXPECT_FALSE(std::filesystem::exists(checkpoint_dir));
  EXPECT_EQ(fs_->wal_appends.load(), appends);  // none reached RocksDB
  EXPECT_EQ(letters->Depth(), 1u);              // nothing moved
  EXPECT_EQ(queue->Stats().depth_messages, 1u);

  fs_->free_bytes = kPlenty;
  ASSERT_TRUE(Condition(StorageCondition::kOk));
  EXPECT_TRUE(letters->Add((*received)[1], failure).ok());
  dropped = letters->Drop({false, {dead_id}});
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->done, std::vector<uint64_t>{dead_id});
  EXPECT_TRUE(CreateCheckpoint(*engine_, checkpoint_dir).ok());
  EXPECT_TRUE(std::filesystem::exists(checkpoint_dir + "/CURRENT"));
}

TEST_F(StorageTest, FlushOutOfSpaceStopsWritesUntilSpaceReturns) {
  PutKeys(0, 30);
  fs_->free_bytes = 0;
  fs_->table_append = Fault::kNoSpace;
  rocksdb::FlushOptions flush;
  const rocksdb::Status flushed = engine_->db()->Flush(flush, engine_->families());
  EXPECT_FALSE(flushed.ok());
  ASSERT_TRUE(Condition(StorageCondition::kNoSpace));
  EXPECT_EQ(Put("refused").code(), StatusCode::kUnavailable);
  ExpectKeys(0, 30);

  fs_->table_append = Fault::kNone;
  fs_->free_bytes = kPlenty;
  ASSERT_TRUE(Condition(StorageCondition::kOk)) << engine_->storage_health().reason;
  PutKeys(30, 30);
  Reopen();
  ExpectKeys(0, 60);
}

TEST_F(StorageTest, WalFailureWithEveryMemtableEmptyWaitsForARestartInsteadOfCrashing) {
  Reopen(/*check_interval=*/1h);  // the sentinel is not put back before the failure
  PutKeys(0, 20);
  // Every memtable flushed, the sentinel's too: the next write is the first of a new WAL. If it
  // fails, RocksDB 7.8 would resume without switching WAL and abort at the next write; the
  // monitor must not resume.
  std::vector<rocksdb::ColumnFamilyHandle*> all = engine_->families();
  all.push_back(engine_->db()->DefaultColumnFamily());
  ASSERT_TRUE(engine_->db()->Flush(rocksdb::FlushOptions(), all).ok());
  fs_->wal_append = Fault::kNoSpace;
  EXPECT_EQ(Put("failed").code(), StatusCode::kUnavailable);
  ASSERT_TRUE(Condition(StorageCondition::kNoSpace));
  fs_->wal_append = Fault::kNone;
  engine_->CheckStorageSoon();
  ASSERT_TRUE(Eventually([&] { return engine_->storage_health().restart_required; }));
  engine_->CheckStorageSoon();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  EXPECT_EQ(Put("refused").code(), StatusCode::kUnavailable);  // and no crash
  ExpectKeys(0, 20);

  Reopen();  // what the operator does
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kOk);
  ExpectKeys(0, 20);
  EXPECT_FALSE(Has("failed"));
  PutKeys(20, 10);
  ExpectKeys(20, 10);
}

TEST_F(StorageTest, WalFailureWithAFlushDueWaitsForARestartInsteadOfHanging) {
  PutKeys(0, 20);
  // RocksDB's only flush thread is kept busy, so that the flush asked for below is scheduled
  // before writes stop and runs after: RocksDB 7.8 then loses it, and a DB::Resume() would wait
  // for it forever (and so would shutdown).
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> busy;
  struct Blocker {
    std::promise<void>* busy;
    std::shared_future<void> released;
  } blocker{&busy, released};
  rocksdb::Env::Default()->Schedule(
      [](void* arg) {
        auto* blocker = static_cast<Blocker*>(arg);
        blocker->busy->set_value();
        blocker->released.wait();
      },
      &blocker, rocksdb::Env::Priority::HIGH);
  busy.get_future().wait();
  rocksdb::FlushOptions no_wait;
  no_wait.wait = false;
  ASSERT_TRUE(engine_->db()->Flush(no_wait, engine_->meta()).ok());
  fs_->free_bytes = 0;  // (no resume yet)
  fs_->wal_append = Fault::kNoSpace;
  EXPECT_EQ(Put("failed").code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  release.set_value();  // the flush job runs now, finds writes stopped, and drops the flush
  ASSERT_TRUE(Eventually([&] {
    uint64_t running = 0;
    return engine_->db()->GetIntProperty("rocksdb.num-running-flushes", &running) &&
           running == 0;
  }));
  std::this_thread::sleep_for(1500ms);  // RocksDB waits 1 s after a failed flush job

  fs_->wal_append = Fault::kNone;
  fs_->free_bytes = kPlenty;
  engine_->CheckStorageSoon();
  ASSERT_TRUE(Eventually([&] { return engine_->storage_health().restart_required; }))
      << engine_->storage_health().reason;
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kNoSpace);
  ExpectKeys(0, 20);

  Reopen();  // does not hang
  ExpectKeys(0, 20);
  EXPECT_FALSE(Has("failed"));
  PutKeys(20, 5);
}

TEST_F(StorageTest, IoErrorOnTheWalIsReportedAsSuchAndNeedsARestart) {
  PutKeys(0, 20);
  fs_->wal_append = Fault::kIoError;
  EXPECT_EQ(Put("failed").code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kIoError);
  fs_->wal_append = Fault::kNone;
  ASSERT_TRUE(Eventually([&] { return engine_->storage_health().restart_required; }));
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kIoError);
  ExpectKeys(0, 20);

  Reopen();
  EXPECT_EQ(engine_->storage_condition(), StorageCondition::kOk);
  ExpectKeys(0, 20);
  PutKeys(20, 5);
}

}  // namespace
}  // namespace estoque::store
