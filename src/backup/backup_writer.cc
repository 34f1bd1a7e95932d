#include "backup/backup_writer.h"

#include <unistd.h>

#include <cassert>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "backup/file_io.h"

namespace estoque::backup {

namespace {

// The manifest is written under this name and renamed when complete.
constexpr std::string_view kManifestPartSuffix = ".part";

}  // namespace

BackupDirWriter::~BackupDirWriter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string BackupDirWriter::PathOf(std::string_view name) const {
  return (std::filesystem::path(dir_) / std::string(name)).string();
}

Status BackupDirWriter::OnStart(const Manifest&) { return Status::Ok(); }

Status BackupDirWriter::OnFileStart(const BackupFile& file) {
  assert(fd_ < 0 && IsBackupFileName(file.name));
  path_ = PathOf(file.name);
  Result<int> fd = CreateExclusive(path_);
  if (!fd.ok()) return fd.status();
  fd_ = *fd;
  created_.push_back(path_);
  return Status::Ok();
}

Status BackupDirWriter::OnFileBytes(std::string_view bytes) {
  assert(fd_ >= 0);
  if (Status s = WriteAll(fd_, bytes, path_); !s.ok()) return s;
  bytes_written_ += bytes.size();
  return Status::Ok();
}

Status BackupDirWriter::OnFileEnd(const BackupFile&) {
  assert(fd_ >= 0);
  const int fd = fd_;
  fd_ = -1;
  return SyncAndClose(fd, path_);
}

Status BackupDirWriter::OnEnd(const Manifest& manifest) {
  const std::string final_path = PathOf(kManifestFileName);
  const std::string part_path = final_path + std::string(kManifestPartSuffix);
  Result<int> fd = CreateExclusive(part_path);
  if (!fd.ok()) return fd.status();
  created_.push_back(part_path);
  if (Status s = WriteAll(*fd, EncodeManifest(manifest) + "\n", part_path); !s.ok()) {
    ::close(*fd);
    return s;
  }
  if (Status s = SyncAndClose(*fd, part_path); !s.ok()) return s;
  if (std::rename(part_path.c_str(), final_path.c_str()) != 0) {
    return Status::Unavailable("rename " + part_path + " to " + final_path + " failed");
  }
  created_.back() = final_path;
  return SyncDirectory(dir_);
}

void BackupDirWriter::RemoveWritten() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  for (const std::string& path : created_) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  created_.clear();
}

}  // namespace estoque::backup
