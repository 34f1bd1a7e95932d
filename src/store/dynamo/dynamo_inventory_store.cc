// DynamoInventoryStore: opening, queue batches, API movements, stock reads, reorder points and
// statistics. The ledger reads, the position listings and transfers / reservations are in
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

constexpr std::size_t kActionsMax = ddb::kTransactWriteActionsMax;

// The ledger movement of line `index` of a sale (or of its cancellation), as the embedded store
// records it (origin venda / cancelamento, id "<sale>#<line>").
domain::Movement SaleLineMovement(std::string_view branch, std::string_view sale_id,
                                  const domain::SaleLine& line, std::size_t index,
                                  bool cancellation, int64_t at_us, int64_t now_us) {
  domain::Movement movement;
  movement.kind = cancellation ? domain::MovementKind::kSaleCancel : domain::MovementKind::kSale;
  movement.branch.assign(branch);
  movement.barcode = line.barcode;
  movement.quantity_milli = cancellation ? line.quantity_milli : -line.quantity_milli;
  movement.event_at_us = at_us;
  movement.recorded_at_us = now_us;
  movement.origin = cancellation ? "cancelamento" : "venda";
  movement.id = std::string(sale_id) + "#" + std::to_string(index + 1);
  movement.reference.assign(sale_id);
  return movement;
}

// As RocksInventoryStore: a repeat asks for the same movement (a repeat without an event time
// matches any time).
bool SameMovement(const domain::Movement& original, const domain::Movement& repeat,
                  bool repeat_time_defaulted) {
  return original.kind == repeat.kind && original.reason == repeat.reason &&
         original.barcode == repeat.barcode && original.branch == repeat.branch &&
         original.quantity_milli == repeat.quantity_milli &&
         (repeat_time_defaulted || original.event_at_us == repeat.event_at_us);
}

// A sale record as one chunk of ApplyBatch sees and changes it.
struct ChunkRecord {
  std::optional<SaleRecordItem> stored;  // as read (nullopt: none)
  std::optional<SaleRecordItem> current;
  bool dirty = false;
};

}  // namespace

DynamoInventoryStore::DynamoInventoryStore(std::unique_ptr<ddb::DynamoDbClient> client,
                                           DynamoStoreOptions options, InventoryPolicy* policy)
    : client_(std::move(client)), counting_(client_.get()) {
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

Result<ApplyOutcome> DynamoInventoryStore::ApplyBatch(const IngestBatch& batch) {
  enum class Type { kPosition, kSale, kCancel };
  std::vector<std::pair<Type, std::size_t>> units;
  for (std::size_t i = 0; i < batch.positions.size(); ++i) units.emplace_back(Type::kPosition, i);
  for (std::size_t i = 0; i < batch.sales.size(); ++i) units.emplace_back(Type::kSale, i);
  for (std::size_t i = 0; i < batch.cancels.size(); ++i) units.emplace_back(Type::kCancel, i);
  const uint64_t messages = batch.consumed_message_ids.size();
  if (units.empty()) {
    if (messages == 0) return ApplyOutcome{};
    ddb::UpdateItemRequest update;
    update.table = context_.tables.stats;
    update.key = Item{{"filial", S(StatsShardKey(kChainStatsKey, 0))}};
    update.expression.text = "ADD mensagens :m";
    update.expression.values = {{":m", N(static_cast<int64_t>(messages))}};
    aws::AwsResult<ddb::WriteOutput> updated = counting_.UpdateItem(update);
    if (!updated.ok()) return updated.status();
    return ApplyOutcome{};
  }

  ApplyOutcome total;
  std::size_t next = 0;
  while (next < units.size()) {
    std::size_t end = next;
    ApplyOutcome outcome;
    bool large = false;  // units[next] is a sale (or cancellation) too large for one transaction
    Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
      DynamoTxn txn(context_, NowUnixMicros());
      outcome = ApplyOutcome{};
      large = false;
      std::map<std::string, ChunkRecord> records;
      // Reads what units [from, ...) need and this txn has not read yet (their states and sale
      // records) with BatchGetItem, up to one request's worth of keys.
      auto prefetch_from = [&](std::size_t from) -> Status {
        std::vector<std::pair<std::string, std::string>> keys;
        std::vector<ddb::BatchGetKey> record_keys;
        std::set<std::string> record_names;
        auto add_record = [&](std::string_view branch, std::string_view sale_id) {
          std::string key = SaleItemKey(branch, sale_id);
          if (records.count(key) != 0 || !record_names.insert(key).second) return;
          record_keys.push_back({context_.tables.ids, Item{{"k", S(key)}}});
        };
        for (std::size_t u = from;
             u < units.size() && keys.size() + record_keys.size() < ddb::kBatchGetKeysMax; ++u) {
          const auto [type, index] = units[u];
          if (type == Type::kPosition) {
            const domain::Position& item = batch.positions[index];
            if (!txn.Has(item.barcode, item.branch)) keys.emplace_back(item.barcode, item.branch);
          } else if (type == Type::kSale) {
            const domain::Sale& sale = batch.sales[index];
            for (const domain::SaleLine& line : sale.lines) {
              if (!txn.Has(line.barcode, sale.branch)) keys.emplace_back(line.barcode, sale.branch);
            }
            add_record(sale.branch, sale.id);
          } else {
            add_record(batch.cancels[index].branch, batch.cancels[index].sale_id);
          }
        }
        std::map<std::string, std::vector<Item>> found;
        Status read = txn.Prefetch(keys, record_keys, &found);
        if (!read.ok()) return read;
        for (const Item& item : found[context_.tables.ids]) {
          ChunkRecord record;
          SaleRecordItem stored;
          Status decoded = DecodeSaleRecord(item, &stored);
          if (!decoded.ok()) return decoded;
          record.stored = stored;
          record.current = std::move(stored);
          records.emplace(GetS(item, "k").value_or(""), std::move(record));
        }
        for (const std::string& name : record_names) records.try_emplace(name);  // none stored
        return Status::Ok();
      };
      auto loaded = [&](std::size_t u) {
        const auto [type, index] = units[u];
        if (type == Type::kPosition) {
          return txn.Has(batch.positions[index].barcode, batch.positions[index].branch);
        }
        if (type == Type::kCancel) {
          return records.count(SaleItemKey(batch.cancels[index].branch,
                                           batch.cancels[index].sale_id)) != 0;
        }
        const domain::Sale& sale = batch.sales[index];
        if (records.count(SaleItemKey(sale.branch, sale.id)) == 0) return false;
        return std::all_of(sale.lines.begin(), sale.lines.end(), [&](const domain::SaleLine& l) {
          return txn.Has(l.barcode, sale.branch);
        });
      };

      auto load_record = [&](std::string_view branch,
                             std::string_view sale_id) -> Result<ChunkRecord*> {
        const std::string key = SaleItemKey(branch, sale_id);
        auto found = records.find(key);
        if (found != records.end()) return &found->second;
        aws::AwsResult<ddb::GetItemOutput> read =
            counting_.GetItem({context_.tables.ids, Item{{"k", S(key)}}, true});
        if (!read.ok()) return read.status();
        ChunkRecord record;
        if (read->item) {
          SaleRecordItem stored;
          Status decoded = DecodeSaleRecord(*read->item, &stored);
          if (!decoded.ok()) return decoded;
          record.stored = stored;
          record.current = std::move(stored);
        }
        return &records.emplace(key, std::move(record)).first->second;
      };
      auto record_lines = [&](std::string_view branch, std::string_view sale_id,
                              const std::vector<domain::SaleLine>& lines, bool cancellation,
                              int64_t at_us) -> Status {
        for (std::size_t i = 0; i < lines.size(); ++i) {
          domain::Movement movement = SaleLineMovement(branch, sale_id, lines[i], i, cancellation,
                                                       at_us, txn.now_us());
          Result<DynamoTxn::Entry*> entry = txn.Touch(movement.barcode, movement.branch);
          if (!entry.ok()) return entry.status();
          Status recorded = txn.Record(*entry, movement);
          if (!recorded.ok()) return recorded;
        }
        return Status::Ok();
      };

      for (end = next; end < units.size(); ++end) {
        if (!loaded(end)) {
          Status read = prefetch_from(end);
          if (!read.ok()) return read;
        }
        const auto [type, index] = units[end];
        // Upper bound of the actions this unit adds: its states, ledger entries, record, branch.
        std::size_t bound = 3;
        ChunkRecord* record = nullptr;
        if (type == Type::kSale) {
          bound = 3 * batch.sales[index].lines.size() + 2;
          if (batch.sales[index].lines.size() > kSaleLinesMax) {
            large = end == next;  // alone, by ApplyLargeSale; else after this chunk
            break;
          }
        } else if (type == Type::kCancel) {
          Result<ChunkRecord*> loaded =
              load_record(batch.cancels[index].branch, batch.cancels[index].sale_id);
          if (!loaded.ok()) return loaded.status();
          record = *loaded;
          const std::size_t lines = record->current ? record->current->lines.size() : 0;
          bound = 2 * lines + 2;
          if (lines > kSaleLinesMax && !record->dirty &&
              record->current->status == SaleRecordItem::Status::kApplied) {
            large = end == next;
            break;
          }
        }
        const std::size_t records_written = static_cast<std::size_t>(
            std::count_if(records.begin(), records.end(),
                          [](const auto& record) { return record.second.dirty; }));
        if (end > next && txn.ActionsUpperBound() + records_written + bound > kActionsMax) break;

        if (type == Type::kPosition) {
          const domain::Position& item = batch.positions[index];
          Result<DynamoTxn::Entry*> entry = txn.Touch(item.barcode, item.branch);
          if (!entry.ok()) return entry.status();
          txn.MarkSeen(item.branch);
          domain::Movement count;
          count.kind = domain::MovementKind::kCount;
          count.origin = "posicao";
          count.recorded_at_us = txn.now_us();
          count.branch = item.branch;
          count.barcode = item.barcode;
          count.quantity_milli = item.quantity_milli;
          count.event_at_us = item.updated_at_us;
          count.product_name = item.product_name;
          const std::string identity = PositionCountIdentity(item.quantity_milli, item.product_name);
          count.id = identity.substr(identity.find('\0') + 1);
          const StockState& state = (*entry)->state;
          if (!CountIsNewest(state, count.event_at_us, count.quantity_milli, identity)) {
            ++outcome.dropped_older_items;
            // An older count still belongs in the ledger (as-of queries), once.
            if (state.has_count && state.count_at_us == count.event_at_us &&
                state.count_identity == identity) {
              continue;
            }
            Result<bool> known = txn.LedgerHas(count);
            if (!known.ok()) return known.status();
            if (*known) continue;
          } else {
            ++outcome.applied_items;
          }
          Status recorded = txn.Record(*entry, count);
          if (!recorded.ok()) return recorded;
        } else if (type == Type::kSale) {
          const domain::Sale& sale = batch.sales[index];
          txn.MarkSeen(sale.branch);
          Result<ChunkRecord*> loaded = load_record(sale.branch, sale.id);
          if (!loaded.ok()) return loaded.status();
          ChunkRecord& chunk_record = **loaded;
          if (chunk_record.current &&
              chunk_record.current->status != SaleRecordItem::Status::kCancelPending) {
            outcome.dropped_older_items += sale.lines.size();  // a redelivery: applied before
            continue;
          }
          SaleRecordItem next_record;
          next_record.status = SaleRecordItem::Status::kApplied;
          next_record.event_at_us = sale.event_at_us;
          next_record.origin = sale.origin;
          next_record.lines = sale.lines;
          Status applied = record_lines(sale.branch, sale.id, sale.lines, false, sale.event_at_us);
          if (!applied.ok()) return applied;
          outcome.applied_items += sale.lines.size();
          if (chunk_record.current) {  // its cancellation came first
            next_record.status = SaleRecordItem::Status::kCancelled;
            next_record.cancel_at_us = chunk_record.current->cancel_at_us;
            next_record.cancel_origin = chunk_record.current->cancel_origin;
            applied = record_lines(sale.branch, sale.id, sale.lines, true, next_record.cancel_at_us);
            if (!applied.ok()) return applied;
          }
          chunk_record.current = std::move(next_record);
          chunk_record.dirty = true;
        } else {
          const domain::SaleCancel& cancel = batch.cancels[index];
          if (!record->current) {
            SaleRecordItem pending;
            pending.status = SaleRecordItem::Status::kCancelPending;
            pending.cancel_at_us = cancel.event_at_us;
            pending.cancel_origin = cancel.origin;
            record->current = std::move(pending);
            record->dirty = true;
          } else if (record->current->status == SaleRecordItem::Status::kApplied) {
            record->current->status = SaleRecordItem::Status::kCancelled;
            record->current->cancel_at_us = cancel.event_at_us;
            record->current->cancel_origin = cancel.origin;
            record->dirty = true;
            Status applied = record_lines(cancel.branch, cancel.sale_id, record->current->lines,
                                          true, cancel.event_at_us);
            if (!applied.ok()) return applied;
          }  // else cancelled already, or a cancellation already waits for the sale
        }
      }
      for (auto& [key, record] : records) {
        if (!record.dirty) continue;
        const std::string_view rest = std::string_view(key).substr(6);  // "venda#"
        const std::size_t separator = rest.find('#');
        ddb::PutItemRequest put;
        put.table = context_.tables.ids;
        put.item = EncodeSaleRecord(rest.substr(0, separator), rest.substr(separator + 1),
                                    *record.current);
        if (record.stored) {
          put.condition.text = "st = :st";
          put.condition.values = {{":st", S(SaleStatusName(record.stored->status))}};
        } else {
          put.condition.text = "attribute_not_exists(k)";
        }
        txn.AddAction(ddb::TransactPut(put));
      }
      txn.AddCounters(end == units.size() ? messages : 0, outcome.applied_items,
                      outcome.dropped_older_items);
      return txn.Commit();
    });
    if (!done.ok()) return done;
    if (large) {
      const auto [type, index] = units[next];
      const bool last = next + 1 == units.size();
      Result<ApplyOutcome> applied =
          type == Type::kSale
              ? ApplyLargeSale(batch.sales[index], nullptr, last ? messages : 0)
              : ApplyLargeSale(std::nullopt, &batch.cancels[index], last ? messages : 0);
      if (!applied.ok()) return applied.status();
      outcome = *applied;
      end = next + 1;
    }
    total.applied_items += outcome.applied_items;
    total.dropped_older_items += outcome.dropped_older_items;
    next = end;
  }
  return total;
}

Status DynamoInventoryStore::ApplySaleLinesInParts(std::string_view branch, std::string_view sale_id,
                                                   const std::vector<domain::SaleLine>& lines,
                                                   bool cancellation, int64_t at_us) {
  for (std::size_t begin = 0; begin < lines.size(); begin += kSaleLinesMax) {
    const std::size_t end = std::min(lines.size(), begin + kSaleLinesMax);
    const std::string part_key = SaleItemKey(branch, sale_id) + (cancellation ? "#c" : "#s") +
                                 std::to_string(begin / kSaleLinesMax);
    Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
      DynamoTxn txn(context_, NowUnixMicros());
      std::vector<std::pair<std::string, std::string>> keys;
      for (std::size_t i = begin; i < end; ++i) keys.emplace_back(lines[i].barcode, branch);
      std::map<std::string, std::vector<Item>> found;
      Status read = txn.Prefetch(keys, {{context_.tables.ids, Item{{"k", S(part_key)}}}}, &found);
      if (!read.ok()) return read;
      if (!found[context_.tables.ids].empty()) return CommitOutcome::kCommitted;  // done before
      txn.MarkSeen(branch);
      for (std::size_t i = begin; i < end; ++i) {
        domain::Movement movement = SaleLineMovement(branch, sale_id, lines[i], i, cancellation,
                                                     at_us, txn.now_us());
        Result<DynamoTxn::Entry*> entry = txn.Touch(movement.barcode, movement.branch);
        if (!entry.ok()) return entry.status();
        Status recorded = txn.Record(*entry, movement);
        if (!recorded.ok()) return recorded;
      }
      ddb::PutItemRequest put;
      put.table = context_.tables.ids;
      put.item = Item{{"k", S(part_key)},
                      {"expira_em", N(txn.now_us() / 1'000'000 +
                                      context_.options.movement_id_ttl_seconds)}};
      put.condition.text = "attribute_not_exists(k)";
      txn.AddAction(ddb::TransactPut(put));
      return txn.Commit();
    });
    if (!done.ok()) return done;
  }
  return Status::Ok();
}

Result<ApplyOutcome> DynamoInventoryStore::ApplyLargeSale(std::optional<domain::Sale> sale,
                                                          const domain::SaleCancel* cancel,
                                                          uint64_t messages) {
  const std::string branch = sale ? sale->branch : cancel->branch;
  const std::string sale_id = sale ? sale->id : cancel->sale_id;
  const std::string key = SaleItemKey(branch, sale_id);
  ApplyOutcome outcome;
  Status done = RunWithRetries(context_.options.write_attempts_max, [&]() -> Result<CommitOutcome> {
    outcome = ApplyOutcome{};
    aws::AwsResult<ddb::GetItemOutput> read =
        counting_.GetItem({context_.tables.ids, Item{{"k", S(key)}}, true});
    if (!read.ok()) return read.status();
    std::optional<SaleRecordItem> stored;
    if (read->item) {
      SaleRecordItem decoded;
      Status status = DecodeSaleRecord(*read->item, &decoded);
      if (!status.ok()) return status;
      stored = std::move(decoded);
    }
    SaleRecordItem next;
    if (sale) {
      if (stored && stored->status != SaleRecordItem::Status::kCancelPending) {
        outcome.dropped_older_items = sale->lines.size();  // a redelivery: applied before
      } else {
        Status applied = ApplySaleLinesInParts(branch, sale_id, sale->lines, false, sale->event_at_us);
        if (!applied.ok()) return applied;
        outcome.applied_items = sale->lines.size();
        next.status = SaleRecordItem::Status::kApplied;
        next.event_at_us = sale->event_at_us;
        next.origin = sale->origin;
        next.lines = sale->lines;
        if (stored) {  // its cancellation came first
          next.status = SaleRecordItem::Status::kCancelled;
          next.cancel_at_us = stored->cancel_at_us;
          next.cancel_origin = stored->cancel_origin;
          applied = ApplySaleLinesInParts(branch, sale_id, sale->lines, true, next.cancel_at_us);
          if (!applied.ok()) return applied;
        }
      }
    } else if (stored && stored->status == SaleRecordItem::Status::kApplied) {
      Status applied = ApplySaleLinesInParts(branch, sale_id, stored->lines, true, cancel->event_at_us);
      if (!applied.ok()) return applied;
      next = *stored;
      next.status = SaleRecordItem::Status::kCancelled;
      next.cancel_at_us = cancel->event_at_us;
      next.cancel_origin = cancel->origin;
    }
    // The record last, conditioned on what was read: a replay after a crash between the parts
    // finds it unchanged and completes them (each part is exactly-once by its own record).
    DynamoTxn txn(context_, NowUnixMicros());
    if (outcome.applied_items != 0 || (!sale && stored)) {
      if (next.lines.empty() && !sale) return CommitOutcome::kCommitted;  // nothing to cancel
      ddb::PutItemRequest put;
      put.table = context_.tables.ids;
      put.item = EncodeSaleRecord(branch, sale_id, next);
      if (stored) {
        put.condition.text = "st = :st";
        put.condition.values = {{":st", S(SaleStatusName(stored->status))}};
      } else {
        put.condition.text = "attribute_not_exists(k)";
      }
      txn.AddAction(ddb::TransactPut(put));
    }
    txn.AddCounters(messages, outcome.applied_items, outcome.dropped_older_items);
    return txn.Commit();
  });
  if (!done.ok()) return done;
  return outcome;
}

Result<std::vector<MovementOutcome>> DynamoInventoryStore::RecordMovements(
    std::vector<domain::Movement> movements) {
  if (movements.size() > kMovementsPerWriteMax) {
    return Status::InvalidArgument("at most " + std::to_string(kMovementsPerWriteMax) +
                                   " movements per request with the DynamoDB store");
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
