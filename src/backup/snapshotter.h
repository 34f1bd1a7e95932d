// Snapshotter: the server's side of an online backup. It takes a consistent copy of the live
// database (a RocksDB checkpoint, store/checkpoint.h) into a directory inside the data directory
// and hands it out as a backup stream (backup_stream.h) read piece by piece, so GET
// /v1/admin/backup can send a database of any size without holding it in memory. One backup at a
// time; the checkpoint is removed when its stream is destroyed (sent, failed, or the client went
// away) and, after a crash, when the next server starts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "backup/manifest.h"
#include "backup/sha256.h"
#include "common/result.h"
#include "store/rocksdb_engine.h"

namespace estoque::backup {

// The checkpoint's directory, inside the data directory (so SST files are hard links, not
// copies). RocksDB ignores names it did not make.
inline constexpr std::string_view kCheckpointDirName = "backup-checkpoint";

class SnapshotStream;
namespace internal {
struct SnapshotShared;  // what a Snapshotter and its streams share: the busy flag, the paths
}  // namespace internal

// Thread-safe.
class Snapshotter {
 public:
  using Done = std::function<void(Result<std::unique_ptr<SnapshotStream>>)>;

  // Removes a checkpoint left in the data directory by a backup a crash cut short. `engine` (the
  // data directory's database) and `queue_engine` (the embedded queue's own, or null if there is
  // none) must outlive the Snapshotter; streams may outlive both. Unavailable if the leftover
  // cannot be removed.
  // A backup holds the queue's waiting messages and dead letters too: they are read (as of one
  // instant) BEFORE the checkpoint of `engine` is taken and written into the checkpoint's own
  // queue families, where a server started on the restored copy finds them and moves them into its
  // queue's database (queue/queue_rows.h). A message applied between the two instants is then in
  // both, and applying it again changes nothing (exactly-once effects); none can be in neither.
  static Result<std::unique_ptr<Snapshotter>> Open(const store::RocksEngine* engine,
                                                   const store::RocksEngine* queue_engine = nullptr);
  // Waits for a Begin running on the background thread.
  ~Snapshotter();
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Takes a checkpoint now and returns its stream. Conflict while the stream of another backup
  // is alive; Unavailable on I/O errors (nothing is left behind).
  Result<std::unique_ptr<SnapshotStream>> Begin();
  // Begin on a background thread (the checkpoint flushes the memtables first, which may take a
  // while: a request thread must not wait for it); `done` is called there, exactly once, or
  // inline with the Conflict while another backup is in progress.
  void BeginAsync(Done done);

 private:
  bool TakeBusy();
  static Status BusyConflict();
  // Begin, the busy flag already taken.
  Result<std::unique_ptr<SnapshotStream>> BeginTaken();
  Snapshotter(const store::RocksEngine* engine, const store::RocksEngine* queue_engine,
              std::shared_ptr<internal::SnapshotShared> shared);

  const store::RocksEngine* engine_;
  const store::RocksEngine* queue_engine_;  // null: no queue of its own to include
  std::shared_ptr<internal::SnapshotShared> shared_;
  std::mutex worker_mutex_;
  std::thread worker_;  // guarded by worker_mutex_: the last BeginAsync's thread
};

// The bytes of one backup stream. Not thread-safe (one reader). Destroying it closes its files,
// removes the checkpoint and lets the next backup begin.
class SnapshotStream {
 public:
  ~SnapshotStream();
  SnapshotStream(const SnapshotStream&) = delete;
  SnapshotStream& operator=(const SnapshotStream&) = delete;

  // The stream's header: every file with its size (no digests).
  const Manifest& header() const { return header_; }
  // Length of the whole stream (StreamBytes(header())).
  uint64_t size_bytes() const { return size_bytes_; }
  uint64_t bytes_produced() const { return produced_bytes_; }

  // Writes the next bytes of the stream into `out`; returns how many: out.size() until the end
  // is near, then the rest, then 0. Unavailable on an I/O error, Internal if a file's size
  // changed; the stream is then unusable (every later call fails).
  Result<std::size_t> Read(std::span<char> out);

 private:
  friend class Snapshotter;
  SnapshotStream(std::shared_ptr<internal::SnapshotShared> shared, Manifest header);
  Status OpenNextFile();
  Result<std::size_t> ReadFile(std::span<char> out);
  Result<std::size_t> Produce(std::span<char> out);

  std::shared_ptr<internal::SnapshotShared> shared_;
  Manifest header_;
  uint64_t size_bytes_ = 0;
  uint64_t produced_bytes_ = 0;
  int64_t started_us_ = 0;
  std::string pending_;  // encoded bytes not yet handed out, from pending_offset_
  std::size_t pending_offset_ = 0;
  std::size_t next_file_ = 0;  // index of the file to open next
  int fd_ = -1;                // the file being read
  uint64_t file_remaining_bytes_ = 0;
  bool end_encoded_ = false;
  Status error_;
  Sha256 hasher_;
};

}  // namespace estoque::backup
