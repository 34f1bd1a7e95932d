// Poison messages: the worker over a real RocksDB queue and store, with the embedded dead-letter
// queue. A message that does not decode, or whose apply fails for a reason of its own, ends in the
// dead-letter queue after its attempts, with the reason, while the rest of its batch is applied
// exactly once; transient failures (Unavailable) never dead-letter anything. Hermetic: each test
// owns a fresh directory under /tmp.
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "queue/embedded_dead_letters.h"
#include "queue/embedded_queue.h"
#include "queue/message_codec.h"
#include "queue/worker.h"
#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"

namespace estoque::queue {
namespace {

using namespace std::chrono_literals;
using estoque::test_support::TempDir;

constexpr const char* kBranch = "1001";
constexpr const char* kPoisonBarcode = "78900099";  // its stored stock value is made unreadable
constexpr int kItemsPerMessage = 3;
const std::string kUndecodable("\x02junk", 5);  // version 2, then truncated

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// Message `tag`: kItemsPerMessage positions of its own barcodes (78901<tag><i>), at branch 1001.
Message GoodMessage(int tag) {
  Message message;
  for (int i = 0; i < kItemsPerMessage; ++i) {
    domain::Position item;
    item.barcode = std::to_string(78910000 + tag * 10 + i);
    item.branch = kBranch;
    item.product_name = "Produto";
    item.quantity_milli = (tag * 10 + i + 1) * 1000;
    item.updated_at_us = 1'700'000'000'000'000 + tag;
    message.items.push_back(item);
  }
  return message;
}

// A message whose first item is fine and whose second touches the unreadable stock value.
Message PoisonMessage(int tag) {
  Message message = GoodMessage(tag);
  message.items[1].barcode = kPoisonBarcode;
  return message;
}

// The real store, watched: counts the ApplyBatch calls that carried each message id, and fails
// (with Unavailable, before reaching the store) calls that carry `fail_id` while
// `transient_failures_left` > 0 (fail_id 0: any call).
class WatchedStore final : public store::PositionStore {
 public:
  explicit WatchedStore(store::RocksInventoryStore* inner) : inner_(inner) {}

  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override {
    return inner_->Get(barcode, branch);
  }
  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override {
    return inner_->ListByBarcode(barcode);
  }
  Result<store::PositionPage> List(std::optional<std::string_view> branch,
                                   std::optional<std::string_view> after,
                                   std::size_t limit) override {
    return inner_->List(branch, after, limit);
  }
  Result<store::ApplyCounters> Counters() override { return inner_->Counters(); }
  Result<store::ApplyOutcome> Apply(std::span<const domain::Position> items,
                                    std::span<const uint64_t> ids) override {
    store::IngestBatch batch;
    batch.positions = items;
    batch.consumed_message_ids = ids;
    return ApplyBatch(batch);
  }
  Result<store::ApplyOutcome> ApplyBatch(const store::IngestBatch& batch) override {
    bool carries_fail_id = fail_id.load() == 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (uint64_t id : batch.consumed_message_ids) {
        ++calls_[id];
        if (batch.consumed_message_ids.size() == 1) ++alone_[id];
        if (id == fail_id.load()) carries_fail_id = true;
      }
    }
    if (carries_fail_id && transient_failures_left.load() > 0) {
      transient_failures_left.fetch_sub(1);
      return Status::Unavailable("injected: no space left on device");
    }
    return inner_->ApplyBatch(batch);
  }
  bool ConsumesQueueMessages() const override { return true; }

  int Calls(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[id];
  }
  int CallsAlone(uint64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return alone_[id];
  }

  std::atomic<uint64_t> fail_id{0};
  std::atomic<int> transient_failures_left{0};

 private:
  store::RocksInventoryStore* inner_;
  std::mutex mutex_;
  std::map<uint64_t, int> calls_;
  std::map<uint64_t, int> alone_;
};

class PoisonTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    options.block_cache_bytes = 8 << 20;
    options.write_buffer_bytes = 1 << 20;
    Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    store_ = std::make_unique<store::RocksInventoryStore>(engine_.get());
    watched_ = std::make_unique<WatchedStore>(store_.get());
    Result<std::unique_ptr<EmbeddedQueue>> queue = EmbeddedQueue::Open(engine_.get(), {});
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(*queue);
    Result<std::unique_ptr<EmbeddedDeadLetterQueue>> dead_letters =
        EmbeddedDeadLetterQueue::Open(engine_.get(), queue_.get());
    ASSERT_TRUE(dead_letters.ok()) << dead_letters.status().ToString();
    dead_letters_ = std::move(*dead_letters);
  }

  void Close() {
    dead_letters_.reset();
    queue_.reset();
    watched_.reset();
    store_.reset();
    engine_.reset();
  }

  uint64_t Enqueue(Message message) {
    std::promise<Result<uint64_t>> promise;
    queue_->Enqueue(std::move(message), [&](Result<uint64_t> id) { promise.set_value(std::move(id)); });
    Result<uint64_t> id = promise.get_future().get();
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  // Writes `bytes` as the next queue message, as a damaged disk or a buggy older build might have
  // left it: with the queue closed, straight into the column family. Returns its id.
  uint64_t InjectUndecodableMessage(const std::string& bytes) {
    Close();
    store::EngineOptions options;
    options.data_dir = dir_.path() + "/db";
    Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
    EXPECT_TRUE(engine.ok());
    std::string next;
    uint64_t id = 1;
    if ((*engine)->db()->Get(rocksdb::ReadOptions(), (*engine)->meta(), "queue.next_id", &next).ok()) {
      id = store::DecodeQueueKey(next);
    }
    rocksdb::WriteBatch batch;
    batch.Put((*engine)->queue(), store::QueueKey(id), bytes);
    batch.Put((*engine)->meta(), "queue.next_id", store::QueueKey(id + 1));
    EXPECT_TRUE((*engine)->db()->Write(rocksdb::WriteOptions(), &batch).ok());
    engine->reset();
    Open();
    return id;
  }

  // Makes the stored stock value of (kPoisonBarcode, 1001) unreadable: every apply touching it
  // fails with Corruption.
  void DamageStockValue() {
    ASSERT_TRUE(engine_->db()
                    ->Put(rocksdb::WriteOptions(), engine_->positions(),
                          store::PositionKey(kPoisonBarcode, kBranch), "\x09unknown version")
                    .ok());
  }
  void RepairStockValue() {
    ASSERT_TRUE(engine_->db()
                    ->Delete(rocksdb::WriteOptions(), engine_->positions(),
                             store::PositionKey(kPoisonBarcode, kBranch))
                    .ok());
  }

  WorkerOptions Options(uint32_t attempts) {
    WorkerOptions options;
    options.batch_messages_max = 64;
    options.receive_wait = 5ms;
    options.retry_backoff_initial = 1ms;
    options.retry_backoff_max = 4ms;
    options.dead_letter_attempts_max = attempts;
    return options;
  }

  std::size_t Rows(rocksdb::ColumnFamilyHandle* family) {
    std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(rocksdb::ReadOptions(), family));
    std::size_t rows = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
    return rows;
  }

  std::vector<DeadLetter> DeadLetters() {
    Result<DeadLetterPage> page = dead_letters_->List(std::nullopt, 100);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<DeadLetter>{};
  }

  // Store counters equal exactly `messages` good messages applied once each.
  void ExpectAppliedOnce(uint64_t messages) {
    Result<store::ApplyCounters> counters = store_->Counters();
    ASSERT_TRUE(counters.ok());
    EXPECT_EQ(counters->applied_messages_total, messages);
    EXPECT_EQ(counters->applied_items_total + counters->dropped_older_items_total,
              messages * kItemsPerMessage);
  }

  void ExpectGoodMessageVisible(int tag) {
    for (const domain::Position& item : GoodMessage(tag).items) {
      Result<domain::Position> stored = store_->Get(item.barcode, item.branch);
      ASSERT_TRUE(stored.ok()) << item.barcode;
      EXPECT_EQ(stored->quantity_milli, item.quantity_milli);
    }
  }

  TempDir dir_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<store::RocksInventoryStore> store_;
  std::unique_ptr<WatchedStore> watched_;
  std::unique_ptr<EmbeddedQueue> queue_;
  std::unique_ptr<EmbeddedDeadLetterQueue> dead_letters_;
};

TEST_F(PoisonTest, UndecodableMessageIsDeadLetteredAfterItsAttemptsAndTheRestApplyOnce) {
  const uint64_t first = Enqueue(GoodMessage(1));
  const uint64_t poison = InjectUndecodableMessage(kUndecodable);
  ASSERT_EQ(poison, first + 1);
  const uint64_t last = Enqueue(GoodMessage(2));
  ASSERT_EQ(queue_->Stats().depth_messages, 3u);

  Worker worker(queue_.get(), watched_.get(), Options(3), dead_letters_.get());
  worker.Start();  // all three in one receive
  ASSERT_TRUE(WaitUntil([&] { return dead_letters_->Depth() == 1 && worker.applied_messages() == 2; }));
  queue_->Close();
  worker.Stop();

  const std::vector<DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, poison);
  EXPECT_EQ(letters[0].attempts, 3u);
  EXPECT_EQ(letters[0].reason.rfind("corruption: queue message", 0), 0u) << letters[0].reason;
  EXPECT_NE(letters[0].reason.find("does not decode"), std::string::npos) << letters[0].reason;
  EXPECT_EQ(letters[0].message_bytes, kUndecodable);  // kept byte for byte
  EXPECT_EQ(letters[0].enqueued_at_us, 0);            // unreadable
  EXPECT_GT(letters[0].first_failure_at_us, 0);
  EXPECT_GE(letters[0].last_failure_at_us, letters[0].first_failure_at_us);
  EXPECT_GE(letters[0].dead_lettered_at_us, letters[0].last_failure_at_us);
  EXPECT_EQ(worker.dead_lettered(), 1u);
  // The others: applied in the batch's single write, once; the poison never reached the store.
  EXPECT_EQ(watched_->Calls(first), 1);
  EXPECT_EQ(watched_->Calls(last), 1);
  EXPECT_EQ(watched_->Calls(poison), 0);
  ExpectAppliedOnce(2);
  ExpectGoodMessageVisible(1);
  ExpectGoodMessageVisible(2);
  EXPECT_EQ(Rows(engine_->queue()), 0u);
  EXPECT_EQ(Rows(engine_->dlq()), 1u);
  EXPECT_EQ(queue_->Stats().depth_messages, 0u);
}

TEST_F(PoisonTest, FailingMessageIsIsolatedFromItsBatchThenDeadLetteredReplayedAndRepaired) {
  DamageStockValue();
  const uint64_t a = Enqueue(GoodMessage(1));
  const uint64_t poison = Enqueue(PoisonMessage(2));
  const uint64_t b = Enqueue(GoodMessage(3));
  {
    Worker worker(queue_.get(), watched_.get(), Options(4), dead_letters_.get());
    worker.Start();
    ASSERT_TRUE(WaitUntil([&] { return dead_letters_->Depth() == 1 && worker.applied_messages() == 2; }));
    queue_->Close();
    worker.Stop();
    EXPECT_EQ(worker.dead_lettered(), 1u);
  }
  std::vector<DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, poison);
  EXPECT_EQ(letters[0].attempts, 4u);
  EXPECT_EQ(letters[0].reason.rfind("corruption:", 0), 0u) << letters[0].reason;
  EXPECT_GT(letters[0].enqueued_at_us, 0);
  Result<Message> kept = DecodeMessage(letters[0].message_bytes);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->items, PoisonMessage(2).items);
  // The batch failed once as a whole (nothing written), then each message was applied alone: the
  // good ones once, the poison one 4 times (its attempts).
  EXPECT_EQ(watched_->Calls(a), 2);
  EXPECT_EQ(watched_->CallsAlone(a), 1);
  EXPECT_EQ(watched_->CallsAlone(b), 1);
  EXPECT_EQ(watched_->CallsAlone(poison), 4);
  ExpectAppliedOnce(2);
  ExpectGoodMessageVisible(1);
  ExpectGoodMessageVisible(3);
  // Nothing of the poison message was applied, not even its good first item.
  EXPECT_EQ(store_->Get(PoisonMessage(2).items[0].barcode, kBranch).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Rows(engine_->queue()), 0u);

  // Replayed while the cause is still there: it fails again and comes back.
  Close();
  Open();
  ASSERT_EQ(dead_letters_->Depth(), 1u);
  {
    Worker worker(queue_.get(), watched_.get(), Options(2), dead_letters_.get());
    worker.Start();
    Result<DeadLetterOutcome> replayed = dead_letters_->Replay({false, {poison}});
    ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
    ASSERT_TRUE(WaitUntil([&] { return worker.dead_lettered() == 1; }));
    queue_->Close();
    worker.Stop();
  }
  letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, poison);
  EXPECT_EQ(letters[0].attempts, 2u);
  ExpectAppliedOnce(2);

  // Repaired, then replayed: applied, once.
  Close();
  Open();
  RepairStockValue();
  Worker worker(queue_.get(), watched_.get(), Options(2), dead_letters_.get());
  worker.Start();
  Result<DeadLetterOutcome> replayed = dead_letters_->Replay({true, {}});
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->done, std::vector<uint64_t>{poison});
  ASSERT_TRUE(WaitUntil([&] { return worker.applied_messages() == 1; }));
  queue_->Close();
  worker.Stop();
  ExpectAppliedOnce(3);
  EXPECT_EQ(dead_letters_->Depth(), 0u);
  EXPECT_EQ(Rows(engine_->queue()), 0u);
  EXPECT_EQ(store_->Get(PoisonMessage(2).items[0].barcode, kBranch)->quantity_milli,
            PoisonMessage(2).items[0].quantity_milli);
}

// Far more transient failures than the attempts allowed: nothing is dead-lettered, and once the
// "disk" is back everything is applied exactly once.
TEST_F(PoisonTest, TransientFailuresNeverDeadLetter) {
  for (int tag = 0; tag < 20; ++tag) Enqueue(GoodMessage(tag));
  watched_->transient_failures_left = 30;
  Worker worker(queue_.get(), watched_.get(), Options(2), dead_letters_.get());
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return worker.applied_messages() == 20; }));
  queue_->Close();
  worker.Stop();
  EXPECT_EQ(watched_->transient_failures_left.load(), 0);
  EXPECT_GE(worker.failures(), 30u);
  EXPECT_EQ(worker.dead_lettered(), 0u);
  EXPECT_EQ(dead_letters_->Depth(), 0u);
  EXPECT_EQ(Rows(engine_->dlq()), 0u);
  ExpectAppliedOnce(20);
}

// A poison message whose retries also meet transient failures: only its own failures count, so
// it is dead-lettered after exactly its attempts, with its own reason.
TEST_F(PoisonTest, TransientFailuresDoNotCountAsAttempts) {
  DamageStockValue();
  const uint64_t poison = Enqueue(PoisonMessage(1));
  watched_->fail_id = poison;
  watched_->transient_failures_left = 10;
  Worker worker(queue_.get(), watched_.get(), Options(3), dead_letters_.get());
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return dead_letters_->Depth() == 1; }));
  queue_->Close();
  worker.Stop();
  const std::vector<DeadLetter> letters = DeadLetters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 3u);
  EXPECT_EQ(letters[0].reason.rfind("corruption:", 0), 0u) << letters[0].reason;
  EXPECT_EQ(watched_->Calls(poison), 10 + 3);
}

TEST_F(PoisonTest, StopDuringTheAttemptsLeavesTheMessageQueued) {
  const uint64_t poison = InjectUndecodableMessage(kUndecodable);
  WorkerOptions options = Options(5);
  options.retry_backoff_initial = 30s;
  options.retry_backoff_max = 60s;
  {
    Worker worker(queue_.get(), watched_.get(), options, dead_letters_.get());
    worker.Start();
    ASSERT_TRUE(WaitUntil([&] { return worker.failures() >= 1; }));
    const auto started = std::chrono::steady_clock::now();
    queue_->Close();
    worker.Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  }
  EXPECT_EQ(dead_letters_->Depth(), 0u);
  Close();
  Open();
  EXPECT_EQ(queue_->Stats().depth_messages, 1u);
  std::string stored;
  EXPECT_TRUE(engine_->db()->Get(rocksdb::ReadOptions(), engine_->queue(), store::QueueKey(poison), &stored).ok());
}

// Without a dead-letter queue, a message that cannot decode is left in the queue after its
// attempts (it can never apply) and the others flow.
TEST_F(PoisonTest, WithoutADeadLetterQueueTheUndecodableMessageStaysQueued) {
  InjectUndecodableMessage(kUndecodable);
  Enqueue(GoodMessage(1));
  Worker worker(queue_.get(), watched_.get(), Options(2));
  worker.Start();
  ASSERT_TRUE(WaitUntil([&] { return worker.applied_messages() == 1 && worker.failures() >= 3; }));
  queue_->Close();
  worker.Stop();
  EXPECT_EQ(worker.dead_lettered(), 0u);
  EXPECT_EQ(Rows(engine_->queue()), 1u);
  EXPECT_EQ(Rows(engine_->dlq()), 0u);
  ExpectAppliedOnce(1);
}

}  // namespace
}  // namespace estoque::queue
