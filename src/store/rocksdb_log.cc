#include "store/rocksdb_log.h"

#include <cstdarg>
#include <cstdio>

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

namespace estoque::store {
namespace {

// Longer lines are cut (RocksDB's own lines are far shorter, but for the options dump).
constexpr std::size_t kLineBytesMax = 2048;

spdlog::level::level_enum SpdlogLevel(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      return spdlog::level::warn;
    case rocksdb::InfoLogLevel::ERROR_LEVEL:
      return spdlog::level::err;
    case rocksdb::InfoLogLevel::FATAL_LEVEL:
      return spdlog::level::critical;
    default:
      return spdlog::level::debug;
  }
}

class SpdlogRocksDbLogger final : public rocksdb::Logger {
 public:
  explicit SpdlogRocksDbLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void LogHeader(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::DEBUG_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    const spdlog::level::level_enum target = SpdlogLevel(level);
    if (!spdlog::should_log(target)) return;
    char line[kLineBytesMax];
    const int written = std::vsnprintf(line, sizeof(line), format, ap);
    if (written < 0) return;
    spdlog::log(target, "rocksdb: {}", line);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewRocksDbLogger() {
  const rocksdb::InfoLogLevel level = spdlog::should_log(spdlog::level::debug)
                                          ? rocksdb::InfoLogLevel::INFO_LEVEL
                                          : rocksdb::InfoLogLevel::WARN_LEVEL;
  return std::make_shared<SpdlogRocksDbLogger>(level);
}

}  // namespace estoque::store
