// A consistent, openable copy of the embedded database, taken while it keeps serving (the
// online backup's first step, backup/snapshotter.h).
#pragma once

#include <string>

#include "common/status.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {

// Takes a RocksDB checkpoint of `engine`'s database into `dir`, which must not exist (it is
// created; RocksDB builds it in `dir` + ".tmp" and renames it). The copy holds every column family
// as of one instant: every write that reached the WAL before it (so every write already
// acknowledged) and none of a write after it, with each WriteBatch whole. The memtables are
// flushed first, so the copy carries little WAL to replay; SST files are hard-linked (the same
// file system as the data directory: `dir` should be inside it), the rest is copied. Reads and
// writes go on meanwhile. Unavailable on I/O errors and while the storage gate refuses writes
// (nothing is left in `dir` then); Conflict if `dir` exists. Thread-safe.
Status CreateCheckpoint(const RocksEngine& engine, const std::string& dir);

}  // namespace estoque::store
