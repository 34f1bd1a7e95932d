// Worker: the consumer thread that moves messages from the queue into the store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "common/limits.h"
#include "queue/message_queue.h"
#include "store/position_store.h"

namespace estoque::queue {

struct WorkerOptions {
  std::size_t batch_messages_max = limits::kApplyBatchMessagesDefault;  // per atomic store write
  std::chrono::milliseconds receive_wait{50};
  // After a Receive that returned fewer than batch_messages_max messages, wait this long for more
  // before applying. Bigger batches share the per-key cost (a hot key's many items in one batch
  // cost one store write), which keeps the apply thread's CPU low under heavy load. Adds up to
  // this much to the time until an accepted message is visible. 0 = apply at once.
  std::chrono::milliseconds batch_linger{0};
  // Linux nice value of the worker thread (the process runs at 0; negative =
  // more CPU when cores are contended). Best effort: ignored without the privilege.
  int thread_nice = -5;
  std::chrono::milliseconds retry_backoff_initial{10};  // after a failed Apply; doubles
  std::chrono::milliseconds retry_backoff_max{2000};
};

// Loop: Receive up to batch_messages_max messages (lingering batch_linger for more), Apply all
// their items in one call, then Acknowledge them. A failed Apply (Unavailable) is retried with the same batch after a backoff
// (doubling from retry_backoff_initial up to retry_backoff_max, retried for as long as it fails,
// each failure logged), so nothing is skipped. Start() launches the thread; Stop() finishes the
// batch in hand, then returns (messages not yet received stay in the queue for the next start).
// A batch whose Apply is still failing when Stop() is called is left unacknowledged: the queue
// redelivers it after a restart. Start/Stop are thread-safe; the worker runs at most once.
class Worker {
 public:
  // `queue` and `store` must outlive the worker.
  Worker(MessageQueue* queue, store::PositionStore* store, WorkerOptions options);
  ~Worker();  // Stop()s

  // Launches the thread. A second Start(), or a Start() after Stop(), does nothing.
  void Start();
  // Drains nothing beyond the batch in hand; idempotent. Call queue->Close() first to wake it.
  void Stop();

  // Messages and items applied by this worker since construction (for logs and benchmarks);
  // items counts every item of an applied message, whether it replaced a position or was dropped.
  uint64_t applied_messages() const { return applied_messages_.load(std::memory_order_relaxed); }
  uint64_t applied_items() const { return applied_items_.load(std::memory_order_relaxed); }
  // Failed Apply / Receive / Acknowledge calls (each logged to stderr).
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // Applies `items` of the messages `ids`, retrying with backoff until it succeeds or Stop().
  // True if applied.
  bool ApplyWithRetry(const store::IngestBatch& batch);
  // Sleeps up to `duration`, or less if Stop() is called. True if stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds duration);

  MessageQueue* queue_;
  store::PositionStore* store_;
  WorkerOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> applied_messages_{0};
  std::atomic<uint64_t> applied_items_{0};
  std::atomic<uint64_t> failures_{0};
  std::mutex stop_mutex_;              // with stop_cv_: lets Stop() interrupt a backoff
  std::condition_variable stop_cv_;
  std::mutex thread_mutex_;            // serialises Start()/Stop(); guards started_, thread_
  bool started_ = false;
  std::thread thread_;
};

}  // namespace estoque::queue
