// RocksDB's informational log, sent to estoque's log (spdlog) instead of a LOG file in the data
// directory.
//
// Why: RocksDB's own LOG file lives on the data disk. When that disk is full, a LOG write fails,
// and the Debian librocksdb 7.8 (built with assertions) aborts the process on the next LOG line
// ("Writer has previous error"): a full disk would crash the server instead of refusing writes.
// spdlog writes to stderr, which the service manager keeps elsewhere.
#pragma once

#include <memory>

namespace rocksdb {
class Logger;
}  // namespace rocksdb

namespace estoque::store {

// A logger for DBOptions::info_log. RocksDB's WARN, ERROR and FATAL lines become spdlog warn,
// error and critical lines prefixed "rocksdb: "; its INFO, DEBUG and HEADER lines (options,
// flushes, compactions) become spdlog debug lines, and are not even formatted unless spdlog's level
// is debug or lower when the logger is made. Thread-safe.
std::shared_ptr<rocksdb::Logger> NewRocksDbLogger();

}  // namespace estoque::store
