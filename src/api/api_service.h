// ApiService: estoque's HTTP API, the one route table. Thin: parse and validate input, call the
// store or the queue, encode the answer. Every error leaves through api/api_error.h.
#pragma once

#include <functional>
#include <atomic>
#include <chrono>
#include <memory>

#include "api/http_types.h"
#include "catalog/catalog.h"
#include "domain/timestamp.h"
#include "queue/dead_letter_queue.h"
#include "queue/message_queue.h"
#include "store/capacity_usage.h"
#include "store/inventory_store.h"

namespace estoque::backup {
class Snapshotter;
}  // namespace estoque::backup

namespace estoque::auth {
class AuditLog;
class KeyStore;
class RateLimiter;
}  // namespace estoque::auth

namespace estoque::api {

struct ApiConfig {
  domain::TimeZone time_zone;        // for zone-less input times and seed-format output times
  bool require_gtin_check_digit = false;  // opt-in: reject barcodes with a bad GTIN check digit
  // The store's requests and capacity units for GET /metrics (empty: the embedded store, whose
  // series are then absent). Called on I/O threads: must be thread-safe.
  store::CapacityUsageSource capacity_usage;
  // Whether the embedded queue's own database accepts writes (it has its own storage gate, on the
  // same disk as the store's); empty: no such database. Called on I/O threads: lock-free.
  std::function<store::StorageCondition()> queue_storage;
};

// Who may call (null keys: authentication off, every caller may do anything; used by tests of the
// handlers and by `--auth off`), throttling (null: none) and the audit log (null: none). All must
// outlive the service.
struct ApiSecurity {
  auth::KeyStore* keys = nullptr;
  auth::RateLimiter* limiter = nullptr;
  auth::AuditLog* audit = nullptr;
};

// Thread-safe: Handle may run concurrently on every I/O thread.
class ApiService {
 public:
  // `store`, `queue`, `catalog`, `backups` and `dead_letters` must outlive the service.
  // `backups` takes the copies GET /v1/admin/backup sends (null: that route answers 404
  // backup_unavailable); without `dead_letters` (null), the /v1/fila/dlq routes answer 404 dlq_off.
  ApiService(store::InventoryStore* store, queue::MessageQueue* queue, catalog::Catalog* catalog,
             ApiConfig config, ApiSecurity security = {}, backup::Snapshotter* backups = nullptr,
             queue::DeadLetterQueue* dead_letters = nullptr);

  // Routes one request; calls `respond` exactly once (inline for reads, from the queue's
  // committer thread for accepted writes).
  void Handle(HttpRequest&& request, Responder respond);

  // After this, writes get 503 (shutting down) while reads keep working. Idempotent.
  void BeginShutdown();

 private:
  store::InventoryStore* store_;
  queue::MessageQueue* queue_;
  catalog::Catalog* catalog_;
  queue::DeadLetterQueue* dead_letters_;
  ApiConfig config_;
  ApiSecurity security_;
  backup::Snapshotter* backups_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<bool> shutting_down_{false};
};

}  // namespace estoque::api
