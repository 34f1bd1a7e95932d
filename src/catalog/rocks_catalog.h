// The catalog on the embedded RocksEngine: every record in memory, written through to the
// "products" and "branches" column families (docs/STORAGE.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <boost/unordered/unordered_flat_map.hpp>

#include "catalog/catalog.h"
#include "store/rocksdb_engine.h"

namespace rocksdb {
class WriteBatch;
}

namespace estoque::catalog {

// See Catalog for the contract. Reads take a shared lock and touch only memory. Writers are
// serialised by write_mutex_: each decides against memory, writes RocksDB (readers go on
// meanwhile), and only after the write succeeded takes the exclusive lock to update memory, so
// memory never shows a record RocksDB does not hold. Hence at most one RocksCatalog may write to an
// engine. API edits (PutProduct, PutProducts, DeleteProduct, PutBranch) are written with
// sync=true; RegisterMentioned without (see its contract).
//
// Memory: about 150 bytes plus the name twice (as given and folded) per product; a few hundred
// thousand products take tens of MB. SearchProducts scans products in barcode order from the
// cursor, comparing folded names: linear in the catalog at worst (a query matching nothing), a
// few milliseconds for 300k products.
class RocksCatalog final : public Catalog {
 public:
  // The record time of writes: NowUnixMicros unless a test injects one.
  using Clock = std::function<int64_t()>;

  // Loads every record of `engine` (which must outlive the catalog). Corruption naming the key if
  // a stored value does not decode; Unavailable on read errors.
  static Result<std::unique_ptr<RocksCatalog>> Open(store::RocksEngine* engine,
                                                    Clock now_us = nullptr);
  ~RocksCatalog() override;
  RocksCatalog(const RocksCatalog&) = delete;
  RocksCatalog& operator=(const RocksCatalog&) = delete;

  Result<Product> GetProduct(std::string_view barcode) override;
  Result<Product> PutProduct(Product product) override;
  Result<PutProductsOutcome> PutProducts(std::vector<Product> products) override;
  Status DeleteProduct(std::string_view barcode) override;
  Result<ProductPage> SearchProducts(std::string_view query, std::optional<std::string_view> after,
                                     std::size_t limit) override;
  Status RegisterMentioned(const std::vector<Mention>& mentions) override;
  int64_t DefaultMinStock(std::string_view barcode) override;
  std::optional<domain::Unit> UnitOf(std::string_view barcode) override;
  std::string NameOf(std::string_view barcode) override;

  Result<Branch> GetBranch(std::string_view branch) override;
  Result<Branch> PutBranch(Branch branch) override;
  Result<std::vector<Branch>> ListBranches() override;
  domain::TimeZone TimeZoneOf(std::string_view branch, const domain::TimeZone& fallback) override;
  bool AllowsNegativeStock(std::string_view branch) override;

 private:
  // Heterogeneous lookup: find(string_view) without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct ProductEntry {
    Product product;
    std::string folded_name;  // FoldForSearch(product.name)
  };
  struct BranchEntry {
    Branch branch;
    std::optional<domain::TimeZone> zone;  // its fuso, resolved once; nullopt if empty
  };
  template <typename Entry>
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  RocksCatalog(store::RocksEngine* engine, Clock now_us);
  Status Load();
  // The record time of a write replacing a record last updated at `previous_us` (0: a create):
  // now, but strictly after previous_us.
  int64_t NextRecordTime(int64_t previous_us) const;
  // Sets the times of `product` for a write now: created_at_us kept from the stored record if
  // there is one (*created false), else both now (*created true). REQUIRES: write_mutex_ held.
  void StampLocked(Product* product, bool* created);
  // The memory entry of `product` (folds its name; done before taking the exclusive lock).
  static ProductEntry MakeEntry(Product product);
  // Installs `entry` in memory (insert or replace). REQUIRES: write_mutex_ and mutex_ (exclusive).
  void InstallLocked(ProductEntry entry);
  // Writes `batch`, fsync'ed if `sync`; `what` names the operation in errors.
  Status Write(rocksdb::WriteBatch* batch, bool sync, std::string_view what);

  store::RocksEngine* const engine_;
  const Clock now_us_;
  std::mutex write_mutex_;  // serialises writers; lock order: write_mutex_, then mutex_
  mutable std::shared_mutex mutex_;  // guards the maps below
  Map<ProductEntry> products_;
  // products_ in barcode order: views of its keys and pointers to its values (the nodes of an
  // unordered_map never move, even when it rehashes).
  std::map<std::string_view, ProductEntry*> product_order_;
  // What the ingest path asks of every line (UnitOf on the HTTP threads, DefaultMinStock on the
  // apply thread), by barcode, in an open-addressing table: one probe of a flat array instead of
  // a bucket, a node and its key. Mirrors products_.
  struct HotFields {
    domain::Unit unit;
    int64_t min_stock_milli;
  };
  boost::unordered_flat_map<std::string, HotFields, Hash, std::equal_to<>> hot_;
  Map<BranchEntry> branches_;
};

}  // namespace estoque::catalog
