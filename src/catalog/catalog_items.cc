#include "catalog/catalog_items.h"

#include "aws/dynamodb_attributes.h"
#include "aws/dynamodb_change_index.h"
#include "catalog/catalog_codec.h"

namespace estoque::catalog {
namespace {

namespace dynamo = aws::dynamodb;

constexpr std::string_view kRecordAttribute = "registro";
constexpr std::string_view kDeletedAttribute = "excluido";

// The key and version of `item`, common to both tables.
Status DecodeEnvelope(const dynamo::Item& item, std::string_view key_attribute, std::string* key,
                      std::int64_t* version) {
  std::optional<std::string> key_value = dynamo::StringAttribute(item, key_attribute);
  if (!key_value) return Status::Corruption("item without " + std::string(key_attribute));
  *key = std::move(*key_value);
  std::optional<std::int64_t> updated = dynamo::NumberAttribute(item, dynamo::kChangeTimeAttribute);
  if (!updated || *updated <= 0) {
    return Status::Corruption(*key + ": no " + std::string(dynamo::kChangeTimeAttribute));
  }
  *version = *updated;
  return Status::Ok();
}

}  // namespace

dynamo::Item ProductKey(std::string_view barcode) {
  return {{kProductKeyAttribute, dynamo::StringValue(barcode)}};
}

dynamo::Item BranchKey(std::string_view branch) {
  return {{kBranchKeyAttribute, dynamo::StringValue(branch)}};
}

dynamo::Item ProductItem(const Product& product) {
  dynamo::Item item = ProductKey(product.barcode);
  item[kRecordAttribute] = dynamo::BinaryValue(EncodeProductValue(product));
  dynamo::SetChangeAttributes(&item, product.updated_at_us);
  return item;
}

dynamo::Item ProductTombstone(std::string_view barcode, std::int64_t deleted_at_us) {
  dynamo::Item item = ProductKey(barcode);
  item[kDeletedAttribute] = dynamo::BoolValue(true);
  dynamo::SetChangeAttributes(&item, deleted_at_us);
  return item;
}

dynamo::Item BranchItem(const Branch& branch) {
  dynamo::Item item = BranchKey(branch.branch);
  item[kRecordAttribute] = dynamo::BinaryValue(EncodeBranchValue(branch));
  dynamo::SetChangeAttributes(&item, branch.updated_at_us);
  return item;
}

Status DecodeProductItem(const dynamo::Item& item, StoredItem<Product>* out) {
  std::string barcode;
  if (Status s = DecodeEnvelope(item, kProductKeyAttribute, &barcode, &out->version); !s.ok()) {
    return Status::Corruption("produtos: " + s.message());
  }
  if (dynamo::BoolAttribute(item, kDeletedAttribute).value_or(false)) {
    out->record.reset();
    return Status::Ok();
  }
  std::optional<std::string> value = dynamo::BinaryAttribute(item, kRecordAttribute);
  if (!value) return Status::Corruption("produtos/" + barcode + ": no registro");
  Product product;
  product.barcode = barcode;
  if (Status s = DecodeProductValue(*value, &product); !s.ok()) {
    return Status::Corruption("produtos/" + barcode + ": " + s.message());
  }
  out->record = std::move(product);
  return Status::Ok();
}

Status DecodeBranchItem(const dynamo::Item& item, StoredItem<Branch>* out) {
  std::string key;
  if (Status s = DecodeEnvelope(item, kBranchKeyAttribute, &key, &out->version); !s.ok()) {
    return Status::Corruption("filiais: " + s.message());
  }
  std::optional<std::string> value = dynamo::BinaryAttribute(item, kRecordAttribute);
  if (!value) return Status::Corruption("filiais/" + key + ": no registro");
  Branch branch;
  branch.branch = key;
  if (Status s = DecodeBranchValue(*value, &branch); !s.ok()) {
    return Status::Corruption("filiais/" + key + ": " + s.message());
  }
  out->record = std::move(branch);
  return Status::Ok();
}

}  // namespace estoque::catalog
