// RocksInventoryStore: reads of the ledger (pages newest first, quantities as of a time) and of
// the current alerts.
#include <algorithm>
#include <cassert>
#include <memory>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "store/ledger_codec.h"
#include "store/rocks_inventory_store.h"

namespace estoque::store {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// Ledger pages are ordered by this tuple, descending.
auto OrderOf(const domain::Movement& m) {
  return std::tie(m.event_at_us, m.barcode, m.branch, m.origin, m.id);
}

// One ordered source of ledger keys: a product-branch's range of "ledger", or a branch's range of
// "ledger_by_branch", walked backwards (newest first).
struct LedgerSource {
  std::unique_ptr<rocksdb::Iterator> it;
  std::string prefix;
  bool by_branch = false;  // keys of ledger_by_branch (values must be read from "ledger")
  domain::Movement current;  // decoded key of it's current entry

  bool Valid() const { return it->Valid() && ToView(it->key()).starts_with(prefix); }
  Status Decode() {
    return by_branch ? DecodeLedgerBranchKey(ToView(it->key()), &current)
                     : DecodeLedgerKey(ToView(it->key()), &current);
  }
};

// Greatest key of a range that starts with `prefix` and has event time <= at_us.
std::string UpperKey(const std::string& prefix, int64_t at_us) {
  std::string key = prefix;
  AppendEventTime(&key, at_us);
  key.append(4, '\xff');  // above every identity (ids and names are UTF-8: never 0xff)
  return key;
}

}  // namespace

Result<LedgerPage> RocksInventoryStore::ListLedger(const LedgerQuery& query) {
  assert(query.limit >= 1 && query.limit <= limits::kPageLimitMax);
  std::optional<domain::Movement> cursor;
  if (query.after.has_value()) {
    domain::Movement decoded;
    if (!DecodeLedgerKey(*query.after, &decoded).ok()) {
      return Status::InvalidArgument("malformed cursor");
    }
    cursor = std::move(decoded);
  }
  // The sources to merge.
  std::vector<LedgerSource> sources;
  auto add_source = [&](std::string prefix, bool by_branch) {
    LedgerSource& source = sources.emplace_back();
    source.prefix = std::move(prefix);
    source.by_branch = by_branch;
    source.it.reset(engine_->db()->NewIterator(
        rocksdb::ReadOptions(), by_branch ? engine_->ledger_by_branch() : engine_->ledger()));
  };
  if (query.barcode.has_value() && query.branch.has_value()) {
    add_source(LedgerPrefix(*query.barcode, *query.branch), false);
  } else if (query.branch.has_value()) {
    add_source(LedgerBranchPrefix(*query.branch), true);
  } else if (query.barcode.has_value()) {
    Result<std::vector<std::pair<std::string, StockState>>> states =
        GetStockByBarcode(*query.barcode);
    if (!states.ok()) return states.status();
    for (const auto& [branch, unused] : *states) {
      add_source(LedgerPrefix(*query.barcode, branch), false);
    }
  } else {
    std::vector<std::string> branches;
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      for (const auto& [branch, unused] : stats_) branches.push_back(branch);
    }
    std::sort(branches.begin(), branches.end());
    for (const std::string& branch : branches) add_source(LedgerBranchPrefix(branch), true);
  }

  const int64_t until = query.until_us.value_or(INT64_MAX);
  const int64_t since = query.since_us.value_or(0);
  // Position every source at its newest entry inside the bounds and strictly after the cursor.
  auto in_range = [&](const LedgerSource& source) {
    return source.current.event_at_us >= since;
  };
  auto before_cursor = [&](const LedgerSource& source) {
    return !cursor.has_value() || OrderOf(source.current) < OrderOf(*cursor);
  };
  auto compare = [](const LedgerSource* a, const LedgerSource* b) {
    return OrderOf(a->current) < OrderOf(b->current);
  };
  std::priority_queue<LedgerSource*, std::vector<LedgerSource*>, decltype(compare)> heap(compare);
  for (LedgerSource& source : sources) {
    if (cursor.has_value() && cursor->event_at_us <= until) {
      // The end of the cursor's (time, barcode) group in this source; the loop below steps back
      // to the first entry after the cursor.
      std::string start = source.prefix;
      AppendEventTime(&start, cursor->event_at_us);
      if (source.by_branch) {
        start.append(cursor->barcode);
        start.push_back('\0');
      }
      start.append(4, '\xff');
      source.it->SeekForPrev(ToSlice(start));
    } else {
      source.it->SeekForPrev(ToSlice(UpperKey(source.prefix, until)));
    }
    // Step back over what the cursor's page already returned (at most the entries sharing its
    // time and barcode).
    while (source.Valid()) {
      Status decoded = source.Decode();
      if (!decoded.ok()) return decoded;
      if (before_cursor(source)) break;
      source.it->Prev();
    }
    if (!source.it->status().ok()) return FromRocks(source.it->status(), "scan ledger");
    if (source.Valid() && in_range(source)) heap.push(&source);
  }

  LedgerPage page;
  std::vector<std::string> value_keys;  // primary keys whose values must be read
  std::vector<std::size_t> value_slots;
  while (!heap.empty() && page.items.size() < query.limit) {
    LedgerSource* source = heap.top();
    heap.pop();
    domain::Movement& item = page.items.emplace_back(source->current);
    if (source->by_branch) {
      value_keys.push_back(LedgerKey(item));
      value_slots.push_back(page.items.size() - 1);
    } else {
      Status decoded = DecodeLedgerValue(ToView(source->it->value()), &item);
      if (!decoded.ok()) return decoded;
    }
    source->it->Prev();
    if (source->Valid()) {
      Status decoded = source->Decode();
      if (!decoded.ok()) return decoded;
      if (in_range(*source)) heap.push(source);
    } else if (!source->it->status().ok()) {
      return FromRocks(source->it->status(), "scan ledger");
    }
  }
  if (!heap.empty() && !page.items.empty()) page.next_after = LedgerKey(page.items.back());
  if (!value_keys.empty()) {
    std::vector<rocksdb::Slice> slices;
    for (const std::string& key : value_keys) slices.push_back(ToSlice(key));
    std::vector<rocksdb::PinnableSlice> values(slices.size());
    std::vector<rocksdb::Status> statuses(slices.size());
    engine_->db()->MultiGet(rocksdb::ReadOptions(), engine_->ledger(), slices.size(),
                            slices.data(), values.data(), statuses.data());
    for (std::size_t i = 0; i < slices.size(); ++i) {
      if (statuses[i].IsNotFound()) return Status::Corruption("ledger index names a missing entry");
      if (!statuses[i].ok()) return FromRocks(statuses[i], "read ledger");
      Status decoded = DecodeLedgerValue(ToView(values[i]), &page.items[value_slots[i]]);
      if (!decoded.ok()) return decoded;
    }
  }
  return page;
}

Result<StockAsOf> RocksInventoryStore::StockAt(std::string_view barcode, std::string_view branch,
                                               int64_t at_us) {
  Result<StockState> state = GetStock(barcode, branch);
  if (!state.ok()) return state.status();
  const std::string prefix = LedgerPrefix(barcode, branch);
  const rocksdb::Slice lower = ToSlice(prefix);
  rocksdb::ReadOptions options;
  options.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(options, engine_->ledger()));
  // Walk back from at_us: deltas newer than the newest count at or before at_us add up; that
  // count's time group (a count includes the deltas of its own time) is read whole to settle ties.
  StockAsOf result;
  int64_t sum_after = 0;     // deltas of the groups newer than the current one
  int64_t group_sum = 0;     // deltas of the current time group
  int64_t group_at = -1;
  bool found_count = false;
  int64_t best_quantity = 0;
  std::string best_identity;
  domain::Movement movement;
  for (it->SeekForPrev(ToSlice(UpperKey(prefix, at_us))); it->Valid(); it->Prev()) {
    Status decoded = DecodeLedgerKey(ToView(it->key()), &movement);
    if (decoded.ok()) decoded = DecodeLedgerValue(ToView(it->value()), &movement);
    if (!decoded.ok()) return decoded;
    if (movement.event_at_us != group_at) {
      if (found_count) break;
      sum_after += group_sum;
      group_sum = 0;
      group_at = movement.event_at_us;
    }
    ++result.movements;
    if (movement.is_count()) {
      const std::string identity = MovementIdentity(movement.origin, movement.id);
      if (!found_count || std::tie(movement.quantity_milli, identity) >
                              std::tie(best_quantity, best_identity)) {
        best_quantity = movement.quantity_milli;
        best_identity = identity;
      }
      found_count = true;
      result.count_at_us = movement.event_at_us;
    } else {
      group_sum += movement.quantity_milli;
      result.last_movement_at_us = std::max(result.last_movement_at_us, movement.event_at_us);
    }
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan ledger");
  result.on_hand_milli = found_count ? best_quantity + sum_after : sum_after + group_sum;
  return result;
}

Result<AlertPage> RocksInventoryStore::ListAlerts(std::optional<std::string_view> branch,
                                                  std::optional<AlertKind> kind,
                                                  std::optional<std::string_view> after,
                                                  std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  std::string prefix;
  if (branch.has_value()) {
    prefix.assign(*branch);
    prefix.push_back('\0');
    if (kind.has_value()) {
      prefix.append(AlertKindName(*kind));
      prefix.push_back('\0');
    }
  }
  if (after.has_value() && !after->starts_with(prefix)) {
    return Status::InvalidArgument("cursor does not belong to this listing");
  }
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->alerts()));
  if (after.has_value()) {
    std::string start(*after);
    start.push_back('\0');
    it->Seek(ToSlice(start));
  } else {
    it->Seek(ToSlice(prefix));
  }
  AlertPage page;
  std::string last_key;
  for (; it->Valid(); it->Next()) {
    const std::string_view key = ToView(it->key());
    if (!key.starts_with(prefix)) break;
    const std::size_t first = key.find('\0');
    const std::size_t second = first == std::string_view::npos ? first : key.find('\0', first + 1);
    if (second == std::string_view::npos) return Status::Corruption("malformed alert key");
    const std::optional<AlertKind> entry_kind =
        ParseAlertKind(key.substr(first + 1, second - first - 1));
    if (!entry_kind.has_value()) return Status::Corruption("malformed alert key");
    if (kind.has_value() && *entry_kind != *kind) continue;
    if (page.items.size() == limit) {
      page.next_after = last_key;
      break;
    }
    AlertEntry& entry = page.items.emplace_back();
    entry.branch.assign(key.substr(0, first));
    entry.kind = *entry_kind;
    entry.barcode.assign(key.substr(second + 1));
    last_key.assign(key);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan alerts");
  for (AlertEntry& entry : page.items) {
    Result<StockState> state = GetStock(entry.barcode, entry.branch);
    if (!state.ok()) return state.status();
    entry.state = std::move(*state);
    entry.min_stock_milli =
        entry.state.min_stock_milli.value_or(policy_->DefaultMinStock(entry.barcode));
  }
  return page;
}

}  // namespace estoque::store
