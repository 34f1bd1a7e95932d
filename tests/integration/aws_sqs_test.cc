// The SQS client (src/aws/sqs_client.h) against the fauxqs emulator, started once for this binary
// on 127.0.0.1 (tests/support/fauxqs.h). Each test works in its own queues. Skipped, saying why,
// only when Node.js or fauxqs is not installed (scripts/setup installs both); under CI (CI=true) a
// missing install fails instead.
//
// Visibility timeouts are whole seconds in SQS, so some tests wait 1-2 s for one to expire; each
// wait is bounded with a margin of a few seconds.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aws/sqs_client.h"
#include "support/shared_fauxqs.h"

namespace estoque::aws::sqs {
namespace {

using test_support::Fauxqs;
using namespace std::chrono_literals;

test_support::SharedFauxqs& Shared() { return test_support::SharedFauxqs::Get(); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class Sqs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::SharedFauxqs::Require()) return;
    auto& shared = Shared();
    client_ = std::make_unique<SqsClient>(shared.server->ClientConfig());
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // A queue named after the test (+ suffix) with `attributes`; its URL.
  std::string MakeQueue(const std::string& suffix, QueueAttributes attributes = {}) {
    AwsResult<std::string> url = client_->CreateQueue({name_ + suffix, std::move(attributes)});
    EXPECT_TRUE(url.ok()) << (url.ok() ? "" : url.error().ToString());
    return url.ok() ? url.value() : std::string();
  }

  int Attribute(const std::string& queue_url, const std::string& name) {
    AwsResult<QueueAttributes> attributes = client_->GetQueueAttributes(queue_url, {name});
    EXPECT_TRUE(attributes.ok()) << (attributes.ok() ? "" : attributes.error().ToString());
    if (!attributes.ok() || !attributes->count(name)) return -1;
    return std::stoi(attributes->at(name));
  }

  std::vector<Message> Receive(const std::string& queue_url, int wait_time_seconds,
                               std::optional<int> visibility_timeout_seconds = std::nullopt) {
    ReceiveRequest request;
    request.queue_url = queue_url;
    request.wait_time_seconds = wait_time_seconds;
    request.visibility_timeout_seconds = visibility_timeout_seconds;
    AwsResult<std::vector<Message>> messages = client_->ReceiveMessage(request);
    EXPECT_TRUE(messages.ok()) << (messages.ok() ? "" : messages.error().ToString());
    return messages.ok() ? messages.value() : std::vector<Message>();
  }

  static std::vector<SendEntry> Entries(int count, std::size_t body_bytes = 0) {
    std::vector<SendEntry> entries;
    for (int i = 0; i < count; ++i) {
      std::string body = "mensagem-" + std::to_string(i);
      if (body_bytes > 0) body.resize(body_bytes, 'x');
      entries.push_back({"e" + std::to_string(i), body, std::nullopt});
    }
    return entries;
  }

  std::unique_ptr<SqsClient> client_;
  std::string name_;
};

TEST_F(Sqs, CreatesAQueueWithADeadLetterQueueAndReadsItsAttributes) {
  const std::string dlq_url = MakeQueue("-dlq");
  AwsResult<QueueAttributes> dlq = client_->GetQueueAttributes(dlq_url, {"QueueArn"});
  ASSERT_TRUE(dlq.ok()) << dlq.error().ToString();
  const std::string dlq_arn = dlq->at("QueueArn");
  EXPECT_EQ(dlq_arn, "arn:aws:sqs:us-east-1:000000000000:" + name_ + "-dlq");

  const std::string url =
      MakeQueue("", {{"VisibilityTimeout", "45"}, {"RedrivePolicy", RedrivePolicy(dlq_arn, 2)}});
  // fauxqs names queues by a host that need not resolve: requests still go to the endpoint.
  EXPECT_NE(url.find("sqs.us-east-1.localhost"), std::string::npos) << url;

  AwsResult<std::string> found = client_->GetQueueUrl(name_);
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_EQ(found.value(), url);

  AwsResult<QueueAttributes> all = client_->GetQueueAttributes(url);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  EXPECT_EQ(all->at("VisibilityTimeout"), "45");
  EXPECT_EQ(all->at("ApproximateNumberOfMessages"), "0");
  EXPECT_NE(all->at("RedrivePolicy").find(dlq_arn), std::string::npos) << all->at("RedrivePolicy");
  EXPECT_NE(all->at("RedrivePolicy").find("\"maxReceiveCount\":2"), std::string::npos)
      << all->at("RedrivePolicy");

  // CreateQueue is idempotent with the same attributes.
  AwsResult<std::string> again = client_->CreateQueue(
      {name_, {{"VisibilityTimeout", "45"}, {"RedrivePolicy", RedrivePolicy(dlq_arn, 2)}}});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again.value(), url);
}

TEST_F(Sqs, SendsABatchOfTenReceivesThemWithLongPollsAndDeletesThem) {
  const std::string url = MakeQueue("", {{"VisibilityTimeout", "60"}});
  AwsResult<SendBatchOutput> sent = client_->SendMessageBatch(url, Entries(10));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_TRUE(sent->complete());
  ASSERT_EQ(sent->successful.size(), 10u);
  EXPECT_EQ(sent->successful[0].id, "e0");
  EXPECT_FALSE(sent->successful[0].message_id.empty());
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 10);

  std::vector<Message> received;
  for (int call = 0; call < 10 && received.size() < 10; ++call) {
    for (Message& message : Receive(url, 2)) received.push_back(std::move(message));
  }
  ASSERT_EQ(received.size(), 10u);
  std::set<std::string> bodies;
  for (const Message& message : received) {
    bodies.insert(message.body);
    EXPECT_EQ(message.receive_count(), 1);
    EXPECT_FALSE(message.receipt_handle.empty());
  }
  EXPECT_EQ(bodies.size(), 10u);
  EXPECT_TRUE(bodies.count("mensagem-0") && bodies.count("mensagem-9"));
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 0);
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessagesNotVisible"), 10);

  std::vector<ReceiptEntry> receipts;
  for (std::size_t i = 0; i < received.size(); ++i) {
    receipts.push_back({"d" + std::to_string(i), received[i].receipt_handle});
  }
  AwsResult<BatchOutput> deleted = client_->DeleteMessageBatch(url, receipts);
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  EXPECT_TRUE(deleted->complete());
  EXPECT_EQ(deleted->successful_ids.size(), 10u);
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessagesNotVisible"), 0);
  EXPECT_TRUE(Receive(url, 0).empty());
}

TEST_F(Sqs, ALongPollWaitsForTheFirstMessageAndNoLonger) {
  const std::string url = MakeQueue("");
  // Nothing comes: the poll lasts its WaitTimeSeconds.
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(Receive(url, 1).empty());
  EXPECT_GE(SecondsSince(start), 0.9);

  // A message sent during the poll ends it early.
  start = std::chrono::steady_clock::now();
  std::future<std::vector<Message>> poll =
      std::async(std::launch::async, [&] { return Receive(url, 10); });
  std::this_thread::sleep_for(500ms);
  AwsResult<SendBatchOutput> sent = client_->SendMessageBatch(url, Entries(1));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  const std::vector<Message> messages = poll.get();
  const double waited_seconds = SecondsSince(start);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].body, "mensagem-0");
  EXPECT_GE(waited_seconds, 0.4);
  EXPECT_LT(waited_seconds, 8.0);
}

TEST_F(Sqs, LongPollsGetATransportTimeoutLongerThanTheLongestWait) {
  const AwsClientConfig config = Shared().server->ClientConfig();
  EXPECT_EQ(client_->transport().http().options().request_timeout,
            config.http.request_timeout);
  EXPECT_GE(client_->receive_transport().http().options().request_timeout,
            std::chrono::seconds(kWaitTimeSecondsMax) + std::chrono::seconds(1));

  // With a 1 s request timeout, a 2 s long poll still ends in an (empty) answer, not a timeout.
  AwsClientConfig short_timeout = config;
  short_timeout.http.request_timeout = 1000ms;
  short_timeout.retry.max_attempts = 1;
  SqsClient patient(short_timeout);
  const std::string url = MakeQueue("");
  ReceiveRequest request;
  request.queue_url = url;
  request.wait_time_seconds = 2;
  const auto start = std::chrono::steady_clock::now();
  AwsResult<std::vector<Message>> messages = patient.ReceiveMessage(request);
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  EXPECT_TRUE(messages->empty());
  EXPECT_GE(SecondsSince(start), 1.9);
}

TEST_F(Sqs, AMessageNotDeletedReappearsAfterItsVisibilityTimeoutUnlessExtended) {
  const std::string url = MakeQueue("", {{"VisibilityTimeout", "60"}});
  ASSERT_TRUE(client_->SendMessageBatch(url, Entries(2)).ok());
  std::vector<Message> first;
  for (int call = 0; call < 4 && first.size() < 2; ++call) {
    for (Message& message : Receive(url, 2, 1)) first.push_back(std::move(message));
  }
  ASSERT_EQ(first.size(), 2u);
  // Keep one hidden for 60 s more; leave the other to its 1 s.
  const Message& kept = first[0];
  const Message& released = first[1];
  AwsResult<BatchOutput> changed =
      client_->ChangeMessageVisibilityBatch(url, {{"v0", kept.receipt_handle, 60}});
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  EXPECT_TRUE(changed->complete());

  std::this_thread::sleep_for(1500ms);
  std::vector<Message> again;
  for (int call = 0; call < 3 && again.empty(); ++call) again = Receive(url, 2, 60);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].message_id, released.message_id);
  EXPECT_EQ(again[0].receive_count(), 2);
  EXPECT_NE(again[0].receipt_handle, released.receipt_handle);
  // The extended one stays hidden.
  EXPECT_TRUE(Receive(url, 2).empty());
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessagesNotVisible"), 2);

  // Visibility 0 makes it visible at once.
  changed = client_->ChangeMessageVisibilityBatch(url, {{"v0", kept.receipt_handle, 0}});
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  const std::vector<Message> back = Receive(url, 2);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].message_id, kept.message_id);
}

TEST_F(Sqs, AMessageReceivedMaxReceiveCountTimesMovesToTheDeadLetterQueue) {
  const std::string dlq_url = MakeQueue("-dlq");
  AwsResult<QueueAttributes> dlq = client_->GetQueueAttributes(dlq_url, {"QueueArn"});
  ASSERT_TRUE(dlq.ok()) << dlq.error().ToString();
  const std::string url = MakeQueue(
      "", {{"VisibilityTimeout", "60"}, {"RedrivePolicy", RedrivePolicy(dlq->at("QueueArn"), 2)}});
  AwsResult<SendBatchOutput> sent = client_->SendMessageBatch(url, Entries(1));
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  const std::string message_id = sent->successful.at(0).message_id;

  // Two receives, each left to expire (visibility 1 s).
  for (int receive = 1; receive <= 2; ++receive) {
    std::vector<Message> messages;
    for (int call = 0; call < 3 && messages.empty(); ++call) messages = Receive(url, 3, 1);
    ASSERT_EQ(messages.size(), 1u) << "receive " << receive;
    EXPECT_EQ(messages[0].message_id, message_id);
    EXPECT_EQ(messages[0].receive_count(), receive);
  }
  std::this_thread::sleep_for(1500ms);
  // A third receive finds it gone to the dead-letter queue.
  EXPECT_TRUE(Receive(url, 1).empty());
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 0);
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessagesNotVisible"), 0);
  const std::vector<Message> dead = Receive(dlq_url, 2);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message_id, message_id);
  EXPECT_EQ(dead[0].body, "mensagem-0");
}

TEST_F(Sqs, BatchesOverTheLimitsAreRefusedBeforeSending) {
  const std::string url = MakeQueue("");
  AwsResult<SendBatchOutput> eleven = client_->SendMessageBatch(url, Entries(11));
  ASSERT_FALSE(eleven.ok());
  EXPECT_EQ(eleven.error().code, kTooManyEntriesCode);
  EXPECT_EQ(eleven.error().http_status, 400);
  EXPECT_NE(eleven.error().message.find("11 entries; at most 10"), std::string::npos)
      << eleven.error().message;
  EXPECT_EQ(eleven.status().code(), StatusCode::kInvalidArgument);

  // Two bodies of 128 KiB + 1 byte: 1 byte over 256 KiB in all.
  AwsResult<SendBatchOutput> too_long =
      client_->SendMessageBatch(url, Entries(2, kBatchPayloadBytesMax / 2 + 1));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, kBatchRequestTooLongCode);
  EXPECT_NE(too_long.error().message.find("262146 bytes in all; at most 262144"),
            std::string::npos)
      << too_long.error().message;

  AwsResult<SendBatchOutput> duplicate =
      client_->SendMessageBatch(url, {{"a", "x", std::nullopt}, {"a", "y", std::nullopt}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, kBatchEntryIdsNotDistinctCode);
  AwsResult<SendBatchOutput> bad_id = client_->SendMessageBatch(url, {{"a b", "x", std::nullopt}});
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.error().code, kInvalidBatchEntryIdCode);
  AwsResult<SendBatchOutput> empty = client_->SendMessageBatch(url, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, kEmptyBatchRequestCode);
  std::vector<ReceiptEntry> eleven_receipts;
  for (int i = 0; i < 11; ++i) eleven_receipts.push_back({"r" + std::to_string(i), "handle"});
  AwsResult<BatchOutput> delete_eleven = client_->DeleteMessageBatch(url, eleven_receipts);
  ASSERT_FALSE(delete_eleven.ok());
  EXPECT_EQ(delete_eleven.error().code, kTooManyEntriesCode);
  ReceiveRequest eleven_messages;
  eleven_messages.queue_url = url;
  eleven_messages.max_messages = 11;
  AwsResult<std::vector<Message>> receive_eleven = client_->ReceiveMessage(eleven_messages);
  ASSERT_FALSE(receive_eleven.ok());
  EXPECT_EQ(receive_eleven.error().code, kInvalidParameterValueCode);

  // None of them reached the queue; exactly 256 KiB does.
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 0);
  AwsResult<SendBatchOutput> at_limit =
      client_->SendMessageBatch(url, Entries(2, kBatchPayloadBytesMax / 2));
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().ToString();
  EXPECT_TRUE(at_limit->complete());
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 2);
}

TEST_F(Sqs, EntriesTheServiceRefusesAreReportedOneByOne) {
  const std::string url = MakeQueue("", {{"VisibilityTimeout", "60"}});
  std::vector<SendEntry> entries = Entries(3);
  entries[1].body = std::string("control \x01 character");
  AwsResult<SendBatchOutput> sent = client_->SendMessageBatch(url, entries);
  ASSERT_TRUE(sent.ok()) << sent.error().ToString();
  EXPECT_FALSE(sent->complete());
  ASSERT_EQ(sent->successful.size(), 2u);
  ASSERT_EQ(sent->failed.size(), 1u);
  EXPECT_EQ(sent->failed[0].id, "e1");
  EXPECT_EQ(sent->failed[0].code, "InvalidMessageContents");
  EXPECT_TRUE(sent->failed[0].sender_fault);

  const std::vector<Message> received = Receive(url, 2);
  ASSERT_FALSE(received.empty());
  AwsResult<BatchOutput> deleted = client_->DeleteMessageBatch(
      url, {{"good", received[0].receipt_handle}, {"bad", "not-a-receipt-handle"}});
  ASSERT_TRUE(deleted.ok()) << deleted.error().ToString();
  // SQS fails a malformed handle (ReceiptHandleIsInvalid); fauxqs reports every delete as done
  // (docs/AWS.md). Either way the good entry is deleted and the bad one reported exactly once.
  EXPECT_EQ(deleted->successful_ids.at(0), "good");
  EXPECT_EQ(deleted->successful_ids.size() + deleted->failed.size(), 2u);
  for (const BatchEntryFailure& failure : deleted->failed) {
    EXPECT_EQ(failure.id, "bad");
    EXPECT_EQ(failure.code, "ReceiptHandleIsInvalid");
  }
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessagesNotVisible"),
            static_cast<int>(received.size()) - 1);

  AwsResult<BatchOutput> changed =
      client_->ChangeMessageVisibilityBatch(url, {{"bad", "not-a-receipt-handle", 10}});
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  ASSERT_EQ(changed->failed.size(), 1u);
  EXPECT_EQ(changed->failed[0].code, "ReceiptHandleIsInvalid");
}

TEST_F(Sqs, PurgeDeletesEveryMessage) {
  const std::string url = MakeQueue("");
  ASSERT_TRUE(client_->SendMessageBatch(url, Entries(3)).ok());
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 3);
  AwsResult<Done> purged = client_->PurgeQueue(url);
  ASSERT_TRUE(purged.ok()) << purged.error().ToString();
  EXPECT_EQ(Attribute(url, "ApproximateNumberOfMessages"), 0);
  EXPECT_TRUE(Receive(url, 0).empty());
}

TEST_F(Sqs, AMissingQueueIsNotFoundAndNotRetried) {
  AwsResult<std::string> url = client_->GetQueueUrl(name_ + "-missing");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().code, "QueueDoesNotExist");
  EXPECT_EQ(url.error().http_status, 400);
  EXPECT_EQ(url.error().attempts, 1);
  EXPECT_EQ(url.status().code(), StatusCode::kNotFound);

  const std::string missing_url =
      Shared().server->endpoint_url() + "/000000000000/" + name_ + "-missing";
  AwsResult<SendBatchOutput> sent = client_->SendMessageBatch(missing_url, Entries(1));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, "QueueDoesNotExist");
  EXPECT_EQ(sent.status().code(), StatusCode::kNotFound);
  ReceiveRequest receive;
  receive.queue_url = missing_url;
  receive.wait_time_seconds = 1;
  AwsResult<std::vector<Message>> received = client_->ReceiveMessage(receive);
  ASSERT_FALSE(received.ok());
  EXPECT_EQ(received.error().code, "QueueDoesNotExist");

  // A bad attribute value is the service's validation error.
  AwsResult<std::string> bad = client_->CreateQueue({name_, {{"VisibilityTimeout", "99999"}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "InvalidAttributeValue") << bad.error().ToString();
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace estoque::aws::sqs
