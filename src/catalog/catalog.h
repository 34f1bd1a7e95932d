// Catalog: the products and branches of a chain (docs/INVENTORY.md). The whole catalog is kept in
// memory (a chain has at most a few hundred thousand products and a few thousand branches) and
// written through to RocksDB ("products" and "branches" column families, docs/STORAGE.md), so
// every lookup on the ingest and query paths is a hash lookup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "domain/timestamp.h"
#include "domain/unit.h"

namespace estoque::catalog {

struct Product {
  std::string barcode;         // codigo_barra (key), validated
  std::string name;            // nome_produto; may be empty if registered by a sale
  domain::Unit unit = domain::Unit::kUnit;  // unidade
  std::string category;        // categoria; may be empty
  int64_t min_stock_milli = 0;  // estoque_minimo: default reorder point for every branch (>= 0)
  bool active = true;          // ativo
  // True once the product was written through the catalog API: names sent by PDVs no longer
  // change it. False while it only exists because a PDV message named it.
  bool edited_by_api = false;
  int64_t created_at_us = 0;   // criado_em (record time)
  int64_t updated_at_us = 0;   // atualizado_em (record time)

  friend bool operator==(const Product&, const Product&) = default;
};

struct Branch {
  std::string branch;    // filial (key), validated
  std::string name;      // nome
  std::string city;      // cidade
  std::string state;     // uf: two upper-case letters, or empty
  std::string time_zone; // fuso: IANA name; empty = the server's default zone
  bool active = true;    // ativo
  bool allow_negative_stock = false;  // permite_estoque_negativo
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;

  friend bool operator==(const Branch&, const Branch&) = default;
};

struct ProductPage {
  std::vector<Product> items;
  std::optional<std::string> next_after;  // barcode to resume after; nullopt at the end
};

// Thread-safe: every method may be called concurrently. Implemented on RocksDB by RocksCatalog.
class Catalog {
 public:
  virtual ~Catalog() = default;

  // ---- products
  // The product; NotFound if it is not in the catalog.
  virtual Result<Product> GetProduct(std::string_view barcode) = 0;
  // Creates or replaces the product (edited_by_api becomes true; created_at_us kept if it existed).
  // Durable (fsync) before it returns. Returns the stored record. The times are set here (the
  // caller's are ignored): updated_at_us is now, and on a replace strictly greater than the stored
  // record's, so created_at_us == updated_at_us exactly when this call created the product.
  // InvalidArgument naming the field if the record breaks a rule (catalog/validation.h: barcode
  // format, a non-empty valid name, categoria, estoque_minimo for the unit).
  virtual Result<Product> PutProduct(Product product) = 0;
  // PutProduct for many products as one atomic, durable write: all are stored or none is.
  // InvalidArgument (nothing written) if any record breaks a rule or a barcode repeats.
  struct PutProductsOutcome {
    std::size_t created = 0;  // barcodes that were not in the catalog
    std::size_t updated = 0;  // barcodes that were replaced
  };
  virtual Result<PutProductsOutcome> PutProducts(std::vector<Product> products) = 0;
  // NotFound if absent. Stock and ledger of the product are kept.
  virtual Status DeleteProduct(std::string_view barcode) = 0;
  // Products whose name contains `query` ignoring case and accents ("cafe" finds "Café"), in
  // barcode order, strictly after `after`. An empty query lists every product.
  // REQUIRES: 1 <= limit <= limits::kPageLimitMax.
  virtual Result<ProductPage> SearchProducts(std::string_view query,
                                             std::optional<std::string_view> after,
                                             std::size_t limit) = 0;
  // Registers the products named by an accepted PDV message: for each (barcode, name) not in the
  // catalog, creates it (unit UN, or KG if `fractional`), or, if it exists with an empty name and
  // was not edited by the API, sets the name. Names of existing products are otherwise never
  // changed. Cheap when every barcode is known (one hash lookup each, no write).
  struct Mention {
    std::string_view barcode;
    std::string_view name;  // may be empty (sales carry no names)
    bool fractional = false;
  };
  // Mentions of one barcode within a call are merged: the first non-empty name, and, for a
  // product the call creates, KG if any is fractional. InvalidArgument (nothing written) if a barcode or a non-empty name is invalid.
  // Written without fsync: RocksDB's log is ordered, so call it before the write that makes the
  // message's effects durable (or consumes the message); a crash then loses both or neither.
  virtual Status RegisterMentioned(const std::vector<Mention>& mentions) = 0;
  // The product's default reorder point (0 if unknown). Hash lookup.
  virtual int64_t DefaultMinStock(std::string_view barcode) = 0;
  // The product's unit if it is in the catalog. Hash lookup.
  virtual std::optional<domain::Unit> UnitOf(std::string_view barcode) = 0;
  // The catalog name of the product, empty if unknown. Hash lookup.
  virtual std::string NameOf(std::string_view barcode) = 0;

  // ---- branches
  // The branch; NotFound if it is not in the catalog.
  virtual Result<Branch> GetBranch(std::string_view branch) = 0;
  // Creates or replaces (created_at_us kept; times set as by PutProduct, so created_at_us ==
  // updated_at_us exactly when this call created it). InvalidArgument naming the field if
  // time_zone is not a known IANA zone or another field breaks a rule. Durable before it returns.
  virtual Result<Branch> PutBranch(Branch branch) = 0;
  // Every branch, ordered by filial.
  virtual Result<std::vector<Branch>> ListBranches() = 0;
  // The zone for zone-less times sent by `branch`: its fuso, else `fallback`. Hash lookup.
  virtual domain::TimeZone TimeZoneOf(std::string_view branch, const domain::TimeZone& fallback) = 0;
  // Its permite_estoque_negativo (false for unknown branches). Hash lookup.
  virtual bool AllowsNegativeStock(std::string_view branch) = 0;
};

}  // namespace estoque::catalog
