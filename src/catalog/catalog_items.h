// The DynamoDB items of the catalog (tables `produtos` and `filiais`, docs/DYNAMODB.md). The
// record itself is the attribute `registro`, binary, in the same versioned encoding as the
// embedded store's column families (catalog_codec.h), so the catalog has one encoder and one
// decoder per record. Beside it, the attributes DynamoDB itself must see: the key, the change
// index's (dynamodb_change_index.h: atualizado_em_us, the record's updated_at_us and its version
// in conditions) and `excluido` on the tombstone a deletion leaves (so other nodes' caches learn
// of it through the change index).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aws/dynamodb_requests.h"
#include "catalog/catalog.h"
#include "common/status.h"

namespace estoque::catalog {

inline constexpr std::string_view kProductsTable = "produtos";
inline constexpr std::string_view kBranchesTable = "filiais";
inline constexpr std::string_view kProductKeyAttribute = "codigo_barra";
inline constexpr std::string_view kBranchKeyAttribute = "filial";

// A stored item as read: the record (nullopt for a tombstone) and its version (its
// atualizado_em_us; 0 = no item at all).
template <typename Record>
struct StoredItem {
  std::optional<Record> record;
  std::int64_t version = 0;
};

aws::dynamodb::Item ProductItem(const Product& product);
aws::dynamodb::Item BranchItem(const Branch& branch);
// The item a deletion leaves: key, excluido = true, and the change attributes at `deleted_at_us`.
aws::dynamodb::Item ProductTombstone(std::string_view barcode, std::int64_t deleted_at_us);

// Decode what ProductItem / ProductTombstone / BranchItem wrote. Corruption naming the key and the
// problem for a missing key, a missing or undecodable record, or a missing version.
[[nodiscard]] Status DecodeProductItem(const aws::dynamodb::Item& item, StoredItem<Product>* out);
[[nodiscard]] Status DecodeBranchItem(const aws::dynamodb::Item& item, StoredItem<Branch>* out);

// The key of a product / branch item.
aws::dynamodb::Item ProductKey(std::string_view barcode);
aws::dynamodb::Item BranchKey(std::string_view branch);

}  // namespace estoque::catalog
