// DynamoCatalog's writes (dynamo_catalog.h): every one conditional on the version it was decided
// on, through aws::dynamodb::VersionedPut or a TransactWriteItems of version conditions.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <openssl/rand.h>

#include "aws/dynamodb_attributes.h"
#include "catalog/dynamo_catalog.h"
#include "catalog/validation.h"
#include "common/clock.h"

namespace estoque::catalog {
namespace {

namespace dynamo = aws::dynamodb;

// A ClientRequestToken for one TransactWriteItems: 32 hex digits of CSPRNG output.
Result<std::string> NewRequestToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Unavailable("CSPRNG failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : bytes) {
    token.push_back(kHex[byte >> 4]);
    token.push_back(kHex[byte & 0xf]);
  }
  return token;
}

}  // namespace

// ---- conditional writes

Result<StoredItem<Product>> DynamoCatalog::WriteProduct(std::string_view barcode,
                                                        const Decide<Product>& decide) {
  const auto to_item = [barcode](const StoredItem<Product>& state) {
    return state.record ? ProductItem(*state.record) : ProductTombstone(barcode, state.version);
  };
  std::optional<dynamo::Item> guess;
  if (StoredItem<Product> cached = CachedProduct(barcode); cached.version != 0) guess = to_item(cached);
  Result<dynamo::VersionedPutOutcome> outcome = dynamo::VersionedPut(
      *client_, products_table_, kProductKeyAttribute, std::move(guess),
      [&](const std::optional<dynamo::Item>& current) -> Result<std::optional<dynamo::Item>> {
        StoredItem<Product> state;
        if (current) {
          if (Status decoded = DecodeProductItem(*current, &state); !decoded.ok()) return decoded;
        }
        std::optional<StoredItem<Product>> next = decide(state);
        if (!next) return std::optional<dynamo::Item>();
        return std::optional<dynamo::Item>(to_item(*next));
      },
      kWriteAttemptsMax);
  if (!outcome.ok()) return outcome.status();
  StoredItem<Product> stored;
  if (outcome->stored) {
    if (Status decoded = DecodeProductItem(*outcome->stored, &stored); !decoded.ok()) return decoded;
    InstallProduct(barcode, stored);
  }
  return stored;
}

Result<StoredItem<Branch>> DynamoCatalog::WriteBranch(std::string_view branch,
                                                      const Decide<Branch>& decide) {
  std::optional<dynamo::Item> guess;
  if (StoredItem<Branch> cached = CachedBranch(branch); cached.record) guess = BranchItem(*cached.record);
  Result<dynamo::VersionedPutOutcome> outcome = dynamo::VersionedPut(
      *client_, branches_table_, kBranchKeyAttribute, std::move(guess),
      [&](const std::optional<dynamo::Item>& current) -> Result<std::optional<dynamo::Item>> {
        StoredItem<Branch> state;
        if (current) {
          if (Status decoded = DecodeBranchItem(*current, &state); !decoded.ok()) return decoded;
        }
        std::optional<StoredItem<Branch>> next = decide(state);
        if (!next) return std::optional<dynamo::Item>();
        return std::optional<dynamo::Item>(BranchItem(*next->record));
      },
      kWriteAttemptsMax);
  if (!outcome.ok()) return outcome.status();
  StoredItem<Branch> stored;
  if (outcome->stored) {
    if (Status decoded = DecodeBranchItem(*outcome->stored, &stored); !decoded.ok()) return decoded;
    InstallBranch(branch, stored);
  }
  return stored;
}

Result<Product> DynamoCatalog::PutProduct(Product product) {
  product.edited_by_api = true;
  if (Status valid = ProblemsToStatus(ProductProblems(product, false)); !valid.ok()) return valid;
  Result<StoredItem<Product>> stored = WriteProduct(
      product.barcode, [&](const StoredItem<Product>& current) -> std::optional<StoredItem<Product>> {
        Product next = product;
        next.updated_at_us = dynamo::NextChangeTime(Now(), current.version);
        next.created_at_us = current.record ? current.record->created_at_us : next.updated_at_us;
        return StoredItem<Product>{next, next.updated_at_us};
      });
  if (!stored.ok()) return stored.status();
  return std::move(*stored->record);
}

Result<Catalog::PutProductsOutcome> DynamoCatalog::PutProducts(std::vector<Product> products) {
  if (products.size() > dynamo::kTransactWriteActionsMax) {
    return Status::InvalidArgument("produtos: at most " +
                                   std::to_string(dynamo::kTransactWriteActionsMax) +
                                   " per batch on the DynamoDB store (one transaction)");
  }
  std::unordered_set<std::string_view> barcodes;
  for (std::size_t i = 0; i < products.size(); ++i) {
    Product& product = products[i];
    product.edited_by_api = true;
    if (Status valid = ProblemsToStatus(ProductProblems(product, false)); !valid.ok()) {
      return Status::InvalidArgument("product " + std::to_string(i) + ": " + valid.message());
    }
    if (!barcodes.insert(product.barcode).second) {
      return Status::InvalidArgument("product " + std::to_string(i) + ": codigo_barra " +
                                     product.barcode + " repeats");
    }
  }
  if (products.empty()) return PutProductsOutcome{};
  std::vector<dynamo::BatchGetKey> keys;
  for (const Product& product : products) keys.push_back({products_table_, ProductKey(product.barcode)});
  for (int attempt = 0; attempt < kWriteAttemptsMax; ++attempt) {
    aws::AwsResult<dynamo::BatchGetOutput> read = client_->BatchGetItem(keys, true);
    if (!read.ok()) return read.status();
    if (!read->complete()) return Status::Unavailable("produtos: DynamoDB left keys unread");
    std::unordered_map<std::string, StoredItem<Product>> current;
    for (const dynamo::Item& item : read->items[products_table_]) {
      StoredItem<Product> stored;
      if (Status decoded = DecodeProductItem(item, &stored); !decoded.ok()) return decoded;
      current.emplace(*dynamo::StringAttribute(item, kProductKeyAttribute), std::move(stored));
    }
    PutProductsOutcome outcome;
    std::vector<Product> written;
    dynamo::TransactWriteRequest transaction;
    for (const Product& product : products) {
      const StoredItem<Product>& stored = current[product.barcode];
      Product next = product;
      next.updated_at_us = dynamo::NextChangeTime(Now(), stored.version);
      next.created_at_us = stored.record ? stored.record->created_at_us : next.updated_at_us;
      ++(stored.record ? outcome.updated : outcome.created);
      dynamo::PutItemRequest put;
      put.table = products_table_;
      put.item = ProductItem(next);
      put.condition = dynamo::VersionCondition(kProductKeyAttribute, stored.version);
      transaction.actions.push_back(dynamo::TransactPut(put));
      written.push_back(std::move(next));
    }
    Result<std::string> token = NewRequestToken();
    if (!token.ok()) return token.status();
    transaction.client_request_token = std::move(*token);
    aws::AwsResult<dynamo::TransactWriteOutput> committed = client_->TransactWriteItems(transaction);
    if (committed.ok()) {
      std::unique_lock lock(mutex_);
      for (Product& product : written) {
        const std::string barcode = product.barcode;
        const int64_t version = product.updated_at_us;
        InstallProductLocked(barcode, {std::move(product), version});
      }
      return outcome;
    }
    const std::vector<dynamo::CancellationReason> reasons = dynamo::CancellationReasons(committed.error());
    const bool lost_a_race = std::any_of(reasons.begin(), reasons.end(), [](const auto& reason) {
      return reason.code == "ConditionalCheckFailed";
    });
    if (!lost_a_race) return committed.status();
  }
  return Status::Conflict("produtos: other nodes kept changing these products; try again");
}

Status DynamoCatalog::DeleteProduct(std::string_view barcode) {
  bool found = false;
  Result<StoredItem<Product>> stored = WriteProduct(
      barcode, [&](const StoredItem<Product>& current) -> std::optional<StoredItem<Product>> {
        found = current.record.has_value();
        if (!found) return std::nullopt;
        return StoredItem<Product>{std::nullopt, dynamo::NextChangeTime(Now(), current.version)};
      });
  if (!stored.ok()) return stored.status();
  if (!found) return Status::NotFound("no product " + std::string(barcode) + " in the catalog");
  return Status::Ok();
}

Status DynamoCatalog::RegisterMentioned(const std::vector<Mention>& mentions) {
  // A product needs a write if it is unknown, or known without a name the mention can give.
  const auto needs_write = [](const std::optional<Product>& stored, std::string_view name) {
    return !stored || (!name.empty() && stored->name.empty() && !stored->edited_by_api);
  };
  {
    std::shared_lock lock(mutex_);
    const bool all_known = std::all_of(mentions.begin(), mentions.end(), [&](const Mention& mention) {
      const auto stored = products_.find(mention.barcode);
      if (stored == products_.end()) return false;
      return !needs_write(stored->second.product, mention.name);
    });
    if (all_known) return Status::Ok();
  }
  if (Status valid = ValidateMentions(mentions); !valid.ok()) return valid;
  struct Merged {
    std::string_view name;  // the first non-empty name
    bool fractional = false;  // any mention fractional
  };
  std::map<std::string_view, Merged> merged;
  for (const Mention& mention : mentions) {
    Merged& entry = merged[mention.barcode];
    if (entry.name.empty()) entry.name = mention.name;
    entry.fractional = entry.fractional || mention.fractional;
  }
  // A mention is decided on the cached state; the writes are conditional on it, so a stale
  // cache only costs a second decision.
  const auto decide = [&](std::string_view barcode, const Merged& mention,
                          const StoredItem<Product>& current) -> std::optional<StoredItem<Product>> {
    if (!needs_write(current.record, mention.name)) return std::nullopt;
    Product next;
    if (current.record) {
      next = *current.record;
    } else {
      next.barcode.assign(barcode);
      next.unit = mention.fractional ? domain::Unit::kKilogram : domain::Unit::kUnit;
    }
    next.name.assign(mention.name);
    next.updated_at_us = dynamo::NextChangeTime(Now(), current.version);
    if (!current.record) next.created_at_us = next.updated_at_us;
    return StoredItem<Product>{next, next.updated_at_us};
  };
  // Products unknown to the cache (a new chain's first messages name many) are created 100 per
  // TransactWriteItems, each conditional on the state the cache holds; a chunk that loses a race
  // falls back to one write per product, decided again on what DynamoDB returns.
  std::vector<std::pair<std::string_view, const Merged*>> creates, others;
  for (const auto& [barcode, mention] : merged) {
    (CachedProduct(barcode).record ? others : creates).emplace_back(barcode, &mention);
  }
  for (std::size_t start = 0; start < creates.size(); start += dynamo::kTransactWriteActionsMax) {
    const std::size_t end = std::min(creates.size(), start + dynamo::kTransactWriteActionsMax);
    if (end - start == 1) {  // one product: a plain conditional write is cheaper
      others.push_back(creates[start]);
      continue;
    }
    dynamo::TransactWriteRequest transaction;
    std::vector<StoredItem<Product>> written;
    for (std::size_t i = start; i < end; ++i) {
      const StoredItem<Product> cached = CachedProduct(creates[i].first);
      std::optional<StoredItem<Product>> next = decide(creates[i].first, *creates[i].second, cached);
      if (!next) continue;
      dynamo::PutItemRequest put;
      put.table = products_table_;
      put.item = ProductItem(*next->record);
      put.condition = dynamo::VersionCondition(kProductKeyAttribute, cached.version);
      transaction.actions.push_back(dynamo::TransactPut(put));
      written.push_back(std::move(*next));
    }
    if (transaction.actions.empty()) continue;
    Result<std::string> token = NewRequestToken();
    if (!token.ok()) return token.status();
    transaction.client_request_token = std::move(*token);
    aws::AwsResult<dynamo::TransactWriteOutput> sent = client_->TransactWriteItems(transaction);
    if (!sent.ok()) {
      if (dynamo::CancellationReasons(sent.error()).empty()) return sent.status();
      for (std::size_t i = start; i < end; ++i) others.push_back(creates[i]);
    } else {
      std::unique_lock lock(mutex_);
      for (StoredItem<Product>& state : written) {
        const std::string barcode = state.record->barcode;
        InstallProductLocked(barcode, std::move(state));
      }
    }
  }
  for (const auto& [barcode, mention] : others) {
    Result<StoredItem<Product>> stored = WriteProduct(
        barcode, [&, barcode = barcode, mention = mention](const StoredItem<Product>& current) {
          return decide(barcode, *mention, current);
        });
    if (!stored.ok()) return stored.status();
  }
  return Status::Ok();
}

Result<Branch> DynamoCatalog::PutBranch(Branch branch) {
  if (Status valid = ProblemsToStatus(BranchProblems(branch)); !valid.ok()) return valid;
  Result<StoredItem<Branch>> stored = WriteBranch(
      branch.branch, [&](const StoredItem<Branch>& current) -> std::optional<StoredItem<Branch>> {
        Branch next = branch;
        next.updated_at_us = dynamo::NextChangeTime(Now(), current.version);
        next.created_at_us = current.record ? current.record->created_at_us : next.updated_at_us;
        return StoredItem<Branch>{next, next.updated_at_us};
      });
  if (!stored.ok()) return stored.status();
  return std::move(*stored->record);
}

}  // namespace estoque::catalog
