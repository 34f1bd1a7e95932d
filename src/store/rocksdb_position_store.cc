#include "store/rocksdb_position_store.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <unordered_map>
#include <cassert>
#include <cstdint>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "store/position_codec.h"

namespace estoque::store {
namespace {

constexpr std::string_view kCountersKey = "counters";

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

// Splits a two-part key "first\0second". False unless there is exactly one separator.
bool SplitKey(std::string_view key, std::string_view* first, std::string_view* second) {
  const std::size_t separator = key.find('\0');
  if (separator == std::string_view::npos) return false;
  *first = key.substr(0, separator);
  *second = key.substr(separator + 1);
  return second->find('\0') == std::string_view::npos;
}

// Decodes one row of the positions family: key "barcode\0branch" and its value. Corruption if
// either is malformed.
Status DecodeRow(std::string_view key, std::string_view value, domain::Position* out) {
  std::string_view barcode;
  std::string_view branch;
  if (!SplitKey(key, &barcode, &branch)) return Status::Corruption("malformed position key");
  out->barcode.assign(barcode);
  out->branch.assign(branch);
  return DecodePositionValue(value, out);
}

// The smallest key strictly greater than `key` in bytewise order.
std::string Successor(std::string_view key) {
  std::string next(key);
  next.push_back('\0');
  return next;
}

// Hashes of keys for the per-call dedupe table and the decision cache.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

std::size_t ItemKeyHash(const domain::Position& item) {
  const std::size_t barcode = std::hash<std::string_view>{}(item.barcode);
  const std::size_t branch = std::hash<std::string_view>{}(item.branch);
  return barcode ^ (branch + 0x9e3779b97f4a7c15ull + (barcode << 6) + (barcode >> 2));
}

bool SameKey(const domain::Position& a, const domain::Position& b) {
  return a.barcode == b.barcode && a.branch == b.branch;
}

}  // namespace

// Apply's working memory, reused across calls so the hot path does not allocate per item.
// Guarded by apply_mutex_.
struct RocksPositionStore::ApplyScratch {
  enum class Decision : uint8_t { kDropped, kUpdated, kCreated };

  // Dedupe: open addressing over item keys; a slot holds 1 + an index into `winners`, 0 = empty.
  std::vector<uint32_t> slots;
  std::vector<uint32_t> winners;  // the greatest item of each distinct key, in first-seen order
  // Per winner k:
  std::vector<std::string> keys;                 // PositionKey (strings reused across calls)
  std::vector<domain::Position*> cached;         // its decision cache entry, or nullptr
  std::vector<const domain::Position*> current;  // what is stored, nullptr = nothing
  std::vector<Decision> decisions;
  // Winners not in the cache, read with one MultiGet.
  std::vector<uint32_t> misses;  // winner indices k
  std::vector<rocksdb::Slice> miss_keys;
  std::vector<rocksdb::PinnableSlice> miss_values;
  std::vector<rocksdb::Status> miss_statuses;
  std::vector<domain::Position> miss_stored;  // decoded stored versions (name, quantity, time)

  // key -> the stored version (only name, quantity and time are set). See the class comment.
  std::unordered_map<std::string, domain::Position, KeyHash, std::equal_to<>> cache;

  std::string value;
  std::string index_key;
  rocksdb::WriteBatch batch;

  // The steps of one Apply, in order. Each works on the state the previous ones left.

  // Fills `winners` with the greatest item of each distinct key of `items` (open addressing, no
  // allocation once warm). Returns how many items lost to a greater one of the same key.
  uint64_t KeepGreatestPerKey(std::span<const domain::Position> items);
  // Fills keys/cached/current for every winner: from the cache, else with one MultiGet.
  Status ReadStored(std::span<const domain::Position> items, RocksEngine* engine);
  // Decides every winner with the newer-wins rule and puts the ones that win into `batch`.
  void DecideAndBatch(std::span<const domain::Position> items, RocksEngine* engine,
                      ApplyOutcome* outcome);
  // After a successful write: the cache learns what is now stored, within `entries_max`.
  void RememberStored(std::span<const domain::Position> items, std::size_t entries_max);
  // Unpins the values read by this call and empties the batch.
  void Release() {
    for (std::size_t j = 0; j < misses.size(); ++j) miss_values[j].Reset();
    batch.Clear();
  }
};

uint64_t RocksPositionStore::ApplyScratch::KeepGreatestPerKey(
    std::span<const domain::Position> items) {
  const std::size_t slot_count = std::bit_ceil(std::max<std::size_t>(16, 2 * items.size()));
  slots.assign(slot_count, 0);
  winners.clear();
  uint64_t losers = 0;
  for (uint32_t i = 0; i < items.size(); ++i) {
    const domain::Position& item = items[i];
    for (std::size_t slot = ItemKeyHash(item) & (slot_count - 1);;
         slot = (slot + 1) & (slot_count - 1)) {
      const uint32_t entry = slots[slot];
      if (entry == 0) {
        winners.push_back(i);
        slots[slot] = static_cast<uint32_t>(winners.size());
        break;
      }
      uint32_t& winner = winners[entry - 1];
      if (SameKey(items[winner], item)) {
        if (domain::Supersedes(item, items[winner])) winner = i;
        ++losers;
        break;
      }
    }
  }
  return losers;
}

Status RocksPositionStore::ApplyScratch::ReadStored(std::span<const domain::Position> items,
                                                    RocksEngine* engine) {
  const std::size_t distinct = winners.size();
  if (keys.size() < distinct) keys.resize(distinct);
  cached.assign(distinct, nullptr);
  current.assign(distinct, nullptr);
  misses.clear();
  for (std::size_t k = 0; k < distinct; ++k) {
    const domain::Position& item = items[winners[k]];
    std::string& key = keys[k];
    key.assign(item.barcode);
    key.push_back('\0');
    key.append(item.branch);
    auto hit = cache.find(std::string_view(key));
    if (hit != cache.end()) {
      cached[k] = &hit->second;
      current[k] = &hit->second;
    } else {
      misses.push_back(static_cast<uint32_t>(k));
    }
  }
  const std::size_t miss_count = misses.size();
  if (miss_count == 0) return Status::Ok();
  miss_keys.resize(miss_count);
  if (miss_values.size() < miss_count) miss_values.resize(miss_count);
  miss_statuses.resize(miss_count);
  if (miss_stored.size() < miss_count) miss_stored.resize(miss_count);
  for (std::size_t j = 0; j < miss_count; ++j) miss_keys[j] = ToSlice(keys[misses[j]]);
  engine->db()->MultiGet(rocksdb::ReadOptions(), engine->positions(), miss_count,
                         miss_keys.data(), miss_values.data(), miss_statuses.data(),
                         /*sorted_input=*/false);
  for (std::size_t j = 0; j < miss_count; ++j) {
    const rocksdb::Status& read = miss_statuses[j];
    if (read.IsNotFound()) continue;
    if (!read.ok()) return FromRocks(read, "read positions");
    Status decoded = DecodePositionValue(ToView(miss_values[j]), &miss_stored[j]);
    if (!decoded.ok()) return decoded;
    current[misses[j]] = &miss_stored[j];
  }
  return Status::Ok();
}

void RocksPositionStore::ApplyScratch::DecideAndBatch(std::span<const domain::Position> items,
                                                      RocksEngine* engine,
                                                      ApplyOutcome* outcome) {
  const std::size_t distinct = winners.size();
  decisions.assign(distinct, Decision::kDropped);
  for (std::size_t k = 0; k < distinct; ++k) {
    const domain::Position& item = items[winners[k]];
    if (current[k] == nullptr) {
      decisions[k] = Decision::kCreated;
    } else if (domain::Supersedes(item, *current[k])) {
      decisions[k] = Decision::kUpdated;
    } else {
      ++outcome->dropped_older_items;
      continue;
    }
    EncodePositionValueTo(item, &value);
    batch.Put(engine->positions(), ToSlice(keys[k]), ToSlice(value));
    if (decisions[k] == Decision::kCreated) {
      // The branch index holds keys only, so an update (the common case) is one write, not two.
      index_key.assign(item.branch);
      index_key.push_back('\0');
      index_key.append(item.barcode);
      batch.Put(engine->positions_by_branch(), ToSlice(index_key), rocksdb::Slice());
    }
    ++outcome->applied_items;
  }
}

void RocksPositionStore::ApplyScratch::RememberStored(std::span<const domain::Position> items,
                                                      std::size_t entries_max) {
  const bool cleared = cache.size() + misses.size() > entries_max;
  if (cleared) cache.clear();  // cached[] and the current[] of hits now dangle: not read below
  for (std::size_t k = 0; k < winners.size(); ++k) {
    const bool applied = decisions[k] != Decision::kDropped;
    const bool hit = cached[k] != nullptr;
    // A dropped hit is cached already (or was just cleared); a dropped miss caches what it read.
    if (!applied && hit) continue;
    const domain::Position& stored = applied ? items[winners[k]] : *current[k];
    domain::Position* entry = hit && !cleared ? cached[k] : nullptr;
    if (entry == nullptr) {
      if (cache.size() >= entries_max) continue;
      entry = &cache[keys[k]];
    }
    entry->product_name = stored.product_name;
    entry->quantity_milli = stored.quantity_milli;
    entry->updated_at_us = stored.updated_at_us;
  }
}

RocksPositionStore::RocksPositionStore(RocksEngine* engine, std::size_t decision_cache_entries_max)
    : engine_(engine),
      decision_cache_entries_max_(decision_cache_entries_max),
      scratch_(std::make_unique<ApplyScratch>()) {
  assert(engine != nullptr);
  std::lock_guard<std::mutex> lock(apply_mutex_);
  // A failure is reported by the first Counters() or Apply(), which retry the load.
  static_cast<void>(EnsureCountersLoadedLocked());
}

RocksPositionStore::~RocksPositionStore() = default;

Status RocksPositionStore::EnsureCountersLoadedLocked() {
  {
    std::lock_guard<std::mutex> lock(counters_mutex_);
    if (counters_loaded_) return Status::Ok();
  }
  std::string value;
  rocksdb::Status read =
      engine_->db()->Get(rocksdb::ReadOptions(), engine_->meta(), ToSlice(kCountersKey), &value);
  ApplyCounters loaded;
  if (read.ok()) {
    Result<ApplyCounters> decoded = DecodeCounters(value);
    if (!decoded.ok()) return decoded.status();
    loaded = *decoded;
  } else if (!read.IsNotFound()) {
    return FromRocks(read, "read counters");
  }
  std::lock_guard<std::mutex> lock(counters_mutex_);
  counters_ = loaded;
  counters_loaded_ = true;
  return Status::Ok();
}

Result<domain::Position> RocksPositionStore::Get(std::string_view barcode,
                                                 std::string_view branch) {
  const std::string key = PositionKey(barcode, branch);
  rocksdb::PinnableSlice value;
  rocksdb::Status read =
      engine_->db()->Get(rocksdb::ReadOptions(), engine_->positions(), ToSlice(key), &value);
  if (read.IsNotFound()) return Status::NotFound("no position for this barcode and branch");
  if (!read.ok()) return FromRocks(read, "get position");
  domain::Position position;
  position.barcode.assign(barcode);
  position.branch.assign(branch);
  Status decoded = DecodePositionValue(ToView(value), &position);
  if (!decoded.ok()) return decoded;
  return position;
}

Result<std::vector<domain::Position>> RocksPositionStore::ListByBarcode(std::string_view barcode) {
  const std::string prefix = PositionKey(barcode, "");
  std::string upper(barcode);
  upper.push_back('\x01');  // every "barcode\0..." key sorts below "barcode\1"
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(read_options, engine_->positions()));
  std::vector<domain::Position> positions;
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    domain::Position& position = positions.emplace_back();
    Status decoded = DecodeRow(ToView(it->key()), ToView(it->value()), &position);
    if (!decoded.ok()) return decoded;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list by barcode");
  return positions;
}

Result<PositionPage> RocksPositionStore::List(std::optional<std::string_view> branch,
                                              std::optional<std::string_view> after,
                                              std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  rocksdb::ColumnFamilyHandle* family = engine_->positions();
  std::string start;
  std::string upper;  // exclusive; empty = the end of the family
  if (branch.has_value()) {
    if (!domain::ValidateBranch(*branch).ok()) return Status::InvalidArgument("invalid branch");
    family = engine_->positions_by_branch();
    const std::string prefix = BranchIndexKey(*branch, "");
    upper.assign(*branch);
    upper.push_back('\x01');
    if (after.has_value()) {
      if (!after->starts_with(prefix) ||
          !domain::ValidateBarcode(after->substr(prefix.size()), false).ok()) {
        return Status::InvalidArgument("cursor does not belong to this branch's listing");
      }
      start = Successor(*after);
    } else {
      start = prefix;
    }
  } else if (after.has_value()) {
    std::string_view barcode;
    std::string_view after_branch;
    if (!SplitKey(*after, &barcode, &after_branch) ||
        !domain::ValidateBarcode(barcode, false).ok() ||
        !domain::ValidateBranch(after_branch).ok()) {
      return Status::InvalidArgument("malformed cursor");
    }
    start = Successor(*after);
  }

  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions read_options;
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(engine_->db()->NewIterator(read_options, family));
  PositionPage page;
  page.items.reserve(limit);
  std::string last_key;
  for (it->Seek(ToSlice(start)); it->Valid() && page.items.size() < limit; it->Next()) {
    domain::Position& position = page.items.emplace_back();
    const std::string_view key = ToView(it->key());
    if (branch.has_value()) {
      // The index holds keys only; the values are read below.
      assert(key.size() > branch->size() && key[branch->size()] == '\0');
      position.branch.assign(*branch);
      position.barcode.assign(key.substr(branch->size() + 1));
    } else {
      Status decoded = DecodeRow(key, ToView(it->value()), &position);
      if (!decoded.ok()) return decoded;
    }
    last_key.assign(key);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "list positions");
  // The loop stopped either at the end (no more pages) or with one more key in sight.
  if (it->Valid()) page.next_after = std::move(last_key);
  if (branch.has_value() && !page.items.empty()) {
    Status read = ReadValues(&page.items);
    if (!read.ok()) return read;
  }
  return page;
}

Status RocksPositionStore::ReadValues(std::vector<domain::Position>* positions) {
  const std::size_t count = positions->size();
  std::vector<std::string> keys(count);
  std::vector<rocksdb::Slice> key_slices(count);
  for (std::size_t i = 0; i < count; ++i) {
    keys[i] = PositionKey((*positions)[i].barcode, (*positions)[i].branch);
    key_slices[i] = ToSlice(keys[i]);
  }
  std::vector<rocksdb::PinnableSlice> values(count);
  std::vector<rocksdb::Status> statuses(count);
  // One branch's keys in barcode order are also in PositionKey order.
  engine_->db()->MultiGet(rocksdb::ReadOptions(), engine_->positions(), count, key_slices.data(),
                          values.data(), statuses.data(), /*sorted_input=*/true);
  for (std::size_t i = 0; i < count; ++i) {
    // Positions are never deleted, and a position and its index key are written together.
    if (statuses[i].IsNotFound()) return Status::Corruption("branch index names a missing position");
    if (!statuses[i].ok()) return FromRocks(statuses[i], "read positions");
    Status decoded = DecodePositionValue(ToView(values[i]), &(*positions)[i]);
    if (!decoded.ok()) return decoded;
  }
  return Status::Ok();
}

Result<ApplyCounters> RocksPositionStore::Counters() {
  {
    std::lock_guard<std::mutex> lock(counters_mutex_);
    if (counters_loaded_) return counters_;
  }
  std::lock_guard<std::mutex> apply_lock(apply_mutex_);
  Status loaded = EnsureCountersLoadedLocked();
  if (!loaded.ok()) return loaded;
  std::lock_guard<std::mutex> lock(counters_mutex_);
  return counters_;
}

Result<ApplyOutcome> RocksPositionStore::Apply(std::span<const domain::Position> items,
                                               std::span<const uint64_t> consumed_message_ids) {
  std::lock_guard<std::mutex> apply_lock(apply_mutex_);
  Status loaded = EnsureCountersLoadedLocked();
  if (!loaded.ok()) return loaded;
  if (items.empty() && consumed_message_ids.empty()) return ApplyOutcome{};
  assert(items.size() < UINT32_MAX / 2);

  ApplyScratch& s = *scratch_;
  ApplyOutcome outcome;
  outcome.dropped_older_items += s.KeepGreatestPerKey(items);
  Status read = s.ReadStored(items, engine_);
  if (!read.ok()) {
    s.Release();
    return read;
  }
  s.DecideAndBatch(items, engine_, &outcome);
  assert(outcome.applied_items + outcome.dropped_older_items == items.size());

  // Counters and the consumed queue messages go in the same atomic write.
  ApplyCounters next = counters_;  // only Apply writes counters_, and we hold apply_mutex_
  next.applied_messages_total += consumed_message_ids.size();
  next.applied_items_total += outcome.applied_items;
  next.dropped_older_items_total += outcome.dropped_older_items;
  s.batch.Put(engine_->meta(), ToSlice(kCountersKey), EncodeCounters(next));
  for (uint64_t id : consumed_message_ids) {
    s.batch.Delete(engine_->queue(), QueueKey(id));
  }

  rocksdb::WriteOptions write_options;
  write_options.sync = false;  // see the class comment: the consumed messages are already durable
  rocksdb::Status written = engine_->db()->Write(write_options, &s.batch);
  if (!written.ok()) {
    s.Release();
    return FromRocks(written, "apply positions");
  }
  // Only now, with the write done, may the cache and the counters learn the new state.
  s.RememberStored(items, decision_cache_entries_max_);
  s.Release();
  std::lock_guard<std::mutex> lock(counters_mutex_);
  counters_ = next;
  return outcome;
}

}  // namespace estoque::store
