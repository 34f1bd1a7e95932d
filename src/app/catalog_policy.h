// The inventory store's policy (negative stock allowed? default reorder point?) read from the
// catalog: the one place the store learns about branches' and products' settings.
#pragma once

#include "catalog/catalog.h"
#include "store/inventory_store.h"

namespace estoque::app {

class CatalogInventoryPolicy final : public store::InventoryPolicy {
 public:
  explicit CatalogInventoryPolicy(catalog::Catalog* catalog) : catalog_(catalog) {}
  bool AllowsNegativeStock(std::string_view branch) override {
    return catalog_->AllowsNegativeStock(branch);
  }
  int64_t DefaultMinStock(std::string_view barcode) override {
    return catalog_->DefaultMinStock(barcode);
  }

 private:
  catalog::Catalog* catalog_;
};

}  // namespace estoque::app
