// Small POSIX file helpers of the backup module (writing a backup, restoring one): errors are
// Unavailable statuses naming the path and the system's reason.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::backup {

// Creates `path` for writing; fails if it exists (O_EXCL). Mode 0600: a backup holds every
// record and the API keys' hashes. Returns the descriptor.
Result<int> CreateExclusive(const std::string& path);
// Writes all of `bytes` to `fd` (retrying short writes and EINTR). `path` names it in errors.
Status WriteAll(int fd, std::string_view bytes, const std::string& path);
// fsync(fd), then close(fd) (closed whatever happens).
Status SyncAndClose(int fd, const std::string& path);
// fsync of a directory, so the names created in it survive a power failure.
Status SyncDirectory(const std::string& path);
// True if `dir` is missing, or a directory with no entries. Unavailable if it cannot be read;
// InvalidArgument if it exists and is not a directory.
Result<bool> IsMissingOrEmptyDirectory(const std::string& dir);

}  // namespace estoque::backup
