// DynamoInventoryStore: queue batches (positions, sales, cancellations), applied in transactions
// of up to 100 actions, and sales too large for one transaction, applied in parts.
#include <algorithm>
#include <map>
#include <set>

#include "common/clock.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/dynamo/dynamo_items.h"
#include "store/ledger_codec.h"
#include "store/flow_steps.h"

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

// A sale record as one chunk of ApplyBatch sees and changes it.
struct ChunkRecord {
  std::optional<SaleRecordItem> stored;  // as read (nullopt: none)
  std::optional<SaleRecordItem> current;
  bool dirty = false;
};

}  // namespace

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
          Status recorded = RecordPositionCount(txn, *entry, item, count, &outcome);
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

}  // namespace estoque::store::dynamo
