// BackupDirWriter: the client's side of an online backup. It receives a decoded backup stream
// (backup_stream.h) and writes it into a backup directory: every file as it arrives, fsync'ed,
// and, once the stream ended and every digest matched, manifest.json (written last and renamed
// into place, so a directory with a manifest holds a whole backup).
#pragma once

#include <string>
#include <vector>

#include "backup/backup_stream.h"

namespace estoque::backup {

// Not thread-safe.
class BackupDirWriter final : public BackupStreamSink {
 public:
  // REQUIRES: `dir` exists and is empty (the caller checks, so it can say so clearly).
  explicit BackupDirWriter(std::string dir) : dir_(std::move(dir)) {}
  ~BackupDirWriter() override;  // closes a file left open by a failed stream

  // Each may fail with Unavailable (a disk error, naming the file).
  Status OnStart(const Manifest& header) override;
  Status OnFileStart(const BackupFile& file) override;
  Status OnFileBytes(std::string_view bytes) override;
  Status OnFileEnd(const BackupFile& file) override;
  Status OnEnd(const Manifest& manifest) override;

  // After a failed stream: removes every file this writer created (the directory stays, empty
  // if it was). Best effort.
  void RemoveWritten();
  // Bytes of file contents written so far.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  std::string PathOf(std::string_view name) const;

  std::string dir_;
  int fd_ = -1;            // the file being written
  std::string path_;       // its path
  std::vector<std::string> created_;
  uint64_t bytes_written_ = 0;
};

}  // namespace estoque::backup
