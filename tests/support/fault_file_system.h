// FaultFileSystem: the operating system's file system under RocksDB, with faults on demand (the
// leveldb/RocksDB fault-injection idea, on RocksDB's public FileSystemWrapper): WAL appends or
// syncs, or table-file (SST) appends, fail with ENOSPC or EIO while a fault is set, and the free
// space RocksDB and the storage monitor see can be pretended. Everything else is real: the files
// are written to the real directory. Thread-safe (faults are atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <rocksdb/file_system.h>

namespace estoque::test_support {

class FaultFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  enum class Fault : int { kNone = 0, kNoSpace, kIoError };

  FaultFileSystem() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "estoque.FaultFileSystem"; }

  // Faults of the files opened from now on and of those already open.
  std::atomic<Fault> wal_append{Fault::kNone};  // appends to *.log (the WAL)
  std::atomic<Fault> wal_sync{Fault::kNone};    // syncs of *.log
  std::atomic<Fault> table_append{Fault::kNone};  // appends to *.sst (flushes, compactions)
  // Free space reported by GetFreeSpace; negative: the real one.
  std::atomic<int64_t> free_bytes{-1};
  // Appends to *.log that reached the disk (to tell whether a write reached RocksDB's WAL).
  std::atomic<uint64_t> wal_appends{0};

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* debug) override {
    rocksdb::IOStatus opened = target()->NewWritableFile(name, options, file, debug);
    const Kind kind = KindOf(name);
    if (opened.ok() && kind != Kind::kOther) file->reset(new File(std::move(*file), this, kind));
    return opened;
  }

  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free, rocksdb::IODebugContext* debug) override {
    const int64_t pretended = free_bytes.load();
    if (pretended >= 0) {
      *free = static_cast<uint64_t>(pretended);
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, free, debug);
  }

 private:
  enum class Kind { kWal, kTable, kOther };

  static Kind KindOf(const std::string& name) {
    auto ends_with = [&name](const std::string& suffix) {
      return name.size() >= suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends_with(".log")) return Kind::kWal;
    if (ends_with(".sst")) return Kind::kTable;
    return Kind::kOther;
  }

  static rocksdb::IOStatus Failure(Fault fault) {
    if (fault == Fault::kNoSpace) return rocksdb::IOStatus::NoSpace("injected ENOSPC");
    return rocksdb::IOStatus::IOError("injected EIO");
  }

  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& file, FaultFileSystem* fs, Kind kind)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), kind_(kind) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override {
      if (Fault fault = AppendFault(); fault != Fault::kNone) return Failure(fault);
      Count();
      return rocksdb::FSWritableFileOwnerWrapper::Append(data, options, debug);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* debug) override {
      if (Fault fault = AppendFault(); fault != Fault::kNone) return Failure(fault);
      Count();
      return rocksdb::FSWritableFileOwnerWrapper::Append(data, options, info, debug);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
      if (Fault fault = SyncFault(); fault != Fault::kNone) return Failure(fault);
      return rocksdb::FSWritableFileOwnerWrapper::Sync(options, debug);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* debug) override {
      if (Fault fault = SyncFault(); fault != Fault::kNone) return Failure(fault);
      return rocksdb::FSWritableFileOwnerWrapper::Fsync(options, debug);
    }

   private:
    Fault AppendFault() const {
      return kind_ == Kind::kWal ? fs_->wal_append.load() : fs_->table_append.load();
    }
    Fault SyncFault() const { return kind_ == Kind::kWal ? fs_->wal_sync.load() : Fault::kNone; }
    void Count() {
      if (kind_ == Kind::kWal) fs_->wal_appends.fetch_add(1);
    }

    FaultFileSystem* fs_;
    Kind kind_;
  };
};

}  // namespace estoque::test_support
