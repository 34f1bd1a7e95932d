// The embedded PositionStore, on RocksEngine.
#pragma once

#include <memory>
#include <mutex>

#include "store/position_store.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {

// See PositionStore for the contract. Reads use RocksDB directly (lock-free); Apply runs under
// apply_mutex_ (single writer: read current versions, decide with domain::Supersedes, one
// WriteBatch with positions + branch index + counters + queue deletions).
class RocksPositionStore final : public PositionStore {
 public:
  // `engine` must outlive the store.
  explicit RocksPositionStore(RocksEngine* engine);

  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override;
  Result<PositionPage> List(std::optional<std::string_view> branch,
                            std::optional<std::string_view> after, std::size_t limit) override;
  Result<ApplyCounters> Counters() override;
  Result<ApplyOutcome> Apply(std::span<const domain::Position> items,
                             std::span<const uint64_t> consumed_message_ids) override;
  bool ConsumesQueueMessages() const override { return true; }

 private:
  RocksEngine* engine_;
  std::mutex apply_mutex_;
};

}  // namespace estoque::store
