// RocksEngine: the one RocksDB database of the embedded backend, shared by the position store
// and the embedded queue so that applying a message and removing it are one atomic write.
//
// On-disk layout (format version 1; see docs/STORAGE.md). Column families:
//   "default"             unused
//   "meta"                "format_version" -> "1"; "counters" -> ApplyCounters (position_codec.h);
//                         "queue.next_id" -> uint64 big-endian
//   "positions"           key = codigo_barra '\0' filial      value = EncodePositionValue
//   "positions_by_branch" key = filial '\0' codigo_barra      value = empty (keys only: written
//                         once, with the position's creation; positions are never deleted)
//   "queue"               key = message id, uint64 big-endian value = EncodeMessage (message_codec.h)
// Added by format version 2 (the inventory model, docs/INVENTORY.md; a v1 directory is upgraded in
// place: its positions read as counts). Keys and values: docs/STORAGE.md.
//   "products", "branches"             the catalog (catalog module)
//   "ledger"                           every movement, by product-branch and event time
//   "ledger_by_branch"                 keys only: the ledger by branch and event time
//   "movement_ids"                     idempotency keys of API movements -> their ledger entry
//   "sales"                            sales by branch and venda_id (idempotency, cancellation)
//   "transfers", "reservations"        their records by id
//   "reservation_expiry"               keys only: active reservations by expiry time
//   "alerts"                           the current low/negative-stock alerts by branch
//   "api_keys"                         API keys by id (auth/key_codec.h): hashes, never tokens
//   "audit"                            who wrote what, by time (auth/audit_log.h)
//   "dlq"                              dead letters: poison messages moved out of "queue", keyed
//                                      like it (queue/dead_letter_codec.h)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/storage_condition.h"
#include "store/storage_monitor.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
class FileSystem;
class Slice;
class Status;
class WriteBatch;
struct WriteOptions;
}  // namespace rocksdb

namespace estoque::store {

// Which column families a database holds.
enum class EngineLayout {
  kStore,  // all of them (above): the data directory's database
  // "meta", "queue" and "dlq" only: the embedded queue's own database, in <data>/queue, so that
  // the fsync of an enqueue covers the queue's bytes only and never waits behind the memtable
  // insert of the worker's apply (docs/ARCHITECTURE.md, "Two databases"). The accessors of the
  // other families return nullptr.
  kQueue,
};

struct EngineOptions {
  std::string data_dir = "./data";  // created if missing; holds the RocksDB files
  EngineLayout layout = EngineLayout::kStore;
  // true: every write that must be durable (queue enqueue) is fsync'ed before it returns;
  // false ("os" durability): left to the OS page cache, lost on power failure (not on kill -9).
  bool sync_writes = true;
  // Read cache shared by all column families (data, index and filter blocks).
  std::size_t block_cache_bytes = 64ull << 20;
  // RocksDB row cache (key -> value of point lookups); 0 = none. Measured about +10 % GET
  // throughput with 1M positions at 64 MiB (docs/BENCHMARKS.md).
  std::size_t row_cache_bytes = 64ull << 20;
  // Memtable size per column family. All memtables together are held to 2x this, and the WAL to
  // 4x (older WAL forces a flush), which bounds both the memory and the WAL replay after a crash
  // (see docs/BENCHMARKS.md for the measured restart after kill -9). Larger: fewer flushes,
  // slower crash restart.
  std::size_t write_buffer_bytes = 32ull << 20;
  // Free space of the data directory's filesystem below which writes are refused
  // (StorageCondition::kNoSpace) before RocksDB itself runs out, so that it never has to recover
  // from ENOSPC; accepted again a quarter above it (storage_monitor.h). 0 = not watched (RocksDB's
  // own out-of-space error still stops writes, and they resume when space returns, unless the
  // failed write was the first of a new WAL: see storage_monitor.h).
  uint64_t min_free_bytes = 0;
  // Free-space check period, and the first and longest wait between DB::Resume() attempts.
  std::chrono::milliseconds storage_check_interval{100};
  std::chrono::milliseconds resume_backoff_initial{100};
  std::chrono::milliseconds resume_backoff_max{2000};
  // The file system under RocksDB; null = the operating system's. Tests inject faults with it.
  std::shared_ptr<rocksdb::FileSystem> file_system;
};

// Thread-safe (RocksDB is). Owns the DB and its column family handles; on destruction flushes the
// memtables (so a clean restart replays no WAL) and closes the DB.
//
// Writes go through Write(), the one gate of the storage condition: while the disk is short of
// space or RocksDB has stopped writes after an I/O error, every write is refused at once
// (Unavailable) without reaching RocksDB, and reads go on. A StorageMonitor reopens the gate by
// itself when the disk allows (storage_monitor.h). RocksDB's informational log goes to spdlog, not
// to a LOG file on the data disk (rocksdb_log.h).
class RocksEngine {
 public:
  // Opens (creating if missing) the database in options.data_dir. Corruption if the directory
  // holds an unknown format version; Unavailable on I/O errors or if another process holds it.
  static Result<std::unique_ptr<RocksEngine>> Open(const EngineOptions& options);
  ~RocksEngine();
  RocksEngine(const RocksEngine&) = delete;
  RocksEngine& operator=(const RocksEngine&) = delete;

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
  rocksdb::ColumnFamilyHandle* positions() const { return positions_; }
  rocksdb::ColumnFamilyHandle* positions_by_branch() const { return positions_by_branch_; }
  rocksdb::ColumnFamilyHandle* queue() const { return queue_; }
  rocksdb::ColumnFamilyHandle* products() const { return products_; }
  rocksdb::ColumnFamilyHandle* branches() const { return branches_; }
  rocksdb::ColumnFamilyHandle* ledger() const { return ledger_; }
  rocksdb::ColumnFamilyHandle* ledger_by_branch() const { return ledger_by_branch_; }
  rocksdb::ColumnFamilyHandle* movement_ids() const { return movement_ids_; }
  rocksdb::ColumnFamilyHandle* sales() const { return sales_; }
  rocksdb::ColumnFamilyHandle* transfers() const { return transfers_; }
  rocksdb::ColumnFamilyHandle* reservations() const { return reservations_; }
  rocksdb::ColumnFamilyHandle* reservation_expiry() const { return reservation_expiry_; }
  rocksdb::ColumnFamilyHandle* alerts() const { return alerts_; }
  rocksdb::ColumnFamilyHandle* api_keys() const { return api_keys_; }
  rocksdb::ColumnFamilyHandle* audit() const { return audit_; }
  rocksdb::ColumnFamilyHandle* dlq() const { return dlq_; }
  // Every family of the layout but "default", in a fixed order (for flushes, checkpoints, tests).
  std::vector<rocksdb::ColumnFamilyHandle*> families() const;
  const EngineOptions& options() const { return options_; }

  // Writes `batch` atomically. Unavailable naming the storage condition, without touching RocksDB,
  // if writes are refused now; otherwise RocksDB's outcome through FromRocks (prefixed `context`):
  // an I/O failure is Unavailable too, and the condition then says why (it changes before this
  // returns).
  Status Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
               std::string_view context);
  // Whether writes are accepted now (lock-free; cheap enough for every request).
  StorageCondition storage_condition() const { return monitor_->condition(); }
  StorageHealth storage_health() const { return monitor_->health(); }
  // Re-examines the disk now rather than within storage_check_interval (tests).
  void CheckStorageSoon() { monitor_->CheckSoon(); }

 private:
  RocksEngine() = default;
  EngineOptions options_;
  std::unique_ptr<rocksdb::Env> env_;         // over options_.file_system, when one is given
  std::unique_ptr<StorageMonitor> monitor_;   // destroyed after the DB is closed
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* positions_ = nullptr;
  rocksdb::ColumnFamilyHandle* positions_by_branch_ = nullptr;
  rocksdb::ColumnFamilyHandle* queue_ = nullptr;
  rocksdb::ColumnFamilyHandle* products_ = nullptr;
  rocksdb::ColumnFamilyHandle* branches_ = nullptr;
  rocksdb::ColumnFamilyHandle* ledger_ = nullptr;
  rocksdb::ColumnFamilyHandle* ledger_by_branch_ = nullptr;
  rocksdb::ColumnFamilyHandle* movement_ids_ = nullptr;
  rocksdb::ColumnFamilyHandle* sales_ = nullptr;
  rocksdb::ColumnFamilyHandle* transfers_ = nullptr;
  rocksdb::ColumnFamilyHandle* reservations_ = nullptr;
  rocksdb::ColumnFamilyHandle* reservation_expiry_ = nullptr;
  rocksdb::ColumnFamilyHandle* alerts_ = nullptr;
  rocksdb::ColumnFamilyHandle* api_keys_ = nullptr;
  rocksdb::ColumnFamilyHandle* audit_ = nullptr;
  rocksdb::ColumnFamilyHandle* dlq_ = nullptr;
};

// The layout this code writes (meta "format_version", docs/STORAGE.md): "3".
std::string_view DataFormatVersion();
// True if RocksEngine::Open accepts a directory of `version`: this one, or an older one it
// upgrades in place.
bool CanOpenDataFormat(std::string_view version);

// Maps a RocksDB status to ours (IOError/Busy/TryAgain -> Unavailable, Corruption -> Corruption,
// NotFound -> NotFound, the rest -> Internal), prefixing `context`.
Status FromRocks(const rocksdb::Status& status, std::string_view context);

// Key encodings shared by the store and the queue.
std::string PositionKey(std::string_view barcode, std::string_view branch);
std::string BranchIndexKey(std::string_view branch, std::string_view barcode);
std::string QueueKey(uint64_t message_id);  // 8 bytes big-endian: sorts in id order
uint64_t DecodeQueueKey(std::string_view key);  // REQUIRES: key.size() == 8

}  // namespace estoque::store
