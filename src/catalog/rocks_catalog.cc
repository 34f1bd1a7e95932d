#include "catalog/rocks_catalog.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <unordered_set>
#include <utility>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "catalog/catalog_codec.h"
#include "catalog/text_fold.h"
#include "catalog/validation.h"
#include "common/clock.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/product_name.h"

namespace estoque::catalog {

namespace {

rocksdb::Slice ToSlice(std::string_view text) { return rocksdb::Slice(text.data(), text.size()); }
std::string_view ToView(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

}  // namespace

Result<std::unique_ptr<RocksCatalog>> RocksCatalog::Open(store::RocksEngine* engine, Clock now_us) {
  assert(engine != nullptr);
  std::unique_ptr<RocksCatalog> catalog(new RocksCatalog(engine, std::move(now_us)));
  if (Status loaded = catalog->Load(); !loaded.ok()) return loaded;
  return catalog;
}

RocksCatalog::RocksCatalog(store::RocksEngine* engine, Clock now_us)
    : engine_(engine), now_us_(now_us ? std::move(now_us) : Clock(&NowUnixMicros)) {}

RocksCatalog::~RocksCatalog() = default;

Status RocksCatalog::Load() {
  std::unique_lock lock(mutex_);  // not shared yet; taken for the analysers' sake
  {
    std::unique_ptr<rocksdb::Iterator> it(
        engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->products()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ProductEntry entry;
      entry.product.barcode.assign(ToView(it->key()));
      if (Status decoded = DecodeProductValue(ToView(it->value()), &entry.product); !decoded.ok()) {
        return Status::Corruption("products/" + entry.product.barcode + ": " + decoded.message());
      }
      entry.folded_name = FoldForSearch(entry.product.name);
      InstallLocked(std::move(entry));
    }
    if (!it->status().ok()) return store::FromRocks(it->status(), "load products");
  }
  std::unique_ptr<rocksdb::Iterator> it(
      engine_->db()->NewIterator(rocksdb::ReadOptions(), engine_->branches()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    BranchEntry entry;
    entry.branch.branch.assign(ToView(it->key()));
    if (Status decoded = DecodeBranchValue(ToView(it->value()), &entry.branch); !decoded.ok()) {
      return Status::Corruption("branches/" + entry.branch.branch + ": " + decoded.message());
    }
    // A zone the tz database no longer has falls back to the caller's default (TimeZoneOf).
    if (!entry.branch.time_zone.empty()) {
      if (Result<domain::TimeZone> zone = domain::TimeZone::Locate(entry.branch.time_zone);
          zone.ok()) {
        entry.zone = *zone;
      }
    }
    std::string key = entry.branch.branch;
    branches_.emplace(std::move(key), std::move(entry));
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "load branches");
  return Status::Ok();
}

int64_t RocksCatalog::NextRecordTime(int64_t previous_us) const {
  return std::max(now_us_(), previous_us + 1);
}

void RocksCatalog::StampLocked(Product* product, bool* created) {
  const auto stored = products_.find(product->barcode);
  *created = stored == products_.end();
  if (*created) {
    product->updated_at_us = product->created_at_us = NextRecordTime(0);
  } else {
    product->created_at_us = stored->second.product.created_at_us;
    product->updated_at_us = NextRecordTime(stored->second.product.updated_at_us);
  }
}

RocksCatalog::ProductEntry RocksCatalog::MakeEntry(Product product) {
  ProductEntry entry;
  entry.folded_name = FoldForSearch(product.name);
  entry.product = std::move(product);
  return entry;
}

void RocksCatalog::InstallLocked(ProductEntry entry) {
  hot_.insert_or_assign(entry.product.barcode,
                        HotFields{entry.product.unit, entry.product.min_stock_milli});
  const auto stored = products_.find(entry.product.barcode);
  if (stored != products_.end()) {
    stored->second = std::move(entry);
    return;
  }
  std::string key = entry.product.barcode;
  auto [slot, inserted] = products_.emplace(std::move(key), std::move(entry));
  assert(inserted);
  product_order_.emplace(slot->first, &slot->second);
}

Status RocksCatalog::Write(rocksdb::WriteBatch* batch, bool sync, std::string_view what) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return engine_->Write(options, batch, what);
}

Result<Product> RocksCatalog::GetProduct(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  if (stored == products_.end()) {
    return Status::NotFound("no product " + std::string(barcode) + " in the catalog");
  }
  return stored->second.product;
}

Result<Product> RocksCatalog::PutProduct(Product product) {
  product.edited_by_api = true;
  if (Status valid = ProblemsToStatus(ProductProblems(product, false)); !valid.ok()) return valid;
  std::lock_guard writer(write_mutex_);
  bool created = false;
  StampLocked(&product, &created);
  rocksdb::WriteBatch batch;
  batch.Put(engine_->products(), ToSlice(product.barcode), EncodeProductValue(product));
  if (Status written = Write(&batch, /*sync=*/true, "put product"); !written.ok()) return written;
  ProductEntry entry = MakeEntry(product);
  std::unique_lock lock(mutex_);
  InstallLocked(std::move(entry));
  return product;
}

Result<Catalog::PutProductsOutcome> RocksCatalog::PutProducts(std::vector<Product> products) {
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
  std::vector<ProductEntry> entries;
  entries.reserve(products.size());
  PutProductsOutcome outcome;
  std::lock_guard writer(write_mutex_);
  rocksdb::WriteBatch batch;
  for (Product& product : products) {
    bool created = false;
    StampLocked(&product, &created);
    ++(created ? outcome.created : outcome.updated);
    batch.Put(engine_->products(), ToSlice(product.barcode), EncodeProductValue(product));
    entries.push_back(MakeEntry(std::move(product)));
  }
  if (Status written = Write(&batch, /*sync=*/true, "put products"); !written.ok()) return written;
  std::unique_lock lock(mutex_);
  for (ProductEntry& entry : entries) InstallLocked(std::move(entry));
  return outcome;
}

Status RocksCatalog::DeleteProduct(std::string_view barcode) {
  std::lock_guard writer(write_mutex_);
  if (products_.find(barcode) == products_.end()) {
    return Status::NotFound("no product " + std::string(barcode) + " in the catalog");
  }
  rocksdb::WriteBatch batch;
  batch.Delete(engine_->products(), ToSlice(barcode));
  if (Status written = Write(&batch, /*sync=*/true, "delete product"); !written.ok()) {
    return written;
  }
  std::unique_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  product_order_.erase(stored->first);
  hot_.erase(stored->first);
  products_.erase(stored);
  return Status::Ok();
}

Result<ProductPage> RocksCatalog::SearchProducts(std::string_view query,
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

Status RocksCatalog::RegisterMentioned(const std::vector<Mention>& mentions) {
  // A product needs a write if it is unknown, or known without a name the mention can give.
  const auto needs_write = [](const ProductEntry* stored, const Mention& mention) {
    return stored == nullptr || (!mention.name.empty() && stored->product.name.empty() &&
                                 !stored->product.edited_by_api);
  };
  {
    std::shared_lock lock(mutex_);
    bool all_known = true;
    for (const Mention& mention : mentions) {
      const auto stored = products_.find(mention.barcode);
      if (needs_write(stored == products_.end() ? nullptr : &stored->second, mention)) {
        all_known = false;
        break;
      }
    }
    if (all_known) return Status::Ok();
  }
  if (Status valid = ValidateMentions(mentions); !valid.ok()) return valid;

  std::lock_guard writer(write_mutex_);  // products_ is stable while it is held
  struct Change {
    Product product;
    bool created;
  };
  std::map<std::string_view, Change> changes;  // by barcode: merged mentions, and batch order
  for (const Mention& mention : mentions) {
    if (auto pending = changes.find(mention.barcode); pending != changes.end()) {
      Product& product = pending->second.product;
      if (product.name.empty()) product.name.assign(mention.name);
      if (pending->second.created && mention.fractional) product.unit = domain::Unit::kKilogram;
      continue;
    }
    const auto stored = products_.find(mention.barcode);
    if (!needs_write(stored == products_.end() ? nullptr : &stored->second, mention)) continue;
    Change change;
    change.created = stored == products_.end();
    if (change.created) {
      change.product.barcode.assign(mention.barcode);
      change.product.unit = mention.fractional ? domain::Unit::kKilogram : domain::Unit::kUnit;
      change.product.updated_at_us = change.product.created_at_us = NextRecordTime(0);
    } else {
      change.product = stored->second.product;
      change.product.updated_at_us = NextRecordTime(change.product.updated_at_us);
    }
    change.product.name.assign(mention.name);
    changes.emplace(mention.barcode, std::move(change));
  }
  if (changes.empty()) return Status::Ok();
  rocksdb::WriteBatch batch;
  std::vector<ProductEntry> entries;
  entries.reserve(changes.size());
  for (auto& [barcode, change] : changes) {
    batch.Put(engine_->products(), ToSlice(barcode), EncodeProductValue(change.product));
  }
  if (Status written = Write(&batch, /*sync=*/false, "register products"); !written.ok()) {
    return written;
  }
  for (auto& [barcode, change] : changes) entries.push_back(MakeEntry(std::move(change.product)));
  std::unique_lock lock(mutex_);
  for (ProductEntry& entry : entries) InstallLocked(std::move(entry));
  return Status::Ok();
}

int64_t RocksCatalog::DefaultMinStock(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = hot_.find(barcode);
  return stored == hot_.end() ? 0 : stored->second.min_stock_milli;
}

std::optional<domain::Unit> RocksCatalog::UnitOf(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = hot_.find(barcode);
  if (stored == hot_.end()) return std::nullopt;
  return stored->second.unit;
}

std::string RocksCatalog::NameOf(std::string_view barcode) {
  std::shared_lock lock(mutex_);
  const auto stored = products_.find(barcode);
  return stored == products_.end() ? std::string() : stored->second.product.name;
}

Result<Branch> RocksCatalog::GetBranch(std::string_view branch) {
  std::shared_lock lock(mutex_);
  const auto stored = branches_.find(branch);
  if (stored == branches_.end()) {
    return Status::NotFound("no branch " + std::string(branch) + " in the catalog");
  }
  return stored->second.branch;
}

Result<Branch> RocksCatalog::PutBranch(Branch branch) {
  if (Status valid = ProblemsToStatus(BranchProblems(branch)); !valid.ok()) return valid;
  BranchEntry entry;
  if (!branch.time_zone.empty()) entry.zone = domain::TimeZone::Locate(branch.time_zone).value();
  std::lock_guard writer(write_mutex_);
  if (const auto stored = branches_.find(branch.branch); stored != branches_.end()) {
    branch.created_at_us = stored->second.branch.created_at_us;
    branch.updated_at_us = NextRecordTime(stored->second.branch.updated_at_us);
  } else {
    branch.updated_at_us = branch.created_at_us = NextRecordTime(0);
  }
  rocksdb::WriteBatch batch;
  batch.Put(engine_->branches(), ToSlice(branch.branch), EncodeBranchValue(branch));
  if (Status written = Write(&batch, /*sync=*/true, "put branch"); !written.ok()) return written;
  entry.branch = branch;
  std::unique_lock lock(mutex_);
  if (const auto stored = branches_.find(branch.branch); stored != branches_.end()) {
    stored->second = std::move(entry);
  } else {
    branches_.emplace(branch.branch, std::move(entry));
  }
  return branch;
}

Result<std::vector<Branch>> RocksCatalog::ListBranches() {
  std::vector<Branch> branches;
  {
    std::shared_lock lock(mutex_);
    branches.reserve(branches_.size());
    for (const auto& [key, entry] : branches_) branches.push_back(entry.branch);
  }
  std::sort(branches.begin(), branches.end(),
            [](const Branch& a, const Branch& b) { return a.branch < b.branch; });
  return branches;
}

domain::TimeZone RocksCatalog::TimeZoneOf(std::string_view branch,
                                          const domain::TimeZone& fallback) {
  std::shared_lock lock(mutex_);
  const auto stored = branches_.find(branch);
  if (stored == branches_.end() || !stored->second.zone) return fallback;
  return *stored->second.zone;
}

bool RocksCatalog::AllowsNegativeStock(std::string_view branch) {
  std::shared_lock lock(mutex_);
  const auto stored = branches_.find(branch);
  return stored != branches_.end() && stored->second.branch.allow_negative_stock;
}

}  // namespace estoque::catalog
