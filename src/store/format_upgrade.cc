#include "store/format_upgrade.h"

#include <memory>
#include <string>

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "domain/movement.h"
#include "store/ledger_codec.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {
namespace {

// Keys per write batch while rebuilding (bounds the memory of one batch).
constexpr int kRebuildBatchKeys = 10'000;

}  // namespace

Status RebuildLedgerBranchIndex(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* ledger,
                                rocksdb::ColumnFamilyHandle* ledger_by_branch) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::WriteBatch batch;
  auto flush_batch = [&](bool force) -> Status {
    if (batch.Count() == 0 || (!force && batch.Count() < kRebuildBatchKeys)) return Status::Ok();
    rocksdb::Status written = db->Write(sync, &batch);
    batch.Clear();
    return FromRocks(written, "rebuild ledger index");
  };

  std::unique_ptr<rocksdb::Iterator> old_keys(db->NewIterator(rocksdb::ReadOptions(), ledger_by_branch));
  for (old_keys->SeekToFirst(); old_keys->Valid(); old_keys->Next()) {
    batch.Delete(ledger_by_branch, old_keys->key());
    Status flushed = flush_batch(false);
    if (!flushed.ok()) return flushed;
  }
  if (!old_keys->status().ok()) return FromRocks(old_keys->status(), "scan ledger index");
  Status flushed = flush_batch(true);
  if (!flushed.ok()) return flushed;

  std::unique_ptr<rocksdb::Iterator> entries(db->NewIterator(rocksdb::ReadOptions(), ledger));
  domain::Movement movement;
  std::string key;
  for (entries->SeekToFirst(); entries->Valid(); entries->Next()) {
    const rocksdb::Slice ledger_key = entries->key();
    Status decoded = DecodeLedgerKey({ledger_key.data(), ledger_key.size()}, &movement);
    if (!decoded.ok()) return decoded;
    AssignLedgerBranchKey(movement, &key);
    batch.Put(ledger_by_branch, key, rocksdb::Slice());
    flushed = flush_batch(false);
    if (!flushed.ok()) return flushed;
  }
  if (!entries->status().ok()) return FromRocks(entries->status(), "scan ledger");
  return flush_batch(true);
}

}  // namespace estoque::store
