// The embedded InventoryStore, on RocksEngine (see inventory_store.h for the contract and
// docs/INVENTORY.md for the model).
//
// Reads use RocksDB directly (lock-free). Every write runs under writer_mutex_ as one StockTxn:
// read states (from an exact in-memory cache of what was last committed, else RocksDB), decide,
// one WriteBatch. Queue batches write with sync=false (their messages were fsync'ed when
// enqueued, and the queue rows are deleted in the same batch, so a lost tail is applied again);
// API writes fsync before they return (under the default durability). At most one
// RocksInventoryStore may write to an engine at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

#include "store/inventory_store.h"
#include "store/rocksdb_engine.h"
#include "store/stock_txn.h"

namespace estoque::store {

// Policy used when none is given: no branch allows negative stock; reorder points 0.
class DefaultInventoryPolicy final : public InventoryPolicy {
 public:
  bool AllowsNegativeStock(std::string_view) override { return false; }
  int64_t DefaultMinStock(std::string_view) override { return 0; }
};

class RocksInventoryStore final : public InventoryStore {
 public:
  // Product-branch states the writer keeps in memory (about 300 bytes each: ~20 MB).
  static constexpr std::size_t kStateCacheEntriesMax = 64 * 1024;

  // `engine` (and `policy`, if given) must outlive the store. Loads counters and branch
  // statistics; a load failure is reported by the first write (which retries it).
  explicit RocksInventoryStore(RocksEngine* engine, InventoryPolicy* policy = nullptr,
                               std::size_t state_cache_entries_max = kStateCacheEntriesMax);
  ~RocksInventoryStore() override;

  // PositionStore
  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override;
  Result<PositionPage> List(std::optional<std::string_view> branch,
                            std::optional<std::string_view> after, std::size_t limit) override;
  Result<ApplyCounters> Counters() override;
  StorageCondition Storage() const override { return engine_->storage_condition(); }
  Result<ApplyOutcome> Apply(std::span<const domain::Position> items,
                             std::span<const uint64_t> consumed_message_ids) override;
  bool ConsumesQueueMessages() const override { return true; }

  // InventoryStore
  Result<ApplyOutcome> ApplyBatch(const IngestBatch& batch) override;
  Result<std::vector<MovementOutcome>> RecordMovements(
      std::vector<domain::Movement> movements) override;
  Result<StockState> GetStock(std::string_view barcode, std::string_view branch) override;
  Result<std::vector<std::pair<std::string, StockState>>> GetStockByBarcode(
      std::string_view barcode) override;
  Result<StockAsOf> StockAt(std::string_view barcode, std::string_view branch,
                            int64_t at_us) override;
  Result<LedgerPage> ListLedger(const LedgerQuery& query) override;
  Result<AlertPage> ListAlerts(std::optional<std::string_view> branch,
                               std::optional<AlertKind> kind,
                               std::optional<std::string_view> after, std::size_t limit) override;
  Result<BranchSummary> Summary(std::string_view branch) override;
  Result<StockState> SetMinStock(std::string_view barcode, std::string_view branch,
                                 std::optional<int64_t> min_stock_milli) override;
  Status RefreshAlerts(std::string_view barcode) override;

  Result<std::pair<domain::Transfer, bool>> CreateTransfer(domain::Transfer transfer) override;
  Result<domain::Transfer> ShipTransfer(std::string_view id, int64_t at_us) override;
  Result<domain::Transfer> ReceiveTransfer(std::string_view id,
                                           std::optional<std::vector<int64_t>> received,
                                           int64_t at_us) override;
  Result<domain::Transfer> CancelTransfer(std::string_view id, int64_t at_us) override;
  Result<domain::Transfer> GetTransfer(std::string_view id) override;
  Result<TransferPage> ListTransfers(std::optional<std::string_view> branch,
                                     std::optional<domain::TransferStatus> status,
                                     std::optional<std::string_view> after,
                                     std::size_t limit) override;

  Result<std::pair<domain::Reservation, bool>> CreateReservation(domain::Reservation reservation,
                                                                 int64_t now_us) override;
  Result<domain::Reservation> ConfirmReservation(std::string_view id, int64_t now_us) override;
  Result<domain::Reservation> ReleaseReservation(std::string_view id, int64_t now_us) override;
  Result<domain::Reservation> GetReservation(std::string_view id) override;
  Result<ReservationPage> ListReservations(std::optional<std::string_view> branch,
                                           std::optional<domain::ReservationStatus> status,
                                           std::optional<std::string_view> after,
                                           std::size_t limit) override;
  Result<std::size_t> ExpireReservations(int64_t now_us) override;

 private:
  // REQUIRES: writer_mutex_ held. Ok once counters and branch stats are loaded.
  Status EnsureLoadedLocked();
  TxnShared Shared();
  // REQUIRES: writer_mutex_ held. Applies the stock effects of ending an active reservation.
  Status EndReservationLocked(StockTxn& txn, domain::Reservation* reservation,
                              domain::ReservationStatus status, int64_t now_us);
  Status ExpireDueLocked(StockTxn& txn, int64_t now_us, std::size_t* expired);
  Result<domain::Transfer> ReadTransfer(std::string_view id);
  Result<domain::Reservation> ReadReservation(std::string_view id);
  // Values of one branch's index page (positions read with one MultiGet).
  Status ReadPositionValues(std::vector<domain::Position>* positions);

  RocksEngine* engine_;
  DefaultInventoryPolicy default_policy_;
  InventoryPolicy* policy_;
  const std::size_t state_cache_entries_max_;

  std::mutex writer_mutex_;  // the single writer; guards cache_ and loaded_
  StateCache cache_;
  bool loaded_ = false;
  // Published state, written under writer_mutex_ + stats_mutex_, read under stats_mutex_.
  std::mutex stats_mutex_;
  BranchStatsTable stats_;
  ApplyCounters counters_;
  bool counters_published_ = false;  // counters_ loaded from disk (guarded by stats_mutex_)
};

}  // namespace estoque::store
