// The embedded MessageQueue: messages are rows of the "queue" column family of RocksEngine.
//
// Enqueue hands the message to a committer thread that writes every message pending at that
// moment in one WriteBatch with sync=true (group commit: one fsync for all concurrent requests),
// then completes their callbacks. Accepted messages are also kept decoded in memory, in id order,
// for the consumer; on Open the queue reloads whatever the column family still holds (messages
// accepted but not applied before a crash or shutdown). A stored message that does not decode is
// delivered too, flagged (Delivery::decode_error), so the worker can dead-letter it instead of the
// whole server refusing to start.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/limits.h"
#include "queue/message_queue.h"
#include "store/rocksdb_engine.h"

namespace rocksdb {
class WriteBatch;
}  // namespace rocksdb

namespace estoque::queue {

struct EmbeddedQueueOptions {
  // Bounds on waiting messages (accepted and not yet acknowledged, durable or not) and on their
  // encoded bytes. Enqueue beyond either gets ResourceExhausted.
  std::size_t max_messages = limits::kQueueMessagesMaxDefault;
  std::size_t max_bytes = limits::kQueueBytesMaxDefault;
  // false (the embedded wiring): the store's Apply deletes the rows of the messages it applies,
  // in the same atomic write, and Acknowledge only releases memory. true: Acknowledge deletes the
  // rows itself, for a consumer whose store does not ConsumesQueueMessages().
  bool delete_on_acknowledge = false;
};

// Thread-safe. Ids are assigned at commit, consecutively, from meta "queue.next_id" (written in the
// same batch as the messages), so they are never reused, also after a restart with an empty queue.
// A message handed out by Receive is not redelivered within the same process; it is delivered again
// after a restart if nobody applied it (the row is still there). Delivery::attempt is therefore 1.
class EmbeddedQueue final : public MessageQueue {
 public:
  // Loads waiting messages from `engine` and starts the committer thread. `engine` must outlive
  // the queue. Corruption if a stored key is malformed; a stored message that does not decode is
  // loaded as a delivery with decode_error set (and counted in the depth and bytes).
  static Result<std::unique_ptr<EmbeddedQueue>> Open(store::RocksEngine* engine,
                                                     const EmbeddedQueueOptions& options);
  ~EmbeddedQueue() override;  // Close()s and joins the committer

  void Enqueue(Message message, EnqueueCallback done) override;
  Result<std::vector<Delivery>> Receive(std::size_t max_messages,
                                        std::chrono::milliseconds wait) override;
  Status Acknowledge(std::span<const Delivery> deliveries) override;
  QueueStats Stats() const override;
  bool StoreRemovesRows() const override { return !options_.delete_on_acknowledge; }
  void Close() override;

  // A message that left the queue without being applied (a dead letter), to be put back.
  struct RequeuedMessage {
    uint64_t id = 0;       // its original id
    std::string bytes;     // its stored bytes, as they were in the queue
  };
  // Puts `messages` back under their own ids, in ONE write (synced like Enqueue's) that also holds
  // `batch` (the caller's side of the move, e.g. deleting the dead letters). They are then waiting
  // again and are delivered like any other (first, as their ids are older; a message that does not
  // decode is delivered with decode_error). Errors, with nothing written: ResourceExhausted (they
  // do not fit the bounds), Unavailable (closed, or the write failed).
  // REQUIRES: no id of `messages` is waiting in the queue. Thread-safe.
  Status Requeue(std::vector<RequeuedMessage> messages, rocksdb::WriteBatch* batch);

 private:
  EmbeddedQueue(store::RocksEngine* engine, const EmbeddedQueueOptions& options);
  void CommitLoop();

  struct Pending {
    Message message;
    std::string encoded;
    EnqueueCallback done;
  };
  struct Waiting {
    Delivery delivery;
    std::size_t encoded_bytes;
  };
  struct Unacked {
    uint64_t id;
    int64_t enqueued_at_us;
    std::size_t encoded_bytes;
  };

  // Deletes the rows of `deliveries` (delete_on_acknowledge only).
  Status DeleteRows(std::span<const Delivery> deliveries);

  store::RocksEngine* engine_;
  EmbeddedQueueOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable pending_cv_;   // committer waits for work
  std::condition_variable ready_cv_;     // consumer waits for messages
  std::vector<Pending> pending_;         // accepted by Enqueue, not yet taken by the committer
  // Taken by the committer and being written: counted in the bounds until visible or failed.
  std::size_t committing_messages_ = 0;
  // Bytes of pending_ plus the commit in progress.
  std::size_t pending_bytes_ = 0;
  // Being put back by Requeue (counted in the bounds until visible or failed).
  std::size_t requeuing_messages_ = 0;
  std::size_t requeuing_bytes_ = 0;
  std::deque<Waiting> ready_;            // durable, not yet handed out
  // Durable and not yet acknowledged (handed out or not): drives depth, bytes and oldest age.
  std::deque<Unacked> unacked_;          // id order
  std::size_t unacked_bytes_ = 0;
  // Ids acknowledged whose rows could not be deleted yet (the write was refused): deleted with the
  // next acknowledgement (delete_on_acknowledge only).
  std::vector<uint64_t> undeleted_;
  uint64_t next_id_ = 1;                 // committer only (and Open, before it starts)
  uint64_t enqueued_total_ = 0;
  uint64_t commits_total_ = 0;
  bool closed_ = false;

  std::mutex close_mutex_;  // serialises Close() so the committer is joined once
  std::thread committer_;
};

}  // namespace estoque::queue
