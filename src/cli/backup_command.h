// `estoque backup` and `estoque restore`: the operator's side of online backups.
//   estoque backup --server URL --to DIR [--key ADMIN_KEY]
//       asks a running server for a consistent copy of its data (GET /v1/admin/backup; it keeps
//       serving meanwhile) and writes it into DIR, which must be new or empty: every file checked
//       against its size and SHA-256 as it arrives, then manifest.json. The key is an admin key
//       (--key or ESTOQUE_API_KEY).
//   estoque restore --from DIR --data DATA_DIR
//       checks the backup in DIR against its manifest and rebuilds DATA_DIR from it; DATA_DIR
//       must be new or empty, so no server can be using it. Start the server on it afterwards.
#pragma once

#include <ostream>
#include <string>

namespace estoque::cli {

struct BackupOptions {
  std::string server;   // base URL of the running server
  std::string api_key;  // admin key (the caller fills in ESTOQUE_API_KEY)
  std::string to_dir;   // the backup directory to write
};

struct RestoreOptions {
  std::string from_dir;  // a directory written by estoque backup
  std::string data_dir;  // the data directory to rebuild
};

// Process exit codes of both commands.
inline constexpr int kBackupExitOk = 0;
inline constexpr int kBackupExitError = 1;  // the backup or restore failed (message on `err`)
inline constexpr int kBackupExitUsage = 2;  // bad options

// Each returns the exit code; a summary on `out`, errors ("estoque backup: ...") on `err`. On
// failure a backup removes what it wrote (and the directory, if it created it); a restore leaves
// the data directory as it was.
int RunBackupCommand(const BackupOptions& options, std::ostream& out, std::ostream& err);
int RunRestoreCommand(const RestoreOptions& options, std::ostream& out, std::ostream& err);

}  // namespace estoque::cli
