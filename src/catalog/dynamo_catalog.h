// The catalog on DynamoDB (tables `produtos` and `filiais`, docs/DYNAMODB.md), for N stateless
// nodes sharing one table set. Every node keeps the whole catalog in memory, as RocksCatalog
// does, so the ingest path's lookups (UnitOf, NameOf, DefaultMinStock, TimeZoneOf,
// AllowsNegativeStock) and SearchProducts stay hash and map lookups; DynamoDB is the truth.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "aws/dynamodb_change_index.h"
#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"
#include "catalog/catalog.h"
#include "catalog/catalog_items.h"

namespace estoque::catalog {

struct DynamoCatalogOptions {
  aws::dynamodb::TableSetup tables;  // prefix, billing mode, capacity
  // How often the cache reads what other nodes changed (the change index).
  std::chrono::milliseconds refresh_interval = std::chrono::seconds(1);
};

// See Catalog for the contract; what differs on DynamoDB:
// - Writes are conditional on the version read (the item's atualizado_em_us): a write based on a
//   stale cache fails its condition, DynamoDB returns the current item with the failure, and the
//   write is decided again on it (at most kWriteAttemptsMax times, then Conflict). So two nodes
//   never lose each other's edits, a PDV-mentioned product never overwrites an API edit, and
//   updated_at_us rises strictly on every write, whichever node writes.
// - Freshness: the node that writes sees its write at once. GetProduct, GetBranch and
//   ListBranches read DynamoDB (strongly consistent), so they see every node's writes at once.
//   The in-memory lookups and SearchProducts see other nodes' writes after the next refresh:
//   within refresh_interval plus the change index's propagation (normally under a second).
// - PutProducts is one TransactWriteItems, so at most 100 products (InvalidArgument beyond);
//   RegisterMentioned creates products unknown to the cache 100 per TransactWriteItems (a chunk
//   that loses a race to another node is written product by product, decided again) and names
//   known ones one conditional write each; every write is durable when it returns, and a failure
//   leaves the earlier ones written (a replay of the message finishes the rest).
// - Deletion leaves a tombstone item (excluido), so other nodes learn of it.
// Thread-safe. Memory as RocksCatalog, plus a version per deleted barcode.
class DynamoCatalog final : public Catalog {
 public:
  // Conditional writes retried on a version conflict before giving up with Conflict.
  static constexpr int kWriteAttemptsMax = 8;

  // The tables, without the prefix (EnsureTable applies it with the billing mode).
  static std::vector<aws::dynamodb::TableSpec> TableSpecs();

  // Creates the tables if missing, loads both (consistent Scan) and starts the refresh thread.
  // `client` must outlive the catalog. Unavailable / InvalidArgument from DynamoDB (ToStatus);
  // Corruption naming the item if one does not decode.
  static Result<std::unique_ptr<DynamoCatalog>> Open(aws::dynamodb::DynamoDbClient* client,
                                                     DynamoCatalogOptions options);
  ~DynamoCatalog() override;
  DynamoCatalog(const DynamoCatalog&) = delete;
  DynamoCatalog& operator=(const DynamoCatalog&) = delete;

  // Reads what changed since the last refresh into memory now (the refresh thread's work; tests
  // call it so as not to wait). Errors as Open's; memory is unchanged for the failing table.
  Status Refresh();

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
  // Decides a write on the current stored state: the state to store (a record, or nullopt for a
  // tombstone, with its new version), or nullopt for no write.
  template <typename Record>
  using Decide = std::function<std::optional<StoredItem<Record>>(const StoredItem<Record>& current)>;

  DynamoCatalog(aws::dynamodb::DynamoDbClient* client, DynamoCatalogOptions options);
  Status Load();
  int64_t Now() const;

  // What memory holds for the barcode / branch: a guess, which the write's condition checks.
  StoredItem<Product> CachedProduct(std::string_view barcode) const;
  StoredItem<Branch> CachedBranch(std::string_view branch) const;
  // Writes what `decide` returns, conditional on the version it decided on; on a failed
  // condition decides again on the item DynamoDB returned with the failure. Returns the state
  // stored after the call (the one written, or the current one when `decide` wrote nothing).
  Result<StoredItem<Product>> WriteProduct(std::string_view barcode, const Decide<Product>& decide);
  Result<StoredItem<Branch>> WriteBranch(std::string_view branch, const Decide<Branch>& decide);
  // Refresh's work on one table. REQUIRES: refresh_mutex_ held.
  Status RefreshProducts();
  Status RefreshBranches();

  // Install a stored state in memory if it is newer than what memory holds.
  void InstallProduct(std::string_view barcode, StoredItem<Product> stored);
  void InstallBranch(std::string_view branch, StoredItem<Branch> stored);
  // REQUIRES: mutex_ held exclusively.
  void InstallProductLocked(std::string_view barcode, StoredItem<Product> stored);
  void InstallBranchLocked(std::string_view branch, StoredItem<Branch> stored);

  aws::dynamodb::DynamoDbClient* const client_;
  const DynamoCatalogOptions options_;
  const std::string products_table_;
  const std::string branches_table_;

  std::mutex refresh_mutex_;  // one Refresh at a time (the followers are not thread-safe)
  aws::dynamodb::ChangeFollower product_changes_;
  aws::dynamodb::ChangeFollower branch_changes_;

  mutable std::shared_mutex mutex_;  // guards the maps below
  Map<ProductEntry> products_;
  std::map<std::string_view, ProductEntry*> product_order_;  // products_ in barcode order
  Map<int64_t> deleted_;  // barcode -> version of its tombstone
  Map<BranchEntry> branches_;

  std::unique_ptr<aws::dynamodb::PeriodicRefresh> refresher_;  // last: stops first
};

}  // namespace estoque::catalog
