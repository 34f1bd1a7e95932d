#include "backup/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <vector>

#include "backup/file_io.h"
#include "backup/sha256.h"
#include "store/rocksdb_engine.h"

namespace estoque::backup {

namespace fs = std::filesystem;

namespace {

// Bytes read from a backup file at a time.
constexpr std::size_t kCopyChunkBytes = 1 << 20;
// What RocksDB opens first: a directory without it is not a database.
constexpr std::string_view kRocksCurrentFile = "CURRENT";
// The restore's staging directory: data_dir + this, beside it (same file system, for the rename).
constexpr std::string_view kStagingSuffix = ".restoring";
// The engine's caches while the restored copy is opened once to check it.
constexpr std::size_t kCheckOpenCacheBytes = 8 << 20;

Result<Manifest> ReadManifest(const std::string& backup_dir) {
  const std::string path = (fs::path(backup_dir) / kManifestFileName).string();
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    return Status::NotFound("no " + std::string(kManifestFileName) + " in " + backup_dir +
                            " (not a backup made by estoque backup, or one that did not finish)");
  }
  const uintmax_t size = fs::file_size(path, error);
  if (error) return Status::Unavailable("cannot read " + path + ": " + error.message());
  if (size > kManifestBytesMax) return Status::InvalidArgument(path + " is too large to be a manifest");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Status::Unavailable("cannot read " + path);
  Result<Manifest> manifest = DecodeManifest(text, /*digests_required=*/true);
  if (!manifest.ok()) return Status::InvalidArgument(path + ": " + manifest.status().message());
  const bool has_current = std::any_of(manifest->files.begin(), manifest->files.end(),
                                       [](const BackupFile& file) { return file.name == kRocksCurrentFile; });
  if (!has_current) return Status::InvalidArgument(path + " lists no CURRENT file: not a database copy");
  if (!store::CanOpenDataFormat(manifest->data_format_version)) {
    return Status::InvalidArgument("the backup holds data format " + manifest->data_format_version +
                                   ", which this estoque (data format " + std::string(store::DataFormatVersion()) +
                                   ") cannot open: restore it with the estoque that made it (" +
                                   manifest->server_version + ") or a newer one");
  }
  return manifest;
}

// Reads `file` from `backup_dir`, checking its size and digest; writes it to `out_fd` if >= 0.
Status CheckFile(const std::string& backup_dir, const BackupFile& file, int out_fd, const std::string& out_path,
                 std::vector<char>& buffer) {
  const std::string path = (fs::path(backup_dir) / file.name).string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Corruption("backup file " + file.name + " is missing");
    return Status::Unavailable("open " + path + ": " + std::strerror(errno));
  }
  Sha256 hasher;
  uint64_t total = 0;
  Status status;
  while (status.ok()) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      status = Status::Unavailable("read " + path + ": " + std::strerror(errno));
      break;
    }
    if (got == 0) break;
    const std::string_view piece(buffer.data(), static_cast<std::size_t>(got));
    hasher.Update(piece);
    total += piece.size();
    if (total > file.size_bytes) break;  // reported below; no need to read the rest
    if (out_fd >= 0) status = WriteAll(out_fd, piece, out_path);
  }
  ::close(fd);
  if (!status.ok()) return status;
  if (total != file.size_bytes) {
    return Status::Corruption("backup file " + file.name + " has " + (total > file.size_bytes ? "more than " : "") +
                              std::to_string(total) + " bytes, the manifest says " + std::to_string(file.size_bytes));
  }
  if (hasher.Finish() != *file.sha256) {
    return Status::Corruption("backup file " + file.name + " does not match its SHA-256 in the manifest (damaged)");
  }
  return Status::Ok();
}

// The data directory as a path without a trailing separator ("data/" -> "data").
fs::path TargetPath(const std::string& data_dir) {
  fs::path path = fs::path(data_dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path;
}

// True if a process holds the RocksDB LOCK of `dir` (a running server), by asking for a
// conflicting fcntl lock without taking it.
bool HeldByAServer(const fs::path& dir) {
  const std::string lock_path = (dir / "LOCK").string();
  const int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock query {};
  query.l_type = F_WRLCK;
  query.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &query) == 0 && query.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace

Result<Manifest> VerifyBackup(const std::string& backup_dir) {
  Result<Manifest> manifest = ReadManifest(backup_dir);
  if (!manifest.ok()) return manifest;
  std::vector<char> buffer(kCopyChunkBytes);
  for (const BackupFile& file : manifest->files) {
    if (Status s = CheckFile(backup_dir, file, -1, "", buffer); !s.ok()) return s;
  }
  return manifest;
}

Result<Manifest> RestoreBackup(const std::string& backup_dir, const std::string& data_dir) {
  const fs::path target = TargetPath(data_dir);
  if (target.empty()) return Status::InvalidArgument("no data directory given");
  Result<bool> empty = IsMissingOrEmptyDirectory(target.string());
  if (!empty.ok()) return empty.status();
  if (!*empty) {
    if (HeldByAServer(target)) {
      return Status::Conflict("the data directory " + target.string() +
                              " is in use by a running server: stop it, and restore into an empty directory");
    }
    return Status::Conflict("the data directory " + target.string() +
                            " is not empty: restore into a new or empty directory (move the old one away first)");
  }
  Result<Manifest> manifest = ReadManifest(backup_dir);
  if (!manifest.ok()) return manifest;

  const fs::path staging = target.string() + std::string(kStagingSuffix);
  std::error_code error;
  fs::remove_all(staging, error);
  if (error) return Status::Unavailable("cannot remove " + staging.string() + ": " + error.message());
  fs::create_directories(staging, error);
  if (error) return Status::Unavailable("cannot create " + staging.string() + ": " + error.message());
  fs::permissions(staging, fs::perms::owner_all, error);
  auto fail = [&staging](Status status) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return status;
  };

  std::vector<char> buffer(kCopyChunkBytes);
  for (const BackupFile& file : manifest->files) {
    const std::string out_path = (staging / file.name).string();
    Result<int> out = CreateExclusive(out_path);
    if (!out.ok()) return fail(out.status());
    Status copied = CheckFile(backup_dir, file, *out, out_path, buffer);
    Status synced = SyncAndClose(*out, out_path);
    if (!copied.ok()) return fail(copied);
    if (!synced.ok()) return fail(synced);
  }
  if (Status s = SyncDirectory(staging.string()); !s.ok()) return fail(s);

  {
    store::EngineOptions options;
    options.data_dir = staging.string();
    options.block_cache_bytes = kCheckOpenCacheBytes;
    options.row_cache_bytes = 0;
    Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
    if (!engine.ok()) {
      return fail(Status::Corruption("the restored copy does not open as a data directory: " +
                                     engine.status().message()));
    }
  }  // closed (flushed) here

  // rename(2) replaces an empty directory atomically, and creates the name otherwise.
  if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), error);
  if (std::rename(staging.c_str(), target.c_str()) != 0) {
    return fail(Status::Unavailable("rename " + staging.string() + " to " + target.string() + ": " +
                                    std::strerror(errno)));
  }
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  if (Status s = SyncDirectory(parent.string()); !s.ok()) return s;
  return manifest;
}

}  // namespace estoque::backup
