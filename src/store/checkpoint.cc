#include "store/checkpoint.h"

#include <filesystem>
#include <memory>
#include <system_error>

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>

namespace estoque::store {

namespace {

// CreateCheckpoint's log_size_for_flush: with 0 the memtables are always flushed first, so the
// copy's WAL holds only what was written during the checkpoint itself (quick to replay when the
// restored directory is opened). Every write goes through the WAL, so either way nothing
// acknowledged is missing.
constexpr uint64_t kWalBytesForFlush = 0;

}  // namespace

Status CreateCheckpoint(const RocksEngine& engine, const std::string& dir) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) return Status::Conflict("checkpoint directory " + dir + " exists");
  // A checkpoint flushes the memtables and copies files onto the data disk: not while the storage
  // gate refuses writes (disk full or an I/O error), when it would take the last free space.
  if (const StorageCondition condition = engine.storage_condition();
      condition != StorageCondition::kOk) {
    return Status::Unavailable("checkpoint: storage refuses writes (" +
                               std::string(StorageConditionName(condition)) + ")");
  }
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status created = rocksdb::Checkpoint::Create(engine.db(), &raw);
  if (!created.ok()) return FromRocks(created, "checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  rocksdb::Status taken = checkpoint->CreateCheckpoint(dir, kWalBytesForFlush);
  if (!taken.ok()) {
    std::filesystem::remove_all(dir, error);
    std::filesystem::remove_all(dir + ".tmp", error);
    return FromRocks(taken, "checkpoint into " + dir);
  }
  return Status::Ok();
}

}  // namespace estoque::store
