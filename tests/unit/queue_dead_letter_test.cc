// The dead-letter queue: the record codec, and EmbeddedDeadLetterQueue over a real RocksDB (moves
// between the "queue" and "dlq" column families, listing, replay, drop, bounds, reopen).
// Hermetic: each test owns a fresh directory under /tmp.
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/clock.h"
#include "queue/dead_letter_codec.h"
#include "queue/embedded_dead_letters.h"
#include "queue/embedded_queue.h"
#include "queue/message_codec.h"
#include "store/rocksdb_engine.h"

namespace estoque::queue {
namespace {

using namespace std::chrono_literals;
using estoque::test_support::TempDir;

DeadLetter SampleLetter() {
  DeadLetter letter;
  letter.id = 42;
  letter.reason = "corruption: malformed stock value";
  letter.attempts = 5;
  letter.enqueued_at_us = 1'700'000'000'000'001;
  letter.first_failure_at_us = 1'700'000'000'000'002;
  letter.last_failure_at_us = 1'700'000'000'000'003;
  letter.dead_lettered_at_us = 1'700'000'000'000'004;
  letter.message_bytes = std::string("\x02\x00\xff", 3);
  return letter;
}

TEST(DeadLetterCodec, RoundTrips) {
  const DeadLetter letter = SampleLetter();
  Result<DeadLetter> decoded = DecodeDeadLetter(42, EncodeDeadLetter(letter));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, letter);
}

TEST(DeadLetterCodec, RefusesTruncationTrailingBytesAndUnknownVersions) {
  const std::string encoded = EncodeDeadLetter(SampleLetter());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(DecodeDeadLetter(42, encoded.substr(0, size)).status().code(), StatusCode::kCorruption)
        << size;
  }
  EXPECT_EQ(DecodeDeadLetter(42, encoded + "x").status().code(), StatusCode::kCorruption);
  std::string other_version = encoded;
  other_version[0] = 2;
  EXPECT_EQ(DecodeDeadLetter(42, other_version).status().code(), StatusCode::kCorruption);
}

TEST(DeadLetterCodec, CutsLongReasons) {
  DeadLetter letter = SampleLetter();
  letter.reason.assign(5000, 'r');
  Result<DeadLetter> decoded = DecodeDeadLetter(42, EncodeDeadLetter(letter));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->reason.size(), limits::kDeadLetterReasonBytesMax);
}

Message MakeMessage(int tag) {
  Message message;
  domain::Position item;
  item.barcode = std::to_string(78900000 + tag);
  item.branch = "1001";
  item.product_name = "Produto";
  item.quantity_milli = tag * 1000;
  item.updated_at_us = 1'700'000'000'000'000 + tag;
  message.items.push_back(item);
  return message;
}

class DeadLetterQueueTest : public ::testing::Test {
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
    Result<std::unique_ptr<EmbeddedDeadLetterQueue>> dead_letters =
        EmbeddedDeadLetterQueue::Open(engine_.get(), queue_.get());
    ASSERT_TRUE(dead_letters.ok()) << dead_letters.status().ToString();
    dead_letters_ = std::move(*dead_letters);
  }

  void Reopen(EmbeddedQueueOptions queue_options = {}) {
    dead_letters_.reset();
    queue_.reset();
    engine_.reset();
    Open(queue_options);
  }

  uint64_t EnqueueOk(int tag) {
    std::promise<Result<uint64_t>> promise;
    queue_->Enqueue(MakeMessage(tag), [&](Result<uint64_t> id) { promise.set_value(std::move(id)); });
    Result<uint64_t> id = promise.get_future().get();
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  std::vector<Delivery> ReceiveAll() {
    Result<std::vector<Delivery>> received = queue_->Receive(100, 0ms);
    EXPECT_TRUE(received.ok());
    return received.ok() ? std::move(*received) : std::vector<Delivery>{};
  }

  // Enqueues `count` messages, receives them and dead-letters every one; returns their ids.
  std::vector<uint64_t> DeadLetterSome(int count) {
    for (int tag = 0; tag < count; ++tag) EnqueueOk(tag);
    std::vector<uint64_t> ids;
    for (const Delivery& delivery : ReceiveAll()) {
      const int64_t now = NowUnixMicros();
      EXPECT_TRUE(dead_letters_->Add(delivery, {Status::Internal("boom"), 3, now - 10, now}).ok());
      ids.push_back(delivery.id);
    }
    return ids;
  }

  std::size_t Rows(rocksdb::ColumnFamilyHandle* family) {
    std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(rocksdb::ReadOptions(), family));
    std::size_t rows = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++rows;
    return rows;
  }

  TempDir dir_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<EmbeddedQueue> queue_;
  std::unique_ptr<EmbeddedDeadLetterQueue> dead_letters_;
};

TEST_F(DeadLetterQueueTest, AddMovesTheStoredBytesOutOfTheQueueWithTheFailure) {
  const uint64_t id = EnqueueOk(7);
  std::string stored;
  ASSERT_TRUE(engine_->db()->Get(rocksdb::ReadOptions(), engine_->queue(), store::QueueKey(id), &stored).ok());
  std::vector<Delivery> received = ReceiveAll();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(queue_->Stats().depth_messages, 1u);

  ASSERT_TRUE(dead_letters_->Add(received[0], {Status::Corruption("bad"), 4, 100, 200}).ok());
  EXPECT_EQ(Rows(engine_->queue()), 0u);
  EXPECT_EQ(Rows(engine_->dlq()), 1u);
  EXPECT_EQ(queue_->Stats().depth_messages, 0u);  // released from the queue's accounting
  EXPECT_EQ(dead_letters_->Depth(), 1u);

  Result<DeadLetterPage> page = dead_letters_->List(std::nullopt, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  const DeadLetter& letter = page->items[0];
  EXPECT_EQ(letter.id, id);
  EXPECT_EQ(letter.reason, "corruption: bad");
  EXPECT_EQ(letter.attempts, 4u);
  EXPECT_EQ(letter.first_failure_at_us, 100);
  EXPECT_EQ(letter.last_failure_at_us, 200);
  EXPECT_EQ(letter.enqueued_at_us, received[0].message.enqueued_at_us);
  EXPECT_GT(letter.dead_lettered_at_us, 0);
  EXPECT_EQ(letter.message_bytes, stored);
  EXPECT_FALSE(page->next_after_id.has_value());

  // Not in the queue any more: a second move is refused.
  EXPECT_EQ(dead_letters_->Add(received[0], {Status::Corruption("bad"), 4, 100, 200}).code(),
            StatusCode::kNotFound);
}

TEST_F(DeadLetterQueueTest, ListPagesInIdOrderAndDepthSurvivesReopen) {
  const std::vector<uint64_t> ids = DeadLetterSome(5);
  std::vector<uint64_t> listed;
  std::optional<uint64_t> after;
  for (int pages = 0; pages < 10; ++pages) {
    Result<DeadLetterPage> page = dead_letters_->List(after, 2);
    ASSERT_TRUE(page.ok());
    for (const DeadLetter& letter : page->items) listed.push_back(letter.id);
    if (!page->next_after_id) break;
    after = page->next_after_id;
  }
  EXPECT_EQ(listed, ids);
  Reopen();
  EXPECT_EQ(dead_letters_->Depth(), 5u);
  EXPECT_EQ(queue_->Stats().depth_messages, 0u);
}

TEST_F(DeadLetterQueueTest, ReplayPutsMessagesBackUnderTheirIds) {
  const std::vector<uint64_t> ids = DeadLetterSome(3);
  Result<DeadLetterOutcome> outcome = dead_letters_->Replay({false, {ids[2], ids[0]}});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(outcome->done, (std::vector<uint64_t>{ids[0], ids[2]}));
  EXPECT_TRUE(outcome->unknown.empty());
  EXPECT_EQ(outcome->remaining, 1u);
  EXPECT_EQ(dead_letters_->Depth(), 1u);
  EXPECT_EQ(Rows(engine_->queue()), 2u);
  EXPECT_EQ(Rows(engine_->dlq()), 1u);
  EXPECT_EQ(queue_->Stats().depth_messages, 2u);

  std::vector<Delivery> again = ReceiveAll();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].id, ids[0]);
  EXPECT_EQ(again[1].id, ids[2]);
  EXPECT_TRUE(again[0].decode_error.ok());
  EXPECT_EQ(again[0].message.items, MakeMessage(0).items);
  EXPECT_EQ(again[1].message.items, MakeMessage(2).items);
  // And they are durable there: a restart delivers them again.
  Reopen();
  EXPECT_EQ(queue_->Stats().depth_messages, 2u);
  EXPECT_EQ(dead_letters_->Depth(), 1u);
}

TEST_F(DeadLetterQueueTest, UnknownIdsChangeNothing) {
  const std::vector<uint64_t> ids = DeadLetterSome(2);
  for (bool replay : {true, false}) {
    DeadLetterSelection selection{false, {ids[0], 999, ids[1], 998}};
    Result<DeadLetterOutcome> outcome =
        replay ? dead_letters_->Replay(selection) : dead_letters_->Drop(selection);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->unknown, (std::vector<uint64_t>{999, 998}));
    EXPECT_TRUE(outcome->done.empty());
    EXPECT_EQ(outcome->remaining, 2u);
    EXPECT_EQ(Rows(engine_->dlq()), 2u);
    EXPECT_EQ(Rows(engine_->queue()), 0u);
  }
}

TEST_F(DeadLetterQueueTest, DropDeletesForGood) {
  const std::vector<uint64_t> ids = DeadLetterSome(3);
  Result<DeadLetterOutcome> outcome = dead_letters_->Drop({false, {ids[1]}});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->done, std::vector<uint64_t>{ids[1]});
  EXPECT_EQ(outcome->remaining, 2u);
  outcome = dead_letters_->Drop({true, {}});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->done, (std::vector<uint64_t>{ids[0], ids[2]}));
  EXPECT_EQ(outcome->remaining, 0u);
  EXPECT_EQ(Rows(engine_->dlq()), 0u);
  EXPECT_EQ(Rows(engine_->queue()), 0u);
  EXPECT_EQ(queue_->Stats().depth_messages, 0u);
  Reopen();
  EXPECT_EQ(dead_letters_->Depth(), 0u);
}

TEST_F(DeadLetterQueueTest, ReplayAllTakesTheOldestUpToTheLimit) {
  const std::vector<uint64_t> ids = DeadLetterSome(4);
  Result<DeadLetterOutcome> outcome = dead_letters_->Replay({true, {}});
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->done, ids);
  EXPECT_EQ(outcome->remaining, 0u);
  EXPECT_EQ(ReceiveAll().size(), 4u);
}

TEST_F(DeadLetterQueueTest, ReplayBeyondTheQueueBoundsIsRefusedWhole) {
  const std::vector<uint64_t> ids = DeadLetterSome(2);
  EmbeddedQueueOptions small;
  small.max_messages = 2;
  Reopen(small);
  EnqueueOk(50);  // one place left, two to replay
  Result<DeadLetterOutcome> outcome = dead_letters_->Replay({true, {}});
  EXPECT_EQ(outcome.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(dead_letters_->Depth(), 2u);
  EXPECT_EQ(Rows(engine_->dlq()), 2u);
  EXPECT_EQ(Rows(engine_->queue()), 1u);
  EXPECT_EQ(queue_->Stats().depth_messages, 1u);
  // One fits.
  outcome = dead_letters_->Replay({false, {ids[1]}});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(queue_->Stats().depth_messages, 2u);
  // The queue's own bound now refuses new messages too.
  std::promise<Result<uint64_t>> refused;
  queue_->Enqueue(MakeMessage(51), [&](Result<uint64_t> id) { refused.set_value(std::move(id)); });
  EXPECT_EQ(refused.get_future().get().status().code(), StatusCode::kResourceExhausted);
}

// Big dead letters (1 MiB each, as written by an older run): a page, a "todas" replay and an ids
// replay hold at most limits::kDeadLetterBytesPerCallMax of them in memory.
TEST_F(DeadLetterQueueTest, PagesAndReplaysAreBoundedInBytes) {
  constexpr std::size_t kLetters = 18;
  constexpr std::size_t kPerCall = limits::kDeadLetterBytesPerCallMax >> 20;  // of 1 MiB each
  static_assert(kLetters > kPerCall);
  rocksdb::WriteBatch batch;
  std::vector<uint64_t> ids;
  for (std::size_t i = 0; i < kLetters; ++i) {
    DeadLetter letter = SampleLetter();
    letter.id = 100 + i;
    letter.message_bytes.assign(1 << 20, 'm');
    batch.Put(engine_->dlq(), store::QueueKey(letter.id), EncodeDeadLetter(letter));
    ids.push_back(letter.id);
  }
  ASSERT_TRUE(engine_->db()->Write(rocksdb::WriteOptions(), &batch).ok());
  Reopen();
  ASSERT_EQ(dead_letters_->Depth(), kLetters);

  Result<DeadLetterPage> page = dead_letters_->List(std::nullopt, 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), kPerCall);
  ASSERT_TRUE(page->next_after_id.has_value());
  page = dead_letters_->List(page->next_after_id, 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), kLetters - kPerCall);

  Result<DeadLetterOutcome> too_many = dead_letters_->Replay({false, ids});
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dead_letters_->Depth(), kLetters);
  Result<DeadLetterOutcome> oldest = dead_letters_->Replay({true, {}});
  ASSERT_TRUE(oldest.ok()) << oldest.status().ToString();
  EXPECT_EQ(oldest->done.size(), kPerCall);
  EXPECT_EQ(oldest->remaining, kLetters - kPerCall);
  // Drop reads no message: every id at once.
  Result<DeadLetterOutcome> dropped =
      dead_letters_->Drop({false, std::vector<uint64_t>(ids.begin() + kPerCall, ids.end())});
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(dropped->remaining, 0u);
}

TEST_F(DeadLetterQueueTest, ReplayAfterCloseIsUnavailable) {
  DeadLetterSome(1);
  queue_->Close();
  EXPECT_EQ(dead_letters_->Replay({true, {}}).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(dead_letters_->Depth(), 1u);
}

}  // namespace
}  // namespace estoque::queue
