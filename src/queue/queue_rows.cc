#include "queue/queue_rows.h"

#include <algorithm>
#include <memory>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

namespace estoque::queue {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

Status ReadFamily(rocksdb::DB* db, const rocksdb::ReadOptions& options,
                  rocksdb::ColumnFamilyHandle* family,
                  std::vector<std::pair<std::string, std::string>>* out) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(options, family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out->emplace_back(it->key().ToString(), it->value().ToString());
  }
  return store::FromRocks(it->status(), "read the queue's rows");
}

Result<uint64_t> DecodeNextId(std::string_view bytes) {
  if (bytes.size() != 8) return Status::Corruption("malformed queue.next_id");
  return store::DecodeQueueKey(bytes);
}

}  // namespace

std::string QueueDatabaseDir(std::string_view data_dir) {
  std::string dir(data_dir);
  dir += "/queue";
  return dir;
}

Result<QueueRows> ReadQueueRows(const store::RocksEngine& engine) {
  rocksdb::DB* db = engine.db();
  const rocksdb::Snapshot* snapshot = db->GetSnapshot();
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  QueueRows rows;
  Status read = ReadFamily(db, options, engine.queue(), &rows.messages);
  if (read.ok()) read = ReadFamily(db, options, engine.dlq(), &rows.dead_letters);
  if (read.ok()) {
    std::string next_id;
    rocksdb::Status got = db->Get(options, engine.meta(), ToSlice(kQueueNextIdKey), &next_id);
    if (got.ok()) {
      rows.next_id = std::move(next_id);
    } else if (!got.IsNotFound()) {
      read = store::FromRocks(got, "read queue.next_id");
    }
  }
  db->ReleaseSnapshot(snapshot);
  if (!read.ok()) return read;
  return rows;
}

Status WriteQueueRows(const QueueRows& rows, store::RocksEngine* engine) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : rows.messages) batch.Put(engine->queue(), key, value);
  for (const auto& [key, value] : rows.dead_letters) batch.Put(engine->dlq(), key, value);
  if (rows.next_id.has_value()) {
    Result<uint64_t> given = DecodeNextId(*rows.next_id);
    if (!given.ok()) return given.status();
    uint64_t next_id = *given;
    std::string stored;
    rocksdb::Status got =
        engine->db()->Get(rocksdb::ReadOptions(), engine->meta(), ToSlice(kQueueNextIdKey), &stored);
    if (got.ok()) {
      Result<uint64_t> current = DecodeNextId(stored);
      if (!current.ok()) return current.status();
      next_id = std::max(next_id, *current);
    } else if (!got.IsNotFound()) {
      return store::FromRocks(got, "read queue.next_id");
    }
    batch.Put(engine->meta(), ToSlice(kQueueNextIdKey), store::QueueKey(next_id));
  }
  rocksdb::WriteOptions options;
  options.sync = engine->options().sync_writes;
  return engine->Write(options, &batch, "write the queue's rows");
}

Result<std::size_t> MoveQueueRows(store::RocksEngine* from, store::RocksEngine* to) {
  Result<QueueRows> rows = ReadQueueRows(*from);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::size_t{0};
  if (Status written = WriteQueueRows(*rows, to); !written.ok()) return written;
  rocksdb::WriteBatch batch;
  for (const auto& row : rows->messages) batch.Delete(from->queue(), row.first);
  for (const auto& row : rows->dead_letters) batch.Delete(from->dlq(), row.first);
  if (rows->next_id.has_value()) batch.Delete(from->meta(), ToSlice(kQueueNextIdKey));
  rocksdb::WriteOptions options;
  options.sync = from->options().sync_writes;
  if (Status deleted = from->Write(options, &batch, "remove the moved queue rows"); !deleted.ok()) {
    return deleted;
  }
  return rows->messages.size() + rows->dead_letters.size();
}

}  // namespace estoque::queue
