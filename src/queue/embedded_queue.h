// The embedded MessageQueue: messages are rows of the "queue" column family of RocksEngine.
//
// Enqueue hands the message to a committer thread that writes every message pending at that
// moment in one WriteBatch with sync=true (group commit: one fsync for all concurrent requests),
// then completes their callbacks. Accepted messages are also kept decoded in memory, in id order,
// for the consumer; on Open the queue reloads whatever the column family still holds (messages
// accepted but not applied before a crash or shutdown).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "queue/message_queue.h"
#include "store/rocksdb_engine.h"

namespace estoque::queue {

struct EmbeddedQueueOptions {
  std::size_t max_messages = 200'000;          // bound on waiting messages
  std::size_t max_bytes = 512ull * 1024 * 1024;  // bound on their encoded bytes
};

class EmbeddedQueue final : public MessageQueue {
 public:
  // Loads waiting messages from `engine` and starts the committer thread. `engine` must outlive
  // the queue. Corruption if a stored message cannot be decoded.
  static Result<std::unique_ptr<EmbeddedQueue>> Open(store::RocksEngine* engine,
                                                     const EmbeddedQueueOptions& options);
  ~EmbeddedQueue() override;  // Close()s and joins the committer

  void Enqueue(Message message, EnqueueCallback done) override;
  Result<std::vector<Delivery>> Receive(std::size_t max_messages,
                                        std::chrono::milliseconds wait) override;
  Status Acknowledge(std::span<const Delivery> deliveries) override;
  QueueStats Stats() const override;
  void Close() override;

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

  store::RocksEngine* engine_;
  EmbeddedQueueOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable pending_cv_;   // committer waits for work
  std::condition_variable ready_cv_;     // consumer waits for messages
  std::vector<Pending> pending_;         // accepted by Enqueue, not yet durable
  std::deque<Waiting> ready_;            // durable, not yet handed out
  // Durable and not yet acknowledged (handed out or not): drives depth, bytes and oldest age.
  std::deque<std::pair<uint64_t, int64_t>> unacked_;  // (id, enqueued_at_us), id order
  std::size_t unacked_bytes_ = 0;
  std::size_t pending_bytes_ = 0;
  uint64_t next_id_ = 1;
  uint64_t enqueued_total_ = 0;
  uint64_t commits_total_ = 0;
  bool closed_ = false;
  std::thread committer_;
};

}  // namespace estoque::queue
