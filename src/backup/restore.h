// Checking a backup directory and rebuilding a data directory from it (`estoque restore`).
// Runs while no server uses the data directory.
#pragma once

#include <string>

#include "backup/manifest.h"
#include "common/result.h"

namespace estoque::backup {

// Reads `backup_dir`/manifest.json and checks every file it lists: present, of its size, with
// its SHA-256; and that it is a database copy (it has CURRENT) of a data format this build
// opens. NotFound without a manifest; InvalidArgument for a manifest that is malformed or of
// another format version, or a data format this build cannot open; Corruption naming the first
// file that is missing or differs; Unavailable on read errors.
Result<Manifest> VerifyBackup(const std::string& backup_dir);

// Rebuilds `data_dir` from the backup in `backup_dir`. `data_dir` must not exist or be an empty
// directory: Conflict otherwise, saying so when a running server holds it (its RocksDB LOCK).
// The files are copied into a sibling `data_dir`.restoring (replacing one an interrupted restore
// left) and checked again while copied (errors as VerifyBackup's), fsync'ed, opened once as a
// data directory (which replays the copy's WAL and upgrades an older format, as a server start
// would), and only then renamed to `data_dir`. On any error `data_dir` is left as it was (and the
// staging directory removed).
// Returns the manifest of what was restored.
Result<Manifest> RestoreBackup(const std::string& backup_dir, const std::string& data_dir);

}  // namespace estoque::backup
