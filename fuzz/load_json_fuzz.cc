// Fuzz target: the JSON the load generator reads (load/response_json.h: the server's 202 and
// position answers; load/catalog.h: the catalog file). Input: one selector byte, then the text:
// 'A' a 202 body, 'P' a position body, 'K' a catalog file; any other byte: byte % 3.
// Checks: the documented error kind, and that an accepted catalog holds only valid, distinct
// products.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "domain/barcode.h"
#include "domain/product_name.h"
#include "fuzz_support.h"
#include "load/catalog.h"
#include "load/response_json.h"

namespace estoque::fuzz {
namespace {

void AcceptedItems(std::string_view body) {
  Result<uint64_t> items = load::ParseAcceptedItems(body);
  FUZZ_CHECK(items.ok() || items.status().code() == StatusCode::kInvalidArgument,
             items.status().ToString());
}

void PositionTime(std::string_view body) {
  Result<int64_t> at = load::ParsePositionTimeMicros(body);
  if (!at.ok()) {
    FUZZ_CHECK(at.status().code() == StatusCode::kInvalidArgument, at.status().ToString());
    return;
  }
  FUZZ_CHECK(*at >= 0, std::to_string(*at));
}

void Catalog(std::string_view json) {
  Result<std::vector<load::Product>> products = load::ParseCatalog(json, "fuzz.json");
  if (!products.ok()) {
    FUZZ_CHECK(products.status().code() == StatusCode::kInvalidArgument,
               products.status().ToString());
    return;
  }
  FUZZ_CHECK(!products->empty(), "an empty catalog accepted");
  std::set<std::string> barcodes;
  for (const load::Product& product : *products) {
    FUZZ_CHECK(domain::ValidateBarcode(product.barcode, false).ok(), product.barcode);
    FUZZ_CHECK(domain::ValidateProductName(product.name).ok(), product.name);
    FUZZ_CHECK(barcodes.insert(product.barcode).second, "repeated " + product.barcode);
  }
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view text = AsText(data + 1, size - 1);
  switch (data[0]) {
    case 'A': AcceptedItems(text); break;
    case 'P': PositionTime(text); break;
    case 'K': Catalog(text); break;
    default: {
      constexpr void (*kDecoders[])(std::string_view) = {AcceptedItems, PositionTime, Catalog};
      kDecoders[data[0] % 3](text);
    }
  }
  return 0;
}
