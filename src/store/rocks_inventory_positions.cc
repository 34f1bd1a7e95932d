// RocksInventoryStore: the PositionStore reads (the core issue's position API over stock states).
#include <cassert>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "store/rocks_inventory_store.h"

namespace estoque::store {
namespace {

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

// A stock state seen as the core issue's position: the name of its newest PDV count, em_estoque
// and the time of its newest movement.
Status DecodeStateAsPosition(std::string_view value, domain::Position* out) {
  StockState state;
  Status decoded = DecodeStockState(value, &state);
  if (!decoded.ok()) return decoded;
  out->product_name = std::move(state.product_name);
  out->quantity_milli = state.on_hand_milli;
  out->updated_at_us = state.updated_at_us;
  return Status::Ok();
}

Status DecodeRow(std::string_view key, std::string_view value, domain::Position* out) {
  std::string_view barcode;
  std::string_view branch;
  if (!SplitKey(key, &barcode, &branch)) return Status::Corruption("malformed position key");
  out->barcode.assign(barcode);
  out->branch.assign(branch);
  return DecodeStateAsPosition(value, out);
}

// The smallest key strictly greater than `key` in bytewise order.
std::string Successor(std::string_view key) {
  std::string next(key);
  next.push_back('\0');
  return next;
}

}  // namespace

Result<domain::Position> RocksInventoryStore::Get(std::string_view barcode,
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
  Status decoded = DecodeStateAsPosition(ToView(value), &position);
  if (!decoded.ok()) return decoded;
  return position;
}

Result<std::vector<domain::Position>> RocksInventoryStore::ListByBarcode(std::string_view barcode) {
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

Result<PositionPage> RocksInventoryStore::List(std::optional<std::string_view> branch,
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
    Status read = ReadPositionValues(&page.items);
    if (!read.ok()) return read;
  }
  return page;
}

Status RocksInventoryStore::ReadPositionValues(std::vector<domain::Position>* positions) {
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
    Status decoded = DecodeStateAsPosition(ToView(values[i]), &(*positions)[i]);
    if (!decoded.ok()) return decoded;
  }
  return Status::Ok();
}

}  // namespace estoque::store
