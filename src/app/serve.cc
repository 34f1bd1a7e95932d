#include "app/serve.h"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/api_service.h"
#include "api/http_server.h"
#include "auth/audit_log.h"
#include "backup/snapshotter.h"
#include "auth/key_store.h"
#include "auth/rate_limiter.h"
#include "catalog/rocks_catalog.h"
#include "common/clock.h"
#include "queue/queue_rows.h"
#include "queue/worker.h"
#include "store/rocksdb_engine.h"
#include "store/rocks_inventory_store.h"
#include "app/catalog_policy.h"
#include "app/dynamodb_backend.h"
#include "app/queue_backend.h"
#include "app/reservation_sweeper.h"

namespace estoque::app {
namespace {

// The queue's database holds messages for milliseconds: a small read cache is plenty, and small
// memtables (a message and its deletion meet in one, and a flush drops both; RocksDB also
// preallocates each WAL file at about this size).
constexpr std::size_t kQueueBlockCacheBytes = 8ull << 20;
constexpr std::size_t kQueueWriteBufferBytes = 8ull << 20;

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

int Fail(const Status& status, const char* what) {
  std::fprintf(stderr, "estoque: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

// Waits (bounded) until the worker has applied every waiting message.
void DrainQueue(const queue::MessageQueue& queue, std::chrono::milliseconds budget) {
  const int64_t deadline = MonotonicMicros() + budget.count() * 1000;
  while (queue.Stats().depth_messages > 0 && MonotonicMicros() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// On a data directory without keys: the admin key from ESTOQUE_BOOTSTRAP_ADMIN_KEY, or a new one
// printed once on stdout. Returns false (after logging) on failure.
bool BootstrapAdminKey(auth::KeyStore& keys, const std::string& base_url) {
  if (keys.size() != 0) return true;
  auth::NewKey admin;
  admin.role = auth::Role::kAdmin;
  admin.name = "bootstrap admin";
  const char* chosen = std::getenv("ESTOQUE_BOOTSTRAP_ADMIN_KEY");
  if (chosen != nullptr && *chosen != '\0') {
    Result<auth::IssuedKey> issued = keys.CreateWithToken(std::move(admin), chosen);
    if (!issued.ok() && issued.status().code() == StatusCode::kConflict) {
      // Nodes sharing DynamoDB tables started at once: another one registered it.
      spdlog::info("first start: the admin key of ESTOQUE_BOOTSTRAP_ADMIN_KEY was registered by another node");
      return true;
    }
    if (!issued.ok()) {
      Fail(issued.status(), "ESTOQUE_BOOTSTRAP_ADMIN_KEY");
      return false;
    }
    spdlog::info("first start: admin key {} registered from ESTOQUE_BOOTSTRAP_ADMIN_KEY",
                 issued->record.id);
    return true;
  }
  Result<auth::IssuedKey> issued = keys.Create(std::move(admin));
  if (!issued.ok()) {
    Fail(issued.status(), "creating the first admin key");
    return false;
  }
  std::printf(
      "\n"
      "estoque: first start, so an admin API key was created. It is shown only this once:\n\n"
      "    %s\n\n"
      "Keep it safe (only its hash is stored). Use it as a header:\n"
      "    curl -H 'x-api-key: %s' %s/v1/fila\n"
      "and create scoped keys for registers and readers with it:\n"
      "    curl -H 'x-api-key: %s' -H 'Content-Type: application/json' \\\n"
      "      -d '{\"role\":\"pdv\",\"filiais\":[\"1001\"],\"nome\":\"PDV 1001\"}' %s/v1/admin/keys\n\n",
      issued->token.c_str(), issued->token.c_str(), base_url.c_str(), issued->token.c_str(),
      base_url.c_str());
  std::fflush(stdout);
  return true;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server
}

int RunServe(const ServeConfig& config) {
  if (Status s = ValidateServeConfig(config); !s.ok()) return Fail(s, "invalid configuration");
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  std::string host;
  uint16_t port = 0;
  if (Status s = SplitHostPort(config.listen, &host, &port); !s.ok()) return Fail(s, "listen");
  auto zone = domain::TimeZone::Locate(config.time_zone);
  if (!zone.ok()) return Fail(zone.status(), "timezone");

  store::EngineOptions engine_options;
  engine_options.data_dir = config.data_dir;
  engine_options.sync_writes = config.durability == "sync";
  engine_options.block_cache_bytes = config.block_cache_mb << 20;
  engine_options.row_cache_bytes = config.row_cache_mb << 20;
  engine_options.min_free_bytes = static_cast<uint64_t>(config.min_free_disk_mb) << 20;
  const int64_t open_started_us = MonotonicMicros();
  auto engine = store::RocksEngine::Open(engine_options);
  if (!engine.ok()) return Fail(engine.status(), "opening the data directory");
  // The embedded queue's own database, <data>/queue: an enqueue's fsync then covers the queue's
  // bytes only, and never waits behind the memtable insert of the worker's apply
  // (docs/ARCHITECTURE.md, "Two databases"). A data directory of an earlier version kept the
  // queue in the main database: its rows move over once, here.
  store::EngineOptions queue_engine_options = engine_options;
  queue_engine_options.data_dir = queue::QueueDatabaseDir(config.data_dir);
  queue_engine_options.layout = store::EngineLayout::kQueue;
  queue_engine_options.block_cache_bytes = kQueueBlockCacheBytes;
  queue_engine_options.write_buffer_bytes = kQueueWriteBufferBytes;
  queue_engine_options.row_cache_bytes = 0;
  auto queue_engine = store::RocksEngine::Open(queue_engine_options);
  if (!queue_engine.ok()) return Fail(queue_engine.status(), "opening the queue's database");
  auto moved = queue::MoveQueueRows(engine->get(), queue_engine->get());
  if (!moved.ok()) return Fail(moved.status(), "moving the queue into its own database");
  if (*moved > 0) {
    spdlog::info("moved {} queued messages and dead letters into {}", *moved,
                 queue_engine_options.data_dir);
  }
  // --store: the catalog, keys and audit log on the engine, or in DynamoDB tables (created on
  // first start). The embedded queue, when chosen, stays on the engine either way.
  std::unique_ptr<DynamoBackend> dynamo;
  std::unique_ptr<catalog::RocksCatalog> rocks_catalog;
  catalog::Catalog* catalog = nullptr;
  if (config.store == "dynamodb") {
    auto opened = OpenDynamoBackend(config, aws::ConfigSources{aws::ProcessEnvironment(), ""});
    if (!opened.ok()) return Fail(opened.status(), "--store dynamodb");
    dynamo = std::move(*opened);
    spdlog::info("DynamoDB {}: tables {}* ready ({})", dynamo->client->transport().config().endpoint.Url(),
                 config.dynamodb_table_prefix, config.dynamodb_billing_mode);
    catalog = dynamo->catalog.get();
  } else {
    auto opened = catalog::RocksCatalog::Open(engine->get());
    if (!opened.ok()) return Fail(opened.status(), "loading the catalog");
    rocks_catalog = std::move(*opened);
    catalog = rocks_catalog.get();
  }
  CatalogInventoryPolicy policy(catalog);
  // The inventory: positions, ledger, transfers and reservations in the data directory or, with
  // --store dynamodb, in the DynamoDB tables every node shares (never in one node's directory).
  std::unique_ptr<store::InventoryStore> inventory;
  store::CapacityUsageSource capacity_usage;  // GET /metrics: what the DynamoDB store spends
  if (dynamo != nullptr) {
    auto opened = OpenDynamoInventory(*dynamo, config, &policy);
    if (!opened.ok()) return Fail(opened.status(), "--store dynamodb");
    const store::dynamo::DynamoInventoryStore* dynamo_store = opened->get();
    capacity_usage = [dynamo_store] { return dynamo_store->CapacityUsageSnapshot(); };
    inventory = std::move(*opened);
  } else {
    inventory = std::make_unique<store::RocksInventoryStore>(engine->get(), &policy);
  }
  store::InventoryStore& store = *inventory;

  auto backend = OpenQueueBackend(config, queue_engine->get());
  if (!backend.ok()) return Fail(backend.status(), "queue");
  queue::MessageQueue* message_queue = backend->queue.get();
  queue::DeadLetterQueue* dead_letters = backend->dead_letters.get();
  const uint64_t recovered = message_queue->Stats().depth_messages;
  if (dead_letters != nullptr && dead_letters->Depth() > 0) {
    spdlog::warn("{} messages wait in the dead-letter queue (GET /v1/fila/dlq)",
                 dead_letters->Depth());
  }

  queue::WorkerOptions worker_options;
  worker_options.batch_messages_max = config.apply_batch_messages;
  worker_options.batch_linger = std::chrono::milliseconds(config.apply_linger_ms);
  worker_options.dead_letter_attempts_max = config.dlq_max_attempts;
  const int64_t worker_count =
      config.apply_workers > 0 ? config.apply_workers : (dynamo != nullptr ? 4 : 1);
  std::vector<std::unique_ptr<queue::Worker>> workers;
  for (int64_t i = 0; i < worker_count; ++i) {
    workers.push_back(
        std::make_unique<queue::Worker>(message_queue, &store, worker_options, dead_letters));
    workers.back()->Start();
  }
  const auto stop_workers = [&workers] {
    for (auto& worker : workers) worker->Stop();
  };
  ReservationSweeper sweeper(&store, std::chrono::seconds(1));

  // Security: keys (unless --auth off), throttling, audit.
  std::unique_ptr<auth::RocksKeyStore> rocks_keys;
  auth::KeyStore* keys = nullptr;
  if (config.auth == "on") {
    if (dynamo != nullptr) {
      keys = dynamo->keys.get();
    } else {
      auto opened = auth::RocksKeyStore::Open(engine->get());
      if (!opened.ok()) return Fail(opened.status(), "loading the API keys");
      rocks_keys = std::move(*opened);
      keys = rocks_keys.get();
    }
    const std::string base_url = (config.tls_cert.empty() ? "http://" : "https://") + (host == "0.0.0.0" ? std::string("127.0.0.1") : host) +
                                 ":" + std::to_string(port);
    if (!BootstrapAdminKey(*keys, base_url)) return 1;
  } else {
    spdlog::warn("authentication is OFF (--auth off): anyone who reaches {} may do anything",
                 config.listen);
  }
  auth::RateLimits rate_limits;
  rate_limits.default_limit = {config.rate_limit_rps, config.rate_limit_burst};
  std::vector<std::pair<std::string, std::pair<double, double>>> role_limits;
  (void)ParseRoleRateLimits(config.rate_limit_roles, &role_limits);  // validated above
  for (const auto& [role, limit] : role_limits) {
    rate_limits.by_role[static_cast<std::size_t>(*auth::ParseRole(role))] =
        auth::RateOverride{limit.first, limit.second};
  }
  auth::RateLimiter limiter(rate_limits);
  std::unique_ptr<auth::RocksAuditLog> rocks_audit;
  auth::AuditLog* audit = nullptr;
  if (dynamo != nullptr) {
    audit = dynamo->audit.get();
  } else {
    auto opened = auth::RocksAuditLog::Open(engine->get());
    if (!opened.ok()) return Fail(opened.status(), "opening the audit log");
    rocks_audit = std::move(*opened);
    audit = rocks_audit.get();
  }
  api::ApiSecurity security;
  security.keys = keys;
  security.limiter = config.rate_limit_rps > 0 ? &limiter : nullptr;
  security.audit = audit;

  // Online backups (GET /v1/admin/backup); removes the checkpoint of one a crash cut short.
  auto backups = backup::Snapshotter::Open(engine->get(), queue_engine->get());
  if (!backups.ok()) return Fail(backups.status(), "preparing backups");

  api::ApiConfig api_config{*zone, config.require_gtin_check_digit, std::move(capacity_usage)};
  store::RocksEngine* const queue_db = queue_engine->get();
  api_config.queue_storage = [queue_db] { return queue_db->storage_condition(); };
  api::ApiService service(&store, message_queue, catalog, api_config, security, backups->get(),
                          dead_letters);

  api::HttpServerOptions http_options;
  http_options.host = host;
  http_options.port = port;
  http_options.io_threads =
      config.io_threads > 0 ? config.io_threads : std::max(1u, std::thread::hardware_concurrency());
  if (!config.tls_cert.empty()) {
    http_options.tls = api::TlsOptions{config.tls_cert, config.tls_key};
  }
  auto server = api::HttpServer::Create(
      http_options, [&service](api::HttpRequest&& request, api::Responder respond) {
        service.Handle(std::move(request), std::move(respond));
      });
  if (!server.ok()) {
    stop_workers();
    return Fail(server.status(), "starting the HTTP server");
  }
  (*server)->Start();
  spdlog::info(
      "ready in {} ms: data={} durability={} zone={} store={} queue={} apply_workers={} "
      "recovered_messages={}",
      (MonotonicMicros() - open_started_us) / 1000, config.data_dir, config.durability,
      config.time_zone, config.store, backend->description, worker_count, recovered);
  std::printf("estoque listening on %s://%s:%u\n", http_options.tls ? "https" : "http",
              host.c_str(), (*server)->port());
  std::fflush(stdout);

  sigset_t signals = TerminationSignals();
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);

  const std::chrono::milliseconds drain(config.shutdown_drain_ms);
  service.BeginShutdown();          // new writes: 503
  (*server)->Stop(drain);           // in-flight requests finish and are answered
  if (backend->drain_on_shutdown) DrainQueue(*message_queue, drain);  // the worker applies what was accepted
  message_queue->Close();
  stop_workers();
  const auto stats = message_queue->Stats();
  spdlog::info("stopped: {} messages left in the queue for the next start", stats.depth_messages);
  return 0;
}

}  // namespace estoque::app
