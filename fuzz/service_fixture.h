// ServiceFixture: an api::ApiService over the real embedded backend (RocksDB engine, inventory
// store, embedded queue with its worker, RocksDB catalog), wired as app/serve.cc wires it, in a
// fresh directory under $TMPDIR (or /tmp). One per fuzzing process: created on first use, torn
// down (and its directory removed) at exit, before LeakSanitizer's exit check runs.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/api_service.h"
#include "app/catalog_policy.h"
#include "catalog/rocks_catalog.h"
#include "common/clock.h"
#include "fuzz_support.h"
#include "queue/embedded_dead_letters.h"
#include "queue/embedded_queue.h"
#include "queue/worker.h"
#include "store/rocks_inventory_store.h"
#include "store/rocksdb_engine.h"

namespace estoque::fuzz {

class ServiceFixture {
 public:
  // The process's fixture. Not thread-safe (libFuzzer runs inputs on one thread).
  static ServiceFixture& Get() {
    if (instance_ == nullptr) {
      instance_ = new ServiceFixture();
      std::atexit([] {
        delete instance_;
        instance_ = nullptr;
      });
    }
    return *instance_;
  }

  api::ApiService& service() { return *service_; }
  queue::MessageQueue& queue() { return *queue_; }
  const queue::Worker& worker() const { return *worker_; }

  // Waits until the worker has applied every accepted message. False if that takes longer than
  // `budget` (a transient failure is retried forever; a poison message is dead-lettered after its
  // attempts, counted in worker().failures()).
  bool DrainQueue(std::chrono::milliseconds budget) {
    const int64_t deadline = MonotonicMicros() + budget.count() * 1000;
    while (queue().Stats().depth_messages > 0) {
      if (MonotonicMicros() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  }

  ~ServiceFixture() {
    service_.reset();
    queue_->Close();
    worker_->Stop();
    worker_.reset();
    dead_letters_.reset();
    queue_.reset();
    store_.reset();
    policy_.reset();
    catalog_.reset();
    engine_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

 private:
  static inline ServiceFixture* instance_ = nullptr;

  ServiceFixture() {
    spdlog::set_level(spdlog::level::warn);
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/estoque-fuzz-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    FUZZ_CHECK(mkdtemp(buffer.data()) != nullptr, "mkdtemp " + pattern);
    directory_ = buffer.data();

    store::EngineOptions engine_options;
    engine_options.data_dir = directory_;
    engine_options.sync_writes = false;  // durability is not what is fuzzed; fsyncs are slow
    engine_options.block_cache_bytes = 8ull << 20;
    engine_options.row_cache_bytes = 0;
    engine_options.write_buffer_bytes = 4ull << 20;
    engine_ = Take(store::RocksEngine::Open(engine_options), "opening the engine");
    catalog_ = Take(catalog::RocksCatalog::Open(engine_.get()), "opening the catalog");
    policy_ = std::make_unique<app::CatalogInventoryPolicy>(catalog_.get());
    store_ = std::make_unique<store::RocksInventoryStore>(engine_.get(), policy_.get());
    queue_ = Take(queue::EmbeddedQueue::Open(engine_.get(), {}), "opening the queue");
    queue::WorkerOptions worker_options;
    worker_options.thread_nice = 0;
    dead_letters_ = Take(queue::EmbeddedDeadLetterQueue::Open(engine_.get(), queue_.get()),
                         "opening the dead-letter queue");
    worker_ = std::make_unique<queue::Worker>(queue_.get(), store_.get(), worker_options,
                                              dead_letters_.get());
    worker_->Start();
    api::ApiConfig config{Zones::Get().sao_paulo, /*require_gtin_check_digit=*/false};
    service_ = std::make_unique<api::ApiService>(store_.get(), queue_.get(), catalog_.get(), config,
                                                 api::ApiSecurity{}, /*backups=*/nullptr,
                                                 dead_letters_.get());
  }

  template <typename T>
  static T Take(Result<T> result, const char* what) {
    FUZZ_CHECK(result.ok(), std::string(what) + ": " + result.status().ToString());
    return std::move(result).value();
  }

  std::string directory_;
  std::unique_ptr<store::RocksEngine> engine_;
  std::unique_ptr<catalog::RocksCatalog> catalog_;
  std::unique_ptr<app::CatalogInventoryPolicy> policy_;
  std::unique_ptr<store::RocksInventoryStore> store_;
  std::unique_ptr<queue::EmbeddedQueue> queue_;
  std::unique_ptr<queue::EmbeddedDeadLetterQueue> dead_letters_;
  std::unique_ptr<queue::Worker> worker_;
  std::unique_ptr<api::ApiService> service_;
};

}  // namespace estoque::fuzz
