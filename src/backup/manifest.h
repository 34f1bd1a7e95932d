// The manifest of a backup: what the backup holds (each file's name, size and SHA-256) and what
// made it. The backup stream (backup_stream.h) starts with it (without the digests, which are
// known only once each file has been read); `estoque backup` writes it whole into the backup
// directory as manifest.json, where `estoque restore` checks every file against it. JSON, one
// encoder and one decoder (here); format described in docs/RELIABILITY.md ("Backup and restore").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/sha256.h"
#include "common/result.h"

namespace estoque::backup {

// The version of this manifest and of the stream format. A reader refuses any other.
inline constexpr int kBackupFormatVersion = 1;
// "format" of every manifest: says what the file is.
inline constexpr std::string_view kBackupFormatName = "estoque-backup";
// The manifest's file name inside a backup directory.
inline constexpr std::string_view kManifestFileName = "manifest.json";
// Bounds a reader enforces on what it is sent (a RocksDB checkpoint has a few hundred files).
inline constexpr std::size_t kBackupFilesMax = 100'000;
inline constexpr std::size_t kBackupFileNameBytesMax = 255;
inline constexpr std::size_t kManifestBytesMax = 16 * 1024 * 1024;

struct BackupFile {
  std::string name;                    // a plain file name (IsBackupFileName)
  uint64_t size_bytes = 0;
  std::optional<Sha256Digest> sha256;  // absent in the stream's header only

  friend bool operator==(const BackupFile&, const BackupFile&) = default;
};

struct Manifest {
  int format_version = kBackupFormatVersion;
  std::string server_version;       // the estoque that made it ("0.1.0")
  std::string data_format_version;  // meta/format_version of the database copied (docs/STORAGE.md)
  std::string created_at;           // RFC 3339, UTC: when the copy was taken
  std::vector<BackupFile> files;    // in stream order

  uint64_t total_bytes() const;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

// True for a name a backup may hold: 1..kBackupFileNameBytesMax bytes of [A-Za-z0-9._-], not
// "." or "..", and not the manifest's own name. So a name read from the network or from a
// manifest can never leave the directory it is written to.
bool IsBackupFileName(std::string_view name);

// The manifest as JSON (digests written for the files that have one).
std::string EncodeManifest(const Manifest& manifest);

// Parses a manifest. `digests_required`: every file must carry its sha256 (manifest.json); else
// none may (the stream's header). InvalidArgument naming the problem for malformed JSON, a
// missing or mistyped member, another "format" or format_version, a bad file name, a duplicate
// name, more than kBackupFilesMax files, or a digest where none may be (or missing).
Result<Manifest> DecodeManifest(std::string_view json, bool digests_required);

}  // namespace estoque::backup
