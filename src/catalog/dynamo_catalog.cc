#include "catalog/dynamo_catalog.h"

#include <algorithm>
#include <cassert>
#include <unordered_set>
#include <utility>

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "aws/dynamodb_attributes.h"
#include "catalog/text_fold.h"
#include "catalog/validation.h"
#include "common/clock.h"
#include "common/limits.h"

namespace estoque::catalog {
namespace {

namespace dynamo = aws::dynamodb;

// Pages of a Scan that loads a table (1 MB each): far beyond a chain's catalog (300k products
// are about 60 MB), so a load is bounded but never cut short in practice.
constexpr int kLoadPagesMax = 100'000;

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

Result<std::vector<dynamo::Item>> ScanTable(dynamo::DynamoDbClient* client, const std::string& table) {
  dynamo::ScanRequest scan;
  scan.table = table;
  scan.consistent_read = true;
  aws::AwsResult<dynamo::QueryPage> pages = client->ScanAll(std::move(scan), kLoadPagesMax);
  if (!pages.ok()) return pages.status();
  if (pages->last_evaluated_key) return Status::ResourceExhausted(table + ": too large to load");
  return std::move(pages->items);
}

std::optional<domain::TimeZone> ZoneOf(const Branch& branch) {
  if (branch.time_zone.empty()) return std::nullopt;
  // A zone the tz database no longer has falls back to the caller's default (TimeZoneOf).
  Result<domain::TimeZone> zone = domain::TimeZone::Locate(branch.time_zone);
  if (!zone.ok()) return std::nullopt;
  return *zone;
}

}  // namespace

std::vector<dynamo::TableSpec> DynamoCatalog::TableSpecs() {
  std::vector<dynamo::TableSpec> specs;
  for (auto [table, key] : {std::pair{kProductsTable, kProductKeyAttribute},
                            std::pair{kBranchesTable, kBranchKeyAttribute}}) {
    dynamo::TableSpec spec;
    spec.name = std::string(table);
    spec.key.partition = dynamo::KeyAttribute{std::string(key), dynamo::AttributeType::kString};
    spec.indexes.push_back(dynamo::ChangeIndex());
    specs.push_back(std::move(spec));
  }
  return specs;
}

Result<std::unique_ptr<DynamoCatalog>> DynamoCatalog::Open(dynamo::DynamoDbClient* client,
                                                           DynamoCatalogOptions options) {
  assert(client != nullptr);
  for (const dynamo::TableSpec& spec : TableSpecs()) {
    aws::AwsResult<boost::json::object> ready = dynamo::EnsureTable(*client, spec, options.tables);
    if (!ready.ok()) return ready.status();
  }
  std::unique_ptr<DynamoCatalog> catalog(new DynamoCatalog(client, std::move(options)));
  if (Status loaded = catalog->Load(); !loaded.ok()) return loaded;
  DynamoCatalog* raw = catalog.get();
  catalog->refresher_ = std::make_unique<dynamo::PeriodicRefresh>(
      catalog->options_.refresh_interval, [raw, failing = false]() mutable {
        Status refreshed = raw->Refresh();
        if (!refreshed.ok() && !failing) {
          spdlog::warn("catalog: reading other nodes' changes failed: {} (retrying)",
                       refreshed.ToString());
        } else if (refreshed.ok() && failing) {
          spdlog::info("catalog: reading other nodes' changes again");
        }
        failing = !refreshed.ok();
      });
  return catalog;
}

DynamoCatalog::DynamoCatalog(dynamo::DynamoDbClient* client, DynamoCatalogOptions options)
    : client_(client),
      options_(std::move(options)),
      products_table_(options_.tables.prefix + std::string(kProductsTable)),
      branches_table_(options_.tables.prefix + std::string(kBranchesTable)),
      product_changes_(client, products_table_),
      branch_changes_(client, branches_table_) {}

DynamoCatalog::~DynamoCatalog() { refresher_.reset(); }

int64_t DynamoCatalog::Now() const { return NowUnixMicros(); }

Status DynamoCatalog::Load() {
  // Changes written while the Scan runs are read again by the first refresh (it starts here,
  // minus the overlap).
  const int64_t started_us = Now();
  Result<std::vector<dynamo::Item>> products = ScanTable(client_, products_table_);
  if (!products.ok()) return products.status();
  Result<std::vector<dynamo::Item>> branches = ScanTable(client_, branches_table_);
  if (!branches.ok()) return branches.status();
  std::unique_lock lock(mutex_);
  for (const dynamo::Item& item : *products) {
    StoredItem<Product> stored;
    if (Status decoded = DecodeProductItem(item, &stored); !decoded.ok()) return decoded;
    const std::string barcode = *dynamo::StringAttribute(item, kProductKeyAttribute);
    InstallProductLocked(barcode, std::move(stored));
  }
  for (const dynamo::Item& item : *branches) {
    StoredItem<Branch> stored;
    if (Status decoded = DecodeBranchItem(item, &stored); !decoded.ok()) return decoded;
    const std::string key = stored.record->branch;
    InstallBranchLocked(key, std::move(stored));
  }
  product_changes_.Start(started_us);
  branch_changes_.Start(started_us);
  return Status::Ok();
}

Status DynamoCatalog::Refresh() {
  std::lock_guard refreshing(refresh_mutex_);
  Status products = RefreshProducts();
  Status branches = RefreshBranches();
  return products.ok() ? branches : products;
}

Status DynamoCatalog::RefreshProducts() {
  aws::AwsResult<std::vector<dynamo::Item>> changed = product_changes_.Poll();
  if (!changed.ok()) return changed.status();
  std::unique_lock lock(mutex_);
  for (const dynamo::Item& item : *changed) {
    StoredItem<Product> stored;
    if (Status decoded = DecodeProductItem(item, &stored); !decoded.ok()) return decoded;
    InstallProductLocked(*dynamo::StringAttribute(item, kProductKeyAttribute), std::move(stored));
  }
  return Status::Ok();
}

Status DynamoCatalog::RefreshBranches() {
  aws::AwsResult<std::vector<dynamo::Item>> changed = branch_changes_.Poll();
  if (!changed.ok()) return changed.status();
  std::unique_lock lock(mutex_);
  for (const dynamo::Item& item : *changed) {
    StoredItem<Branch> stored;
    if (Status decoded = DecodeBranchItem(item, &stored); !decoded.ok()) return decoded;
    const std::string key = stored.record->branch;
    InstallBranchLocked(key, std::move(stored));
  }
  return Status::Ok();
}

// ---- memory

StoredItem<Product> DynamoCatalog::CachedProduct(std::string_view barcode) const {
  std::shared_lock lock(mutex_);
  if (const auto stored = products_.find(barcode); stored != products_.end()) {
    return {stored->second.product, stored->second.product.updated_at_us};
  }
  if (const auto deleted = deleted_.find(barcode); deleted != deleted_.end()) {
    return {std::nullopt, deleted->second};
  }
  return {};
}

StoredItem<Branch> DynamoCatalog::CachedBranch(std::string_view branch) const {
  std::shared_lock lock(mutex_);
  if (const auto stored = branches_.find(branch); stored != branches_.end()) {
    return {stored->second.branch, stored->second.branch.updated_at_us};
  }
  return {};
}

void DynamoCatalog::InstallProduct(std::string_view barcode, StoredItem<Product> stored) {
  std::unique_lock lock(mutex_);
  InstallProductLocked(barcode, std::move(stored));
}

void DynamoCatalog::InstallBranch(std::string_view branch, StoredItem<Branch> stored) {
  std::unique_lock lock(mutex_);
  InstallBranchLocked(branch, std::move(stored));
}

void DynamoCatalog::InstallProductLocked(std::string_view barcode, StoredItem<Product> stored) {
  const auto present = products_.find(barcode);
  const auto deleted = deleted_.find(barcode);
  const int64_t held = present != products_.end() ? present->second.product.updated_at_us
                       : deleted != deleted_.end() ? deleted->second
                                                   : 0;
  if (stored.version <= held) return;  // memory is as new or newer (an overlap, a slow refresh)
  if (!stored.record) {
    if (present != products_.end()) {
      product_order_.erase(present->first);
      products_.erase(present);
    }
    if (deleted != deleted_.end()) {
      deleted->second = stored.version;
    } else {
      deleted_.emplace(std::string(barcode), stored.version);
    }
    return;
  }
  if (deleted != deleted_.end()) deleted_.erase(deleted);
  ProductEntry entry;
  entry.folded_name = FoldForSearch(stored.record->name);
  entry.product = std::move(*stored.record);
  if (present != products_.end()) {
    present->second = std::move(entry);
    return;
  }
  auto [slot, inserted] = products_.emplace(std::string(barcode), std::move(entry));
  assert(inserted);
  product_order_.emplace(slot->first, &slot->second);
}

void DynamoCatalog::InstallBranchLocked(std::string_view branch, StoredItem<Branch> stored) {
  if (!stored.record) return;  // branches are never deleted
  const auto present = branches_.find(branch);
  if (present != branches_.end() && stored.version <= present->second.branch.updated_at_us) return;
  BranchEntry entry;
  entry.zone = ZoneOf(*stored.record);
  entry.branch = std::move(*stored.record);
  if (present != branches_.end()) {
    present->second = std::move(entry);
  } else {
    branches_.emplace(std::string(branch), std::move(entry));
  }
}

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

// ---- products

Result<Product> DynamoCatalog::GetProduct(std::string_view barcode) {
  dynamo::GetItemRequest get;
  get.table = products_table_;
  get.key = ProductKey(barcode);
  aws::AwsResult<dynamo::GetItemOutput> read = client_->GetItem(get);
  if (!read.ok()) return read.status();
  StoredItem<Product> stored;
  if (read->item) {
    if (Status decoded = DecodeProductItem(*read->item, &stored); !decoded.ok()) return decoded;
    InstallProduct(barcode, stored);
  }
  if (!stored.record) return Status::NotFound("no product " + std::string(barcode) + " in the catalog");
  return std::move(*stored.record);
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
    return Status::InvalidArgument("at most " + std::to_string(dynamo::kTransactWriteActionsMax) +
                                   " products per batch on the DynamoDB store (one transaction)");
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

Result<ProductPage> DynamoCatalog::SearchProducts(std::string_view query,
                                                  std::optional<std::string_view> after,
                                                  std::size_t limit) {
  assert(limit >= 1 && limit <= limits::kPageLimitMax);
  const std::string folded_query = FoldForSearch(query);
  ProductPage page;
  std::shared_lock lock(mutex_);
  auto it = after ? product_order_.upper_bound(*after) : product_order_.begin();
  for (; it != product_order_.end(); ++it) {
    const ProductEntry& entry = *it->second;
    if (!folded_query.empty() && entry.folded_name.find(folded_query) == std::string::npos) {
      continue;
    }
    if (page.items.size() == limit) {  // one more match exists: the page has a successor
      page.next_after = page.items.back().barcode;
      break;
    }
    page.items.push_back(entry.product);
  }
  return page;
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

int64_t DynamoCatalog::DefaultMinStock(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  return stored == products_.end() ? 0 : stored->second.product.min_stock_milli;
}

std::optional<domain::Unit> DynamoCatalog::UnitOf(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  if (stored == products_.end()) return std::nullopt;
  return stored->second.product.unit;
}

std::string DynamoCatalog::NameOf(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  return stored == products_.end() ? std::string() : stored->second.product.name;
}

// ---- branches

Result<Branch> DynamoCatalog::GetBranch(std::string_view branch) {
  dynamo::GetItemRequest get;
  get.table = branches_table_;
  get.key = BranchKey(branch);
  aws::AwsResult<dynamo::GetItemOutput> read = client_->GetItem(get);
  if (!read.ok()) return read.status();
  if (!read->item) return Status::NotFound("no branch " + std::string(branch) + " in the catalog");
  StoredItem<Branch> stored;
  if (Status decoded = DecodeBranchItem(*read->item, &stored); !decoded.ok()) return decoded;
  InstallBranch(branch, stored);
  return std::move(*stored.record);
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

Result<std::vector<Branch>> DynamoCatalog::ListBranches() {
  Result<std::vector<dynamo::Item>> items = ScanTable(client_, branches_table_);
  if (!items.ok()) return items.status();
  std::vector<Branch> branches;
  branches.reserve(items->size());
  std::unique_lock lock(mutex_);
  for (const dynamo::Item& item : *items) {
    StoredItem<Branch> stored;
    if (Status decoded = DecodeBranchItem(item, &stored); !decoded.ok()) return decoded;
    branches.push_back(*stored.record);
    const std::string key = stored.record->branch;
    InstallBranchLocked(key, std::move(stored));
  }
  lock.unlock();
  std::sort(branches.begin(), branches.end(),
            [](const Branch& a, const Branch& b) { return a.branch < b.branch; });
  return branches;
}

domain::TimeZone DynamoCatalog::TimeZoneOf(std::string_view branch,
                                           const domain::TimeZone& fallback) {
  std::shared_lock lock(mutex_);
  const auto stored = branches_.find(branch);
  if (stored == branches_.end() || !stored->second.zone) return fallback;
  return *stored->second.zone;
}

bool DynamoCatalog::AllowsNegativeStock(std::string_view branch) {
  std::shared_lock lock(mutex_);
  const auto stored = branches_.find(branch);
  return stored != branches_.end() && stored->second.branch.allow_negative_stock;
}

}  // namespace estoque::catalog
