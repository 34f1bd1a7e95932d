// StorageMonitor: decides whether the engine accepts writes (StorageCondition), and brings it back
// to accepting them by itself when the disk allows.
//
// Two sources close the gate:
//  1. Free space. The free space of the data directory's filesystem is measured every
//     check_interval; below min_free_bytes writes are refused (kNoSpace) before RocksDB itself
//     runs out, and accepted again at resume_free_bytes() (a quarter more: hysteresis). This is the
//     usual path: RocksDB never sees ENOSPC, so there is nothing to repair.
//  2. RocksDB's background error. When a write, flush or compaction fails (ENOSPC that slipped
//     past the watermark, EIO), RocksDB stops writes and calls our listener: the gate closes at
//     once, before the failing write returns. The monitor then calls DB::Resume() itself, with
//     backoff, once it is safe (RocksDB's automatic recovery is turned off, see below):
//       - for a no-space error, only when the free space is back above resume_free_bytes() and
//         above what the memtables hold (DB::Resume() flushes them all; resuming on a full disk
//         "succeeds" and then fails the next write on a fresh WAL);
//       - not after a fatal error (RocksDB cannot resume from those: a restart is required);
//       - not when a WAL write failed and RocksDB would keep that WAL: RocksDB 7.8 resumes by
//         switching to a new WAL only if some active memtable has data; otherwise it keeps the
//         failed WAL writer, and the Debian build (assertions on) aborts the process at the next
//         write ("Writer has previous error"; RocksDB issues 11643, 12998). Then writes stay
//         refused until a restart, which replays the WAL safely.
//       - not when the first error was not a flush's and a memtable waits to be flushed: RocksDB
//         7.8 then loses that flush (its job finds writes stopped and returns without it), and
//         DB::Resume() waits for it forever.
//     To keep the WAL case away, the monitor keeps one entry in the active memtable of the
//     otherwise unused "default" column family (the WAL-switch sentinel, written without the WAL,
//     so writing it never fails for space), and puts it back within a check_interval whenever a
//     flush took it (after a restart, after a resume). Only a failure in the gap between a flush
//     of every family and the sentinel's return can leave RocksDB unresumable.
// Every change of condition is logged once (spdlog), not per refused request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/storage_condition.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class EventListener;
class FileSystem;
}  // namespace rocksdb

namespace estoque::store {

struct StorageMonitorOptions {
  std::string path;                 // a directory on the filesystem to watch (the data directory)
  uint64_t min_free_bytes = 0;      // below this, writes are refused; 0 = free space not watched
  std::chrono::milliseconds check_interval{100};          // free-space measurement period
  std::chrono::milliseconds resume_backoff_initial{100};  // after a failed DB::Resume(); doubles
  std::chrono::milliseconds resume_backoff_max{2000};
};

// What GET /health and the tests see.
struct StorageHealth {
  StorageCondition condition = StorageCondition::kOk;
  // Writes stay refused until the server restarts (RocksDB cannot resume in place).
  bool restart_required = false;
  std::optional<uint64_t> free_bytes;  // last measurement; nullopt if never measured or failed
  std::string reason;                  // why writes are refused; empty when kOk
  uint64_t resumes_total = 0;          // successful DB::Resume() calls since start
};

// Thread-safe. Lifetime: construct, put listener() in DBOptions::listeners, open the DB, Start(),
// ..., Stop() before closing the DB; destroy after the DB is closed (RocksDB may still call the
// listener while it closes).
class StorageMonitor {
 public:
  // `file_system` measures free space (tests inject one); it must outlive the monitor.
  StorageMonitor(StorageMonitorOptions options, rocksdb::FileSystem* file_system);
  ~StorageMonitor();  // Stop()s
  StorageMonitor(const StorageMonitor&) = delete;
  StorageMonitor& operator=(const StorageMonitor&) = delete;

  // The RocksDB listener that reports background errors to this monitor and turns RocksDB's own
  // recovery off. Holds a plain pointer to the monitor.
  std::shared_ptr<rocksdb::EventListener> listener();

  // Starts watching `db` (opened with listener()); `families` are all of its column families
  // (to see whether any memtable holds data), `sentinel_family` the unused one the sentinel goes
  // to (one of them). Measures free space and writes the sentinel once before it returns, so the
  // first condition() is already informed. REQUIRES: not started before.
  void Start(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> families,
             rocksdb::ColumnFamilyHandle* sentinel_family);
  // Stops the thread (a DB::Resume() in progress finishes first). Idempotent.
  void Stop();

  // kOk if writes are accepted now. Lock-free: meant for every write and every request.
  StorageCondition condition() const { return condition_.load(std::memory_order_acquire); }
  StorageHealth health() const;
  // Free space at which writes are accepted again after falling below min_free_bytes, and below
  // which RocksDB is not resumed after running out of space: min_free_bytes * 1.25, or 64 MiB
  // when min_free_bytes is 0.
  uint64_t resume_free_bytes() const;
  // Measures (and resumes, if due) now instead of at the end of the period. Not needed by the
  // server; for tests that change the disk under it.
  void CheckSoon();

 private:
  class Listener;

  // The episode of a RocksDB background error, from the first report to a successful resume.
  struct DbError {
    bool active = false;
    int severity = 0;          // rocksdb::Status::Severity of the worst report
    bool no_space = false;     // the worst report was ENOSPC
    int first_reason = 0;      // rocksdb::BackgroundErrorReason of the first report
    bool wal_failed = false;   // a write failed or was refused (it may have failed on the WAL)
    std::optional<uint64_t> failed_wal;  // the WAL of that failure, once the thread looked
    std::string message;
    int64_t since_us = 0;      // monotonic
  };

  void Run();
  // Called by the listener (under RocksDB's mutex: records and wakes, nothing more).
  void RecordError(int reason, int severity, bool no_space, std::string message);
  // One round of the thread: measure, maybe resume, publish. Called without mutex_.
  void CheckOnce();
  std::optional<uint64_t> MeasureFreeBytes() const;
  // Entries in the active memtables, and bytes in all memtables, of all families (RocksDB reads;
  // call without mutex_).
  uint64_t ActiveMemtableEntries() const;
  uint64_t ImmutableMemtables() const;  // memtables waiting to be flushed
  uint64_t MemtableBytes() const;
  // The number of the WAL RocksDB writes to now; nullopt if unknown (call without mutex_).
  std::optional<uint64_t> CurrentWalNumber() const;
  // Puts the WAL-switch sentinel back if a flush took it (RocksDB calls; without mutex_).
  void KeepSentinel();
  void PublishLocked();
  StorageCondition ConditionLocked() const;

  const StorageMonitorOptions options_;
  rocksdb::FileSystem* const file_system_;
  rocksdb::DB* db_ = nullptr;                              // set by Start
  std::vector<rocksdb::ColumnFamilyHandle*> families_;     // set by Start
  rocksdb::ColumnFamilyHandle* sentinel_family_ = nullptr;  // set by Start

  std::atomic<StorageCondition> condition_{StorageCondition::kOk};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool wake_pending_ = false;
  bool low_space_ = false;
  int64_t low_space_since_us_ = 0;
  std::optional<uint64_t> free_bytes_;
  DbError error_;
  uint64_t error_generation_ = 0;  // bumped by every report, so a resume does not clear a newer one
  bool error_logged_ = false;
  bool restart_required_ = false;
  bool restart_logged_ = false;
  std::chrono::milliseconds resume_backoff_{0};
  int64_t next_resume_at_us_ = 0;
  int64_t last_resume_us_ = 0;  // monotonic, of the last successful DB::Resume()
  uint64_t resumes_total_ = 0;
  uint64_t resumes_attempted_in_episode_ = 0;

  std::mutex thread_mutex_;  // serialises Start()/Stop()
  std::thread thread_;
};

}  // namespace estoque::store
