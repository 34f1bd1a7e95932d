// The SQS queue backend (queue/sqs_queue.h, queue/sqs_dead_letters.h) against the fauxqs emulator
// on 127.0.0.1 (tests/support/fauxqs.h), with the real worker and the real embedded store where a
// test applies messages. Each test works in its own queues. Skipped, saying why, only when fauxqs
// or its Node.js is not installed (scripts/setup installs both); under CI (CI=true) a missing
// install fails instead.
//
// SQS counts visibility in whole seconds, so the tests about redelivery and extension use a 2 s
// visibility timeout and wait a few seconds, each wait bounded.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/sqs_client.h"
#include "queue/message_codec.h"
#include "queue/sqs_batches.h"
#include "queue/sqs_body.h"
#include "queue/sqs_dead_letters.h"
#include "queue/sqs_queue.h"
#include "queue/worker.h"
#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"
#include "support/shared_fauxqs.h"
#include "support/temp_dir.h"

namespace estoque::queue {
namespace {

namespace sqs = aws::sqs;
using test_support::Fauxqs;
using namespace std::chrono_literals;

test_support::SharedFauxqs& Shared() { return test_support::SharedFauxqs::Get(); }

domain::Position Item(const std::string& barcode, int64_t quantity_milli, int64_t at_us,
                      std::string name = "Caf\xC3\xA9") {
  return {barcode, "1001", std::move(name), quantity_milli, at_us};
}

Message Positions(std::vector<domain::Position> items) {
  Message message;
  message.items = std::move(items);
  message.enqueued_at_us = 1'716'844'591'000'000;
  return message;
}

class SqsQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::SharedFauxqs::Require()) return;
    auto& shared = Shared();
    client_ = std::make_unique<sqs::SqsClient>(shared.server->ClientConfig());
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // A new queue named after the test (+ suffix), with `attributes`.
  std::string CreateQueue(const std::string& suffix, sqs::QueueAttributes attributes = {}) {
    aws::AwsResult<std::string> url = client_->CreateQueue({name_ + suffix, std::move(attributes)});
    EXPECT_TRUE(url.ok()) << (url.ok() ? "" : url.error().ToString());
    return url.ok() ? *url : "";
  }

  std::unique_ptr<SqsQueue> OpenQueue(const std::string& url, int visibility_seconds = 30) {
    SqsQueueOptions options;
    options.queue_url = url;
    options.visibility_timeout_seconds = visibility_seconds;
    options.maintenance_interval = 100ms;
    Result<std::unique_ptr<SqsQueue>> queue = SqsQueue::Open(client_.get(), options);
    EXPECT_TRUE(queue.ok()) << queue.status().ToString();
    return queue.ok() ? std::move(*queue) : nullptr;
  }

  // Enqueues and waits for the answer.
  Result<uint64_t> EnqueueAndWait(SqsQueue& queue, Message message) {
    std::promise<Result<uint64_t>> answered;
    queue.Enqueue(std::move(message), [&answered](Result<uint64_t> id) { answered.set_value(id); });
    return answered.get_future().get();
  }

  // Receives until `count` deliveries came or `timeout` passed.
  std::vector<Delivery> ReceiveAtLeast(SqsQueue& queue, std::size_t count,
                                       std::chrono::seconds timeout = 10s) {
    std::vector<Delivery> all;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
      Result<std::vector<Delivery>> received = queue.Receive(count - all.size(), 1s);
      EXPECT_TRUE(received.ok()) << received.status().ToString();
      if (!received.ok()) break;
      for (Delivery& delivery : *received) all.push_back(std::move(delivery));
    }
    return all;
  }

  uint64_t ApproximateMessages(const std::string& url) {
    aws::AwsResult<sqs::QueueAttributes> attributes = client_->GetQueueAttributes(
        url, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    EXPECT_TRUE(attributes.ok());
    if (!attributes.ok()) return 0;
    return std::stoull(attributes->at("ApproximateNumberOfMessages")) +
           std::stoull(attributes->at("ApproximateNumberOfMessagesNotVisible"));
  }

  std::unique_ptr<sqs::SqsClient> client_;
  std::string name_;
};

TEST_F(SqsQueueTest, OpenRefusesAQueueThatDoesNotExist) {
  SqsQueueOptions options;
  options.queue_url = "http://sqs.us-east-1.localhost/000000000000/" + name_ + "-missing";
  Result<std::unique_ptr<SqsQueue>> queue = SqsQueue::Open(client_.get(), options);
  ASSERT_FALSE(queue.ok());
  EXPECT_EQ(queue.status().code(), StatusCode::kNotFound) << queue.status().ToString();
}

TEST_F(SqsQueueTest, ConcurrentEnqueuesShareBatchesAndComeBackIntact) {
  const std::string url = CreateQueue("");
  std::unique_ptr<SqsQueue> queue = OpenQueue(url);
  ASSERT_NE(queue, nullptr);
  constexpr int kMessages = 60;
  std::vector<std::promise<Result<uint64_t>>> answers(kMessages);
  std::map<std::string, Message> sent;  // by barcode
  for (int i = 0; i < kMessages; ++i) {
    Message message = Positions({Item("789100000" + std::to_string(1000 + i), 1000 * i, 10 + i)});
    if (i % 3 == 0) {
      message.sales.push_back(domain::Sale{"v" + std::to_string(i), "1001",
                                           {{"7891000100103", 2'000}}, 20 + i, "pdv"});
    }
    sent[message.items[0].barcode] = message;
    queue->Enqueue(std::move(message), [&answers, i](Result<uint64_t> id) { answers[i].set_value(id); });
  }
  std::set<uint64_t> ids;
  for (auto& answer : answers) {
    Result<uint64_t> id = answer.get_future().get();
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kMessages));
  const QueueStats stats = queue->Stats();
  EXPECT_EQ(stats.enqueued_messages_total, static_cast<uint64_t>(kMessages));
  // Grouped: at most 10 per SendMessageBatch, and fewer calls than messages.
  EXPECT_GE(stats.commits_total, static_cast<uint64_t>(kMessages / 10));
  EXPECT_LT(stats.commits_total, static_cast<uint64_t>(kMessages));

  std::vector<Delivery> deliveries = ReceiveAtLeast(*queue, kMessages);
  ASSERT_EQ(deliveries.size(), static_cast<std::size_t>(kMessages));
  for (const Delivery& delivery : deliveries) {
    ASSERT_TRUE(delivery.decode_error.ok()) << delivery.decode_error.ToString();
    EXPECT_TRUE(ids.contains(delivery.id));
    EXPECT_EQ(delivery.attempt, 1u);
    const Message& original = sent.at(delivery.message.items.at(0).barcode);
    EXPECT_EQ(delivery.message.items, original.items);
    EXPECT_EQ(delivery.message.sales, original.sales);
    EXPECT_EQ(delivery.message.enqueued_at_us, original.enqueued_at_us);
  }
  EXPECT_EQ(ApproximateMessages(url), static_cast<uint64_t>(kMessages));
  ASSERT_TRUE(queue->Acknowledge(deliveries).ok());
  EXPECT_EQ(ApproximateMessages(url), 0u);
}

TEST_F(SqsQueueTest, AMessageOfPositionsTooLongForOneSqsMessageIsSplit) {
  const std::string url = CreateQueue("");
  std::unique_ptr<SqsQueue> queue = OpenQueue(url);
  ASSERT_NE(queue, nullptr);
  // 1000 items (the API's limit per message) with 200-character names: ~830 KB encoded.
  std::vector<domain::Position> items;
  std::string name;
  for (int i = 0; i < 200; ++i) name += "\xC3\xA9";  // 200 code points, 400 bytes
  for (int i = 0; i < 1000; ++i) items.push_back(Item(std::to_string(7891000000000 + i), i, 5, name));
  ASSERT_GT(EncodeMessage(Positions(items)).size(), kSqsMessageBytesMax);
  Result<uint64_t> id = EnqueueAndWait(*queue, Positions(items));
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  std::vector<Delivery> deliveries;
  std::set<std::string> barcodes;
  std::set<uint64_t> ids;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (barcodes.size() < 1000 && std::chrono::steady_clock::now() < deadline) {
    for (Delivery& delivery : ReceiveAtLeast(*queue, 1, 1s)) {
      ids.insert(delivery.id);
      for (const domain::Position& item : delivery.message.items) barcodes.insert(item.barcode);
      deliveries.push_back(std::move(delivery));
    }
  }
  EXPECT_GT(deliveries.size(), 1u);
  EXPECT_EQ(ids.size(), deliveries.size());  // each part has its own id
  EXPECT_TRUE(ids.contains(*id));            // the answer names the first
  EXPECT_EQ(barcodes.size(), 1000u);
}

TEST_F(SqsQueueTest, ABatchWithOneRefusedEntryIsAnsweredPerMessage) {
  const std::string url = CreateQueue("");
  // SQS refuses a body with a character XML does not allow (here U+0001), entry by entry.
  const std::vector<std::string> bodies = {"first", std::string("bad\x01", 4), "third"};
  const std::vector<Status> results = SendBodies(*client_, url, bodies);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_FALSE(results[1].ok());
  EXPECT_NE(results[1].message().find("InvalidMessageContents"), std::string::npos)
      << results[1].ToString();
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(ApproximateMessages(url), 2u);
}

TEST_F(SqsQueueTest, AMessageNotAcknowledgedComesBackAfterItsVisibilityTimeout) {
  const std::string url = CreateQueue("");
  Result<uint64_t> id = Status::Internal("not sent");
  {
    std::unique_ptr<SqsQueue> crashed = OpenQueue(url, 2);
    ASSERT_NE(crashed, nullptr);
    id = EnqueueAndWait(*crashed, Positions({Item("7891000100103", 5000, 1)}));
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(ReceiveAtLeast(*crashed, 1).size(), 1u);
    // Destroyed without Acknowledge, like a node that died: nobody extends it any more.
  }
  std::unique_ptr<SqsQueue> survivor = OpenQueue(url, 2);
  ASSERT_NE(survivor, nullptr);
  const auto started = std::chrono::steady_clock::now();
  std::vector<Delivery> again = ReceiveAtLeast(*survivor, 1, 8s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, *id);
  EXPECT_EQ(again[0].attempt, 2u);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  ASSERT_TRUE(survivor->Acknowledge(again).ok());
}

TEST_F(SqsQueueTest, ABatchSlowerThanHalfTheVisibilityTimeoutIsExtendedAndNotDeliveredElsewhere) {
  const std::string url = CreateQueue("");
  std::unique_ptr<SqsQueue> slow = OpenQueue(url, 2);
  std::unique_ptr<SqsQueue> other = OpenQueue(url, 2);
  ASSERT_NE(slow, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(EnqueueAndWait(*slow, Positions({Item("7891000100103", 5000, 1)})).ok());
  std::vector<Delivery> held = ReceiveAtLeast(*slow, 1);
  ASSERT_EQ(held.size(), 1u);
  // Held for 5 s, 2.5 visibility timeouts: the other consumer must never see it meanwhile.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    Result<std::vector<Delivery>> seen = other->Receive(10, 1s);
    ASSERT_TRUE(seen.ok());
    ASSERT_TRUE(seen->empty()) << "delivered elsewhere while held";
  }
  EXPECT_GE(slow->visibility_extensions_total(), 2u);
  ASSERT_TRUE(slow->Acknowledge(held).ok());
  EXPECT_EQ(ApproximateMessages(url), 0u);
}

// The store makes a second delivery harmless: the same message applied twice (SQS's
// at-least-once delivery, or a crash between apply and delete) has the effect of one.
TEST_F(SqsQueueTest, AMessageDeliveredTwiceIsAppliedOnce) {
  test_support::TempDir dir;
  store::EngineOptions engine_options;
  engine_options.data_dir = dir.path() + "/db";
  engine_options.block_cache_bytes = 8 << 20;
  engine_options.write_buffer_bytes = 2 << 20;
  Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  store::RocksInventoryStore store(engine->get());

  const std::string url = CreateQueue("");
  std::unique_ptr<SqsQueue> queue = OpenQueue(url);
  ASSERT_NE(queue, nullptr);
  const int64_t count_at_us = 1'716'800'000'000'000;
  Message count = Positions({Item("7891000100103", 10'000, count_at_us)});
  Message sale;
  sale.enqueued_at_us = count_at_us;
  sale.sales.push_back(domain::Sale{"v-1", "1001", {{"7891000100103", 3'000}}, count_at_us + 1, "pdv"});
  // Each message sent twice with the same id, as SQS may deliver it.
  const std::vector<std::string> bodies = {
      EncodeSqsBody(101, EncodeMessage(count)), EncodeSqsBody(102, EncodeMessage(sale)),
      EncodeSqsBody(102, EncodeMessage(sale)), EncodeSqsBody(101, EncodeMessage(count))};
  for (const Status& sent : SendBodies(*client_, url, bodies)) ASSERT_TRUE(sent.ok());

  WorkerOptions options;
  options.batch_messages_max = 1;  // one message per apply: the second copy comes after the first
  options.receive_wait = 1s;
  Worker worker(queue.get(), &store, options);
  worker.Start();
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (worker.applied_messages() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  queue->Close();
  worker.Stop();
  ASSERT_EQ(worker.applied_messages(), 4u);

  Result<store::StockState> stock = store.GetStock("7891000100103", "1001");
  ASSERT_TRUE(stock.ok()) << stock.status().ToString();
  EXPECT_EQ(stock->on_hand_milli, 7'000);  // 10 counted, 3 sold, once
  store::LedgerQuery query;
  query.barcode = "7891000100103";
  query.branch = "1001";
  Result<store::LedgerPage> ledger = store.ListLedger(query);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->items.size(), 2u);  // one count, one sale line
  Result<store::ApplyCounters> counters = store.Counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->applied_items_total, 2u);
  EXPECT_EQ(counters->dropped_older_items_total, 2u);  // the two second copies
  EXPECT_EQ(ApproximateMessages(url), 0u);
}

class SqsDeadLetterTest : public SqsQueueTest {
 protected:
  // A main queue whose redrive policy sends a message to a new dead-letter queue after
  // `max_receive_count` receives.
  void CreateQueues(int max_receive_count) {
    dlq_url_ = CreateQueue("-dlq");
    aws::AwsResult<sqs::QueueAttributes> arn = client_->GetQueueAttributes(dlq_url_, {"QueueArn"});
    ASSERT_TRUE(arn.ok());
    queue_url_ = CreateQueue("", {{"RedrivePolicy",
                                   sqs::RedrivePolicy(arn->at("QueueArn"), max_receive_count)}});
    queue_ = OpenQueue(queue_url_, 2);
    ASSERT_NE(queue_, nullptr);
    SqsDeadLetterOptions options;
    options.queue_url = dlq_url_;
    options.final_wait_seconds = 0;
    Result<std::unique_ptr<SqsDeadLetterQueue>> dead_letters =
        SqsDeadLetterQueue::Open(queue_.get(), options);
    ASSERT_TRUE(dead_letters.ok()) << dead_letters.status().ToString();
    dead_letters_ = std::move(*dead_letters);
  }

  std::vector<DeadLetter> ListAll() {
    Result<DeadLetterPage> page = dead_letters_->List(std::nullopt, 100);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<DeadLetter>{};
  }

  std::string queue_url_;
  std::string dlq_url_;
  std::unique_ptr<SqsQueue> queue_;
  std::unique_ptr<SqsDeadLetterQueue> dead_letters_;
};

TEST_F(SqsDeadLetterTest, APoisonMessageIsDeadLetteredWithItsFailureThenDropped) {
  CreateQueues(10);
  // A body that is not an estoque message, and a good one after it.
  for (const Status& sent : SendBodies(*client_, queue_url_, {"not an estoque message"})) {
    ASSERT_TRUE(sent.ok());
  }
  ASSERT_TRUE(EnqueueAndWait(*queue_, Positions({Item("7891000100103", 5000, 1)})).ok());
  test_support::TempDir dir;
  store::EngineOptions engine_options;
  engine_options.data_dir = dir.path() + "/db";
  Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(engine_options);
  ASSERT_TRUE(engine.ok());
  store::RocksInventoryStore store(engine->get());
  WorkerOptions options;
  options.receive_wait = 1s;
  options.retry_backoff_initial = 1ms;
  options.retry_backoff_max = 4ms;
  options.dead_letter_attempts_max = 3;
  Worker worker(queue_.get(), &store, options, dead_letters_.get());
  worker.Start();
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while ((worker.dead_lettered() < 1 || worker.applied_messages() < 1) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  queue_->Close();
  worker.Stop();
  ASSERT_EQ(worker.dead_lettered(), 1u);
  EXPECT_EQ(ApproximateMessages(queue_url_), 0u);

  std::vector<DeadLetter> letters = ListAll();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].attempts, 3u);
  EXPECT_NE(letters[0].reason.find("not an estoque message"), std::string::npos) << letters[0].reason;
  EXPECT_EQ(letters[0].message_bytes, "not an estoque message");
  EXPECT_GT(letters[0].dead_lettered_at_us, 0);
  EXPECT_EQ(ListAll().size(), 1u);  // listing leaves them there
  EXPECT_EQ(dead_letters_->Depth(), 1u);

  Result<DeadLetterOutcome> dropped = dead_letters_->Drop({false, {letters[0].id}});
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(dropped->done, std::vector<uint64_t>{letters[0].id});
  EXPECT_EQ(dropped->remaining, 0u);
  EXPECT_TRUE(ListAll().empty());
  EXPECT_EQ(ApproximateMessages(dlq_url_), 0u);
}

// Without a dead-letter queue of its own, the worker leaves a message that does not decode
// unacknowledged; it is not kept hidden, so it goes back to SQS and the redrive policy moves it.
TEST_F(SqsDeadLetterTest, WithoutDeadLettersAForeignMessageIsLeftToTheRedrivePolicy) {
  CreateQueues(2);
  for (const Status& sent : SendBodies(*client_, queue_url_, {"not an estoque message"})) {
    ASSERT_TRUE(sent.ok());
  }
  test_support::TempDir dir;
  store::EngineOptions engine_options;
  engine_options.data_dir = dir.path() + "/db";
  Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(engine_options);
  ASSERT_TRUE(engine.ok());
  store::RocksInventoryStore store(engine->get());
  WorkerOptions options;
  options.receive_wait = 1s;
  options.retry_backoff_initial = 1ms;
  options.retry_backoff_max = 4ms;
  options.dead_letter_attempts_max = 2;
  Worker worker(queue_.get(), &store, options, /*dead_letters=*/nullptr);
  worker.Start();
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (ApproximateMessages(dlq_url_) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  queue_->Close();
  worker.Stop();
  EXPECT_EQ(ApproximateMessages(dlq_url_), 1u);
  EXPECT_EQ(ApproximateMessages(queue_url_), 0u);
  EXPECT_EQ(queue_->visibility_extensions_total(), 0u);
  std::vector<DeadLetter> letters = ListAll();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_NE(letters[0].reason.find("not an estoque message"), std::string::npos) << letters[0].reason;
}

TEST_F(SqsDeadLetterTest, ARedrivenMessageIsListedAndReplayedUnderItsOwnId) {
  CreateQueues(1);
  Result<uint64_t> id = EnqueueAndWait(*queue_, Positions({Item("7891000100103", 5000, 1)}));
  ASSERT_TRUE(id.ok());
  {
    // Received by a node that dies: after the visibility timeout, the next receive finds it
    // received maxReceiveCount times and SQS moves it to the dead-letter queue.
    std::unique_ptr<SqsQueue> crashed = OpenQueue(queue_url_, 2);
    ASSERT_EQ(ReceiveAtLeast(*crashed, 1).size(), 1u);
  }
  std::this_thread::sleep_for(2500ms);
  Result<std::vector<Delivery>> none = queue_->Receive(10, 1s);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  std::vector<DeadLetter> letters = ListAll();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].id, *id);
  EXPECT_NE(letters[0].reason.find("redrive"), std::string::npos) << letters[0].reason;
  EXPECT_EQ(letters[0].enqueued_at_us, 1'716'844'591'000'000);

  // Unknown ids: nothing happens.
  Result<DeadLetterOutcome> unknown = dead_letters_->Replay({false, {*id, 12345}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->unknown, std::vector<uint64_t>{12345});
  EXPECT_TRUE(unknown->done.empty());
  EXPECT_EQ(ListAll().size(), 1u);

  Result<DeadLetterOutcome> replayed = dead_letters_->Replay({false, {*id}});
  ASSERT_TRUE(replayed.ok()) << replayed.status().ToString();
  EXPECT_EQ(replayed->done, std::vector<uint64_t>{*id});
  EXPECT_TRUE(ListAll().empty());
  std::vector<Delivery> back = ReceiveAtLeast(*queue_, 1);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].id, *id);
  EXPECT_EQ(back[0].message.items.at(0).quantity_milli, 5000);
  ASSERT_TRUE(queue_->Acknowledge(back).ok());
}

}  // namespace
}  // namespace estoque::queue
