// DynamoCatalog (dynamo_catalog.h): opening, loading, the refresh, memory, and the reads. The
// writes are in dynamo_catalog_writes.cc.
#include "catalog/dynamo_catalog.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include <spdlog/spdlog.h>

#include "aws/dynamodb_attributes.h"
#include "catalog/text_fold.h"
#include "common/clock.h"
#include "common/limits.h"

namespace estoque::catalog {
namespace {

namespace dynamo = aws::dynamodb;

// Pages of a Scan that loads a table (1 MB each): far beyond a chain's catalog (300k products
// are about 60 MB), so a load is bounded but never cut short in practice.
constexpr int kLoadPagesMax = 100'000;

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