#include "store/stock_txn.h"

#include <algorithm>
#include <cassert>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"
#include "store/ledger_codec.h"
#include "store/stock_rule.h"

namespace estoque::store {
namespace {

constexpr uint8_t kBranchStatsVersion = 1;

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

std::string AlertKey(std::string_view branch, AlertKind kind, std::string_view barcode) {
  std::string key(branch);
  key.push_back('\0');
  key.append(AlertKindName(kind));
  key.push_back('\0');
  key.append(barcode);
  return key;
}

}  // namespace

std::string BranchStatsKey(std::string_view branch) {
  std::string key(kBranchStatsPrefix);
  key.append(branch);
  return key;
}

std::string EncodeBranchStats(const BranchStats& stats) {
  std::string out;
  out.push_back(static_cast<char>(kBranchStatsVersion));
  AppendFixed<uint64_t>(&out, stats.skus);
  AppendFixed<int64_t>(&out, stats.on_hand_total_milli);
  AppendFixed<uint64_t>(&out, stats.low_stock);
  AppendFixed<uint64_t>(&out, stats.negative_stock);
  AppendFixed<int64_t>(&out, stats.last_seen_at_us);
  return out;
}

Result<BranchStats> DecodeBranchStats(std::string_view value) {
  ByteReader reader(value);
  uint8_t version = 0;
  BranchStats stats;
  reader.Fixed(&version);
  reader.Fixed(&stats.skus);
  reader.Fixed(&stats.on_hand_total_milli);
  reader.Fixed(&stats.low_stock);
  reader.Fixed(&stats.negative_stock);
  reader.Fixed(&stats.last_seen_at_us);
  if (reader.failed() || reader.remaining() != 0 || version != kBranchStatsVersion) {
    return Status::Corruption("malformed branch stats");
  }
  return stats;
}

StockTxn::StockTxn(const TxnShared& shared, int64_t now_us, std::size_t expected_entries)
    // About 3 writes of ~100 bytes per entry: grow the batch once, not by doubling.
    : shared_(shared), now_us_(now_us), batch_(expected_entries * 320) {
  entries_.reserve(expected_entries);
  by_key_.reserve(expected_entries);
}
StockTxn::~StockTxn() = default;

StockTxn::Entry* StockTxn::Insert(std::string_view barcode, std::string_view branch,
                                  std::string key) {
  auto entry = std::make_unique<Entry>();
  entry->key = std::move(key);
  entry->barcode.assign(barcode);
  entry->branch.assign(branch);
  Entry* raw = entry.get();
  entries_.push_back(std::move(entry));
  by_key_.emplace(std::string_view(raw->key), raw);
  return raw;
}

Status StockTxn::Prefetch(std::span<const std::pair<std::string_view, std::string_view>> keys) {
  std::vector<std::string> miss_keys;
  std::vector<std::pair<std::string_view, std::string_view>> miss_names;
  by_key_.reserve(by_key_.size() + keys.size());
  for (const auto& [barcode, branch] : keys) {
    std::string& key = key_scratch_;
    key.assign(barcode);
    key.push_back('\0');
    key.append(branch);
    if (by_key_.count(std::string_view(key)) != 0) continue;
    auto cached = shared_.cache->find(key);
    if (cached != shared_.cache->end()) {
      Entry* entry = Insert(barcode, branch, key);
      entry->state = cached->second;
      entry->before = cached->second;
      entry->existed = true;
      continue;
    }
    miss_keys.push_back(key);
    miss_names.emplace_back(barcode, branch);
  }
  if (miss_keys.empty()) return Status::Ok();
  // Distinct keys only (a batch names hot keys many times).
  std::vector<std::size_t> order;
  std::vector<rocksdb::Slice> slices;
  std::unordered_set<std::string_view> distinct;
  for (std::size_t i = 0; i < miss_keys.size(); ++i) {
    if (!distinct.insert(miss_keys[i]).second) continue;
    order.push_back(i);
    slices.push_back(ToSlice(miss_keys[i]));
  }
  std::vector<rocksdb::PinnableSlice> values(slices.size());
  std::vector<rocksdb::Status> statuses(slices.size());
  shared_.engine->db()->MultiGet(rocksdb::ReadOptions(), shared_.engine->positions(), slices.size(),
                                 slices.data(), values.data(), statuses.data());
  for (std::size_t j = 0; j < order.size(); ++j) {
    const std::size_t i = order[j];
    if (!statuses[j].ok() && !statuses[j].IsNotFound()) return FromRocks(statuses[j], "read stock");
    Entry* entry = Insert(miss_names[i].first, miss_names[i].second, std::move(miss_keys[i]));
    if (statuses[j].ok()) {
      Status decoded = DecodeStockState(ToView(values[j]), &entry->state);
      if (!decoded.ok()) return decoded;
      entry->before = entry->state;
      entry->existed = true;
    }
  }
  return Status::Ok();
}

Result<StockTxn::Entry*> StockTxn::Touch(std::string_view barcode, std::string_view branch) {
  key_scratch_.assign(barcode);
  key_scratch_.push_back('\0');
  key_scratch_.append(branch);
  auto found = by_key_.find(std::string_view(key_scratch_));
  if (found != by_key_.end()) return found->second;
  const std::pair<std::string_view, std::string_view> one[] = {{barcode, branch}};
  Status loaded = Prefetch(one);
  if (!loaded.ok()) return loaded;
  key_scratch_.assign(barcode);
  key_scratch_.push_back('\0');
  key_scratch_.append(branch);
  return by_key_.at(std::string_view(key_scratch_));
}

Result<bool> StockTxn::LedgerHas(const domain::Movement& movement) {
  assert(movement.is_count());  // other movements are deduplicated by their id records
  std::string key = LedgerKey(movement);
  if (counts_written_.count(key) != 0) return true;
  rocksdb::PinnableSlice value;
  rocksdb::Status read = shared_.engine->db()->Get(rocksdb::ReadOptions(), shared_.engine->ledger(),
                                                   ToSlice(key), &value);
  if (read.IsNotFound()) return false;
  if (!read.ok()) return FromRocks(read, "read ledger");
  return true;
}

Result<domain::Movement> StockTxn::ReadLedger(std::string_view ledger_key) {
  rocksdb::PinnableSlice value;
  rocksdb::Status read = shared_.engine->db()->Get(rocksdb::ReadOptions(), shared_.engine->ledger(),
                                                   ToSlice(ledger_key), &value);
  if (read.IsNotFound()) return Status::NotFound("ledger entry not found");
  if (!read.ok()) return FromRocks(read, "read ledger");
  domain::Movement movement;
  Status decoded = DecodeLedgerKey(ledger_key, &movement);
  if (decoded.ok()) decoded = DecodeLedgerValue(ToView(value), &movement);
  if (!decoded.ok()) return decoded;
  return movement;
}

Status StockTxn::SumDeltasAfter(const Entry& entry, int64_t after_us, int64_t* sum) {
  *sum = 0;
  for (const auto& [at, effect] : entry.pending_deltas) {
    if (at > after_us) *sum += effect;
  }
  // Committed deltas: only if some is newer than the count (the common case, a PDV's newest
  // position, reads nothing).
  if (entry.before.last_movement_at_us <= after_us) return Status::Ok();
  const std::string prefix = LedgerPrefix(entry.barcode, entry.branch);
  std::string start = prefix;
  AppendEventTime(&start, after_us + 1);
  std::string upper = prefix;
  upper.back() = '\x01';  // every key of the product-branch sorts below "barcode\0branch\1"
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      shared_.engine->db()->NewIterator(options, shared_.engine->ledger()));
  domain::Movement movement;
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    Status decoded = DecodeLedgerValue(ToView(it->value()), &movement);
    if (!decoded.ok()) return decoded;
    if (!movement.is_count()) *sum += movement.quantity_milli;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan ledger");
  return Status::Ok();
}

Status StockTxn::Record(Entry* entry, const domain::Movement& movement) {
  assert(entry->barcode == movement.barcode && entry->branch == movement.branch);
  Status applied = ApplyMovement(entry->state, entry->pending_deltas, movement,
                                 [&](int64_t at_us, int64_t* later) {
                                   return SumDeltasAfter(*entry, at_us, later);
                                 });
  if (!applied.ok()) return applied;
  entry->dirty = true;

  AssignLedgerKey(movement, &key_scratch_);
  EncodeLedgerValueTo(movement, &scratch_);
  AppendFixed<uint32_t>(&entry->ledger_rows, static_cast<uint32_t>(key_scratch_.size()));
  entry->ledger_rows.append(key_scratch_);
  AppendFixed<uint32_t>(&entry->ledger_rows, static_cast<uint32_t>(scratch_.size()));
  entry->ledger_rows.append(scratch_);
  if (movement.is_count()) counts_written_.insert(key_scratch_);
  if (IsBranchIndexGroupable(movement)) {
    AddToIndexGroup(movement);
  } else {
    AssignLedgerBranchKey(movement, &key_scratch_);
    batch_.Put(shared_.engine->ledger_by_branch(), ToSlice(key_scratch_), rocksdb::Slice());
  }
  return Status::Ok();
}

void StockTxn::AddToIndexGroup(const domain::Movement& movement) {
  auto same_group = [&movement](const IndexGroup& group) {
    return group.event_at_us == movement.event_at_us && group.reference == movement.reference &&
           group.branch == movement.branch && group.origin == movement.origin;
  };
  IndexGroup* group = nullptr;
  if (!index_groups_.empty() && same_group(index_groups_.back())) {
    group = &index_groups_.back();
  } else {
    std::string name = movement.branch;
    name.push_back('\0');
    name.append(movement.origin);
    name.push_back('\0');
    name.append(movement.reference);
    name.push_back('\0');
    name.append(std::to_string(movement.event_at_us));
    auto [found, inserted] = index_group_of_.try_emplace(std::move(name), index_groups_.size());
    if (inserted) {
      IndexGroup& created = index_groups_.emplace_back();
      created.branch = movement.branch;
      created.event_at_us = movement.event_at_us;
      created.origin = movement.origin;
      created.reference = movement.reference;
    }
    group = &index_groups_[found->second];
  }
  group->members.emplace_back(std::string_view(movement.id).substr(movement.reference.size() + 1),
                              movement.barcode);
}

void StockTxn::WriteIndexGroups() {
  domain::Movement head;
  for (IndexGroup& group : index_groups_) {
    std::sort(group.members.begin(), group.members.end());
    head.branch = group.branch;
    head.event_at_us = group.event_at_us;
    head.origin = group.origin;
    head.id = group.reference;
    head.id.push_back('#');
    head.id.append(group.members.front().first);
    head.barcode = group.members.front().second;
    AssignLedgerBranchKey(head, &key_scratch_);
    scratch_.clear();
    if (group.members.size() > 1) {
      BeginLedgerBranchGroup(&scratch_);
      for (std::size_t i = 1; i < group.members.size(); ++i) {
        AppendLedgerBranchGroupMember(group.members[i].first, group.members[i].second, &scratch_);
      }
    }
    batch_.Put(shared_.engine->ledger_by_branch(), ToSlice(key_scratch_), ToSlice(scratch_));
  }
}

void StockTxn::PutLedgerRows(const Entry& entry) {
  ByteReader reader(entry.ledger_rows);
  std::string_view key;
  std::string_view value;
  while (reader.remaining() > 0) {
    reader.View<uint32_t>(&key);
    reader.View<uint32_t>(&value);
    assert(!reader.failed());  // written by Record
    batch_.Put(shared_.engine->ledger(), ToSlice(key), ToSlice(value));
  }
}

void StockTxn::MarkSeen(std::string_view branch) {
  auto found = seen_.find(std::string(branch));
  if (found == seen_.end()) seen_.emplace(std::string(branch), now_us_);
}

Status StockTxn::Commit(bool sync) {
  RocksEngine* engine = shared_.engine;
  // Branch statistics after this txn, starting from the published ones.
  BranchStatsTable next;
  auto stats_of = [&](const std::string& branch) -> BranchStats& {
    auto found = next.find(branch);
    if (found != next.end()) return found->second;
    BranchStats current;
    {
      std::lock_guard<std::mutex> lock(*shared_.stats_mutex);
      auto published = shared_.stats->find(branch);
      if (published != shared_.stats->end()) current = published->second;
    }
    return next.emplace(branch, current).first->second;
  };

  // The ledger rows, one product-branch after another (see Entry::ledger_rows).
  for (const std::unique_ptr<Entry>& owned : entries_) PutLedgerRows(*owned);
  for (const std::unique_ptr<Entry>& owned : entries_) {
    Entry& entry = *owned;
    if (!entry.dirty) continue;
    StockState& state = entry.state;
    BranchStats& stats = stats_of(entry.branch);
    if (!entry.existed) {
      ++stats.skus;
      batch_.Put(engine->positions_by_branch(), ToSlice(BranchIndexKey(entry.branch, entry.barcode)),
                 rocksdb::Slice());
    }
    stats.on_hand_total_milli += state.on_hand_milli - entry.before.on_hand_milli;
    const int64_t min_stock =
        state.min_stock_milli.value_or(shared_.policy->DefaultMinStock(entry.barcode));
    const AlertKind alert = AlertFor(state.on_hand_milli, min_stock);
    if (alert != state.alert) {
      if (state.alert != AlertKind::kNone) {
        batch_.Delete(engine->alerts(), ToSlice(AlertKey(entry.branch, state.alert, entry.barcode)));
        (state.alert == AlertKind::kLowStock ? stats.low_stock : stats.negative_stock) -= 1;
      }
      if (alert != AlertKind::kNone) {
        batch_.Put(engine->alerts(), ToSlice(AlertKey(entry.branch, alert, entry.barcode)),
                   rocksdb::Slice());
        (alert == AlertKind::kLowStock ? stats.low_stock : stats.negative_stock) += 1;
      }
      state.alert = alert;
      state.alert_since_us = now_us_;
    }
    EncodeStockStateTo(state, &scratch_);
    batch_.Put(engine->positions(), ToSlice(entry.key), ToSlice(scratch_));
  }
  WriteIndexGroups();
  for (const auto& [branch, at] : seen_) stats_of(branch).last_seen_at_us = at;
  for (const auto& [branch, stats] : next) {
    batch_.Put(engine->meta(), ToSlice(BranchStatsKey(branch)), EncodeBranchStats(stats));
  }

  rocksdb::WriteOptions options;
  options.sync = sync && engine->options().sync_writes;
  if (Status written = engine->Write(options, &batch_, "write inventory"); !written.ok()) {
    return written;
  }

  // Published only now that the write succeeded.
  StateCache& cache = *shared_.cache;
  if (cache.size() + entries_.size() > shared_.cache_entries_max) cache.clear();
  for (const std::unique_ptr<Entry>& entry : entries_) {
    if (cache.size() >= shared_.cache_entries_max) break;
    cache[entry->key] = entry->state;
  }
  {
    std::lock_guard<std::mutex> lock(*shared_.stats_mutex);
    for (auto& [branch, stats] : next) (*shared_.stats)[branch] = stats;
  }
  return Status::Ok();
}

}  // namespace estoque::store
