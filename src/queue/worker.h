// Worker: the consumer thread that moves messages from the queue into the store.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "common/limits.h"
#include "queue/dead_letter_queue.h"
#include "queue/flat_batch.h"
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
  // Failed attempts at a poison message (one whose failure is its own) before it is moved to the
  // dead-letter queue. Each attempt after the first waits the backoff above, so a poison message
  // holds the worker up for about the sum of its backoffs (150 ms with the defaults).
  uint32_t dead_letter_attempts_max = limits::kDeadLetterAttemptsDefault;
};

// Loop: Receive up to batch_messages_max messages (lingering batch_linger for more), Apply all
// their items in one call, then Acknowledge them. Start() launches the thread; Stop() finishes the
// batch in hand, then returns (messages not yet received stay in the queue for the next start).
//
// Failures are of two kinds:
//   - Transient: Apply fails with Unavailable or ResourceExhausted (I/O error, disk full, shutting
//     down). The same batch is retried after a backoff (doubling from retry_backoff_initial up to
//     retry_backoff_max) for as long as it fails, each failure logged: nothing is skipped, and a
//     transient failure never counts against a message.
//   - The message's own (a poison message): its stored bytes do not decode (Corruption), or Apply
//     fails with any other code (Corruption, InvalidArgument, Internal, ...). When a batch of
//     several messages fails so, each of its messages is applied alone (in one atomic write each,
//     so the others are applied exactly once) to find the culprits. A culprit is retried alone,
//     with the backoff, until it has failed dead_letter_attempts_max times, and then moved to the
//     dead-letter queue in one atomic write (DeadLetterQueue::Add). Without a dead-letter queue
//     (`dead_letters` null), Apply failures are retried forever, like transient ones, and a
//     message that does not decode is left unacknowledged in the queue after its attempts.
// Attempts are counted in memory: after a restart a poison message starts over.
// A batch or poison message still failing when Stop() is called is left unacknowledged: the queue
// redelivers it after a restart. Start/Stop are thread-safe; the worker runs at most once.
class Worker {
 public:
  // `queue`, `store` and `dead_letters` (may be null) must outlive the worker.
  Worker(MessageQueue* queue, store::PositionStore* store, WorkerOptions options,
         DeadLetterQueue* dead_letters = nullptr);
  ~Worker();  // Stop()s

  // Launches the thread. A second Start(), or a Start() after Stop(), does nothing.
  void Start();
  // Drains nothing beyond the batch in hand; idempotent. Call queue->Close() first to wake it.
  void Stop();

  // Messages and items applied by this worker since construction (for logs and benchmarks);
  // items counts every item of an applied message, whether it replaced a position or was dropped.
  uint64_t applied_messages() const { return applied_messages_.load(std::memory_order_relaxed); }
  uint64_t applied_items() const { return applied_items_.load(std::memory_order_relaxed); }
  // Failed Apply / Receive / Acknowledge / dead-letter calls and poison attempts (each logged to
  // stderr).
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }
  // Messages moved to the dead-letter queue by this worker.
  uint64_t dead_lettered() const { return dead_lettered_.load(std::memory_order_relaxed); }

 private:
  // A message that failed for a reason of its own: undecodable (flat_index empty) or message
  // flat_index of flat_.
  struct Poisoned {
    Delivery* delivery;
    std::optional<std::size_t> flat_index;
    Status failure;
    int64_t failed_at_us;
  };

  void Run();
  // Applies the deliveries of one receive (exactly once each, or dead-lettered). False if Stop()
  // interrupted it.
  bool ApplyDeliveries(std::vector<Delivery>& deliveries);
  // Applies `batch`, retrying transient failures with backoff until it succeeds or Stop(). Returns
  // Ok, the message-specific failure (not retried), or nullopt if stopping.
  std::optional<Status> ApplyWithRetry(store::IngestBatch batch);
  // Retries `poisoned` alone until it applies or has failed dead_letter_attempts_max times, then
  // dead-letters it. False if Stop() interrupted it.
  bool RetryOrDeadLetter(const Poisoned& poisoned);
  // Moves `delivery` to the dead letters, retrying transient failures. False if stopping.
  bool MoveToDeadLetters(const Delivery& delivery, const DeliveryFailure& failure);
  // Acknowledges `deliveries`, applied with `items` items, and counts them.
  void Applied(std::span<const Delivery> deliveries, std::size_t items);
  // True for failures that are retried for as long as they last.
  bool RetriedForever(const Status& status) const;
  // Sleeps up to `duration`, or less if Stop() is called. True if stopping.
  bool SleepUnlessStopping(std::chrono::milliseconds duration);

  MessageQueue* queue_;
  store::PositionStore* store_;
  DeadLetterQueue* dead_letters_;
  WorkerOptions options_;
  FlatBatch flat_;  // worker thread only
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> applied_messages_{0};
  std::atomic<uint64_t> applied_items_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::mutex stop_mutex_;              // with stop_cv_: lets Stop() interrupt a backoff
  std::condition_variable stop_cv_;
  std::mutex thread_mutex_;            // serialises Start()/Stop(); guards started_, thread_
  bool started_ = false;
  std::thread thread_;
};

}  // namespace estoque::queue
