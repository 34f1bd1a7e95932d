#include "catalog/catalog_codec.h"

#include <cassert>
#include <cstdint>
#include <limits>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

namespace estoque::catalog {
namespace {

constexpr uint8_t kProductValueVersion = 1;
constexpr uint8_t kBranchValueVersion = 1;

constexpr uint8_t kProductActive = 1u << 0;
constexpr uint8_t kProductEditedByApi = 1u << 1;
constexpr uint8_t kProductFlagsKnown = kProductActive | kProductEditedByApi;

constexpr uint8_t kBranchActive = 1u << 0;
constexpr uint8_t kBranchAllowsNegativeStock = 1u << 1;
constexpr uint8_t kBranchFlagsKnown = kBranchActive | kBranchAllowsNegativeStock;

// u8 version | u8 unit | u8 flags | 3 x i64
constexpr std::size_t kProductFixedBytes = 3 + 3 * 8;
// u8 version | u8 flags | 2 x i64
constexpr std::size_t kBranchFixedBytes = 2 + 2 * 8;

template <typename Length>
void AppendText(std::string* out, std::string_view text) {
  assert(text.size() <= std::numeric_limits<Length>::max());
  AppendFixed<Length>(out, static_cast<Length>(text.size()));
  out->append(text);
}

}  // namespace

std::string EncodeProductValue(const Product& product) {
  std::string out;
  out.reserve(kProductFixedBytes + 4 + product.name.size() + product.category.size());
  out.push_back(static_cast<char>(kProductValueVersion));
  out.push_back(static_cast<char>(product.unit));
  out.push_back(static_cast<char>((product.active ? kProductActive : 0) |
                                  (product.edited_by_api ? kProductEditedByApi : 0)));
  AppendFixed<int64_t>(&out, product.min_stock_milli);
  AppendFixed<int64_t>(&out, product.created_at_us);
  AppendFixed<int64_t>(&out, product.updated_at_us);
  AppendText<uint16_t>(&out, product.name);
  AppendText<uint16_t>(&out, product.category);
  return out;
}

Status DecodeProductValue(std::string_view value, Product* out) {
  ByteReader reader(value);
  uint8_t version = 0, unit = 0, flags = 0;
  reader.Fixed(&version);
  if (!reader.failed() && version != kProductValueVersion) {
    return Status::Corruption("product value: unknown version " + std::to_string(version));
  }
  reader.Fixed(&unit);
  reader.Fixed(&flags);
  reader.Fixed(&out->min_stock_milli);
  reader.Fixed(&out->created_at_us);
  reader.Fixed(&out->updated_at_us);
  reader.String<uint16_t>(&out->name);
  reader.String<uint16_t>(&out->category);
  if (reader.failed()) return Status::Corruption("product value: truncated");
  if (reader.remaining() != 0) {
    return Status::Corruption("product value: " + std::to_string(reader.remaining()) +
                              " trailing bytes");
  }
  if (unit > static_cast<uint8_t>(domain::Unit::kMeter)) {
    return Status::Corruption("product value: unknown unit " + std::to_string(unit));
  }
  if ((flags & ~kProductFlagsKnown) != 0) {
    return Status::Corruption("product value: unknown flags " + std::to_string(flags));
  }
  out->unit = static_cast<domain::Unit>(unit);
  out->active = (flags & kProductActive) != 0;
  out->edited_by_api = (flags & kProductEditedByApi) != 0;
  return Status::Ok();
}

std::string EncodeBranchValue(const Branch& branch) {
  std::string out;
  out.reserve(kBranchFixedBytes + 6 + branch.name.size() + branch.city.size() +
              branch.state.size() + branch.time_zone.size());
  out.push_back(static_cast<char>(kBranchValueVersion));
  out.push_back(static_cast<char>((branch.active ? kBranchActive : 0) |
                                  (branch.allow_negative_stock ? kBranchAllowsNegativeStock : 0)));
  AppendFixed<int64_t>(&out, branch.created_at_us);
  AppendFixed<int64_t>(&out, branch.updated_at_us);
  AppendText<uint16_t>(&out, branch.name);
  AppendText<uint16_t>(&out, branch.city);
  AppendText<uint8_t>(&out, branch.state);
  AppendText<uint8_t>(&out, branch.time_zone);
  return out;
}

Status DecodeBranchValue(std::string_view value, Branch* out) {
  ByteReader reader(value);
  uint8_t version = 0, flags = 0;
  reader.Fixed(&version);
  if (!reader.failed() && version != kBranchValueVersion) {
    return Status::Corruption("branch value: unknown version " + std::to_string(version));
  }
  reader.Fixed(&flags);
  reader.Fixed(&out->created_at_us);
  reader.Fixed(&out->updated_at_us);
  reader.String<uint16_t>(&out->name);
  reader.String<uint16_t>(&out->city);
  reader.String<uint8_t>(&out->state);
  reader.String<uint8_t>(&out->time_zone);
  if (reader.failed()) return Status::Corruption("branch value: truncated");
  if (reader.remaining() != 0) {
    return Status::Corruption("branch value: " + std::to_string(reader.remaining()) +
                              " trailing bytes");
  }
  if ((flags & ~kBranchFlagsKnown) != 0) {
    return Status::Corruption("branch value: unknown flags " + std::to_string(flags));
  }
  out->active = (flags & kBranchActive) != 0;
  out->allow_negative_stock = (flags & kBranchAllowsNegativeStock) != 0;
  return Status::Ok();
}

}  // namespace estoque::catalog
