#include "backup/snapshotter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "backup/backup_stream.h"
#include "common/clock.h"
#include "common/version.h"
#include "domain/timestamp.h"
#include "queue/queue_rows.h"
#include "store/checkpoint.h"

namespace estoque::backup {

namespace fs = std::filesystem;

namespace internal {
struct SnapshotShared {
  std::string checkpoint_dir;  // <data>/backup-checkpoint
  std::atomic<bool> busy{false};  // a stream is alive (or being made)
};
}  // namespace internal

namespace {

// Read cache of the checkpoint while the queue's rows are written into it.
constexpr std::size_t kCheckpointCacheBytes = 1ull << 20;

// Removes `dir` and RocksDB's ".tmp" sibling of it (left if a checkpoint was interrupted).
Status RemoveCheckpoint(const std::string& dir) {
  for (const std::string& path : {dir, dir + ".tmp"}) {
    std::error_code error;
    fs::remove_all(path, error);
    if (error) return Status::Unavailable("cannot remove " + path + ": " + error.message());
  }
  return Status::Ok();
}

std::string UtcNow() {
  static const Result<domain::TimeZone> utc = domain::TimeZone::Locate("UTC");
  assert(utc.ok());
  return domain::FormatRfc3339(NowUnixMicros(), *utc);
}

// The header of the checkpoint in `dir`: its regular files, by name, with their sizes.
Result<Manifest> ListCheckpoint(const std::string& dir) {
  Manifest header;
  header.server_version = std::string(kEstoqueVersion);
  header.data_format_version = std::string(store::DataFormatVersion());
  header.created_at = UtcNow();
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(error) || !IsBackupFileName(name)) {
      return Status::Internal("unexpected entry in the checkpoint: " + name);
    }
    const uint64_t size = entry.file_size(error);
    if (error) break;
    header.files.push_back({name, size, std::nullopt});
  }
  if (error) return Status::Unavailable("cannot list the checkpoint " + dir + ": " + error.message());
  if (header.files.size() > kBackupFilesMax) return Status::Internal("the checkpoint has too many files");
  std::sort(header.files.begin(), header.files.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.name < b.name; });
  return header;
}

// Writes `rows` into the queue families of the checkpoint in `dir` (opened as a database and
// closed again, which flushes them into its files).
Status AddQueueRows(const std::string& dir, const queue::QueueRows& rows) {
  store::EngineOptions options;
  options.data_dir = dir;
  options.block_cache_bytes = kCheckpointCacheBytes;
  options.row_cache_bytes = 0;
  Result<std::unique_ptr<store::RocksEngine>> checkpoint = store::RocksEngine::Open(options);
  if (!checkpoint.ok()) return checkpoint.status();
  return queue::WriteQueueRows(rows, checkpoint->get());
}

}  // namespace

Result<std::unique_ptr<Snapshotter>> Snapshotter::Open(const store::RocksEngine* engine,
                                                       const store::RocksEngine* queue_engine) {
  assert(engine != nullptr);
  auto shared = std::make_shared<internal::SnapshotShared>();
  shared->checkpoint_dir = (fs::path(engine->options().data_dir) / kCheckpointDirName).string();
  std::error_code ignored;
  if (fs::exists(shared->checkpoint_dir, ignored) || fs::exists(shared->checkpoint_dir + ".tmp", ignored)) {
    spdlog::warn("removing {}: the checkpoint of a backup that did not finish", shared->checkpoint_dir);
  }
  if (Status s = RemoveCheckpoint(shared->checkpoint_dir); !s.ok()) return s;
  return std::unique_ptr<Snapshotter>(new Snapshotter(engine, queue_engine, std::move(shared)));
}

Snapshotter::Snapshotter(const store::RocksEngine* engine, const store::RocksEngine* queue_engine,
                         std::shared_ptr<internal::SnapshotShared> shared)
    : engine_(engine), queue_engine_(queue_engine), shared_(std::move(shared)) {}

Snapshotter::~Snapshotter() {
  std::lock_guard lock(worker_mutex_);
  if (worker_.joinable()) worker_.join();
}

Result<std::unique_ptr<SnapshotStream>> Snapshotter::Begin() {
  if (!TakeBusy()) return BusyConflict();
  return BeginTaken();
}

bool Snapshotter::TakeBusy() {
  bool expected = false;
  return shared_->busy.compare_exchange_strong(expected, true);
}

Status Snapshotter::BusyConflict() {
  return Status::Conflict("another backup is in progress; retry when it has finished");
}

Result<std::unique_ptr<SnapshotStream>> Snapshotter::BeginTaken() {
  assert(shared_->busy.load());
  // The busy flag is ours: the stream takes it over, or it is cleared here on failure.
  auto fail = [this](Status status) {
    (void)RemoveCheckpoint(shared_->checkpoint_dir);
    shared_->busy.store(false);
    return status;
  };
  if (Status s = RemoveCheckpoint(shared_->checkpoint_dir); !s.ok()) return fail(s);
  // The queue's rows first, then the checkpoint (see Open).
  queue::QueueRows queued;
  if (queue_engine_ != nullptr) {
    Result<queue::QueueRows> read = queue::ReadQueueRows(*queue_engine_);
    if (!read.ok()) return fail(read.status());
    queued = std::move(*read);
  }
  if (Status s = store::CreateCheckpoint(*engine_, shared_->checkpoint_dir); !s.ok()) return fail(s);
  if (!queued.empty()) {
    if (Status s = AddQueueRows(shared_->checkpoint_dir, queued); !s.ok()) return fail(s);
  }
  Result<Manifest> header = ListCheckpoint(shared_->checkpoint_dir);
  if (!header.ok()) return fail(header.status());
  spdlog::info("backup: checkpoint of {} files, {} bytes taken", header->files.size(), header->total_bytes());
  return std::unique_ptr<SnapshotStream>(new SnapshotStream(shared_, std::move(*header)));
}

void Snapshotter::BeginAsync(Done done) {
  if (!TakeBusy()) {
    done(BusyConflict());
    return;
  }
  std::lock_guard lock(worker_mutex_);
  // The previous backup's thread has taken its checkpoint and called its `done` already (the busy
  // flag was free), so this join waits at most for it to return.
  if (worker_.joinable()) worker_.join();
  worker_ = std::thread([this, done = std::move(done)] { done(BeginTaken()); });
}

SnapshotStream::SnapshotStream(std::shared_ptr<internal::SnapshotShared> shared, Manifest header)
    : shared_(std::move(shared)), header_(std::move(header)) {
  size_bytes_ = StreamBytes(header_);
  pending_ = EncodeStreamStart(header_);
  started_us_ = MonotonicMicros();
}

SnapshotStream::~SnapshotStream() {
  if (fd_ >= 0) ::close(fd_);
  const int64_t elapsed_ms = (MonotonicMicros() - started_us_) / 1000;
  if (produced_bytes_ == size_bytes_) {
    spdlog::info("backup: {} bytes sent in {} ms", size_bytes_, elapsed_ms);
  } else {
    spdlog::warn("backup: cut short after {} of {} bytes ({} ms){}", produced_bytes_, size_bytes_, elapsed_ms,
                 error_.ok() ? "" : ": " + error_.ToString());
  }
  if (Status s = RemoveCheckpoint(shared_->checkpoint_dir); !s.ok()) {
    spdlog::error("backup: {} (it is removed at the next start)", s.ToString());
  }
  shared_->busy.store(false);
}

Status SnapshotStream::OpenNextFile() {
  assert(fd_ < 0 && next_file_ < header_.files.size());
  const BackupFile& file = header_.files[next_file_++];
  const std::string path = (fs::path(shared_->checkpoint_dir) / file.name).string();
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return Status::Unavailable("open " + path + ": " + std::strerror(errno));
  file_remaining_bytes_ = file.size_bytes;
  pending_ = EncodeFileStart(file);
  pending_offset_ = 0;
  return Status::Ok();
}

Result<std::size_t> SnapshotStream::ReadFile(std::span<char> out) {
  const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(file_remaining_bytes_, out.size()));
  ssize_t got = 0;
  do {
    got = ::read(fd_, out.data(), want);
  } while (got < 0 && errno == EINTR);
  const std::string& name = header_.files[next_file_ - 1].name;
  if (got < 0) return Status::Unavailable("read " + name + ": " + std::strerror(errno));
  if (got == 0) return Status::Internal("checkpoint file " + name + " is shorter than listed");
  hasher_.Update(std::string_view(out.data(), static_cast<std::size_t>(got)));
  file_remaining_bytes_ -= static_cast<uint64_t>(got);
  return static_cast<std::size_t>(got);
}

Result<std::size_t> SnapshotStream::Read(std::span<char> out) {
  if (!error_.ok()) return error_;
  Result<std::size_t> produced = Produce(out);
  if (!produced.ok()) {
    error_ = produced.status();
    return error_;
  }
  produced_bytes_ += *produced;
  return produced;
}

Result<std::size_t> SnapshotStream::Produce(std::span<char> out) {
  std::size_t written = 0;
  while (written < out.size()) {
    if (pending_offset_ < pending_.size()) {
      const std::size_t take = std::min(pending_.size() - pending_offset_, out.size() - written);
      std::memcpy(out.data() + written, pending_.data() + pending_offset_, take);
      pending_offset_ += take;
      written += take;
      continue;
    }
    if (fd_ >= 0) {
      if (file_remaining_bytes_ > 0) {
        Result<std::size_t> got = ReadFile(out.subspan(written));
        if (!got.ok()) return got.status();
        written += *got;
        continue;
      }
      ::close(fd_);
      fd_ = -1;
      pending_ = EncodeFileEnd(hasher_.Finish());
      pending_offset_ = 0;
      continue;
    }
    if (next_file_ < header_.files.size()) {
      if (Status s = OpenNextFile(); !s.ok()) return s;
      continue;
    }
    if (!end_encoded_) {
      end_encoded_ = true;
      pending_ = EncodeStreamEnd(header_.files.size());
      pending_offset_ = 0;
      continue;
    }
    break;
  }
  assert(produced_bytes_ + written <= size_bytes_);
  return written;
}

}  // namespace estoque::backup
