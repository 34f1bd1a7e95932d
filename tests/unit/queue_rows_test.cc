// queue_rows.h: the embedded queue's rows moved from the data directory's database (where earlier
// versions kept them) into the queue's own, once and without loss or doubles, also when a move is
// cut short; and the queue layout of the engine. Real RocksDB, a fresh directory per test.
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "queue/embedded_queue.h"
#include "queue/queue_rows.h"
#include "store/rocksdb_engine.h"
#include "support/temp_dir.h"
#include "support/test_engine.h"

namespace estoque::queue {
namespace {

using estoque::test_support::OpenTestEngine;
using estoque::test_support::TempDir;
using namespace std::chrono_literals;

Message MakeMessage(int tag) {
  Message message;
  domain::Position item;
  item.barcode = std::to_string(78900000 + tag);
  item.branch = "1001";
  item.product_name = "Produto " + std::to_string(tag);
  item.quantity_milli = tag * 1000;
  item.updated_at_us = 1'700'000'000'000'000 + tag;
  message.items.push_back(item);
  return message;
}

uint64_t EnqueueOk(EmbeddedQueue& queue, int tag) {
  std::promise<Result<uint64_t>> promise;
  queue.Enqueue(MakeMessage(tag), [&promise](Result<uint64_t> id) { promise.set_value(std::move(id)); });
  Result<uint64_t> id = promise.get_future().get();
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : 0;
}

std::size_t RowCount(store::RocksEngine& engine, rocksdb::ColumnFamilyHandle* family) {
  std::unique_ptr<rocksdb::Iterator> it(engine.db()->NewIterator(rocksdb::ReadOptions(), family));
  std::size_t rows = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
  return rows;
}

class QueueRowsTest : public ::testing::Test {
 protected:
  // The data directory's database with 3 waiting messages (ids 1..3, the 4th was applied and
  // removed) and one dead letter, as an earlier version left it.
  void SetUp() override {
    store_ = OpenTestEngine(data_dir_);
    ASSERT_NE(store_, nullptr);
    Result<std::unique_ptr<EmbeddedQueue>> old_queue = EmbeddedQueue::Open(store_.get(), {});
    ASSERT_TRUE(old_queue.ok());
    for (int tag = 1; tag <= 4; ++tag) EnqueueOk(**old_queue, tag);
    (*old_queue)->Close();
    ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), store_->queue(), store::QueueKey(4)).ok());
    ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store_->dlq(), store::QueueKey(9), "dead").ok());
    queue_db_ = OpenTestEngine(QueueDatabaseDir(data_dir_), store::EngineLayout::kQueue);
    ASSERT_NE(queue_db_, nullptr);
  }

  TempDir dir_;
  std::string data_dir_ = dir_.path() + "/data";
  std::unique_ptr<store::RocksEngine> store_;
  std::unique_ptr<store::RocksEngine> queue_db_;
};

TEST_F(QueueRowsTest, TheQueueLayoutHoldsOnlyTheQueueFamilies) {
  EXPECT_EQ(QueueDatabaseDir("/srv/estoque"), "/srv/estoque/queue");
  EXPECT_NE(queue_db_->queue(), nullptr);
  EXPECT_NE(queue_db_->dlq(), nullptr);
  EXPECT_NE(queue_db_->meta(), nullptr);
  EXPECT_EQ(queue_db_->positions(), nullptr);
  EXPECT_EQ(queue_db_->ledger(), nullptr);
  EXPECT_EQ(queue_db_->families().size(), 3u);
  EXPECT_EQ(store_->families().size(), 17u);
}

TEST_F(QueueRowsTest, MoveCarriesMessagesDeadLettersAndNextIdOnce) {
  Result<std::size_t> moved = MoveQueueRows(store_.get(), queue_db_.get());
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 4u);  // 3 messages, 1 dead letter
  EXPECT_EQ(RowCount(*store_, store_->queue()), 0u);
  EXPECT_EQ(RowCount(*store_, store_->dlq()), 0u);
  Result<QueueRows> left = ReadQueueRows(*store_);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(RowCount(*queue_db_, queue_db_->dlq()), 1u);

  // The queue opened on its own database delivers them in order, and ids go on after them.
  Result<std::unique_ptr<EmbeddedQueue>> queue = EmbeddedQueue::Open(queue_db_.get(), {});
  ASSERT_TRUE(queue.ok());
  Result<std::vector<Delivery>> received = (*queue)->Receive(10, 0ms);
  ASSERT_TRUE(received.ok());
  ASSERT_EQ(received->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*received)[i].id, static_cast<uint64_t>(i + 1));
    ASSERT_EQ((*received)[i].message.items.size(), 1u);
    EXPECT_EQ((*received)[i].message.items[0].quantity_milli, (i + 1) * 1000);
  }
  EXPECT_EQ(EnqueueOk(**queue, 5), 5u);
  (*queue)->Close();

  // A second move has nothing to do.
  moved = MoveQueueRows(store_.get(), queue_db_.get());
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 0u);
  EXPECT_EQ(RowCount(*queue_db_, queue_db_->queue()), 4u);
}

TEST_F(QueueRowsTest, AMoveCutShortIsDoneAgainWithoutLossOrDoubles) {
  // The crash came after the rows were written to the queue's database and before they were
  // removed from the data directory's: both hold them.
  Result<QueueRows> rows = ReadQueueRows(*store_);
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(WriteQueueRows(*rows, queue_db_.get()).ok());
  Result<std::size_t> moved = MoveQueueRows(store_.get(), queue_db_.get());
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(*moved, 4u);
  EXPECT_EQ(RowCount(*store_, store_->queue()), 0u);
  EXPECT_EQ(RowCount(*queue_db_, queue_db_->queue()), 3u);
  EXPECT_EQ(RowCount(*queue_db_, queue_db_->dlq()), 1u);
}

TEST_F(QueueRowsTest, TheNextIdNeverGoesBack) {
  // The queue's database already handed out ids up to 41: moving older rows keeps 42.
  QueueRows ahead;
  ahead.next_id = store::QueueKey(42);
  ASSERT_TRUE(WriteQueueRows(ahead, queue_db_.get()).ok());
  ASSERT_TRUE(MoveQueueRows(store_.get(), queue_db_.get()).ok());
  Result<QueueRows> rows = ReadQueueRows(*queue_db_);
  ASSERT_TRUE(rows.ok());
  ASSERT_TRUE(rows->next_id.has_value());
  EXPECT_EQ(store::DecodeQueueKey(*rows->next_id), 42u);

  QueueRows malformed;
  malformed.next_id = "short";
  EXPECT_EQ(WriteQueueRows(malformed, queue_db_.get()).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::queue
