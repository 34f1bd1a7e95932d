// The API keys on DynamoDB (table `chaves`, docs/DYNAMODB.md), for N stateless nodes sharing one
// table set. Like RocksKeyStore, only the SHA-256 of a token is stored (inside the record, the
// attribute `registro` in key_codec.h's encoding) and every node holds every key in memory, so
// Authenticate stays a hash lookup.
//
// "At once" across nodes (docs/SECURITY.md): the node that revokes or rotates a key refuses the
// old token from the next request on. Every other node confirms a key against the table (a
// strongly consistent GetItem) before accepting it whenever its last confirmation is older than
// revocation_check_age (1 s): so no node accepts a revoked or rotated-away token in a request
// that starts more than 1 s after the revocation returned. If the table cannot be read, the
// key is refused (fail closed). Cost: at most one GetItem per key in use, per node and second.
// New keys reach other nodes through the change index (refresh_interval, plus the index's lag).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/key_store.h"
#include "aws/dynamodb_change_index.h"
#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"

namespace estoque::auth {

inline constexpr std::string_view kKeysTable = "chaves";

struct DynamoKeyStoreOptions {
  aws::dynamodb::TableSetup tables;
  // A node confirms a cached key against the table when its last confirmation is older.
  std::chrono::milliseconds revocation_check_age = std::chrono::seconds(1);
  // How often the cache reads other nodes' changes (the change index).
  std::chrono::milliseconds refresh_interval = std::chrono::seconds(1);
};

// See KeyStore for the contract. Writes are conditional on the item's version (VersionedPut), so
// concurrent revocations and rotations on several nodes never undo each other. CreateWithToken
// also claims the token's hash (an item `#token#<hex>` written in the same transaction), so nodes
// bootstrapping at once with one ESTOQUE_BOOTSTRAP_ADMIN_KEY create one key: the others get
// Conflict. Thread-safe.
class DynamoKeyStore final : public KeyStore {
 public:
  static constexpr int kWriteAttemptsMax = 8;

  static aws::dynamodb::TableSpec TableSpec();  // without the prefix

  // Creates the table if missing, loads every key (consistent Scan), starts the refresh thread.
  // `client` must outlive the store. DynamoDB's errors (ToStatus); Corruption for a malformed item.
  static Result<std::unique_ptr<DynamoKeyStore>> Open(aws::dynamodb::DynamoDbClient* client,
                                                      DynamoKeyStoreOptions options);
  ~DynamoKeyStore() override;
  DynamoKeyStore(const DynamoKeyStore&) = delete;
  DynamoKeyStore& operator=(const DynamoKeyStore&) = delete;

  // Reads other nodes' changes into memory now (the refresh thread's work).
  Status Refresh();

  Result<IssuedKey> Create(NewKey key) override;
  Result<IssuedKey> CreateWithToken(NewKey key, std::string token) override;
  // Reads the table (consistent Scan); memory if it cannot be read (logged).
  std::vector<ApiKeyRecord> List() const override;
  // Reads the table (consistent GetItem).
  Result<ApiKeyRecord> Get(std::string_view id) const override;
  Result<ApiKeyRecord> Revoke(std::string_view id) override;
  Result<IssuedKey> Rotate(std::string_view id) override;
  std::shared_ptr<const ApiKeyRecord> Authenticate(std::string_view token) const override;
  // Keys in memory (those at Open, and every change seen since).
  std::size_t size() const override;

 private:
  struct Entry {
    std::shared_ptr<const ApiKeyRecord> record;
    int64_t version = 0;  // the item's atualizado_em_us
    // MonotonicMicros of the last read of the item that was strongly consistent; 0: never.
    mutable std::atomic<int64_t> confirmed_at_us{0};
  };

  DynamoKeyStore(aws::dynamodb::DynamoDbClient* client, DynamoKeyStoreOptions options);
  // Installs the record of an item read from the table if it is newer than memory's. `consistent`:
  // the read was strongly consistent (it confirms the key now).
  void Install(const ApiKeyRecord& record, int64_t version, bool consistent) const;
  // Decodes and installs; Corruption for a malformed item. Claim items are skipped.
  Status InstallItem(const aws::dynamodb::Item& item, bool consistent) const;
  Result<IssuedKey> Issue(NewKey key, std::string token, bool claim_token);
  // Reads the key's item (consistent) and installs it; the record, or NotFound.
  Result<ApiKeyRecord> ReadAndInstall(std::string_view id) const;
  // Revoke / Rotate: `change` decides on the current record (NotFound if there is none).
  Result<ApiKeyRecord> Change(std::string_view id,
                              const std::function<Result<std::optional<ApiKeyRecord>>(
                                  const ApiKeyRecord& current)>& change);

  aws::dynamodb::DynamoDbClient* const client_;
  const DynamoKeyStoreOptions options_;
  const std::string table_;

  std::mutex refresh_mutex_;
  aws::dynamodb::ChangeFollower changes_;

  mutable std::shared_mutex maps_mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<Entry>> by_id_;
  mutable std::unordered_map<std::string, std::shared_ptr<Entry>> by_hash_;  // active only

  std::unique_ptr<aws::dynamodb::PeriodicRefresh> refresher_;  // last: stops first
};

}  // namespace estoque::auth
