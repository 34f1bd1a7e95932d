// DynamoInventoryStore: opening, API movements, stock reads, reorder points and statistics.
// Queue batches, the ledger reads, the position listings and transfers / reservations are in
// dynamo_*.cc beside it.
#include "store/dynamo/dynamo_inventory_store.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"
#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"
#include "store/rocks_inventory_store.h"

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace {

// As RocksInventoryStore: a repeat asks for the same movement (a repeat without an event time
// matches any time).
bool SameMovement(const domain::Movement& original, const domain::Movement& repeat,
                  bool repeat_time_defaulted) {
  return original.kind == repeat.kind && original.reason == repeat.reason &&
         original.barcode == repeat.barcode && original.branch == repeat.branch &&
         original.quantity_milli == repeat.quantity_milli &&
         (repeat_time_defaulted || original.event_at_us == repeat.event_at_us);
}

}  // namespace

DynamoInventoryStore::DynamoInventoryStore(std::unique_ptr<ddb::DynamoDbClient> client,
                                           DynamoStoreOptions options, InventoryPolicy* policy)
    : client_(std::move(client)),
      counting_(client_.get(),
                ddb::IndexKeysOf(TableSpecs(TableNamesFor(options.table_prefix), options))) {
  if (policy == nullptr) {
    default_policy_ = std::make_unique<DefaultInventoryPolicy>();
    policy = default_policy_.get();
  }
  context_.client = &counting_;
  context_.tables = TableNamesFor(options.table_prefix);
  context_.policy = policy;
  context_.options = std::move(options);
}

DynamoInventoryStore::~DynamoInventoryStore() = default;

CapacityUsage DynamoInventoryStore::CapacityUsageSnapshot() const {
  CapacityUsage usage;
  for (const auto& [operation, count] : counting_.Snapshot()) {
    usage[operation] = OperationUsage{count.requests, count.read_units, count.write_units};
  }
  return usage;
}

Result<std::unique_ptr<DynamoInventoryStore>> OpenDynamoInventoryStore(
    aws::AwsClientConfig config, DynamoStoreOptions options, InventoryPolicy* policy) {
  auto client = std::make_unique<ddb::DynamoDbClient>(std::move(config));
  if (options.create_tables) {
    Status ensured = EnsureTables(*client, TableNamesFor(options.table_prefix), options);
    if (!ensured.ok()) return ensured;
  }
  return std::make_unique<DynamoInventoryStore>(std::move(client), std::move(options), policy);
}

Result<std::vector<std::string>> DynamoInventoryStore::Branches() {
  ddb::ScanRequest scan;
  scan.table = context_.tables.stats;
  scan.consistent_read = true;
  std::vector<std::string> branches;
  for (;;) {
    aws::AwsResult<ddb::QueryPage> page = counting_.Scan(scan);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      const std::string key = GetS(item, "filial").value_or("");
      const std::string_view branch = StatsBranchOf(key);
      if (!branch.empty() && branch != kChainStatsKey) branches.emplace_back(branch);
    }
    if (!page->last_evaluated_key) break;
    scan.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  std::sort(branches.begin(), branches.end());
  branches.erase(std::unique(branches.begin(), branches.end()), branches.end());
  return branches;
}

Result<std::vector<Item>> DynamoInventoryStore::StatsShards(std::string_view branch) {
  std::vector<ddb::BatchGetKey> keys;
  for (int shard = 0; shard < kStatsShards; ++shard) {
    keys.push_back({context_.tables.stats, Item{{"filial", S(StatsShardKey(branch, shard))}}});
  }
  aws::AwsResult<std::map<std::string, std::vector<Item>>> items = counting_.BatchGet(keys);
  if (!items.ok()) return items.status();
  return std::move((*items)[context_.tables.stats]);
}

Result<ApplyCounters> DynamoInventoryStore::Counters() {
  Result<std::vector<Item>> shards = StatsShards(kChainStatsKey);
  if (!shards.ok()) return shards.status();
  ApplyCounters counters;
  for (const Item& item : *shards) {
    counters.applied_messages_total += static_cast<uint64_t>(GetN(item, "mensagens"));
    counters.applied_items_total += static_cast<uint64_t>(GetN(item, "aplicados"));
    counters.dropped_older_items_total += static_cast<uint64_t>(GetN(item, "descartados"));
  }
  return counters;
}

Result<ApplyOutcome> DynamoInventoryStore::Apply(std::span<const domain::Position> items,
                                                 std::span<const uint64_t> consumed_message_ids) {
  IngestBatch batch;
  batch.positions = items;
  batch.consumed_message_ids = consumed_message_ids;
  return ApplyBatch(batch);
}

Result<std::vector<MovementOutcome>> DynamoInventoryStore::RecordMovements(
    std::vector<domain::Movement> movements) {
  if (movements.size() > kMovementsPerWriteMax) {
    return Status::InvalidArgument("movimentos: at most " + std::to_string(kMovementsPerWriteMax) +
                                   " per request with the DynamoDB store");
  }
  std::vector<MovementOutcome> outcomes;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    DynamoTxn txn(context_, NowUnixMicros());
    outcomes.clear();
    outcomes.reserve(movements.size());
    // The id records and the states, read with one BatchGetItem.
    std::vector<ddb::BatchGetKey> id_keys;
    std::vector<std::pair<std::string, std::string>> state_keys;
    for (const domain::Movement& movement : movements) {
      id_keys.push_back({context_.tables.ids,
                         Item{{"k", S(MovementIdItemKey(movement.branch, movement.origin,
                                                        movement.id))}}});
      state_keys.emplace_back(movement.barcode, movement.branch);
    }
    std::map<std::string, std::vector<Item>> found;
    Status prefetched = txn.Prefetch(state_keys, id_keys, &found);
    if (!prefetched.ok()) return prefetched;
    std::unordered_map<std::string, Item> known_ids;
    for (Item& item : found[context_.tables.ids]) {
      known_ids.emplace(GetS(item, "k").value_or(""), std::move(item));
    }

    std::unordered_map<std::string, std::size_t> ids_in_call;  // id key -> index in outcomes
    std::unordered_set<DynamoTxn::Entry*> lowered;
    for (domain::Movement movement : movements) {
      movement.recorded_at_us = txn.now_us();
      const bool time_defaulted = movement.event_at_us < 0;
      if (time_defaulted) movement.event_at_us = txn.now_us();
      const std::string id_key = MovementIdItemKey(movement.branch, movement.origin, movement.id);
      auto repeated = ids_in_call.find(id_key);
      if (repeated != ids_in_call.end()) {
        MovementOutcome original = outcomes[repeated->second];
        if (!SameMovement(original.movement, movement, time_defaulted)) {
          return Status::Conflict("id " + movement.id + " already used for another movement");
        }
        original.duplicate = true;
        outcomes.push_back(std::move(original));
        continue;
      }
      auto known = known_ids.find(id_key);
      if (known != known_ids.end()) {
        Item ledger_key{{"pb", S(GetS(known->second, "pb").value_or(""))},
                        {"sk", S(GetS(known->second, "sk").value_or(""))}};
        aws::AwsResult<ddb::GetItemOutput> read =
            counting_.GetItem({context_.tables.ledger, ledger_key, true});
        if (!read.ok()) return read.status();
        if (!read->item) return Status::Corruption("movement id names a missing ledger entry");
        domain::Movement original;
        Status decoded = DecodeMovement(*read->item, &original);
        if (!decoded.ok()) return decoded;
        if (!SameMovement(original, movement, time_defaulted)) {
          return Status::Conflict("id " + movement.id + " already used for another movement");
        }
        ids_in_call.emplace(id_key, outcomes.size());
        outcomes.push_back(MovementOutcome{std::move(original), true});
        continue;
      }
      Result<DynamoTxn::Entry*> entry = txn.Touch(movement.barcode, movement.branch);
      if (!entry.ok()) return entry.status();
      Status recorded = txn.Record(*entry, movement);
      if (!recorded.ok()) return recorded;
      if (!movement.is_count() && movement.quantity_milli < 0 &&
          movement.kind != domain::MovementKind::kSale) {
        lowered.insert(*entry);
      }
      ddb::PutItemRequest put;
      put.table = context_.tables.ids;
      put.item = EncodeMovementId(movement, txn.now_us(), context_.options.movement_id_ttl_seconds);
      put.condition.text = "attribute_not_exists(k)";
      txn.AddAction(ddb::TransactPut(put));
      ids_in_call.emplace(id_key, outcomes.size());
      outcomes.push_back(MovementOutcome{movement, false});
    }
    for (DynamoTxn::Entry* entry : lowered) {
      if (entry->state.on_hand_milli < 0 &&
          entry->state.on_hand_milli < entry->before.on_hand_milli &&
          !context_.policy->AllowsNegativeStock(entry->branch)) {
        return Status::Conflict("insufficient stock of " + entry->barcode + " in branch " +
                                entry->branch);
      }
    }
    return txn.Commit();
  });
  if (!done.ok()) return done;
  return outcomes;
}

Result<StockState> DynamoInventoryStore::GetStock(std::string_view barcode,
                                                  std::string_view branch) {
  aws::AwsResult<ddb::GetItemOutput> read =
      counting_.GetItem({context_.tables.positions, StateKey(barcode, branch), true});
  if (!read.ok()) return read.status();
  if (!read->item) return Status::NotFound("no stock for this barcode and branch");
  StockState state;
  int64_t version = 0;
  Status decoded = DecodeState(*read->item, &state, &version);
  if (!decoded.ok()) return decoded;
  return state;
}

Result<std::vector<std::pair<std::string, StockState>>> DynamoInventoryStore::GetStockByBarcode(
    std::string_view barcode) {
  ddb::QueryRequest query;
  query.table = context_.tables.positions;
  query.key_condition.text = "codigo_barra = :cb";
  query.key_condition.values = {{":cb", S(barcode)}};
  query.consistent_read = true;
  std::vector<std::pair<std::string, StockState>> states;
  for (;;) {
    aws::AwsResult<ddb::QueryPage> page = counting_.Query(query);
    if (!page.ok()) return page.status();
    for (const Item& item : page->items) {
      auto& [branch, state] = states.emplace_back();
      branch = GetS(item, "filial").value_or("");
      int64_t version = 0;
      Status decoded = DecodeState(item, &state, &version);
      if (!decoded.ok()) return decoded;
    }
    if (!page->last_evaluated_key) break;
    query.exclusive_start_key = std::move(*page->last_evaluated_key);
  }
  return states;
}

Result<BranchSummary> DynamoInventoryStore::Summary(std::string_view branch) {
  Result<std::vector<Item>> shards = StatsShards(branch);
  if (!shards.ok()) return shards.status();
  BranchSummary summary;
  for (const Item& item : *shards) {
    summary.skus += static_cast<uint64_t>(GetN(item, "skus"));
    summary.on_hand_total_milli += GetN(item, "em_estoque_total_milli");
    summary.low_stock += static_cast<uint64_t>(GetN(item, "estoque_baixo"));
    summary.negative_stock += static_cast<uint64_t>(GetN(item, "estoque_negativo"));
    summary.last_seen_at_us = std::max(summary.last_seen_at_us, GetN(item, "visto_us"));
  }
  return summary;
}

Result<StockState> DynamoInventoryStore::SetMinStock(std::string_view barcode,
                                                     std::string_view branch,
                                                     std::optional<int64_t> min_stock_milli) {
  StockState result;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    DynamoTxn txn(context_, NowUnixMicros());
    Result<DynamoTxn::Entry*> entry = txn.Touch(barcode, branch);
    if (!entry.ok()) return entry.status();
    (*entry)->state.min_stock_milli = min_stock_milli;
    txn.MarkDirty(*entry);
    Result<CommitOutcome> committed = txn.Commit();
    if (committed.ok()) result = (*entry)->state;
    return committed;
  });
  if (!done.ok()) return done;
  return result;
}

Status DynamoInventoryStore::RefreshAlerts(std::string_view barcode) {
  Result<std::vector<std::pair<std::string, StockState>>> states = GetStockByBarcode(barcode);
  if (!states.ok()) return states.status();
  constexpr std::size_t kBranchesPerWrite = 40;  // a state and a statistics update each
  for (std::size_t begin = 0; begin < states->size(); begin += kBranchesPerWrite) {
    const std::size_t end = std::min(states->size(), begin + kBranchesPerWrite);
    Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
      DynamoTxn txn(context_, NowUnixMicros());
      std::vector<std::pair<std::string, std::string>> keys;
      for (std::size_t i = begin; i < end; ++i) keys.emplace_back(std::string(barcode), (*states)[i].first);
      Status prefetched = txn.Prefetch(keys);
      if (!prefetched.ok()) return prefetched;
      for (const auto& [unused, branch] : keys) {
        Result<DynamoTxn::Entry*> entry = txn.Touch(barcode, branch);
        if (!entry.ok()) return entry.status();
        txn.MarkDirty(*entry);
      }
      return txn.Commit();
    });
    if (!done.ok()) return done;
  }
  return Status::Ok();
}

}  // namespace estoque::store::dynamo
