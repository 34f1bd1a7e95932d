// The change index of a table whose items every node caches in memory (the catalog's `produtos`
// and `filiais`, the keys' `chaves`; docs/DYNAMODB.md). Each item carries
// `particao_alteracao` = "0" and `atualizado_em_us` (its record time, raised by every write); the
// global secondary index `por_atualizacao` (partition particao_alteracao, sort atualizado_em_us,
// projection ALL) lists the items by the time they were last written. A node refreshes its cache
// by querying what changed since its last look (ChangeFollower), instead of scanning the table.
//
// One index partition takes every write of the table: DynamoDB serves about 1000 writes/s per
// partition, far above the rate of catalog edits and key changes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"
#include "common/result.h"

namespace estoque::aws::dynamodb {

inline constexpr std::string_view kChangeIndexName = "por_atualizacao";
inline constexpr std::string_view kChangePartitionAttribute = "particao_alteracao";
inline constexpr std::string_view kChangePartitionValue = "0";
inline constexpr std::string_view kChangeTimeAttribute = "atualizado_em_us";

// How far back each poll looks before the newest change it has seen (counted no later than the
// polling node's clock): covers index propagation (normally well under a second) and writers'
// clocks that run behind the poller's by less than this.
inline constexpr std::chrono::microseconds kChangeOverlap = std::chrono::seconds(10);
// Pages one poll reads at most (1 MB each); the rest is read by the next poll.
inline constexpr int kChangePagesMax = 16;

// The index, to add to a TableSpec.
GlobalSecondaryIndex ChangeIndex();

// Sets the two attributes of the index in `item`.
void SetChangeAttributes(Item* item, std::int64_t updated_at_us);

// The record time of a write replacing an item last written at `previous_us` (0: a create): now,
// but strictly after previous_us, so every write raises it (it is the item's version too).
std::int64_t NextChangeTime(std::int64_t now_us, std::int64_t previous_us);

// The condition that an item is still at `version` (its atualizado_em_us), or, for version 0, that
// there is no item (attribute_not_exists on the partition key `key_attribute`).
Expression VersionCondition(std::string_view key_attribute, std::int64_t version);

// Decides a write on the current item (nullopt: none): the item to put (it must carry a raised
// atualizado_em_us, NextChangeTime), nullopt for no write, or an error that ends VersionedPut.
using DecideWrite =
    std::function<Result<std::optional<Item>>(const std::optional<Item>& current)>;

struct VersionedPutOutcome {
  std::optional<Item> stored;  // the item after the call: the one written, or the current one
  bool written = false;
};

// The wait before VersionedPut's attempt n+2: uniform in [0, min(max, base * 2^n)] (the second
// attempt goes at once).
inline constexpr std::chrono::microseconds kVersionedPutBackoffBase = std::chrono::milliseconds(2);
inline constexpr std::chrono::microseconds kVersionedPutBackoffMax = std::chrono::milliseconds(200);

// Optimistic concurrency on one item: decides on `guess` (what a cache holds; it need not be
// current), puts the decision conditional on the version it was decided on, and on a failed
// condition decides again on the current item DynamoDB returns with the failure (no second
// read), after a jittered wait (kVersionedPutBackoff*), at most `attempts_max` times. Conflict when every attempt lost to another writer;
// DynamoDB's errors as ToStatus; decide's errors as they are.
Result<VersionedPutOutcome> VersionedPut(DynamoDbClient& client, const std::string& table,
                                         std::string_view key_attribute, std::optional<Item> guess,
                                         const DecideWrite& decide, int attempts_max);

// Follows the change index of one table. Not thread-safe: one poller at a time.
class ChangeFollower {
 public:
  ChangeFollower(DynamoDbClient* client, std::string table) : client_(client), table_(std::move(table)) {}

  // The items written since the last poll (the first poll: since `since_us` given to Start),
  // oldest first; items of the overlap window come again (callers keep the newer version of an
  // item, by atualizado_em_us). Advances only on success.
  AwsResult<std::vector<Item>> Poll();
  // Where the first Poll starts: the time of the Scan that loaded the cache (minus nothing: the
  // overlap is applied by Poll).
  void Start(std::int64_t since_us) { newest_seen_us_ = since_us; }

 private:
  DynamoDbClient* client_;
  std::string table_;
  std::int64_t newest_seen_us_ = 0;
};

// Runs `refresh` every `interval` on its own thread until destroyed (the destructor waits for a
// refresh in progress). `refresh` must not throw.
class PeriodicRefresh {
 public:
  PeriodicRefresh(std::chrono::milliseconds interval, std::function<void()> refresh);
  ~PeriodicRefresh();
  PeriodicRefresh(const PeriodicRefresh&) = delete;
  PeriodicRefresh& operator=(const PeriodicRefresh&) = delete;

 private:
  void Run();

  const std::chrono::milliseconds interval_;
  const std::function<void()> refresh_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace estoque::aws::dynamodb
