// Worker: the consumer thread that moves messages from the queue into the store.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "queue/message_queue.h"
#include "store/position_store.h"

namespace estoque::queue {

struct WorkerOptions {
  std::size_t batch_messages_max = 512;  // messages applied in one atomic store write
  std::chrono::milliseconds receive_wait{50};
  std::chrono::milliseconds retry_backoff_initial{10};  // after a failed Apply; doubles
  std::chrono::milliseconds retry_backoff_max{2000};
};

// Loop: Receive up to batch_messages_max messages, Apply all their items in one call, then
// Acknowledge them. A failed Apply (Unavailable) is retried with the same batch after a backoff,
// so nothing is skipped. Start() launches the thread; Stop() finishes the batch in hand, then
// returns (messages not yet received stay in the queue for the next start).
class Worker {
 public:
  // `queue` and `store` must outlive the worker.
  Worker(MessageQueue* queue, store::PositionStore* store, WorkerOptions options);
  ~Worker();  // Stop()s

  void Start();
  // Drains nothing beyond the batch in hand; idempotent. Call queue->Close() first to wake it.
  void Stop();

  // Items and messages applied by this worker since Start (for logs and benchmarks).
  uint64_t applied_messages() const { return applied_messages_.load(std::memory_order_relaxed); }

 private:
  void Run();

  MessageQueue* queue_;
  store::PositionStore* store_;
  WorkerOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> applied_messages_{0};
  std::thread thread_;
};

}  // namespace estoque::queue
