#include "store/storage_monitor.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/file_system.h>
#include <rocksdb/listener.h>
#include <rocksdb/transaction_log.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "store/tsan_rocksdb_write.h"

namespace estoque::store {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;
// Without a free-space minimum, the free space at which RocksDB is resumed after running out:
// enough for a new WAL's first writes (a WAL that fails at its first write cannot be resumed).
constexpr uint64_t kResumeFreeBytesUnwatched = 64 * kMiB;

// Time without errors after a resume at which the resume backoff starts again from its initial
// value.
constexpr int64_t kBackoffResetAfterUs = 10'000'000;
// The key of the WAL-switch sentinel (see storage_monitor.h), in the unused "default" family.
constexpr std::string_view kSentinelKey = "estoque.wal_switch_sentinel";

// Reasons of a failed flush (whose job took its own request: nothing lost, see CheckOnce).
bool IsFlushReason(int reason) {
  const auto flush = static_cast<rocksdb::BackgroundErrorReason>(reason);
  return flush == rocksdb::BackgroundErrorReason::kFlush ||
         flush == rocksdb::BackgroundErrorReason::kFlushNoWAL;
}

// Reasons whose failure may have left the WAL writer in error (a WAL append or sync, or the
// creation of a new WAL when a memtable is switched).
bool IsWalReason(rocksdb::BackgroundErrorReason reason) {
  return reason == rocksdb::BackgroundErrorReason::kWriteCallback ||
         reason == rocksdb::BackgroundErrorReason::kMemTable;
}

std::string MiB(uint64_t bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

}  // namespace

class StorageMonitor::Listener final : public rocksdb::EventListener {
 public:
  explicit Listener(StorageMonitor* monitor) : monitor_(monitor) {}
  const char* Name() const override { return "estoque.StorageMonitor"; }

  // Called under RocksDB's mutex, also once more for every write refused while stopped.
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    monitor_->RecordError(static_cast<int>(reason), static_cast<int>(error->severity()),
                          error->IsNoSpace(), error->ToString());
  }

  // Only the monitor resumes, after checking that it is safe (see storage_monitor.h).
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    if (auto_recovery != nullptr) *auto_recovery = false;
  }

 private:
  StorageMonitor* monitor_;
};

StorageMonitor::StorageMonitor(StorageMonitorOptions options, rocksdb::FileSystem* file_system)
    : options_(std::move(options)), file_system_(file_system) {
  assert(file_system_ != nullptr);
  assert(options_.check_interval.count() > 0);
  assert(options_.resume_backoff_initial.count() > 0);
  assert(options_.resume_backoff_max >= options_.resume_backoff_initial);
  resume_backoff_ = options_.resume_backoff_initial;
}

StorageMonitor::~StorageMonitor() { Stop(); }

std::shared_ptr<rocksdb::EventListener> StorageMonitor::listener() {
  return std::make_shared<Listener>(this);
}

uint64_t StorageMonitor::resume_free_bytes() const {
  if (options_.min_free_bytes == 0) return kResumeFreeBytesUnwatched;
  return options_.min_free_bytes + options_.min_free_bytes / 4;
}

void StorageMonitor::CheckSoon() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_pending_ = true;
  }
  wake_.notify_all();
}

void StorageMonitor::Start(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> families,
                           rocksdb::ColumnFamilyHandle* sentinel_family) {
  std::lock_guard<std::mutex> thread_lock(thread_mutex_);
  assert(db != nullptr && db_ == nullptr && sentinel_family != nullptr);
  db_ = db;
  families_ = std::move(families);
  sentinel_family_ = sentinel_family;
  CheckOnce();
  thread_ = std::thread([this] { Run(); });
}

void StorageMonitor::Stop() {
  std::lock_guard<std::mutex> thread_lock(thread_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

StorageHealth StorageMonitor::health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StorageHealth health;
  health.condition = ConditionLocked();
  health.restart_required = restart_required_;
  health.free_bytes = free_bytes_;
  if (error_.active) {
    health.reason = error_.message;
  } else if (low_space_) {
    health.reason = "free space below the minimum of " + MiB(options_.min_free_bytes);
  }
  health.resumes_total = resumes_total_;
  return health;
}

void StorageMonitor::RecordError(int reason, int severity, bool no_space, std::string message) {
  if (severity == rocksdb::Status::Severity::kNoError) return;  // RocksDB ignores it too
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_.active) {
      error_.since_us = MonotonicMicros();
      error_.first_reason = reason;
    }
    // A write refused by a stopped RocksDB is reported as a write error too, without touching the
    // WAL; but a write already past that check when the error came may have failed on the WAL.
    // So any write error counts as a possible WAL failure: the resume check is conservative.
    if (IsWalReason(static_cast<rocksdb::BackgroundErrorReason>(reason))) error_.wal_failed = true;
    if (!error_.active || severity > error_.severity) {
      error_.severity = severity;
      error_.no_space = no_space;
      error_.message = std::move(message);
    }
    error_.active = true;
    ++error_generation_;
    wake_pending_ = true;
    PublishLocked();  // closes the gate before the failing write returns
  }
  wake_.notify_all();
}

StorageCondition StorageMonitor::ConditionLocked() const {
  if (error_.active) return error_.no_space ? StorageCondition::kNoSpace : StorageCondition::kIoError;
  if (low_space_) return StorageCondition::kNoSpace;
  return StorageCondition::kOk;
}

void StorageMonitor::PublishLocked() {
  condition_.store(ConditionLocked(), std::memory_order_release);
}

std::optional<uint64_t> StorageMonitor::MeasureFreeBytes() const {
  uint64_t free_bytes = 0;
  const rocksdb::IOStatus measured =
      file_system_->GetFreeSpace(options_.path, rocksdb::IOOptions(), &free_bytes, nullptr);
  if (!measured.ok()) return std::nullopt;
  return free_bytes;
}

uint64_t StorageMonitor::ActiveMemtableEntries() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    uint64_t entries = 0;
    if (db_->GetIntProperty(family, "rocksdb.num-entries-active-mem-table", &entries)) {
      total += entries;
    }
  }
  return total;
}

uint64_t StorageMonitor::ImmutableMemtables() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    uint64_t count = 0;
    if (db_->GetIntProperty(family, "rocksdb.num-immutable-mem-table", &count)) total += count;
  }
  return total;
}

uint64_t StorageMonitor::MemtableBytes() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* family : families_) {
    uint64_t bytes = 0;
    if (db_->GetIntProperty(family, "rocksdb.cur-size-all-mem-tables", &bytes)) total += bytes;
  }
  return total;
}

std::optional<uint64_t> StorageMonitor::CurrentWalNumber() const {
  std::unique_ptr<rocksdb::LogFile> wal;
  if (!db_->GetCurrentWalFile(&wal).ok() || wal == nullptr) return std::nullopt;
  return wal->LogNumber();
}

void StorageMonitor::KeepSentinel() {
  uint64_t entries = 0;
  if (!db_->GetIntProperty(sentinel_family_, "rocksdb.num-entries-active-mem-table", &entries) ||
      entries > 0) {
    return;
  }
  rocksdb::WriteOptions memtable_only;
  memtable_only.disableWAL = true;  // never fails for space; lost in a crash, which is harmless
  TsanIgnoreRocksDbAccesses inside_rocksdb;
  db_->Put(memtable_only, sentinel_family_, kSentinelKey, rocksdb::Slice()).PermitUncheckedError();
}

void StorageMonitor::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.check_interval, [this] { return stopping_ || wake_pending_; });
    if (stopping_) break;
    wake_pending_ = false;
    lock.unlock();
    CheckOnce();
    lock.lock();
  }
}

void StorageMonitor::CheckOnce() {
  const std::optional<uint64_t> free_bytes = MeasureFreeBytes();
  const int64_t now_us = MonotonicMicros();

  std::unique_lock<std::mutex> lock(mutex_);
  if (!error_.active) {
    lock.unlock();
    KeepSentinel();  // (refused, harmlessly, if an error arrives meanwhile)
    lock.lock();
  }
  free_bytes_ = free_bytes;
  if (!free_bytes.has_value()) {
    // Keep the last decision: a failed measurement says nothing about the disk.
  } else if (options_.min_free_bytes > 0 && !low_space_ && *free_bytes < options_.min_free_bytes) {
    low_space_ = true;
    low_space_since_us_ = now_us;
    spdlog::error(
        "storage: {} free on {}, below the minimum of {}: writes are refused (507) until {} are "
        "free; reads continue",
        MiB(*free_bytes), options_.path, MiB(options_.min_free_bytes), MiB(resume_free_bytes()));
  } else if (low_space_ && *free_bytes >= resume_free_bytes()) {
    low_space_ = false;
    spdlog::info("storage: {} free on {} again: writes accepted (refused for {} ms)",
                 MiB(*free_bytes), options_.path, (now_us - low_space_since_us_) / 1000);
  }

  if (error_.active && !error_logged_) {
    error_logged_ = true;
    spdlog::error("storage: RocksDB stopped writes: {}; writes are refused ({}), reads continue",
                  error_.message, error_.no_space ? "507" : "503");
  }

  if (error_.active && error_.wal_failed && !error_.failed_wal.has_value()) {
    // Nothing switches WAL while RocksDB is stopped but our own DB::Resume(): the current WAL is
    // the one that failed.
    lock.unlock();
    const std::optional<uint64_t> wal = CurrentWalNumber();
    lock.lock();
    error_.failed_wal = wal;
  }
  if (!error_.active && now_us - last_resume_us_ > kBackoffResetAfterUs) {
    resume_backoff_ = options_.resume_backoff_initial;
  }
  bool attempt = error_.active && !restart_required_ && now_us >= next_resume_at_us_;
  if (attempt && error_.no_space) {
    // DB::Resume() flushes every memtable, then the next write starts a new WAL: both need room.
    lock.unlock();
    const uint64_t needed = std::max(resume_free_bytes(), MemtableBytes());
    lock.lock();
    attempt = free_bytes.has_value() && *free_bytes >= needed;
  }
  if (attempt && error_.severity > rocksdb::Status::Severity::kHardError) {
    restart_required_ = true;  // fatal or unrecoverable: RocksDB refuses to resume
  }
  if (attempt && !restart_required_ && !IsFlushReason(error_.first_reason) &&
      resumes_attempted_in_episode_ == 0) {
    // RocksDB 7.8 loses a flush that was due when something other than a flush stopped writes
    // (its job runs, finds writes stopped, and returns without it), and DB::Resume() then waits
    // for that flush forever. A memtable waiting to be flushed is taken as that sign.
    lock.unlock();
    const bool flush_due = ImmutableMemtables() > 0;
    lock.lock();
    if (flush_due) restart_required_ = true;
  }
  if (attempt && !restart_required_ && error_.wal_failed) {
    // Safe if an earlier attempt already switched WAL, or if this one will (some active memtable
    // has data). Neither can change while RocksDB is stopped, so an unsafe state stays unsafe.
    const std::optional<uint64_t> failed_wal = error_.failed_wal;
    lock.unlock();
    const std::optional<uint64_t> wal = CurrentWalNumber();
    const bool switched = failed_wal.has_value() && wal.has_value() && *wal != *failed_wal;
    const bool will_switch = switched || ActiveMemtableEntries() > 0;
    lock.lock();
    if (!will_switch) restart_required_ = true;
  }
  if (restart_required_ && !restart_logged_) {
    restart_logged_ = true;
    spdlog::critical(
        "storage: RocksDB cannot resume writes in place after \"{}\"; restart the server once the "
        "disk is healthy (nothing acknowledged is lost; reads continue meanwhile)",
        error_.message);
  }

  if (attempt && !restart_required_) {
    ++resumes_attempted_in_episode_;
    const uint64_t generation = error_generation_;
    lock.unlock();
    const rocksdb::Status resumed = db_->Resume();
    const int64_t done_us = MonotonicMicros();
    lock.lock();
    if (resumed.ok()) {
      // DB::Resume() flushed every memtable: the sentinel goes back before writes do.
      lock.unlock();
      KeepSentinel();
      lock.lock();
    }
    if (resumed.ok() && generation == error_generation_) {
      spdlog::info("storage: RocksDB resumed writes ({} ms after \"{}\")",
                   (done_us - error_.since_us) / 1000, error_.message);
      error_ = DbError{};
      error_logged_ = false;
      resumes_attempted_in_episode_ = 0;
      ++resumes_total_;
      last_resume_us_ = done_us;
    }
    // Also after a success: an error that comes straight back (a disk that keeps failing) is
    // resumed ever more slowly, not in a tight loop of errors and resumes.
    next_resume_at_us_ = done_us + resume_backoff_.count() * 1000;
    resume_backoff_ = std::min(resume_backoff_ * 2, options_.resume_backoff_max);
    // Resumed, but another error was reported meanwhile: the next round resumes again (a no-op
    // if RocksDB is not stopped) and then clears it.
  }
  PublishLocked();
}

}  // namespace estoque::store
