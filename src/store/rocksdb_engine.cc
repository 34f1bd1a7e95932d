#include "store/rocksdb_engine.h"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "store/format_upgrade.h"
#include "store/rocksdb_log.h"
#include "store/skiplist_memtable.h"
#include "store/tsan_rocksdb_write.h"

namespace estoque::store {
namespace {

// The layout this code reads and writes (meta "format_version").
constexpr std::string_view kFormatVersion = "3";
// Older layouts this code upgrades in place: v2 only added column families and a value version
// (nothing to rewrite); v3 changed the ledger_by_branch keys (rebuilt from the ledger).
constexpr std::string_view kFormatVersionV1 = "1";
constexpr std::string_view kFormatVersionV2 = "2";
constexpr std::string_view kFormatVersionKey = "format_version";
// Bits per key of the bloom filters on the point-lookup column families (~1% false positives).
constexpr double kBloomBitsPerKey = 10.0;
// Flushes and compactions share two background threads: the machine has two cores and the
// foreground (HTTP, apply) needs them more.
constexpr int kBackgroundJobsMax = 2;
// Bound on all memtables together, in multiples of the per-column-family write buffer. Keeps the
// RSS predictable (four column families could otherwise hold 4 x 2 x write_buffer_bytes).
constexpr std::size_t kMemtableBudgetWriteBuffers = 2;
// Bound on the WAL, in multiples of the per-column-family write buffer. Bounds the replay work
// after a crash (restart must be ready in about 2 s).
constexpr std::size_t kWalBudgetWriteBuffers = 4;

rocksdb::CompressionType HotCompression() {
  // LZ4 is cheap enough for every level; fall back to none if this librocksdb lacks it.
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()) {
    return rocksdb::kLZ4Compression;
  }
  return rocksdb::kNoCompression;
}

// How a column family is used, which decides its tuning.
enum class Access {
  kPointLookups,  // positions: Get/MultiGet by whole key, values overwritten again and again
  kScans,         // meta, positions_by_branch, queue: ordered scans, few or no overwrites
  kAppendPerPrefix,  // ledger families: new keys, each mostly just after the previous one of its
                     // prefix (a product-branch's or a branch's movements, in time order)
  kIdLookups,  // sales, movement_ids: Get by a client-chosen id, mostly of ids not stored yet;
               // keys written once or twice, in no order
};

// Level-0 files that start a compaction into the level below, for families written with new keys
// all over their key range (ledger, ids): every level-0 file overlaps the whole of the level
// below, so each compaction rewrites it; merging 8 files at a time instead of RocksDB's 4 halves
// that rewriting. Reads of these families are range scans of one product-branch or branch and
// bloom-filtered Gets, which 8 files cost little more than 4 (measured: docs/BENCHMARKS.md).
constexpr int kLevel0FilesBeforeCompactionWide = 8;
// The ledger families, written fastest (one entry per sale line), merge 16 at a time: half the
// rewriting again. Their range scans merge one iterator per level-0 file, which costs
// microseconds. The write slowdown and stop, RocksDB's 20 and 36 files, are raised to keep the
// same room above the trigger while a 16-file compaction runs.
constexpr int kLevel0FilesBeforeCompactionLedger = 16;
constexpr int kLevel0FilesSlowdownLedger = 32;
constexpr int kLevel0FilesStopLedger = 48;

// The key up to and including its `delimiters`-th 0x00 byte (the whole key if it has fewer):
// "barcode\0branch\0" of a ledger key (2), "branch\0" of a ledger_by_branch key (1). Used only
// as the memtable insert hint: the memtable remembers where the previous key of the same prefix
// went, so appending a product-branch's next movement is a few comparisons instead of a search of
// the whole memtable (measured: the memtable insert was the largest cost of ingest without it).
class DelimitedPrefix final : public rocksdb::SliceTransform {
 public:
  explicit DelimitedPrefix(int delimiters)
      : delimiters_(delimiters), name_("estoque.DelimitedPrefix." + std::to_string(delimiters)) {}
  const char* Name() const override { return name_.c_str(); }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    int seen = 0;
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (key[i] == '\0' && ++seen == delimiters_) return rocksdb::Slice(key.data(), i + 1);
    }
    return key;
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }

 private:
  int delimiters_;
  std::string name_;
};

// Bits of memtable bloom filter, as a fraction of the memtable, for point lookups of keys that
// are not in the memtable (most keys, with a large catalogue).
constexpr double kMemtableBloomRatio = 0.02;

// Options of one column family. All share `cache`.
rocksdb::ColumnFamilyOptions FamilyOptions(const EngineOptions& options,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           Access access, rocksdb::CompressionType compression,
                                           int hint_delimiters = 0, bool point_reads = false) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in (and are bounded by) the shared cache, at high priority; the
  // level-0 ones are pinned so fresh files never miss.
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;

  rocksdb::ColumnFamilyOptions family;
  // Our skiplist, not librocksdb's (store/skiplist_memtable.h: Debian's library is built with
  // assertions, which made the memtable insert the largest cost of ingest), with its own insert
  // hints by prefix: the whole key for positions, DelimitedPrefix for the ledger's families.
  static const std::shared_ptr<rocksdb::MemTableRepFactory> plain = NewSkipListMemTableFactory();
  static const std::shared_ptr<rocksdb::MemTableRepFactory> by_key = NewSkipListMemTableFactory(
      std::shared_ptr<const rocksdb::SliceTransform>(rocksdb::NewNoopTransform()));
  static const std::shared_ptr<rocksdb::MemTableRepFactory> by_delimited[] = {
      plain, NewSkipListMemTableFactory(std::make_shared<DelimitedPrefix>(1)),
      NewSkipListMemTableFactory(std::make_shared<DelimitedPrefix>(2))};
  family.memtable_factory = plain;
  family.write_buffer_size = options.write_buffer_bytes;
  family.max_write_buffer_number = 2;
  family.level_compaction_dynamic_level_bytes = true;
  family.compression = compression;
  family.bottommost_compression = compression;
  if (compression != rocksdb::kNoCompression) {
    // Flushes write level 0 uncompressed: it is soon rewritten by a compaction, which compresses
    // (with dynamic level sizes, entry 0 is level 0 and the others count from the base level).
    family.compression_per_level.assign(7, compression);
    family.compression_per_level[0] = rocksdb::kNoCompression;
  }
  if (access == Access::kPointLookups || access == Access::kIdLookups) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
    family.memtable_whole_key_filtering = true;
    family.memtable_prefix_bloom_size_ratio = kMemtableBloomRatio;
  }
  if (access == Access::kIdLookups) {
    family.level0_file_num_compaction_trigger = kLevel0FilesBeforeCompactionWide;
  }
  if (access == Access::kPointLookups) {
    // Point reads are the query hot path: keep index and filter blocks in the table readers (about
    // 1.3 MB per million positions) instead of looking them up in the LRU cache on every Get, and
    // keep level 0 short so a Get probes few files.
    table.cache_index_and_filter_blocks = false;
    family.level0_file_num_compaction_trigger = 2;
    // Each position is overwritten again and again: remembering, per key, where its last version
    // went into the memtable makes the next insert a few comparisons instead of a full skiplist
    // search (~250 bytes of memtable per distinct key).
    family.memtable_factory = by_key;
  }
  if (access == Access::kAppendPerPrefix && point_reads) {
    // The ledger is also read by whole key: is this older PDV count already recorded (mostly
    // not)? Without a filter that Get searched a block of every level-0 file and of the level
    // below (measured: LZ4 decompression was half the apply thread's time once positions queued).
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  }
  if (access == Access::kAppendPerPrefix) {
    family.level0_file_num_compaction_trigger = kLevel0FilesBeforeCompactionLedger;
    family.level0_slowdown_writes_trigger = kLevel0FilesSlowdownLedger;
    family.level0_stop_writes_trigger = kLevel0FilesStopLedger;
    assert(hint_delimiters >= 1 && hint_delimiters <= 2);
    family.memtable_factory = by_delimited[hint_delimiters];
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return family;
}

}  // namespace

std::string_view DataFormatVersion() { return kFormatVersion; }

bool CanOpenDataFormat(std::string_view version) {
  return version == kFormatVersion || version == kFormatVersionV1 || version == kFormatVersionV2;
}

Status FromRocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::Ok();
  std::string message(context);
  message += ": ";
  message += status.ToString();
  if (status.IsNotFound()) return Status::NotFound(std::move(message));
  if (status.IsCorruption()) return Status::Corruption(std::move(message));
  if (status.IsIOError() || status.IsBusy() || status.IsTryAgain() || status.IsTimedOut() ||
      status.IsShutdownInProgress() || status.IsAborted() || status.IsIncomplete()) {
    return Status::Unavailable(std::move(message));
  }
  return Status::Internal(std::move(message));
}

std::string PositionKey(std::string_view barcode, std::string_view branch) {
  std::string key;
  key.reserve(barcode.size() + 1 + branch.size());
  key.append(barcode);
  key.push_back('\0');
  key.append(branch);
  return key;
}

std::string BranchIndexKey(std::string_view branch, std::string_view barcode) {
  return PositionKey(branch, barcode);  // same shape, other order
}

std::string QueueKey(uint64_t message_id) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(message_id & 0xff);
    message_id >>= 8;
  }
  return key;
}

uint64_t DecodeQueueKey(std::string_view key) {
  assert(key.size() == 8);
  uint64_t id = 0;
  for (unsigned char byte : key.substr(0, 8)) id = (id << 8) | byte;
  return id;
}

Result<std::unique_ptr<RocksEngine>> RocksEngine::Open(const EngineOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return Status::Unavailable("cannot create data directory " + options.data_dir + ": " +
                               error.message());
  }

  std::unique_ptr<RocksEngine> engine(new RocksEngine());
  engine->options_ = options;
  rocksdb::FileSystem* file_system = rocksdb::FileSystem::Default().get();
  if (options.file_system != nullptr) {
    engine->env_ = rocksdb::NewCompositeEnv(options.file_system);
    file_system = options.file_system.get();
  }
  StorageMonitorOptions monitor_options;
  monitor_options.path = options.data_dir;
  monitor_options.min_free_bytes = options.min_free_bytes;
  monitor_options.check_interval = options.storage_check_interval;
  monitor_options.resume_backoff_initial = options.resume_backoff_initial;
  monitor_options.resume_backoff_max = options.resume_backoff_max;
  engine->monitor_ = std::make_unique<StorageMonitor>(monitor_options, file_system);

  rocksdb::DBOptions db_options;
  if (engine->env_ != nullptr) db_options.env = engine->env_.get();
  // No LOG file on the data disk: a full disk must not crash the server (rocksdb_log.h).
  db_options.info_log = NewRocksDbLogger();
  db_options.listeners.push_back(engine->monitor_->listener());
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = kBackgroundJobsMax;
  // Restart time: a clean shutdown flushes the memtables itself (see ~RocksEngine), and after a
  // crash the WAL is replayed into memtables without writing level-0 files during Open.
  db_options.avoid_flush_during_shutdown = false;
  db_options.avoid_flush_during_recovery = true;
  db_options.db_write_buffer_size = kMemtableBudgetWriteBuffers * options.write_buffer_bytes;
  db_options.max_total_wal_size = kWalBudgetWriteBuffers * options.write_buffer_bytes;
  db_options.skip_stats_update_on_db_open = true;  // faster restart
  // Our skiplist and its insert hints (one writer, store/skiplist_memtable.h) need non-concurrent
  // memtable writes.
  db_options.allow_concurrent_memtable_write = false;
  // The queue's fsync'ed enqueue writes must not wait behind the worker's large apply batch while
  // it is inserted into the memtables: pipelined writes let the next group's WAL write (and
  // fsync) proceed meanwhile.
  db_options.enable_pipelined_write = true;

  const std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Point reads of positions: a hit skips the table lookup (index, data block search) entirely.
  if (options.row_cache_bytes > 0) db_options.row_cache = rocksdb::NewLRUCache(options.row_cache_bytes);
  const rocksdb::CompressionType hot = HotCompression();
  // Every family with its options and the member that holds its handle; `queue_layout`: the
  // family is in the queue's database too (EngineLayout::kQueue).
  struct Family {
    std::string name;
    rocksdb::ColumnFamilyOptions options;
    rocksdb::ColumnFamilyHandle* RocksEngine::*handle;
    bool queue_layout;
  };
  const std::vector<Family> all = {
      {rocksdb::kDefaultColumnFamilyName, FamilyOptions(options, cache, Access::kScans, hot),
       &RocksEngine::default_, true},
      {"meta", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::meta_, true},
      // Positions are small and read at random: no decompression on a block-cache miss.
      {"positions", FamilyOptions(options, cache, Access::kPointLookups, rocksdb::kNoCompression),
       &RocksEngine::positions_, false},
      {"positions_by_branch", FamilyOptions(options, cache, Access::kScans, hot),
       &RocksEngine::positions_by_branch_, false},
      // Messages live for milliseconds; compressing them is wasted work.
      {"queue", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::queue_, true},
      {"products", FamilyOptions(options, cache, Access::kScans, hot), &RocksEngine::products_,
       false},
      {"branches", FamilyOptions(options, cache, Access::kScans, hot), &RocksEngine::branches_,
       false},
      {"ledger",
       FamilyOptions(options, cache, Access::kAppendPerPrefix, hot, 2, /*point_reads=*/true),
       &RocksEngine::ledger_, false},
      {"ledger_by_branch", FamilyOptions(options, cache, Access::kAppendPerPrefix, hot, 1),
       &RocksEngine::ledger_by_branch_, false},
      {"movement_ids", FamilyOptions(options, cache, Access::kIdLookups, hot),
       &RocksEngine::movement_ids_, false},
      {"sales", FamilyOptions(options, cache, Access::kIdLookups, hot), &RocksEngine::sales_,
       false},
      {"transfers", FamilyOptions(options, cache, Access::kScans, hot), &RocksEngine::transfers_,
       false},
      {"reservations", FamilyOptions(options, cache, Access::kScans, hot),
       &RocksEngine::reservations_, false},
      {"reservation_expiry", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::reservation_expiry_, false},
      {"alerts", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::alerts_, false},
      {"api_keys", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::api_keys_, false},
      {"audit", FamilyOptions(options, cache, Access::kScans, hot), &RocksEngine::audit_, false},
      // Poison messages: rare, kept until an operator acts.
      {"dlq", FamilyOptions(options, cache, Access::kScans, rocksdb::kNoCompression),
       &RocksEngine::dlq_, true},
  };
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<rocksdb::ColumnFamilyHandle* RocksEngine::*> members;
  for (const Family& family : all) {
    if (options.layout == EngineLayout::kQueue && !family.queue_layout) continue;
    families.emplace_back(family.name, family.options);
    members.push_back(family.handle);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(db_options, options.data_dir, families, &handles, &db);
  if (!opened.ok()) return FromRocks(opened, "open " + options.data_dir);
  assert(handles.size() == families.size());
  engine->db_ = db;
  for (std::size_t i = 0; i < handles.size(); ++i) (*engine).*members[i] = handles[i];

  std::string version;
  rocksdb::Status read = db->Get(rocksdb::ReadOptions(), engine->meta_,
                                 rocksdb::Slice(kFormatVersionKey.data(), kFormatVersionKey.size()),
                                 &version);
  const bool upgradable = read.ok() && (version == kFormatVersionV1 || version == kFormatVersionV2);
  if (read.IsNotFound() || upgradable) {
    if (upgradable && engine->ledger_ != nullptr) {
      Status rebuilt = RebuildLedgerBranchIndex(db, engine->ledger_, engine->ledger_by_branch_);
      if (!rebuilt.ok()) return rebuilt;
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    rocksdb::Status written =
        db->Put(write_options, engine->meta_,
                rocksdb::Slice(kFormatVersionKey.data(), kFormatVersionKey.size()),
                rocksdb::Slice(kFormatVersion.data(), kFormatVersion.size()));
    if (!written.ok()) return FromRocks(written, "write format_version");
  } else if (!read.ok()) {
    return FromRocks(read, "read format_version");
  } else if (version != kFormatVersion) {
    return Status::Corruption("data directory " + options.data_dir + " has format_version " +
                              version + ", this build reads " + std::string(kFormatVersion));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> watched = engine->families();
  watched.push_back(engine->default_);
  engine->monitor_->Start(db, std::move(watched), engine->default_);
  return engine;
}

Status RocksEngine::Write(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch,
                          std::string_view context) {
  const StorageCondition condition = monitor_->condition();
  if (condition != StorageCondition::kOk) {
    return Status::Unavailable(std::string(context) + ": storage refuses writes (" +
                               std::string(StorageConditionName(condition)) + ")");
  }
  rocksdb::Status written;
  {
    TsanIgnoreRocksDbAccesses inside_rocksdb;
    written = db_->Write(options, batch);
  }
  return FromRocks(written, context);
}

std::vector<rocksdb::ColumnFamilyHandle*> RocksEngine::families() const {
  std::vector<rocksdb::ColumnFamilyHandle*> all = {
      meta_,        positions_, positions_by_branch_, queue_,         products_,
      branches_,    ledger_,    ledger_by_branch_,    movement_ids_,  sales_,
      transfers_,   reservations_, reservation_expiry_, alerts_,      api_keys_,
      audit_,       dlq_};
  std::erase(all, nullptr);  // the families the layout does not hold
  return all;
}

RocksEngine::~RocksEngine() {
  if (db_ == nullptr) return;
  monitor_->Stop();  // no DB::Resume() from now on
  // With the WAL on, RocksDB does not flush at Close(): the next Open would replay up to
  // max_total_wal_size of WAL. Flushing here keeps a clean restart fast. Errors cannot be acted on
  // here: anything unflushed is still in the WAL and is replayed on the next open.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles = families();
  db_->Flush(flush, handles).PermitUncheckedError();
  handles.push_back(default_);
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();
  delete db_;
}

}  // namespace estoque::store
