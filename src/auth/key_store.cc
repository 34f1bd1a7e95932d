#include "auth/key_store.h"

#include <algorithm>
#include <mutex>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "auth/key_codec.h"
#include "auth/token.h"
#include "common/clock.h"
#include "domain/branch.h"
#include "domain/catalog_fields.h"

namespace estoque::auth {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

bool IsTokenText(std::string_view token) {
  if (token.size() < kTokenCharsMin || token.size() > kTokenCharsMax) return false;
  return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

Status ValidateNewKey(const NewKey& key) {
  if (key.name.empty() || key.name.size() > kKeyNameCharsMax) {
    return Status::InvalidArgument("nome: must be 1 to 200 bytes");
  }
  // Valid UTF-8 without control characters: names are written into JSON (key listings, the audit
  // log) and onto terminals (estoque keys list) as they are.
  if (Status text = domain::ValidateCatalogText(key.name, kKeyNameCharsMax); !text.ok()) {
    return Status::InvalidArgument("nome: " + text.message());
  }
  if (key.branches.size() > kKeyBranchesMax) {
    return Status::InvalidArgument("filiais: at most 1000 branches");
  }
  for (const std::string& branch : key.branches) {
    Status valid = domain::ValidateBranch(branch);
    if (!valid.ok()) return Status::InvalidArgument("filiais: " + valid.message());
  }
  if (key.role == Role::kAdmin && !key.branches.empty()) {
    return Status::InvalidArgument("filiais: an admin key covers every branch; leave it empty");
  }
  if (key.role == Role::kPdv && key.branches.empty()) {
    return Status::InvalidArgument("filiais: a pdv key needs its branch or branches");
  }
  if (key.rate.has_value() && !(key.rate->per_second > 0 && key.rate->burst >= 1 &&
                                key.rate->per_second <= 1e9 && key.rate->burst <= 1e9)) {
    return Status::InvalidArgument("limite: rps must be > 0 and rajada >= 1 (both at most 1e9)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<RocksKeyStore>> RocksKeyStore::Open(store::RocksEngine* engine) {
  std::unique_ptr<RocksKeyStore> keys(new RocksKeyStore(engine));
  std::unique_ptr<rocksdb::Iterator> it(
      engine->db()->NewIterator(rocksdb::ReadOptions(), engine->api_keys()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto record = std::make_shared<ApiKeyRecord>();
    record->id = it->key().ToString();
    Status decoded = DecodeApiKey({it->value().data(), it->value().size()}, record.get());
    if (!decoded.ok()) return Status::Corruption("API key " + record->id + ": " + decoded.message());
    if (record->active()) keys->by_hash_[record->token_hash] = record;
    keys->by_id_[record->id] = std::move(record);
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "load API keys");
  return keys;
}

Status RocksKeyStore::Store(const ApiKeyRecord& record) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  const std::string value = EncodeApiKey(record);
  rocksdb::WriteBatch batch;
  batch.Put(engine_->api_keys(), ToSlice(record.id), ToSlice(value));
  if (Status written = engine_->Write(sync, &batch, "write API key"); !written.ok()) return written;
  auto published = std::make_shared<const ApiKeyRecord>(record);
  std::unique_lock lock(maps_mutex_);
  auto previous = by_id_.find(record.id);
  if (previous != by_id_.end()) by_hash_.erase(previous->second->token_hash);
  if (record.active()) by_hash_[record.token_hash] = published;
  by_id_[record.id] = std::move(published);
  return Status::Ok();
}

Result<IssuedKey> RocksKeyStore::Issue(NewKey key, std::string token) {
  std::sort(key.branches.begin(), key.branches.end());
  key.branches.erase(std::unique(key.branches.begin(), key.branches.end()), key.branches.end());
  Status valid = ValidateNewKey(key);
  if (!valid.ok()) return valid;
  ApiKeyRecord record;
  record.role = key.role;
  record.branches = std::move(key.branches);
  record.name = std::move(key.name);
  record.rate = key.rate;
  record.created_by = std::move(key.created_by);
  record.created_at_us = NowUnixMicros();
  record.token_hash = HashToken(token);
  std::lock_guard write(write_mutex_);
  {
    std::shared_lock lock(maps_mutex_);
    if (by_hash_.count(record.token_hash) != 0) {
      return Status::Conflict("a key with this token exists");
    }
  }
  for (int attempt = 0;; ++attempt) {
    Result<std::string> id = GenerateKeyId();
    if (!id.ok()) return id.status();
    std::shared_lock lock(maps_mutex_);
    if (by_id_.count(*id) == 0) {
      record.id = std::move(*id);
      break;
    }
    if (attempt > 8) return Status::Internal("could not draw an unused key id");
  }
  Status stored = Store(record);
  if (!stored.ok()) return stored;
  return IssuedKey{std::move(record), std::move(token)};
}

Result<IssuedKey> RocksKeyStore::Create(NewKey key) {
  Result<std::string> token = GenerateToken();
  if (!token.ok()) return token.status();
  return Issue(std::move(key), std::move(*token));
}

Result<IssuedKey> RocksKeyStore::CreateWithToken(NewKey key, std::string token) {
  if (!IsTokenText(token)) {
    return Status::InvalidArgument("token: must be 32 to 256 printable ASCII characters, no spaces");
  }
  return Issue(std::move(key), std::move(token));
}

std::vector<ApiKeyRecord> RocksKeyStore::List() const {
  std::vector<ApiKeyRecord> keys;
  {
    std::shared_lock lock(maps_mutex_);
    keys.reserve(by_id_.size());
    for (const auto& [id, record] : by_id_) keys.push_back(*record);
  }
  std::sort(keys.begin(), keys.end(),
            [](const ApiKeyRecord& a, const ApiKeyRecord& b) { return a.id < b.id; });
  return keys;
}

Result<ApiKeyRecord> RocksKeyStore::Get(std::string_view id) const {
  std::shared_lock lock(maps_mutex_);
  auto found = by_id_.find(std::string(id));
  if (found == by_id_.end()) return Status::NotFound("no API key " + std::string(id));
  return *found->second;
}

Result<ApiKeyRecord> RocksKeyStore::Revoke(std::string_view id) {
  std::lock_guard write(write_mutex_);
  Result<ApiKeyRecord> record = Get(id);
  if (!record.ok() || !record->active()) return record;
  record->revoked_at_us = NowUnixMicros();
  Status stored = Store(*record);
  if (!stored.ok()) return stored;
  return record;
}

Result<IssuedKey> RocksKeyStore::Rotate(std::string_view id) {
  Result<std::string> token = GenerateToken();
  if (!token.ok()) return token.status();
  std::lock_guard write(write_mutex_);
  Result<ApiKeyRecord> record = Get(id);
  if (!record.ok()) return record.status();
  if (!record->active()) return Status::Conflict("API key " + std::string(id) + " is revoked");
  record->token_hash = HashToken(*token);
  record->rotated_at_us = NowUnixMicros();
  Status stored = Store(*record);
  if (!stored.ok()) return stored;
  return IssuedKey{std::move(*record), std::move(*token)};
}

std::shared_ptr<const ApiKeyRecord> RocksKeyStore::Authenticate(std::string_view token) const {
  if (token.empty() || token.size() > kTokenCharsMax) return nullptr;
  const std::string hash = HashToken(token);
  std::shared_lock lock(maps_mutex_);
  auto found = by_hash_.find(hash);
  // The map finds the candidate by the hash; the final check is constant-time.
  if (found == by_hash_.end() || !SameBytes(found->second->token_hash, hash)) return nullptr;
  return found->second;
}

std::size_t RocksKeyStore::size() const {
  std::shared_lock lock(maps_mutex_);
  return by_id_.size();
}

}  // namespace estoque::auth
