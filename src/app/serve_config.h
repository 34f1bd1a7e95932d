// ServeConfig: every setting of `estoque serve`, with its default. Settable on the command line,
// from the environment (ESTOQUE_<NAME>) and from a config file (--config FILE, TOML/INI keys named
// like the long options). Precedence: command line > environment > config file > default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/limits.h"
#include "common/result.h"

namespace estoque::app {

struct ServeConfig {
  std::string listen = "127.0.0.1:8080";   // HOST:PORT; port 0 = any free port
  std::string data_dir = "./data";         // RocksDB directory (positions and queue)
  std::string time_zone = "America/Sao_Paulo";  // zone of zone-less input times and seed output
  bool require_gtin_check_digit = false;   // reject barcodes whose GTIN check digit is wrong
  std::string durability = "sync";         // "sync": fsync before 202; "os": page cache only
  std::size_t io_threads = 0;              // HTTP threads; 0 = number of cores
  std::size_t queue_max_messages = limits::kQueueMessagesMaxDefault;
  std::size_t queue_max_bytes = limits::kQueueBytesMaxDefault;
  std::size_t block_cache_mb = 64;         // RocksDB read cache
  std::size_t row_cache_mb = 64;           // RocksDB row cache for point reads (0 = none)
  // Free disk space (MiB) below which writes get 507 before RocksDB runs out; accepted again at
  // 1.25x. 0 = not watched (RocksDB's own ENOSPC still refuses writes, see docs/RELIABILITY.md).
  std::size_t min_free_disk_mb = limits::kMinFreeDiskMebibytesDefault;
  std::size_t apply_batch_messages = limits::kApplyBatchMessagesDefault;  // per atomic write
  int64_t apply_linger_ms = 0;             // wait for more messages before applying (CPU vs freshness)
  // Apply workers, each receiving and applying batches on its own. 0: 1 with the rocksdb store
  // (one local writer; more would only wait for it), 4 with dynamodb (each apply is network round
  // trips; concurrent writes to one product-branch are settled by the version conditions).
  int64_t apply_workers = 0;
  // Failed attempts at a poison message before it moves to the dead-letter queue.
  uint32_t dlq_max_attempts = limits::kDeadLetterAttemptsDefault;
  std::string log_level = "info";          // trace, debug, info, warn, error, off
  int64_t shutdown_drain_ms = 10'000;      // SIGTERM: how long in-flight work may take
  std::string auth = "on";                 // "off": no API keys (only on a loopback address)
  double rate_limit_rps = 1000;            // per key, default for every role (0: no throttling)
  double rate_limit_burst = 2000;          // per key: requests allowed at once
  std::string rate_limit_roles;            // overrides per role: "pdv=50:100,leitura=500:1000"
  std::string tls_cert;                    // PEM certificate chain: serve HTTPS (with tls_key)
  std::string tls_key;                     // PEM private key of tls_cert (not encrypted)
  // The queue between ingest and the store: "embedded" (RocksDB, in the data directory) or "sqs"
  // (an SQS queue; one node per queue while the store is rocksdb, several with dynamodb; docs/AWS.md). With sqs, region, endpoint
  // and credentials come from the AWS chains (AWS_REGION, AWS_ENDPOINT_URL_SQS, AWS_PROFILE, ...).
  std::string queue = "embedded";
  std::string sqs_queue_url;               // required with queue = sqs
  std::string sqs_dlq_url;                 // optional: dead letters (else poison messages stay)
  int sqs_visibility_timeout_s = 30;       // per receive, extended while a batch is applied
  // Where the inventory, catalog, keys and audit live: "rocksdb" (data_dir) or "dynamodb" (the
  // tables below; docs/DYNAMODB.md). The queue is chosen apart (queue above).
  std::string store = "rocksdb";
  // DynamoDB's endpoint URL; empty: AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL, else the
  // region's (https://dynamodb.<region>.amazonaws.com).
  std::string dynamodb_endpoint;
  std::string aws_region;                  // empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's
  std::string dynamodb_table_prefix = "estoque_";  // before every table name
  // Billing mode of the tables estoque creates (existing tables are used as they are):
  // "on-demand" (PAY_PER_REQUEST) or "provisioned" with dynamodb_rcu / dynamodb_wcu per table and
  // per index (the seed's 5 / 5).
  std::string dynamodb_billing_mode = "on-demand";
  int64_t dynamodb_rcu = 5;
  int64_t dynamodb_wcu = 5;
};

// Bounds of the DynamoDB options: a table name is at most 255 bytes; DynamoDB's default quota is
// 40,000 read and write capacity units per table.
inline constexpr std::size_t kTablePrefixBytesMax = 200;
inline constexpr int64_t kCapacityUnitsMax = 40'000;

// Parses rate_limit_roles ("role=rps:burst,..."); InvalidArgument naming the bad part.
Status ParseRoleRateLimits(const std::string& text,
                           std::vector<std::pair<std::string, std::pair<double, double>>>* out);

// "host:port" -> parts. InvalidArgument if malformed or the port is not 0..65535.
Status SplitHostPort(const std::string& listen, std::string* host, uint16_t* port);

// Checks every field (zone exists, durability known, bounds > 0, tls_cert and tls_key both set or
// both empty, the SQS settings given exactly with queue = sqs, the store and its DynamoDB options).
// InvalidArgument naming the field. (The TLS files are read, and the AWS credentials resolved, when
// the server starts.)
Status ValidateServeConfig(const ServeConfig& config);
// The part of ValidateServeConfig that checks store, dynamodb-* and aws-region.
Status ValidateStoreOptions(const ServeConfig& config);

}  // namespace estoque::app
