// RocksInventoryStore: construction, queue batches, API movements, stock reads and reorder points.
// Transfers, reservations, the ledger reads and the position listings are in rocks_*.cc beside it.
#include "store/rocks_inventory_store.h"

#include <algorithm>
#include <cassert>
#include <unordered_map>
#include <unordered_set>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/clock.h"
#include "store/ledger_codec.h"
#include "store/position_codec.h"
#include "store/record_codec.h"
#include "store/flow_steps.h"

namespace estoque::store {
namespace {

constexpr std::string_view kCountersKey = "counters";

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// Sets *movement to the ledger movement of line `index` of a sale (kind kSale) or of its
// cancellation, reusing its strings' capacity (the apply path calls this per sale line).
void AssignSaleLineMovement(const domain::Sale& sale_or_header, const domain::SaleLine& line,
                            std::size_t index, bool cancellation, int64_t at_us, int64_t now_us,
                            domain::Movement* movement) {
  movement->kind = cancellation ? domain::MovementKind::kSaleCancel : domain::MovementKind::kSale;
  movement->reason = domain::AdjustReason::kNone;
  movement->branch.assign(sale_or_header.branch);
  movement->barcode.assign(line.barcode);
  movement->quantity_milli = cancellation ? line.quantity_milli : -line.quantity_milli;
  movement->event_at_us = at_us;
  movement->recorded_at_us = now_us;
  movement->origin.assign(cancellation ? "cancelamento" : "venda");
  movement->id.assign(sale_or_header.id);
  movement->id.push_back('#');
  movement->id.append(std::to_string(index + 1));
  movement->reference.assign(sale_or_header.id);
  movement->product_name.clear();
}

// True if `repeat` asks for the same movement as `original` (what the client chose; a repeat
// without an event time, which defaults to the record time, matches any time).
bool SameMovement(const domain::Movement& original, const domain::Movement& repeat,
                  bool repeat_time_defaulted) {
  return original.kind == repeat.kind && original.reason == repeat.reason &&
         original.barcode == repeat.barcode && original.branch == repeat.branch &&
         original.quantity_milli == repeat.quantity_milli &&
         (repeat_time_defaulted || original.event_at_us == repeat.event_at_us);
}

}  // namespace

RocksInventoryStore::RocksInventoryStore(RocksEngine* engine, InventoryPolicy* policy,
                                         std::size_t state_cache_entries_max)
    : engine_(engine),
      policy_(policy != nullptr ? policy : &default_policy_),
      state_cache_entries_max_(state_cache_entries_max) {
  assert(engine != nullptr);
  std::lock_guard<std::mutex> lock(writer_mutex_);
  static_cast<void>(EnsureLoadedLocked());  // a failure is reported by the first write
}

RocksInventoryStore::~RocksInventoryStore() = default;

TxnShared RocksInventoryStore::Shared() {
  return TxnShared{engine_, policy_, &cache_, state_cache_entries_max_, &stats_, &stats_mutex_};
}

Status RocksInventoryStore::EnsureLoadedLocked() {
  if (loaded_) return Status::Ok();
  std::string value;
  rocksdb::Status read =
      engine_->db()->Get(rocksdb::ReadOptions(), engine_->meta(), ToSlice(kCountersKey), &value);
  ApplyCounters counters;
  if (read.ok()) {
    Result<ApplyCounters> decoded = DecodeCounters(value);
    if (!decoded.ok()) return decoded.status();
    counters = *decoded;
  } else if (!read.IsNotFound()) {
    return FromRocks(read, "read counters");
  }
  BranchStatsTable stats;
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->meta()));
  for (it->Seek(ToSlice(kBranchStatsPrefix)); it->Valid(); it->Next()) {
    const std::string_view key = ToView(it->key());
    if (!key.starts_with(kBranchStatsPrefix)) break;
    Result<BranchStats> decoded = DecodeBranchStats(ToView(it->value()));
    if (!decoded.ok()) return decoded.status();
    stats.emplace(std::string(key.substr(kBranchStatsPrefix.size())), *decoded);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "read branch stats");
  std::lock_guard<std::mutex> lock(stats_mutex_);
  counters_ = counters;
  stats_ = std::move(stats);
  counters_published_ = true;
  loaded_ = true;
  return Status::Ok();
}

Result<ApplyCounters> RocksInventoryStore::Counters() {
  // Once loaded, the counters are published under stats_mutex_ after each commit: reading them
  // must not wait for the writer, which may be applying a large batch (GET /v1/fila has to answer
  // while the worker lags, that is when it matters).
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    if (counters_published_) return counters_;
  }
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return counters_;
}

Result<ApplyOutcome> RocksInventoryStore::Apply(std::span<const domain::Position> items,
                                                std::span<const uint64_t> consumed_message_ids) {
  IngestBatch batch;
  batch.positions = items;
  batch.consumed_message_ids = consumed_message_ids;
  return ApplyBatch(batch);
}

Result<ApplyOutcome> RocksInventoryStore::ApplyBatch(const IngestBatch& batch) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  if (batch.positions.empty() && batch.sales.empty() && batch.cancels.empty() &&
      batch.consumed_message_ids.empty()) {
    return ApplyOutcome{};
  }
  std::vector<std::pair<std::string_view, std::string_view>> keys;
  keys.reserve(batch.positions.size());
  for (const domain::Position& item : batch.positions) keys.emplace_back(item.barcode, item.branch);
  for (const domain::Sale& sale : batch.sales) {
    for (const domain::SaleLine& line : sale.lines) keys.emplace_back(line.barcode, sale.branch);
  }
  StockTxn txn(Shared(), NowUnixMicros(), keys.size());
  ApplyOutcome outcome;
  Status prefetched = txn.Prefetch(keys);
  if (!prefetched.ok()) return prefetched;

  // Positions: counts as of their time.
  domain::Movement count;
  for (const domain::Position& item : batch.positions) {
    Result<StockTxn::Entry*> entry = txn.Touch(item.barcode, item.branch);
    if (!entry.ok()) return entry.status();
    txn.MarkSeen(item.branch);
    Status recorded = RecordPositionCount(txn, *entry, item, count, &outcome);
    if (!recorded.ok()) return recorded;
  }

  // Sales and cancellations, keyed by (branch, sale id). `records` holds what this batch wrote.
  std::unordered_map<std::string, SaleRecord> records;
  auto load_record = [&](std::string_view branch,
                         std::string_view sale_id) -> Result<std::optional<SaleRecord>> {
    const std::string key = SaleKey(branch, sale_id);
    auto found = records.find(key);
    if (found != records.end()) return std::optional<SaleRecord>(found->second);
    std::string value;
    rocksdb::Status read =
        engine_->db()->Get(rocksdb::ReadOptions(), engine_->sales(), ToSlice(key), &value);
    if (read.IsNotFound()) return std::optional<SaleRecord>();
    if (!read.ok()) return FromRocks(read, "read sale");
    Result<SaleRecord> decoded = DecodeSaleRecord(value);
    if (!decoded.ok()) return decoded.status();
    return std::optional<SaleRecord>(std::move(*decoded));
  };
  domain::Movement movement;  // reused for every line
  std::vector<uint32_t> line_order;
  auto record_lines = [&](const domain::Sale& header, const std::vector<domain::SaleLine>& lines,
                          bool cancellation, int64_t at_us) -> Status {
    // In barcode order: a sale's lines share one event time, so in the branch's ledger index they
    // sort by barcode; inserting them in that order appends instead of searching.
    line_order.resize(lines.size());
    for (uint32_t i = 0; i < lines.size(); ++i) line_order[i] = i;
    std::sort(line_order.begin(), line_order.end(),
              [&](uint32_t a, uint32_t b) { return lines[a].barcode < lines[b].barcode; });
    for (const uint32_t i : line_order) {
      AssignSaleLineMovement(header, lines[i], i, cancellation, at_us, txn.now_us(), &movement);
      Result<StockTxn::Entry*> entry = txn.Touch(movement.barcode, movement.branch);
      if (!entry.ok()) return entry.status();
      Status recorded = txn.Record(*entry, movement);
      if (!recorded.ok()) return recorded;
    }
    return Status::Ok();
  };
  for (const domain::Sale& sale : batch.sales) {
    txn.MarkSeen(sale.branch);
    Result<std::optional<SaleRecord>> stored = load_record(sale.branch, sale.id);
    if (!stored.ok()) return stored.status();
    if (stored->has_value() && (*stored)->status != SaleRecord::Status::kCancelPending) {
      outcome.dropped_older_items += sale.lines.size();  // a redelivery: applied before
      continue;
    }
    SaleRecord record;
    record.status = SaleRecord::Status::kApplied;
    record.event_at_us = sale.event_at_us;
    record.origin = sale.origin;
    record.lines = sale.lines;
    Status applied = record_lines(sale, sale.lines, false, sale.event_at_us);
    if (!applied.ok()) return applied;
    outcome.applied_items += sale.lines.size();
    if (stored->has_value()) {  // its cancellation came first
      record.status = SaleRecord::Status::kCancelled;
      record.cancel_at_us = (*stored)->cancel_at_us;
      record.cancel_origin = (*stored)->cancel_origin;
      applied = record_lines(sale, sale.lines, true, record.cancel_at_us);
      if (!applied.ok()) return applied;
    }
    txn.batch().Put(engine_->sales(), ToSlice(SaleKey(sale.branch, sale.id)),
                    EncodeSaleRecord(record));
    records[SaleKey(sale.branch, sale.id)] = std::move(record);
  }
  for (const domain::SaleCancel& cancel : batch.cancels) {
    Result<std::optional<SaleRecord>> stored = load_record(cancel.branch, cancel.sale_id);
    if (!stored.ok()) return stored.status();
    SaleRecord record;
    if (!stored->has_value()) {
      record.status = SaleRecord::Status::kCancelPending;
      record.cancel_at_us = cancel.event_at_us;
      record.cancel_origin = cancel.origin;
    } else if ((*stored)->status == SaleRecord::Status::kApplied) {
      record = std::move(**stored);
      record.status = SaleRecord::Status::kCancelled;
      record.cancel_at_us = cancel.event_at_us;
      record.cancel_origin = cancel.origin;
      domain::Sale header;
      header.id = cancel.sale_id;
      header.branch = cancel.branch;
      Status applied = record_lines(header, record.lines, true, cancel.event_at_us);
      if (!applied.ok()) return applied;
    } else {
      continue;  // cancelled already, or a cancellation is already waiting for the sale
    }
    txn.batch().Put(engine_->sales(), ToSlice(SaleKey(cancel.branch, cancel.sale_id)),
                    EncodeSaleRecord(record));
    records[SaleKey(cancel.branch, cancel.sale_id)] = std::move(record);
  }

  ApplyCounters next;
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    next = counters_;
  }
  next.applied_messages_total += batch.consumed_message_ids.size();
  next.applied_items_total += outcome.applied_items;
  next.dropped_older_items_total += outcome.dropped_older_items;
  txn.batch().Put(engine_->meta(), ToSlice(kCountersKey), EncodeCounters(next));
  if (batch.remove_queue_rows) {
    for (uint64_t id : batch.consumed_message_ids) {
      txn.batch().Delete(engine_->queue(), QueueKey(id));
    }
  }
  // sync=false: the consumed messages are durable in the queue until this write lands.
  // The messages of a queue in another database (the embedded queue's own, or SQS) are deleted
  // by the consumer once this returns: the write must be on disk first, or a power failure after
  // the deletion could lose what the messages carried. Rows of this engine's queue are removed by
  // this very write instead (above): a crash keeps both or neither, no fsync needed.
  const bool sync = !batch.remove_queue_rows && !batch.consumed_message_ids.empty();
  Status committed = txn.Commit(sync);
  if (!committed.ok()) return committed;
  std::lock_guard<std::mutex> lock(stats_mutex_);
  counters_ = next;
  return outcome;
}

Result<std::vector<MovementOutcome>> RocksInventoryStore::RecordMovements(
    std::vector<domain::Movement> movements) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  StockTxn txn(Shared(), NowUnixMicros());
  std::vector<MovementOutcome> outcomes;
  outcomes.reserve(movements.size());
  std::unordered_map<std::string, std::size_t> ids_in_call;  // id key -> index in outcomes
  std::unordered_set<StockTxn::Entry*> lowered;  // entries a checked negative delta lowered
  for (domain::Movement& movement : movements) {
    movement.recorded_at_us = txn.now_us();
    const bool time_defaulted = movement.event_at_us < 0;
    if (time_defaulted) movement.event_at_us = txn.now_us();
    const std::string id_key = MovementIdKey(movement.branch, movement.origin, movement.id);
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
    std::string ledger_key;
    rocksdb::Status read = engine_->db()->Get(rocksdb::ReadOptions(), engine_->movement_ids(),
                                              ToSlice(id_key), &ledger_key);
    if (read.ok()) {
      Result<domain::Movement> original = txn.ReadLedger(ledger_key);
      if (!original.ok()) return original.status();
      if (!SameMovement(*original, movement, time_defaulted)) {
        return Status::Conflict("id " + movement.id + " already used for another movement");
      }
      ids_in_call.emplace(id_key, outcomes.size());
      outcomes.push_back(MovementOutcome{std::move(*original), true});
      continue;
    }
    if (!read.IsNotFound()) return FromRocks(read, "read movement ids");
    Result<StockTxn::Entry*> entry = txn.Touch(movement.barcode, movement.branch);
    if (!entry.ok()) return entry.status();
    Status recorded = txn.Record(*entry, movement);
    if (!recorded.ok()) return recorded;
    // Reported sales are facts; other removals through the API must not go below zero.
    if (!movement.is_count() && movement.quantity_milli < 0 &&
        movement.kind != domain::MovementKind::kSale) {
      lowered.insert(*entry);
    }
    txn.batch().Put(engine_->movement_ids(), ToSlice(id_key), ToSlice(LedgerKey(movement)));
    ids_in_call.emplace(id_key, outcomes.size());
    outcomes.push_back(MovementOutcome{movement, false});
  }
  for (StockTxn::Entry* entry : lowered) {
    if (entry->state.on_hand_milli < 0 && entry->state.on_hand_milli < entry->before.on_hand_milli &&
        !policy_->AllowsNegativeStock(entry->branch)) {
      return Status::Conflict("insufficient stock of " + entry->barcode + " in branch " +
                              entry->branch);
    }
  }
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return outcomes;
}

Result<StockState> RocksInventoryStore::GetStock(std::string_view barcode,
                                                 std::string_view branch) {
  rocksdb::PinnableSlice value;
  rocksdb::Status read = engine_->db()->Get(rocksdb::ReadOptions(), engine_->positions(),
                                            ToSlice(PositionKey(barcode, branch)), &value);
  if (read.IsNotFound()) return Status::NotFound("no stock for this barcode and branch");
  if (!read.ok()) return FromRocks(read, "get stock");
  StockState state;
  Status decoded = DecodeStockState(ToView(value), &state);
  if (!decoded.ok()) return decoded;
  return state;
}

Result<std::vector<std::pair<std::string, StockState>>> RocksInventoryStore::GetStockByBarcode(
    std::string_view barcode) {
  const std::string prefix = PositionKey(barcode, "");
  std::string upper(barcode);
  upper.push_back('\x01');
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(options, engine_->positions()));
  std::vector<std::pair<std::string, StockState>> states;
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    auto& [branch, state] = states.emplace_back();
    branch.assign(ToView(it->key()).substr(prefix.size()));
    Status decoded = DecodeStockState(ToView(it->value()), &state);
    if (!decoded.ok()) return decoded;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list stock by barcode");
  return states;
}

Result<BranchSummary> RocksInventoryStore::Summary(std::string_view branch) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  BranchSummary summary;
  auto found = stats_.find(std::string(branch));
  if (found == stats_.end()) return summary;
  summary.skus = found->second.skus;
  summary.on_hand_total_milli = found->second.on_hand_total_milli;
  summary.low_stock = found->second.low_stock;
  summary.negative_stock = found->second.negative_stock;
  summary.last_seen_at_us = found->second.last_seen_at_us;
  return summary;
}

Result<StockState> RocksInventoryStore::SetMinStock(std::string_view barcode,
                                                    std::string_view branch,
                                                    std::optional<int64_t> min_stock_milli) {
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  StockTxn txn(Shared(), NowUnixMicros());
  Result<StockTxn::Entry*> entry = txn.Touch(barcode, branch);
  if (!entry.ok()) return entry.status();
  (*entry)->state.min_stock_milli = min_stock_milli;
  txn.MarkDirty(*entry);
  Status committed = txn.Commit(/*sync=*/true);
  if (!committed.ok()) return committed;
  return (*entry)->state;
}

Status RocksInventoryStore::RefreshAlerts(std::string_view barcode) {
  Result<std::vector<std::pair<std::string, StockState>>> states = GetStockByBarcode(barcode);
  if (!states.ok()) return states.status();
  if (states->empty()) return Status::Ok();
  std::lock_guard<std::mutex> writer(writer_mutex_);
  Status loaded = EnsureLoadedLocked();
  if (!loaded.ok()) return loaded;
  StockTxn txn(Shared(), NowUnixMicros());
  for (const auto& [branch, unused] : *states) {
    Result<StockTxn::Entry*> entry = txn.Touch(barcode, branch);
    if (!entry.ok()) return entry.status();
    txn.MarkDirty(*entry);
  }
  return txn.Commit(/*sync=*/true);
}

}  // namespace estoque::store
