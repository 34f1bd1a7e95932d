// DynamoTxn: one atomic write of the DynamoDB inventory store, the counterpart of StockTxn
// (store/stock_txn.h) with the same rules (stock_state.h) and DynamoDB's tools instead of a single
// writer. It reads the product-branch states it touches (strongly consistent), records movements
// and applies them, and Commit sends ONE TransactWriteItems holding:
//   - each changed state as a Put conditioned on the version read (`v = :v`, or
//     attribute_not_exists for a new one): any concurrent change of that item, by any node, makes
//     the whole transaction fail instead of being overwritten (optimistic concurrency);
//   - each ledger entry as a Put with attribute_not_exists(sk);
//   - the extra actions the caller added (ids records, transfer and reservation records, each
//     with its own condition);
//   - per branch an UpdateItem ADD of the statistics, and the chain counters.
// A transaction DynamoDB cancels because a condition failed or another transaction held an item
// is reported as Raced: the caller starts again from the reads (RunWithRetries). Nothing of a
// raced or failed txn was written.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "aws/dynamodb_requests.h"

#include "common/result.h"
#include "domain/movement.h"
#include "store/dynamo/counting_client.h"
#include "store/dynamo/dynamo_schema.h"
#include "store/inventory_store.h"
#include "store/stock_state.h"

namespace estoque::store::dynamo {

using aws::dynamodb::Item;

// What every txn and read of one store shares. Pointers outlive the txns.
struct DynamoContext {
  CountingClient* client = nullptr;
  TableNames tables;
  InventoryPolicy* policy = nullptr;
  DynamoStoreOptions options;
};

// The statistics of a branch (and the chain's apply counters, "branch" kChainStatsKey) are
// kStatsShards items, "<branch>#<k>": every transaction adds to one of them, chosen at random, so
// that concurrent transactions of one branch seldom meet on one item (DynamoDB refuses a
// transaction that touches an item another transaction holds: TransactionConflict). Readers
// sum the shards.
inline constexpr std::string_view kChainStatsKey = "#cadeia";  // branches never hold '#'
inline constexpr int kStatsShards = 8;
std::string StatsShardKey(std::string_view branch, int shard);
// The branch of a statistics item's key (what precedes the last '#').
std::string_view StatsBranchOf(std::string_view key);

enum class CommitOutcome { kCommitted, kRaced };

class DynamoTxn {
 public:
  struct Entry {
    std::string barcode;
    std::string branch;
    StockState state;   // working copy
    StockState before;  // as read
    bool existed = false;
    int64_t version = 0;  // as read
    bool dirty = false;
    bool touched = false;  // asked for by Touch (a prefetched entry may stay unused)
    // Non-count movements recorded by this txn (event time, effect), not yet in the ledger.
    std::vector<std::pair<int64_t, int64_t>> pending_deltas;
  };

  DynamoTxn(const DynamoContext& context, int64_t now_us);

  int64_t now_us() const { return now_us_; }

  // Reads the states of `keys` (barcode, branch) not read yet with BatchGetItem and, in the same
  // requests, the keys `others` of other tables, whose items go to *other_items (by table).
  Status Prefetch(std::span<const std::pair<std::string, std::string>> keys,
                  const std::vector<aws::dynamodb::BatchGetKey>& others = {},
                  std::map<std::string, std::vector<Item>>* other_items = nullptr);
  // True if the state of (barcode, branch) was read (or found missing) already.
  bool Has(std::string_view barcode, std::string_view branch) const {
    return by_key_.count(KeyOf(barcode, branch)) != 0;
  }
  // The entry of (barcode, branch), read if needed; a new empty one if none is stored.
  Result<Entry*> Touch(std::string_view barcode, std::string_view branch);

  // True if this count (same product-branch, time and identity) is in the ledger or in this txn.
  Result<bool> LedgerHas(const domain::Movement& movement);
  // Records `movement` in the ledger and applies it to `entry` (its product-branch), as
  // StockTxn::Record. REQUIRES: recorded_at_us set; not in the ledger yet.
  Status Record(Entry* entry, const domain::Movement& movement);
  void MarkDirty(Entry* entry) { entry->dirty = true; }
  void MarkSeen(std::string_view branch);
  // Adds to the chain counters (ApplyCounters) in this txn.
  void AddCounters(uint64_t messages, uint64_t applied_items, uint64_t dropped_items);
  // An extra TransactWriteItems action (TransactPut / TransactUpdate / ...).
  void AddAction(boost::json::object action) { extra_actions_.push_back(std::move(action)); }

  // Actions Commit would send now, counting every touched entry and branch as changed.
  std::size_t ActionsUpperBound() const;
  bool Empty() const;

  // Computes alerts and statistics and sends the transaction. kRaced when DynamoDB cancelled it
  // for a condition or a conflict; InvalidArgument if it holds more than 100 actions.
  Result<CommitOutcome> Commit();

  const std::vector<std::unique_ptr<Entry>>& entries() const { return entries_; }

 private:
  Entry* Insert(std::string_view barcode, std::string_view branch);
  Status SumDeltasAfter(const Entry& entry, int64_t after_us, int64_t* sum);
  static std::string KeyOf(std::string_view barcode, std::string_view branch);

  const DynamoContext& context_;
  int64_t now_us_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::string, Entry*> by_key_;
  std::vector<boost::json::object> ledger_puts_;
  std::set<std::string> ledger_keys_;  // pb \0 sk of ledger_puts_
  std::vector<boost::json::object> extra_actions_;
  std::set<std::string> seen_;
  uint64_t counter_messages_ = 0;
  uint64_t counter_applied_ = 0;
  uint64_t counter_dropped_ = 0;
};

// Runs `attempt` (which builds and commits one txn from fresh reads) until it commits or fails,
// at most `attempts_max` times, sleeping a jittered, growing delay between attempts. Unavailable
// when every attempt raced.
Status RunWithRetries(int attempts_max, const std::function<Result<CommitOutcome>()>& attempt);

// True if `error` is a transaction DynamoDB cancelled for a failed condition or a conflicting
// transaction (what a concurrent writer causes).
bool IsRace(const aws::AwsError& error);

}  // namespace estoque::store::dynamo
