// EmbeddedQueue: order, ids across restarts, redelivery, bounds, Close and group commit.
// Hermetic: each test owns a fresh directory under /tmp.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/clock.h"
#include "queue/embedded_queue.h"
#include "store/rocksdb_engine.h"
#include "store/rocks_inventory_store.h"

namespace estoque::queue {
namespace {

using namespace std::chrono_literals;

using estoque::test_support::TempDir;

Message MakeMessage(int tag, int items = 2) {
  Message message;
  for (int i = 0; i < items; ++i) {
    domain::Position item;
    item.barcode = std::to_string(78900000 + tag);
    item.branch = "100" + std::to_string(i);
    item.product_name = "Produto " + std::to_string(tag);
    item.quantity_milli = tag * 1000 + i;
    item.updated_at_us = 1'700'000'000'000'000 + tag;
    message.items.push_back(item);
  }
  return message;
}

Result<uint64_t> EnqueueAndWait(MessageQueue* queue, Message message) {
  std::promise<Result<uint64_t>> promise;
  std::future<Result<uint64_t>> future = promise.get_future();
  queue->Enqueue(std::move(message),
                 [&promise](Result<uint64_t> id) { promise.set_value(std::move(id)); });
  return future.get();
}

class EmbeddedQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(EmbeddedQueueOptions queue_options = {}) {
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    Result<std::unique_ptr<EmbeddedQueue>> queue = EmbeddedQueue::Open(engine_.get(), queue_options);
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(*queue);
  }

  void Reopen(EmbeddedQueueOptions queue_options = {}) {
    queue_.reset();
    engine_.reset();
    Open(queue_options);
  }

  uint64_t EnqueueOk(int tag) {
    Result<uint64_t> id = EnqueueAndWait(queue_.get(), MakeMessage(tag));
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::vector<Delivery> ReceiveOk(std::size_t max, std::chrono::milliseconds wait = 0ms) {
    Result<std::vector<Delivery>> received = queue_->Receive(max, wait);
    EXPECT_TRUE(received.ok());
    return received.ok() ? std::move(*received) : std::vector<Delivery>{};
  }

  std::size_t QueueRows() {
    std::unique_ptr<rocksdb::Iterator> it(
        engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->queue()));
    std::size_t rows = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
    return rows;
  }

  // What the store's Apply does for a consumed message: delete its row.
  void ConsumeRows(const std::vector<Delivery>& deliveries) {
    store::RocksInventoryStore store(engine_.get());
    std::vector<uint64_t> ids;
    for (const Delivery& d : deliveries) ids.push_back(d.id);
    ASSERT_TRUE(store.Apply({}, ids).ok());
  }

  TempDir dir_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<EmbeddedQueue> queue_;
};

TEST_F(EmbeddedQueueTest, DeliversInIdOrderAndAcknowledgeReleases) {
  std::vector<uint64_t> ids;
  for (int tag = 0; tag < 10; ++tag) ids.push_back(EnqueueOk(tag));
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);
  EXPECT_EQ(queue_->Stats().depth_messages, 10u);
  EXPECT_GT(queue_->Stats().depth_bytes, 0u);

  std::vector<Delivery> first = ReceiveOk(4);
  ASSERT_EQ(first.size(), 4u);
  std::vector<Delivery> rest = ReceiveOk(100);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_TRUE(ReceiveOk(100, 20ms).empty());  // handed out: not again in this process

  for (int i = 0; i < 10; ++i) {
    const Delivery& d = i < 4 ? first[i] : rest[i - 4];
    EXPECT_EQ(d.id, ids[i]);
    EXPECT_EQ(d.attempt, 1u);
    const Message expected = MakeMessage(i);
    ASSERT_EQ(d.message.items.size(), expected.items.size());
    EXPECT_EQ(d.message.items[0], expected.items[0]);
    EXPECT_GT(d.message.enqueued_at_us, 0);
  }
  // Handed out but not acknowledged: still waiting.
  EXPECT_EQ(queue_->Stats().depth_messages, 10u);
  ASSERT_TRUE(queue_->Acknowledge(first).ok());
  EXPECT_EQ(queue_->Stats().depth_messages, 6u);
  ASSERT_TRUE(queue_->Acknowledge(first).ok());  // idempotent
  // Out of order acknowledgement.
  std::vector<Delivery> reversed(rest.rbegin(), rest.rend());
  ASSERT_TRUE(queue_->Acknowledge(std::span<const Delivery>(reversed).subspan(0, 3)).ok());
  EXPECT_EQ(queue_->Stats().depth_messages, 3u);
  ASSERT_TRUE(queue_->Acknowledge(rest).ok());
  const QueueStats stats = queue_->Stats();
  EXPECT_EQ(stats.depth_messages, 0u);
  EXPECT_EQ(stats.depth_bytes, 0u);
  EXPECT_EQ(stats.oldest_age_ms, 0);
  EXPECT_EQ(stats.enqueued_messages_total, 10u);
  // The store deletes the rows in the embedded wiring, not Acknowledge.
  EXPECT_EQ(QueueRows(), 10u);
}

TEST_F(EmbeddedQueueTest, ReceiveWaitsForAMessage) {
  std::thread producer([this] {
    std::this_thread::sleep_for(30ms);
    EnqueueOk(1);
  });
  std::vector<Delivery> received = ReceiveOk(10, 5000ms);
  producer.join();
  ASSERT_EQ(received.size(), 1u);
}

TEST_F(EmbeddedQueueTest, IdsKeepIncreasingAcrossReopenAlsoWhenEmpty) {
  const uint64_t a = EnqueueOk(1);
  const uint64_t b = EnqueueOk(2);
  std::vector<Delivery> all = ReceiveOk(10);
  ConsumeRows(all);
  ASSERT_TRUE(queue_->Acknowledge(all).ok());
  ASSERT_EQ(QueueRows(), 0u);
  Reopen();
  EXPECT_TRUE(ReceiveOk(10).empty());
  const uint64_t c = EnqueueOk(3);
  EXPECT_GT(c, b);
  EXPECT_GT(b, a);
  // Not empty at close: the last row decides too.
  Reopen();
  EXPECT_GT(EnqueueOk(4), c);
}

TEST_F(EmbeddedQueueTest, UnacknowledgedMessagesAreDeliveredAgainAfterReopen) {
  std::vector<uint64_t> ids;
  for (int tag = 0; tag < 5; ++tag) ids.push_back(EnqueueOk(tag));
  std::vector<Delivery> all = ReceiveOk(10);
  ASSERT_EQ(all.size(), 5u);
  // Only the first two were applied (their rows deleted by the store) before "the crash".
  ConsumeRows({all[0], all[1]});
  ASSERT_TRUE(queue_->Acknowledge(std::span<const Delivery>(all).subspan(0, 2)).ok());
  Reopen();
  const QueueStats stats = queue_->Stats();
  EXPECT_EQ(stats.depth_messages, 3u);
  EXPECT_GT(stats.depth_bytes, 0u);
  std::vector<Delivery> again = ReceiveOk(10);
  ASSERT_EQ(again.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(again[i].id, ids[i + 2]);
    EXPECT_EQ(again[i].message.items, MakeMessage(i + 2).items);
    EXPECT_EQ(again[i].message.enqueued_at_us, all[i + 2].message.enqueued_at_us);
  }
}

TEST_F(EmbeddedQueueTest, DeleteOnAcknowledgeRemovesRows) {
  EmbeddedQueueOptions options;
  options.delete_on_acknowledge = true;
  Reopen(options);
  EnqueueOk(1);
  EnqueueOk(2);
  std::vector<Delivery> all = ReceiveOk(10);
  ASSERT_EQ(QueueRows(), 2u);
  ASSERT_TRUE(queue_->Acknowledge(std::span<const Delivery>(all).subspan(0, 1)).ok());
  EXPECT_EQ(QueueRows(), 1u);
  Reopen(options);
  std::vector<Delivery> again = ReceiveOk(10);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, all[1].id);
}

TEST_F(EmbeddedQueueTest, BoundsGiveResourceExhausted) {
  EmbeddedQueueOptions options;
  options.max_messages = 3;
  Reopen(options);
  for (int tag = 0; tag < 3; ++tag) EnqueueOk(tag);
  bool called_inline = false;
  queue_->Enqueue(MakeMessage(9), [&](Result<uint64_t> id) {
    called_inline = true;
    EXPECT_EQ(id.status().code(), StatusCode::kResourceExhausted);
  });
  EXPECT_TRUE(called_inline);
  // Handing out does not free room; acknowledging does.
  std::vector<Delivery> one = ReceiveOk(1);
  EXPECT_EQ(EnqueueAndWait(queue_.get(), MakeMessage(9)).status().code(),
            StatusCode::kResourceExhausted);
  ASSERT_TRUE(queue_->Acknowledge(one).ok());
  EXPECT_TRUE(EnqueueAndWait(queue_.get(), MakeMessage(9)).ok());

  options.max_messages = 1000;
  options.max_bytes = 200;
  // The 4 rows not applied by a store reload (acknowledging alone does not delete them here), and
  // they exceed the byte bound already.
  Reopen(options);
  EXPECT_EQ(EnqueueAndWait(queue_.get(), MakeMessage(10)).status().code(),
            StatusCode::kResourceExhausted);
  std::vector<Delivery> all = ReceiveOk(10);
  ASSERT_EQ(all.size(), 4u);
  ConsumeRows(all);
  ASSERT_TRUE(queue_->Acknowledge(all).ok());
  EXPECT_TRUE(EnqueueAndWait(queue_.get(), MakeMessage(10, 1)).ok());
  EXPECT_EQ(EnqueueAndWait(queue_.get(), MakeMessage(11, 5)).status().code(),
            StatusCode::kResourceExhausted);
}

TEST_F(EmbeddedQueueTest, CloseRefusesEnqueueAndWakesReceivers) {
  EnqueueOk(1);
  std::thread closer([this] {
    std::this_thread::sleep_for(30ms);
    queue_->Close();
  });
  // Take the one message, then wait: Close() must wake us long before the timeout.
  EXPECT_EQ(ReceiveOk(10).size(), 1u);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(ReceiveOk(10, 10'000ms).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5'000ms);
  closer.join();

  bool called_inline = false;
  queue_->Enqueue(MakeMessage(2), [&](Result<uint64_t> id) {
    called_inline = true;
    EXPECT_EQ(id.status().code(), StatusCode::kUnavailable);
  });
  EXPECT_TRUE(called_inline);
  queue_->Close();  // idempotent
}

TEST_F(EmbeddedQueueTest, CloseCommitsWhatWasAccepted) {
  std::atomic<int> durable{0};
  std::atomic<int> refused{0};
  for (int tag = 0; tag < 200; ++tag) {
    queue_->Enqueue(MakeMessage(tag), [&](Result<uint64_t> id) {
      (id.ok() ? durable : refused).fetch_add(1);
    });
  }
  queue_->Close();
  EXPECT_EQ(durable.load() + refused.load(), 200);
  EXPECT_EQ(refused.load(), 0);
  Reopen();
  EXPECT_EQ(queue_->Stats().depth_messages, 200u);
}

TEST_F(EmbeddedQueueTest, ConcurrentProducersGetDistinctIdsInOneGroupCommit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::mutex ids_mutex;
  std::vector<uint64_t> ids;
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> producers;
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        queue_->Enqueue(MakeMessage(t * kPerThread + i), [&](Result<uint64_t> id) {
          if (id.ok()) {
            std::lock_guard<std::mutex> lock(ids_mutex);
            ids.push_back(*id);
          } else {
            failed.fetch_add(1);
          }
          done.fetch_add(1);
        });
      }
    });
  }
  go.store(true);
  for (std::thread& producer : producers) producer.join();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (done.load() < kThreads * kPerThread && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(done.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  std::set<uint64_t> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  const QueueStats stats = queue_->Stats();
  EXPECT_EQ(stats.enqueued_messages_total, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_LT(stats.commits_total, stats.enqueued_messages_total);
  EXPECT_GE(stats.commits_total, 1u);

  // Consumers see them all, in id order.
  std::vector<uint64_t> received;
  for (;;) {
    std::vector<Delivery> batch = ReceiveOk(300);
    if (batch.empty()) break;
    for (const Delivery& d : batch) received.push_back(d.id);
  }
  EXPECT_EQ(received, std::vector<uint64_t>(distinct.begin(), distinct.end()));
}

TEST_F(EmbeddedQueueTest, OldestAgeComesFromTheOldestWaitingMessage) {
  Message old = MakeMessage(1);
  old.enqueued_at_us = NowUnixMicros() - 5'000'000;
  ASSERT_TRUE(EnqueueAndWait(queue_.get(), old).ok());
  EnqueueOk(2);
  const QueueStats stats = queue_->Stats();
  EXPECT_GE(stats.oldest_age_ms, 5'000);
  EXPECT_LT(stats.oldest_age_ms, 60'000);
}

// A stored message that does not decode no longer stops the queue from opening: it is delivered,
// flagged, in its place among the others, so the worker can dead-letter it.
TEST_F(EmbeddedQueueTest, UndecodableStoredMessageIsDeliveredFlagged) {
  const uint64_t before = EnqueueOk(1);
  ASSERT_TRUE(engine_->db()
                  ->Put(rocksdb::WriteOptions(), engine_->queue(), store::QueueKey(before + 1),
                        "\x01junk")
                  .ok());
  Reopen();
  EXPECT_EQ(queue_->Stats().depth_messages, 2u);
  std::vector<Delivery> all = ReceiveOk(10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, before);
  EXPECT_TRUE(all[0].decode_error.ok());
  EXPECT_EQ(all[1].id, before + 1);
  EXPECT_EQ(all[1].decode_error.code(), StatusCode::kCorruption);
  EXPECT_NE(all[1].decode_error.message().find("does not decode"), std::string::npos);
  EXPECT_TRUE(all[1].message.items.empty());
  // Its id is taken: the next message gets a later one.
  EXPECT_GT(EnqueueOk(2), before + 1);
}

TEST_F(EmbeddedQueueTest, MalformedStoredKeyFailsOpen) {
  ASSERT_TRUE(engine_->db()->Put(rocksdb::WriteOptions(), engine_->queue(), "short", "x").ok());
  queue_.reset();
  Result<std::unique_ptr<EmbeddedQueue>> reopened = EmbeddedQueue::Open(engine_.get(), {});
  EXPECT_EQ(reopened.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::queue
