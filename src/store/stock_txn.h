// StockTxn: one atomic write of the inventory store (internal to the store module). It loads the
// product-branch states it touches (from the writer's cache, else RocksDB), records movements in
// the ledger and applies their effect with the rules of stock_state.h, and on Commit writes
// states, ledger, alerts and branch statistics in ONE RocksDB WriteBatch. Only after the write
// succeeded do the cache and the in-memory statistics learn the new state, so a failed commit
// leaves everything as it was.
//
// REQUIRES: the caller holds the store's writer lock for the whole life of the txn (single
// writer): that is what makes the cache exact and read-decide-write race free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rocksdb/write_batch.h>

#include "common/result.h"
#include "domain/movement.h"
#include "store/inventory_store.h"
#include "store/rocksdb_engine.h"
#include "store/stock_state.h"

namespace estoque::store {

// Per-branch statistics kept up to date by every commit (GET /v1/filiais/{filial}/resumo).
struct BranchStats {
  uint64_t skus = 0;
  int64_t on_hand_total_milli = 0;
  uint64_t low_stock = 0;
  uint64_t negative_stock = 0;
  int64_t last_seen_at_us = 0;
  friend bool operator==(const BranchStats&, const BranchStats&) = default;
};
std::string BranchStatsKey(std::string_view branch);  // meta family: "branch_stats\0" + branch
inline constexpr std::string_view kBranchStatsPrefix{"branch_stats\0", 13};
std::string EncodeBranchStats(const BranchStats& stats);
Result<BranchStats> DecodeBranchStats(std::string_view value);

// key (barcode '\0' branch) -> stored state. Exact copy of what is committed (see above).
using StateCache = std::unordered_map<std::string, StockState>;
using BranchStatsTable = std::unordered_map<std::string, BranchStats>;

// What a txn shares with the store; all guarded by the writer lock except where noted.
struct TxnShared {
  RocksEngine* engine = nullptr;
  InventoryPolicy* policy = nullptr;
  StateCache* cache = nullptr;
  std::size_t cache_entries_max = 0;
  BranchStatsTable* stats = nullptr;  // readers copy under stats_mutex
  std::mutex* stats_mutex = nullptr;  // taken by Commit while it publishes stats
};

class StockTxn {
 public:
  struct Entry {
    std::string key;  // barcode '\0' branch
    std::string barcode;
    std::string branch;
    StockState state;   // working copy
    StockState before;  // as loaded
    bool existed = false;
    bool dirty = false;
    // Non-count movements recorded by this txn (event time, effect): not yet in RocksDB, so a
    // count re-basing in this txn adds them to what it reads.
    std::vector<std::pair<int64_t, int64_t>> pending_deltas;
    // The ledger rows this txn recorded for the product-branch, in Record order: repeated
    // { u32 key_len | key | u32 value_len | value }. Commit puts them one product-branch after
    // another, so that each memtable insert lands next to the previous one (a warm splice and warm
    // nodes) instead of hopping between product-branches in the order the lines came.
    std::string ledger_rows;
  };

  // `expected_entries`: product-branches the txn will probably touch (sizes its tables once).
  StockTxn(const TxnShared& shared, int64_t now_us, std::size_t expected_entries = 16);
  ~StockTxn();
  StockTxn(const StockTxn&) = delete;
  StockTxn& operator=(const StockTxn&) = delete;

  int64_t now_us() const { return now_us_; }
  rocksdb::WriteBatch& batch() { return batch_; }

  // Loads the states of `keys` (pairs barcode, branch) not loaded yet with one MultiGet.
  Status Prefetch(std::span<const std::pair<std::string_view, std::string_view>> keys);
  // The entry of (barcode, branch), loading it if needed; a new empty one if none is stored.
  Result<Entry*> Touch(std::string_view barcode, std::string_view branch);

  // True if this count (same product-branch, time and identity) is in the ledger (committed or
  // recorded by this txn). REQUIRES: movement.is_count().
  Result<bool> LedgerHas(const domain::Movement& movement);
  // Reads the committed ledger entry `ledger_key` (full movement). NotFound if absent.
  Result<domain::Movement> ReadLedger(std::string_view ledger_key);

  // Writes `movement` to the ledger (both families) and applies it to `entry` (which must be its
  // product-branch). REQUIRES: its identity is not in the ledger yet; recorded_at_us is set.
  // Counts that become the newest re-base on_hand on the later deltas (a ledger scan bounded by
  // the movements after it).
  Status Record(Entry* entry, const domain::Movement& movement);

  // Marks `entry` for writing (its reserved / in transit / min stock changed directly, or its
  // alert must be re-evaluated): Commit writes it and re-evaluates its alert.
  void MarkDirty(Entry* entry) { entry->dirty = true; }
  // The branch sent something now (last seen).
  void MarkSeen(std::string_view branch);

  const std::vector<std::unique_ptr<Entry>>& entries() const { return entries_; }

  // Adds alerts, states, branch index and branch stats to the batch and writes it (sync = fsync
  // the WAL first). On success publishes the states to the cache and the stats. Call once.
  Status Commit(bool sync);

 private:
  // The lines of one sale or cancellation recorded by this txn: one branch index entry (see
  // ledger_codec.h), written by Commit.
  struct IndexGroup {
    std::string branch;
    int64_t event_at_us = 0;
    std::string origin;
    std::string reference;
    // (id after "<reference>#", barcode): in that order as in (id, barcode) order, and short
    // enough to need no allocation
    std::vector<std::pair<std::string, std::string>> members;
  };

  Entry* Insert(std::string_view barcode, std::string_view branch, std::string key);
  Status SumDeltasAfter(const Entry& entry, int64_t after_us, int64_t* sum);
  // Adds a groupable movement (IsBranchIndexGroupable) to its group.
  void AddToIndexGroup(const domain::Movement& movement);
  // Puts one branch index entry per group.
  void WriteIndexGroups();
  // Puts the ledger rows `entry` holds (Entry::ledger_rows) into the batch.
  void PutLedgerRows(const Entry& entry);

  TxnShared shared_;
  int64_t now_us_;
  rocksdb::WriteBatch batch_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::string_view, Entry*> by_key_;  // views into Entry::key
  std::unordered_set<std::string> counts_written_;       // ledger keys of counts recorded here
  std::unordered_map<std::string, int64_t> seen_;        // branch -> now, for MarkSeen
  std::vector<IndexGroup> index_groups_;
  // branch \0 origin \0 reference \0 time -> index in index_groups_ (a sale's lines usually
  // arrive one after another: the last group is tried first)
  std::unordered_map<std::string, std::size_t> index_group_of_;
  std::string scratch_;      // encoded values
  std::string key_scratch_;  // keys being built
};

}  // namespace estoque::store
