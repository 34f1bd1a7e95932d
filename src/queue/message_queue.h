// MessageQueue: the durable hand-off between the HTTP front (producers) and the workers
// (consumer). The embedded backend keeps messages in RocksDB (embedded_queue.h); the SQS backend
// in an SQS queue (sqs_queue.h), where "durable" means accepted by SQS and a message may be
// delivered again after it was applied (the store makes that harmless).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/result.h"
#include "queue/message.h"

namespace estoque::queue {

struct QueueStats {
  uint64_t depth_messages = 0;        // accepted, not yet applied
  uint64_t depth_bytes = 0;           // their encoded size
  int64_t oldest_age_ms = 0;          // age of the oldest waiting message; 0 when empty
  uint64_t enqueued_messages_total = 0;  // since process start
  uint64_t commits_total = 0;         // durable writes (fsync groups) since process start
};

// Thread-safe: every method may be called concurrently from any thread.
class MessageQueue {
 public:
  using EnqueueCallback = std::function<void(Result<uint64_t> message_id)>;

  virtual ~MessageQueue() = default;

  // Accepts `message` for durable delivery. Calls `done` exactly once, from an internal thread
  // (or inline on immediate refusal), with the message id once the message is durable (fsync'ed,
  // under the default durability) or with an error:
  //   ResourceExhausted: the queue is at its bound (messages or bytes); retry later;
  //   Unavailable: shutting down or an I/O failure; nothing was stored.
  // Concurrent calls share one durable write (group commit).
  virtual void Enqueue(Message message, EnqueueCallback done) = 0;

  // Waits up to `wait` for messages and returns up to `max_messages` of the oldest not yet handed
  // out, in id order. Empty vector on timeout or after Close(). A message handed out and not
  // acknowledged before a crash is delivered again after restart.
  virtual Result<std::vector<Delivery>> Receive(std::size_t max_messages,
                                                std::chrono::milliseconds wait) = 0;

  // Marks `deliveries` as done so they are never delivered again. The embedded queue deletes their
  // rows here (or, when the store removed them in the write that applied them, only releases
  // their in-memory accounting); if the deletion fails (a full disk) they still leave the queue's
  // memory and depth, the error is returned, the deletion is tried again with the next call, and
  // a restart before that delivers them again (harmless: their effects have identities).
  virtual Status Acknowledge(std::span<const Delivery> deliveries) = 0;

  virtual QueueStats Stats() const = 0;

  // true when a message is a row of the engine's queue column family that the store's apply
  // removes in its own atomic write (the embedded queue, unless it deletes on Acknowledge);
  // the worker then asks the store to remove them (IngestBatch::remove_queue_rows).
  virtual bool StoreRemovesRows() const { return false; }

  // Stops accepting (Enqueue then fails with Unavailable), completes the durable write in progress
  // and wakes Receive() callers. Idempotent.
  virtual void Close() = 0;
};

}  // namespace estoque::queue
