// KeyStore: the API keys. Tokens are shown once (in the IssuedKey returned at creation or
// rotation) and only their SHA-256 is stored. Authenticate is the per-request hot path: an
// in-memory map from token hash to the key, so a revocation or rotation takes effect on the very
// next request, on open connections too.
#pragma once

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/api_key.h"
#include "common/result.h"
#include "store/rocksdb_engine.h"

namespace estoque::auth {

// Bounds of a key's fields.
inline constexpr std::size_t kKeyNameCharsMax = 200;
inline constexpr std::size_t kKeyBranchesMax = 1000;

struct NewKey {
  Role role = Role::kLeitura;
  std::vector<std::string> branches;  // pdv: required; admin: must be empty; others: empty = all
  std::string name;                   // required, 1..200 bytes of UTF-8
  std::optional<RateOverride> rate;   // both > 0
  std::string created_by;             // id of the creating key ("" = CLI or bootstrap)
};

struct IssuedKey {
  ApiKeyRecord record;
  std::string token;  // the only time it exists outside the client
};

// Checks a NewKey; InvalidArgument whose message starts with the field ("filiais: ...").
Status ValidateNewKey(const NewKey& key);

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Validates, stores (synced) and returns the new key with its token.
  virtual Result<IssuedKey> Create(NewKey key) = 0;
  // The same with a token the operator chose (the bootstrap admin key). InvalidArgument if the
  // token is not kTokenCharsMin..kTokenCharsMax printable ASCII without spaces; Conflict if a
  // key with that token exists.
  virtual Result<IssuedKey> CreateWithToken(NewKey key, std::string token) = 0;
  // Every key (revoked ones too), ordered by id.
  virtual std::vector<ApiKeyRecord> List() const = 0;
  // NotFound if no such key.
  virtual Result<ApiKeyRecord> Get(std::string_view id) const = 0;
  // Revokes at once. NotFound; revoking a revoked key is Ok (idempotent).
  virtual Result<ApiKeyRecord> Revoke(std::string_view id) = 0;
  // A new token for the same key (id, role, scope kept); the old token stops at once.
  // NotFound; Conflict if revoked.
  virtual Result<IssuedKey> Rotate(std::string_view id) = 0;
  // The active key with this token, or null (unknown, revoked, malformed).
  virtual std::shared_ptr<const ApiKeyRecord> Authenticate(std::string_view token) const = 0;
  // Number of keys, revoked included (0 = a fresh data directory: bootstrap).
  virtual std::size_t size() const = 0;
};

// Keys in the engine's "api_keys" column family, all loaded in memory at Open.
class RocksKeyStore final : public KeyStore {
 public:
  // Loads every key. Corruption if one is malformed.
  static Result<std::unique_ptr<RocksKeyStore>> Open(store::RocksEngine* engine);

  Result<IssuedKey> Create(NewKey key) override;
  Result<IssuedKey> CreateWithToken(NewKey key, std::string token) override;
  std::vector<ApiKeyRecord> List() const override;
  Result<ApiKeyRecord> Get(std::string_view id) const override;
  Result<ApiKeyRecord> Revoke(std::string_view id) override;
  Result<IssuedKey> Rotate(std::string_view id) override;
  std::shared_ptr<const ApiKeyRecord> Authenticate(std::string_view token) const override;
  std::size_t size() const override;

 private:
  explicit RocksKeyStore(store::RocksEngine* engine) : engine_(engine) {}
  // Stores `record` (synced) and publishes it in the maps. REQUIRES: write_mutex_ held.
  Status Store(const ApiKeyRecord& record);
  Result<IssuedKey> Issue(NewKey key, std::string token);

  store::RocksEngine* engine_;
  std::mutex write_mutex_;  // one writer at a time (read-modify-write of records)
  mutable std::shared_mutex maps_mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ApiKeyRecord>> by_id_;
  std::unordered_map<std::string, std::shared_ptr<const ApiKeyRecord>> by_hash_;  // active only
};

}  // namespace estoque::auth
