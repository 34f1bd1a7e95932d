// OpenTestEngine: a RocksEngine on `dir` with small caches and memtables, for tests that open the
// data directory's database or the queue's (store::EngineLayout) themselves. Null, with a test
// failure recorded, if it does not open. Shared by the unit and end-to-end suites.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/rocksdb_engine.h"

namespace estoque::test_support {

inline std::unique_ptr<store::RocksEngine> OpenTestEngine(
    const std::string& dir, store::EngineLayout layout = store::EngineLayout::kStore) {
  store::EngineOptions options;
  options.data_dir = dir;
  options.layout = layout;
  options.block_cache_bytes = 8 << 20;
  options.row_cache_bytes = 0;
  options.write_buffer_bytes = 1 << 20;
  Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

}  // namespace estoque::test_support
