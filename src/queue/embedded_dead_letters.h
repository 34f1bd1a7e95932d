// The embedded DeadLetterQueue: dead letters are rows of the engine's "dlq" column family, keyed
// like the queue (message id, u64 big-endian), valued by dead_letter_codec.h. Moving a message
// between the "queue" and "dlq" families is one RocksDB WriteBatch, so after a crash a message is
// in exactly one of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "queue/dead_letter_queue.h"
#include "queue/embedded_queue.h"
#include "store/rocksdb_engine.h"

namespace estoque::queue {

// Thread-safe. Moves (Add, Replay, Drop) are serialised by one mutex, so a dead letter is never
// replayed twice nor replayed and dropped at once; List and Depth do not take it.
class EmbeddedDeadLetterQueue final : public DeadLetterQueue {
 public:
  // Counts the stored dead letters. `engine` and `queue` (the queue of the same engine, where
  // replayed messages go back) must outlive this. Unavailable on I/O failure, Corruption if a key
  // is malformed.
  static Result<std::unique_ptr<EmbeddedDeadLetterQueue>> Open(store::RocksEngine* engine,
                                                               EmbeddedQueue* queue);

  // Add's move is not synced (like the store's apply writes): the WAL is ordered, so losing it in
  // a power failure leaves the message in the queue, to be retried and moved again.
  Status Add(const Delivery& delivery, const DeliveryFailure& failure) override;
  Result<DeadLetterPage> List(std::optional<uint64_t> after_id, std::size_t limit) override;
  uint64_t Depth() const override { return depth_.load(std::memory_order_relaxed); }
  Result<DeadLetterOutcome> Replay(const DeadLetterSelection& selection) override;
  Result<DeadLetterOutcome> Drop(const DeadLetterSelection& selection) override;

 private:
  EmbeddedDeadLetterQueue(store::RocksEngine* engine, EmbeddedQueue* queue);

  // The stored dead letters of `selection`, in id order, bounded as Replay says; unknown ids go
  // to outcome->unknown. REQUIRES: move_mutex_ held.
  Result<std::vector<DeadLetter>> Select(const DeadLetterSelection& selection,
                                         DeadLetterOutcome* outcome);
  // The ids of `selection` that are dead letters, in id order (records not read); unknown ids go
  // to outcome->unknown. REQUIRES: move_mutex_ held.
  Result<std::vector<uint64_t>> SelectIds(const DeadLetterSelection& selection,
                                          DeadLetterOutcome* outcome);

  store::RocksEngine* engine_;
  EmbeddedQueue* queue_;
  std::mutex move_mutex_;
  std::atomic<uint64_t> depth_{0};
};

}  // namespace estoque::queue
