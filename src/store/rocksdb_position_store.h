// The embedded PositionStore, on RocksEngine.
#pragma once

#include <memory>
#include <mutex>

#include "store/position_store.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {

// See PositionStore for the contract. Reads use RocksDB directly (lock-free); Apply runs under
// apply_mutex_ (single writer: read current versions, decide with domain::Supersedes, one
// WriteBatch with positions + branch index + counters + queue deletions). The branch index holds
// keys only and is written when a position is created; listing a branch reads its values with
// one MultiGet per page.
//
// Apply keeps, for up to kDecisionCacheEntriesMax keys, an exact copy of what it last stored (or
// read), so the newer-wins decision for a hot key needs no RocksDB read. It is exact because Apply
// is the only writer of positions and updates it only after its write succeeded; hence at most one
// RocksPositionStore may write to an engine at a time. When full, it is
// emptied and refilled (simple and bounded; the seed's workload has a few thousand hot keys).
//
// Apply writes with sync=false: the queue messages it consumes were fsync'ed when enqueued, and a
// lost unsynced tail loses the position updates and the message deletions together, so those
// messages are applied again after restart (still exactly once).
//
// List cursors (`after`, next_after) are the raw last key of the page: "barcode\0branch" without
// a branch, "branch\0barcode" with one. Callers must treat them as opaque.
class RocksPositionStore final : public PositionStore {
 public:
  // Keys whose stored version Apply keeps in memory by default (about 250 bytes each: ~16 MB).
  static constexpr std::size_t kDecisionCacheEntriesMax = 64 * 1024;

  // `engine` must outlive the store. Loads the counters; if that fails, Counters() and Apply()
  // retry the load and report its error until it succeeds. `decision_cache_entries_max` bounds the
  // decision cache (0 disables it; tests use small values to exercise eviction).
  explicit RocksPositionStore(RocksEngine* engine,
                              std::size_t decision_cache_entries_max = kDecisionCacheEntriesMax);
  ~RocksPositionStore() override;

  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override;
  Result<PositionPage> List(std::optional<std::string_view> branch,
                            std::optional<std::string_view> after, std::size_t limit) override;
  Result<ApplyCounters> Counters() override;
  Result<ApplyOutcome> Apply(std::span<const domain::Position> items,
                             std::span<const uint64_t> consumed_message_ids) override;
  bool ConsumesQueueMessages() const override { return true; }

 private:
  struct ApplyScratch;  // per-call buffers reused across Apply calls (rocksdb types, kept out of here)

  // REQUIRES: apply_mutex_ held. Ok once counters_ holds the stored counters.
  Status EnsureCountersLoadedLocked();
  // Fills name, quantity and time of `positions` (barcode and branch set) from the positions
  // family. Corruption if one is missing.
  Status ReadValues(std::vector<domain::Position>* positions);

  RocksEngine* engine_;
  const std::size_t decision_cache_entries_max_;
  std::mutex apply_mutex_;  // serialises Apply; guards scratch_
  std::unique_ptr<ApplyScratch> scratch_;
  // The committed counters and whether they were loaded: written with both mutexes held (counters_
  // only after a successful write), read with either. Lock order: apply_mutex_, counters_mutex_.
  std::mutex counters_mutex_;
  bool counters_loaded_ = false;
  ApplyCounters counters_;
};

}  // namespace estoque::store
