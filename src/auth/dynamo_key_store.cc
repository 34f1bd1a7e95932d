#include "auth/dynamo_key_store.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <spdlog/spdlog.h>

#include "auth/key_codec.h"
#include "auth/token.h"
#include "aws/dynamodb_attributes.h"
#include "common/clock.h"

namespace estoque::auth {
namespace {

namespace dynamo = aws::dynamodb;

constexpr std::string_view kIdAttribute = "id";
constexpr std::string_view kRecordAttribute = "registro";
// Items whose id starts with this are token claims, not keys.
constexpr std::string_view kClaimPrefix = "#token#";
constexpr int kLoadPagesMax = 10'000;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

dynamo::Item KeyOf(std::string_view id) { return {{kIdAttribute, dynamo::StringValue(id)}}; }

// The item of a key: id, registro (key_codec.h's encoding) and the change attributes.
dynamo::Item KeyItem(const ApiKeyRecord& record, int64_t version) {
  dynamo::Item item = KeyOf(record.id);
  item[kRecordAttribute] = dynamo::BinaryValue(EncodeApiKey(record));
  dynamo::SetChangeAttributes(&item, version);
  return item;
}

bool IsClaim(const dynamo::Item& item) {
  std::optional<std::string> id = dynamo::StringAttribute(item, kIdAttribute);
  return id && id->rfind(kClaimPrefix, 0) == 0;
}

Status DecodeKeyItem(const dynamo::Item& item, ApiKeyRecord* record, int64_t* version) {
  std::optional<std::string> id = dynamo::StringAttribute(item, kIdAttribute);
  if (!id) return Status::Corruption("chaves: item without id");
  std::optional<std::string> value = dynamo::BinaryAttribute(item, kRecordAttribute);
  std::optional<int64_t> updated = dynamo::NumberAttribute(item, dynamo::kChangeTimeAttribute);
  if (!value || !updated) return Status::Corruption("chaves/" + *id + ": no registro or version");
  if (Status decoded = DecodeApiKey(*value, record); !decoded.ok()) {
    return Status::Corruption("chaves/" + *id + ": " + decoded.message());
  }
  record->id = std::move(*id);
  *version = *updated;
  return Status::Ok();
}

bool IsTokenText(std::string_view token) {
  if (token.size() < kTokenCharsMin || token.size() > kTokenCharsMax) return false;
  return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

dynamo::TableSpec DynamoKeyStore::TableSpec() {
  dynamo::TableSpec spec;
  spec.name = std::string(kKeysTable);
  spec.key.partition = dynamo::KeyAttribute{std::string(kIdAttribute), dynamo::AttributeType::kString};
  spec.indexes.push_back(dynamo::ChangeIndex());
  return spec;
}

Result<std::unique_ptr<DynamoKeyStore>> DynamoKeyStore::Open(dynamo::DynamoDbClient* client,
                                                             DynamoKeyStoreOptions options) {
  assert(client != nullptr);
  aws::AwsResult<boost::json::object> ready = dynamo::EnsureTable(*client, TableSpec(), options.tables);
  if (!ready.ok()) return ready.status();
  std::unique_ptr<DynamoKeyStore> keys(new DynamoKeyStore(client, std::move(options)));
  const int64_t started_us = NowUnixMicros();
  dynamo::ScanRequest scan;
  scan.table = keys->table_;
  scan.consistent_read = true;
  aws::AwsResult<dynamo::QueryPage> items = client->ScanAll(std::move(scan), kLoadPagesMax);
  if (!items.ok()) return items.status();
  for (const dynamo::Item& item : items->items) {
    if (Status installed = keys->InstallItem(item, true); !installed.ok()) return installed;
  }
  keys->changes_.Start(started_us);
  DynamoKeyStore* raw = keys.get();
  keys->refresher_ = std::make_unique<dynamo::PeriodicRefresh>(
      keys->options_.refresh_interval, [raw, failing = false]() mutable {
        Status refreshed = raw->Refresh();
        if (!refreshed.ok() && !failing) {
          spdlog::warn("API keys: reading other nodes' changes failed: {} (retrying)",
                       refreshed.ToString());
        }
        failing = !refreshed.ok();
      });
  return keys;
}

DynamoKeyStore::DynamoKeyStore(dynamo::DynamoDbClient* client, DynamoKeyStoreOptions options)
    : client_(client),
      options_(std::move(options)),
      table_(options_.tables.prefix + std::string(kKeysTable)),
      changes_(client, table_) {}

DynamoKeyStore::~DynamoKeyStore() { refresher_.reset(); }

Status DynamoKeyStore::Refresh() {
  std::lock_guard refreshing(refresh_mutex_);
  aws::AwsResult<std::vector<dynamo::Item>> changed = changes_.Poll();
  if (!changed.ok()) return changed.status();
  for (const dynamo::Item& item : *changed) {
    if (Status installed = InstallItem(item, false); !installed.ok()) return installed;
  }
  return Status::Ok();
}

Status DynamoKeyStore::InstallItem(const dynamo::Item& item, bool consistent) const {
  if (IsClaim(item)) return Status::Ok();
  ApiKeyRecord record;
  int64_t version = 0;
  if (Status decoded = DecodeKeyItem(item, &record, &version); !decoded.ok()) return decoded;
  Install(record, version, consistent);
  return Status::Ok();
}

void DynamoKeyStore::Install(const ApiKeyRecord& record, int64_t version, bool consistent) const {
  auto entry = std::make_shared<Entry>();
  entry->record = std::make_shared<const ApiKeyRecord>(record);
  entry->version = version;
  std::unique_lock lock(maps_mutex_);
  auto previous = by_id_.find(record.id);
  if (previous != by_id_.end()) {
    if (previous->second->version > version) return;  // memory is newer
    if (previous->second->version == version && !consistent) return;
    // A read that is not strongly consistent keeps the last confirmation if the token is the same.
    if (!consistent && previous->second->record->token_hash == record.token_hash) {
      entry->confirmed_at_us = previous->second->confirmed_at_us.load();
    }
    by_hash_.erase(previous->second->record->token_hash);
  }
  if (consistent) entry->confirmed_at_us = MonotonicMicros();
  if (record.active()) by_hash_[record.token_hash] = entry;
  by_id_[record.id] = std::move(entry);
}

Result<ApiKeyRecord> DynamoKeyStore::ReadAndInstall(std::string_view id) const {
  dynamo::GetItemRequest get;
  get.table = table_;
  get.key = KeyOf(id);
  aws::AwsResult<dynamo::GetItemOutput> read = client_->GetItem(get);
  if (!read.ok()) return read.status();
  if (!read->item || IsClaim(*read->item)) return Status::NotFound("no API key " + std::string(id));
  ApiKeyRecord record;
  int64_t version = 0;
  if (Status decoded = DecodeKeyItem(*read->item, &record, &version); !decoded.ok()) return decoded;
  Install(record, version, true);
  return record;
}

Result<IssuedKey> DynamoKeyStore::Issue(NewKey key, std::string token, bool claim_token) {
  std::sort(key.branches.begin(), key.branches.end());
  key.branches.erase(std::unique(key.branches.begin(), key.branches.end()), key.branches.end());
  if (Status valid = ValidateNewKey(key); !valid.ok()) return valid;
  ApiKeyRecord record;
  record.role = key.role;
  record.branches = std::move(key.branches);
  record.name = std::move(key.name);
  record.rate = key.rate;
  record.created_by = std::move(key.created_by);
  record.created_at_us = NowUnixMicros();
  record.token_hash = HashToken(token);
  {
    std::shared_lock lock(maps_mutex_);
    if (by_hash_.count(record.token_hash) != 0) return Status::Conflict("a key with this token exists");
  }
  for (int attempt = 0; attempt < kWriteAttemptsMax; ++attempt) {
    Result<std::string> id = GenerateKeyId();
    if (!id.ok()) return id.status();
    record.id = std::move(*id);
    const int64_t version = dynamo::NextChangeTime(NowUnixMicros(), 0);
    dynamo::PutItemRequest put;
    put.table = table_;
    put.item = KeyItem(record, version);
    put.condition = dynamo::VersionCondition(kIdAttribute, 0);  // a new id
    Status written = Status::Ok();
    bool id_taken = false;
    if (!claim_token) {
      aws::AwsResult<dynamo::WriteOutput> stored = client_->PutItem(put);
      written = stored.status();
      id_taken = !stored.ok() && stored.error().code == "ConditionalCheckFailedException";
    } else {
      // The key and the claim of its token, in one transaction: both or neither.
      dynamo::PutItemRequest claim;
      claim.table = table_;
      claim.item = KeyOf(std::string(kClaimPrefix) + Hex(record.token_hash));
      claim.item["chave"] = dynamo::StringValue(record.id);
      claim.condition = dynamo::VersionCondition(kIdAttribute, 0);
      dynamo::TransactWriteRequest transaction;
      transaction.actions = {dynamo::TransactPut(put), dynamo::TransactPut(claim)};
      aws::AwsResult<dynamo::TransactWriteOutput> stored = client_->TransactWriteItems(transaction);
      written = stored.status();
      if (!stored.ok()) {
        const std::vector<dynamo::CancellationReason> reasons = dynamo::CancellationReasons(stored.error());
        if (reasons.size() == 2 && reasons[1].code == "ConditionalCheckFailed") {
          return Status::Conflict("a key with this token exists");
        }
        id_taken = reasons.size() == 2 && reasons[0].code == "ConditionalCheckFailed";
      }
    }
    if (id_taken) continue;  // 64 random bits met an existing id: draw another
    if (!written.ok()) return written;
    Install(record, version, true);
    return IssuedKey{std::move(record), std::move(token)};
  }
  return Status::Internal("could not draw an unused key id");
}

Result<IssuedKey> DynamoKeyStore::Create(NewKey key) {
  Result<std::string> token = GenerateToken();
  if (!token.ok()) return token.status();
  return Issue(std::move(key), std::move(*token), /*claim_token=*/false);
}

Result<IssuedKey> DynamoKeyStore::CreateWithToken(NewKey key, std::string token) {
  if (!IsTokenText(token)) {
    return Status::InvalidArgument("token: must be 32 to 256 printable ASCII characters, no spaces");
  }
  return Issue(std::move(key), std::move(token), /*claim_token=*/true);
}

std::vector<ApiKeyRecord> DynamoKeyStore::List() const {
  dynamo::ScanRequest scan;
  scan.table = table_;
  scan.consistent_read = true;
  aws::AwsResult<dynamo::QueryPage> items = client_->ScanAll(std::move(scan), kLoadPagesMax);
  if (!items.ok()) {
    spdlog::warn("API keys: listing from memory, the table could not be read: {}",
                 items.error().ToString());
  } else {
    for (const dynamo::Item& item : items->items) {
      if (Status installed = InstallItem(item, true); !installed.ok()) {
        spdlog::error("API keys: {}", installed.ToString());
      }
    }
  }
  std::vector<ApiKeyRecord> keys;
  {
    std::shared_lock lock(maps_mutex_);
    keys.reserve(by_id_.size());
    for (const auto& [id, entry] : by_id_) keys.push_back(*entry->record);
  }
  std::sort(keys.begin(), keys.end(),
            [](const ApiKeyRecord& a, const ApiKeyRecord& b) { return a.id < b.id; });
  return keys;
}

Result<ApiKeyRecord> DynamoKeyStore::Get(std::string_view id) const { return ReadAndInstall(id); }

Result<ApiKeyRecord> DynamoKeyStore::Change(
    std::string_view id,
    const std::function<Result<std::optional<ApiKeyRecord>>(const ApiKeyRecord& current)>& change) {
  std::optional<dynamo::Item> guess;
  {
    std::shared_lock lock(maps_mutex_);
    if (auto found = by_id_.find(std::string(id)); found != by_id_.end()) {
      guess = KeyItem(*found->second->record, found->second->version);
    }
  }
  ApiKeyRecord result;
  Result<dynamo::VersionedPutOutcome> outcome = dynamo::VersionedPut(
      *client_, table_, kIdAttribute, std::move(guess),
      [&](const std::optional<dynamo::Item>& current) -> Result<std::optional<dynamo::Item>> {
        if (!current) return Status::NotFound("no API key " + std::string(id));
        int64_t version = 0;
        if (Status decoded = DecodeKeyItem(*current, &result, &version); !decoded.ok()) return decoded;
        Result<std::optional<ApiKeyRecord>> next = change(result);
        if (!next.ok()) return next.status();
        if (!next->has_value()) return std::optional<dynamo::Item>();
        result = std::move(**next);
        return std::optional<dynamo::Item>(
            KeyItem(result, dynamo::NextChangeTime(NowUnixMicros(), version)));
      },
      kWriteAttemptsMax);
  if (!outcome.ok()) return outcome.status();
  if (outcome->stored) {
    if (Status installed = InstallItem(*outcome->stored, true); !installed.ok()) return installed;
  }
  return result;
}

Result<ApiKeyRecord> DynamoKeyStore::Revoke(std::string_view id) {
  return Change(id, [](const ApiKeyRecord& current) -> Result<std::optional<ApiKeyRecord>> {
    if (!current.active()) return std::optional<ApiKeyRecord>();  // idempotent
    ApiKeyRecord revoked = current;
    revoked.revoked_at_us = NowUnixMicros();
    return std::optional<ApiKeyRecord>(std::move(revoked));
  });
}

Result<IssuedKey> DynamoKeyStore::Rotate(std::string_view id) {
  Result<std::string> token = GenerateToken();
  if (!token.ok()) return token.status();
  const std::string hash = HashToken(*token);
  Result<ApiKeyRecord> rotated =
      Change(id, [&](const ApiKeyRecord& current) -> Result<std::optional<ApiKeyRecord>> {
        if (!current.active()) return Status::Conflict("API key " + std::string(id) + " is revoked");
        ApiKeyRecord next = current;
        next.token_hash = hash;
        next.rotated_at_us = NowUnixMicros();
        return std::optional<ApiKeyRecord>(std::move(next));
      });
  if (!rotated.ok()) return rotated.status();
  return IssuedKey{std::move(*rotated), std::move(*token)};
}

std::shared_ptr<const ApiKeyRecord> DynamoKeyStore::Authenticate(std::string_view token) const {
  if (token.empty() || token.size() > kTokenCharsMax) return nullptr;
  const std::string hash = HashToken(token);
  std::shared_ptr<Entry> entry;
  {
    std::shared_lock lock(maps_mutex_);
    auto found = by_hash_.find(hash);
    if (found == by_hash_.end()) return nullptr;
    entry = found->second;
  }
  // The map finds the candidate by the hash; the final check is constant-time.
  if (!SameBytes(entry->record->token_hash, hash)) return nullptr;
  const int64_t now_us = MonotonicMicros();
  const int64_t age_us = std::chrono::microseconds(options_.revocation_check_age).count();
  const int64_t confirmed_us = entry->confirmed_at_us.load();
  if (confirmed_us != 0 && now_us - confirmed_us <= age_us) return entry->record;
  // Stale: confirm against the table before accepting (requests arriving meanwhile do the same,
  // so none is accepted on a confirmation older than the bound).
  Result<ApiKeyRecord> current = ReadAndInstall(entry->record->id);
  if (!current.ok()) {
    // Logged at most every 10 s: during an outage every request would log.
    static std::atomic<int64_t> logged_at_us{0};
    int64_t last_us = logged_at_us.load();
    if (current.status().code() != StatusCode::kNotFound && now_us - last_us > 10'000'000 &&
        logged_at_us.compare_exchange_strong(last_us, now_us)) {
      spdlog::warn("API keys: could not confirm key {}, refused: {}", entry->record->id,
                   current.status().ToString());
    }
    return nullptr;
  }
  if (!current->active() || !SameBytes(current->token_hash, hash)) return nullptr;
  std::shared_lock lock(maps_mutex_);
  auto found = by_hash_.find(hash);
  return found == by_hash_.end() ? nullptr : found->second->record;
}

std::size_t DynamoKeyStore::size() const {
  std::shared_lock lock(maps_mutex_);
  return by_id_.size();
}

}  // namespace estoque::auth
