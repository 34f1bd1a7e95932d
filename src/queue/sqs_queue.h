// The SQS MessageQueue (`estoque serve --queue sqs`): messages live in an SQS queue, which any
// number of producers and consumers may share (with the embedded store, one node consumes it: see
// docs/AWS.md, which describes the whole backend).
//
// Enqueue: sender threads group the messages waiting at that moment into SendMessageBatch calls
// (at most 10 messages and 256 KiB of bodies each) and complete each message's callback once SQS
// accepted it, or with that message's own failure when SQS refused only some entries. The body is
// the queue message codec's bytes in base64 (sqs_body.h) with an estoque id from
// MessageIdSource. A message of positions too long for one SQS message is split into several,
// each with its own id; its callback gets the first id once all were accepted.
//
// Receive: a long-poll ReceiveMessage (then short polls while full batches of 10 come, up to
// max_messages), each message hidden from other receivers for visibility_timeout_seconds. While
// a received message is not acknowledged, a maintenance thread extends its visibility
// (ChangeMessageVisibilityBatch) every half visibility timeout, so a slow batch is not delivered
// again elsewhere. Acknowledge deletes the messages (DeleteMessageBatch), after the store applied
// them. SQS delivers at least once and in no particular order: a message may come again (after a
// crash, an expired visibility, or simply twice), which the store makes harmless
// (docs/INVENTORY.md, "Exactly-once effects").
//
// Stats: ApproximateNumberOfMessages(+NotVisible, +Delayed) of the queue, refreshed by the
// maintenance thread, plus the messages waiting to be sent. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "aws/sqs_client.h"
#include "common/limits.h"
#include "queue/message_queue.h"
#include "queue/sqs_message_ids.h"

namespace estoque::queue {

struct SqsQueueOptions {
  std::string queue_url;  // REQUIRES: non-empty
  // How long a received message stays hidden from other receivers; extended every half of it
  // while the worker holds the message. Longer: a crashed node's messages wait longer before
  // another node gets them. REQUIRES: 2..43200 (whole seconds, as SQS counts).
  int visibility_timeout_seconds = 30;
  // Bounds on messages accepted by Enqueue and not yet answered by SQS; beyond either, Enqueue
  // gets ResourceExhausted (503 with Retry-After), as the embedded queue at its bounds.
  std::size_t pending_messages_max = 20'000;
  std::size_t pending_bytes_max = 256ull * 1024 * 1024;
  // Concurrent SendMessageBatch calls (each one batch of up to 10 messages). REQUIRES: >= 1.
  std::size_t sender_threads = 4;
  // How often Stats' queue counts are fetched (GetQueueAttributes), and how often held messages
  // are checked for a visibility extension.
  std::chrono::milliseconds stats_refresh_interval{1000};
  std::chrono::milliseconds maintenance_interval{200};
};

class SqsQueue final : public MessageQueue {
 public:
  // Checks that the queue exists (GetQueueAttributes) and starts the sender and maintenance
  // threads. Errors: NotFound (no such queue), Unavailable (SQS unreachable, access refused...),
  // ResourceExhausted (throttled). `client` must outlive the queue; `ids` null: a random tag and
  // the system clock.
  static Result<std::unique_ptr<SqsQueue>> Open(aws::sqs::SqsClient* client, SqsQueueOptions options,
                                                std::unique_ptr<MessageIdSource> ids = nullptr);
  ~SqsQueue() override;  // Close()s, then stops the maintenance thread

  // `done` gets the id once SQS accepted the message (every part of a split one), or:
  // ResourceExhausted (pending bounds, or SQS throttled), Unavailable (closed, SQS unreachable or
  // refusing), InvalidArgument (a sale or cancellation too long for one SQS message; cannot
  // happen within the API's limits), Internal (SQS refused the entry as malformed).
  void Enqueue(Message message, EnqueueCallback done) override;
  // Waits up to `wait` (rounded up to whole seconds, at most 20; 0 is a short poll) for messages.
  // Delivery::attempt is SQS's ApproximateReceiveCount. A body that is not an estoque message is
  // delivered with decode_error set (id: a hash of its SQS MessageId), so the worker
  // dead-letters it; its visibility is not extended (see Held). Errors: as Open's, when the first
  // ReceiveMessage fails.
  Result<std::vector<Delivery>> Receive(std::size_t max_messages,
                                        std::chrono::milliseconds wait) override;
  // Deletes the messages from SQS and stops extending them. Unavailable if some delete failed
  // (those come back later and are applied again, harmlessly).
  Status Acknowledge(std::span<const Delivery> deliveries) override;
  QueueStats Stats() const override;
  // Stops accepting, sends everything already accepted (answering its callbacks) and joins the
  // senders. Held messages are still extended until they are acknowledged or the queue is
  // destroyed. Idempotent.
  void Close() override;

  // For the dead-letter queue (sqs_dead_letters.h): the stored bytes (message_codec.h, or the raw
  // body of one that is not an estoque message) of held delivery `id`; NotFound when not held.
  Result<std::string> HeldMessageBytes(uint64_t id) const;
  // Deletes held delivery `id` from the queue and forgets it. NotFound when not held.
  Status DeleteHeld(uint64_t id);

  aws::sqs::SqsClient& client() const { return *client_; }
  const std::string& queue_url() const { return options_.queue_url; }
  // Visibility extensions SQS accepted since Open (for tests and logs).
  uint64_t visibility_extensions_total() const;

 private:
  SqsQueue(aws::sqs::SqsClient* client, SqsQueueOptions options,
           std::unique_ptr<MessageIdSource> ids);

  // One Enqueue call: answered when all its parts are (parts may finish on different senders).
  struct Group {
    std::mutex mutex;  // guards the fields below
    EnqueueCallback done;
    uint64_t first_id = 0;
    std::size_t parts_left = 0;
    Status failure;  // the first part's failure
  };
  struct Pending {
    std::string body;
    std::shared_ptr<Group> group;
  };
  // A received message not yet acknowledged.
  struct Held {
    std::string receipt_handle;
    std::string message_bytes;
    int64_t extend_at_us = 0;  // monotonic: when its visibility is extended next
    // False for a message that does not decode: it is never extended, and is forgotten once its
    // visibility timeout has passed (it is back in SQS then). So one the worker leaves
    // unacknowledged (no dead-letter queue) returns to SQS, whose redrive policy can move it.
    bool extended = true;
    int64_t visible_again_at_us = 0;  // monotonic
  };

  void SendLoop();
  void MaintenanceLoop();
  void ExtendDueVisibility();
  void RefreshStats();
  // Records one part's outcome; answers the group when it was the last.
  static void CompletePart(const std::shared_ptr<Group>& group, const Status& status);
  Delivery ToDelivery(const aws::sqs::Message& message, std::string* message_bytes) const;

  aws::sqs::SqsClient* client_;
  const SqsQueueOptions options_;
  const std::unique_ptr<MessageIdSource> ids_;

  mutable std::mutex mutex_;
  std::condition_variable pending_cv_;  // senders wait for work
  std::deque<Pending> pending_;         // accepted, not yet taken by a sender
  std::size_t unanswered_messages_ = 0;  // pending_ plus those being sent
  std::size_t unanswered_bytes_ = 0;
  std::unordered_map<uint64_t, std::vector<Held>> held_;  // by estoque id
  bool closed_ = false;
  uint64_t enqueued_total_ = 0;
  uint64_t commits_total_ = 0;  // SendMessageBatch calls that SQS answered
  uint64_t visibility_extensions_total_ = 0;
  uint64_t sqs_depth_messages_ = 0;  // last fetched approximate counts, summed
  int64_t stats_fetched_at_us_ = 0;  // monotonic; 0: never

  std::mutex close_mutex_;
  std::vector<std::thread> senders_;

  std::mutex maintenance_mutex_;
  std::condition_variable maintenance_cv_;
  bool maintenance_stopping_ = false;
  std::thread maintenance_;
};

}  // namespace estoque::queue
