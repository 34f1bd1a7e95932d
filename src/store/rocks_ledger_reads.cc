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

// Ledger pages are ordered by this tuple, descending. For one product-branch it is the order of
// its "ledger" keys (time, origin, id), for one branch that of its "ledger_by_branch" keys (time,
// origin, id, barcode); the branch then breaks ties between sources of several branches.
auto OrderOf(const domain::Movement& m) {
  return std::tie(m.event_at_us, m.branch, m.origin, m.id, m.barcode);
}

// One ordered source of ledger movements: a product-branch's range of "ledger", or a branch's
// range of "ledger_by_branch" (an entry there may name a group of movements), walked backwards
// (newest first).
class LedgerSource {
 public:
  LedgerSource(std::unique_ptr<rocksdb::Iterator> it, std::string prefix, std::string branch,
               bool by_branch)
      : it_(std::move(it)),
        prefix_(std::move(prefix)),
        branch_(std::move(branch)),
        by_branch_(by_branch) {}

  const std::string& prefix() const { return prefix_; }
  const std::string& branch() const { return branch_; }
  bool by_branch() const { return by_branch_; }
  rocksdb::Iterator& iterator() { return *it_; }
  // The movement at the current position (key fields only for by_branch sources).
  const domain::Movement& current() const { return members_[member_]; }
  bool Valid() const { return valid_; }

  // Positions at the last key <= target and on the last movement of its entry.
  Status SeekForPrev(std::string_view target) {
    it_->SeekForPrev(rocksdb::Slice(target.data(), target.size()));
    return Load();
  }
  // Moves to the previous movement.
  Status Prev() {
    if (member_ > 0) {
      --member_;
      return Status::Ok();
    }
    it_->Prev();
    return Load();
  }

 private:
  Status Load() {
    valid_ = it_->Valid() && ToView(it_->key()).starts_with(prefix_);
    if (!valid_) {
      if (!it_->status().ok()) return FromRocks(it_->status(), "scan ledger");
      return Status::Ok();
    }
    Status decoded;
    if (by_branch_) {
      decoded = DecodeLedgerBranchEntry(ToView(it_->key()), ToView(it_->value()), &members_);
    } else {
      members_.resize(1);
      decoded = DecodeLedgerKey(ToView(it_->key()), &members_[0]);
      if (decoded.ok()) decoded = DecodeLedgerValue(ToView(it_->value()), &members_[0]);
    }
    if (!decoded.ok()) {
      valid_ = false;
      return decoded;
    }
    member_ = members_.size() - 1;
    return Status::Ok();
  }

  std::unique_ptr<rocksdb::Iterator> it_;
  std::string prefix_;
  std::string branch_;
  bool by_branch_;
  bool valid_ = false;
  std::vector<domain::Movement> members_;  // of the current entry, in key order
  std::size_t member_ = 0;
};

// Greatest key of a range that starts with `prefix` and has event time <= at_us.
std::string UpperKey(const std::string& prefix, int64_t at_us) {
  std::string key = prefix;
  AppendEventTime(&key, at_us);
  key.append(4, '\xff');  // above every identity (ids and names are UTF-8: never 0xff)
  return key;
}

// Where a source starts the page after `cursor`: its last key <= the cursor in OrderOf. Sources of
// other branches at the cursor's time are all before it (smaller branch) or all after it.
std::string CursorSeekTarget(const LedgerSource& source, const domain::Movement& cursor) {
  std::string target = source.prefix();
  AppendEventTime(&target, cursor.event_at_us);
  if (source.branch() < cursor.branch) {
    target.append(4, '\xff');  // the whole time group
  } else if (source.branch() == cursor.branch) {
    target.append(cursor.origin);
    target.push_back('\0');
    target.append(cursor.id);
    if (source.by_branch()) {
      target.push_back('\0');
      target.append(cursor.barcode);
    }
  }  // else: just before the time group
  return target;
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
  // The sources to merge: only of the branches in query.branches, when set.
  std::vector<LedgerSource> sources;
  auto add_source = [&](std::string prefix, std::string branch, bool by_branch) {
    if (query.branches.has_value() &&
        !std::binary_search(query.branches->begin(), query.branches->end(), branch)) {
      return;
    }
    sources.emplace_back(std::unique_ptr<rocksdb::Iterator>(engine_->db()->NewIterator(
                             rocksdb::ReadOptions(),
                             by_branch ? engine_->ledger_by_branch() : engine_->ledger())),
                         std::move(prefix), std::move(branch), by_branch);
  };
  if (query.barcode.has_value() && query.branch.has_value()) {
    add_source(LedgerPrefix(*query.barcode, *query.branch), *query.branch, false);
  } else if (query.branch.has_value()) {
    add_source(LedgerBranchPrefix(*query.branch), *query.branch, true);
  } else if (query.barcode.has_value()) {
    Result<std::vector<std::pair<std::string, StockState>>> states =
        GetStockByBarcode(*query.barcode);
    if (!states.ok()) return states.status();
    for (const auto& [branch, unused] : *states) {
      add_source(LedgerPrefix(*query.barcode, branch), branch, false);
    }
  } else {
    std::vector<std::string> branches;
    {
      std::lock_guard<std::mutex> lock(stats_mutex_);
      for (const auto& [branch, unused] : stats_) branches.push_back(branch);
    }
    std::sort(branches.begin(), branches.end());
    for (const std::string& branch : branches) add_source(LedgerBranchPrefix(branch), branch, true);
  }

  const int64_t until = query.until_us.value_or(INT64_MAX);
  const int64_t since = query.since_us.value_or(0);
  // Position every source at its newest movement inside the bounds and strictly after the cursor.
  auto in_range = [&](const LedgerSource& source) {
    return source.current().event_at_us >= since;
  };
  auto before_cursor = [&](const LedgerSource& source) {
    return !cursor.has_value() || OrderOf(source.current()) < OrderOf(*cursor);
  };
  auto compare = [](const LedgerSource* a, const LedgerSource* b) {
    return OrderOf(a->current()) < OrderOf(b->current());
  };
  std::priority_queue<LedgerSource*, std::vector<LedgerSource*>, decltype(compare)> heap(compare);
  for (LedgerSource& source : sources) {
    Status positioned;
    if (cursor.has_value() && cursor->event_at_us <= until) {
      positioned = source.SeekForPrev(CursorSeekTarget(source, *cursor));
    } else {
      positioned = source.SeekForPrev(UpperKey(source.prefix(), until));
    }
    // Step back over what the cursor's page already returned (at most the rest of a group).
    while (positioned.ok() && source.Valid() && !before_cursor(source)) positioned = source.Prev();
    if (!positioned.ok()) return positioned;
    if (source.Valid() && in_range(source)) heap.push(&source);
  }

  LedgerPage page;
  std::vector<std::string> value_keys;  // primary keys whose values must be read
  std::vector<std::size_t> value_slots;
  while (!heap.empty() && page.items.size() < query.limit) {
    LedgerSource* source = heap.top();
    heap.pop();
    page.items.push_back(source->current());
    if (source->by_branch()) {
      value_keys.push_back(LedgerKey(page.items.back()));
      value_slots.push_back(page.items.size() - 1);
    }
    Status stepped = source->Prev();
    if (!stepped.ok()) return stepped;
    if (source->Valid() && in_range(*source)) heap.push(source);
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
