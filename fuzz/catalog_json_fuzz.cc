// Fuzz target: the catalog decoders (api/catalog_json.h). Input: one selector byte, then a body.
// The selector picks the decoder ('P' PUT /v1/produtos/{codigo_barra}, 'L' POST /v1/produtos/lote,
// 'I' the import file's product list (at most 3 items), 'B' PUT /v1/filiais/{filial}; any other
// byte: byte % 4). Product decoders run with and without the GTIN check-digit rule.
// Checks: errors are documented 400s; decoded records break no catalog rule; and our encoding of
// them (WriteProductInput, WriteBranch) decodes back to the same records.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "api/catalog_json.h"
#include "catalog/validation.h"
#include "common/limits.h"
#include "fuzz_support.h"

namespace estoque::fuzz {
namespace {

constexpr std::string_view kPathBarcode = "7891000315507";  // a valid GTIN-13
constexpr std::string_view kPathBranch = "1001";

std::string ProblemsText(const std::vector<catalog::FieldProblem>& problems) {
  std::string text;
  for (const catalog::FieldProblem& problem : problems) {
    text += std::string(problem.field) + ": " + problem.reason + "; ";
  }
  return text;
}

void CheckProduct(const catalog::Product& product, bool require_check_digit) {
  const std::vector<catalog::FieldProblem> problems =
      catalog::ProductProblems(product, require_check_digit);
  FUZZ_CHECK(problems.empty(), "decoded product breaks a rule: " + ProblemsText(problems));
  FUZZ_CHECK(product.created_at_us == 0 && product.updated_at_us == 0 && !product.edited_by_api,
             "decoder set a field it does not own");
}

std::string EncodeProducts(const std::vector<catalog::Product>& products) {
  std::string text;
  api::JsonWriter writer(&text);
  writer.BeginArray();
  for (const catalog::Product& product : products) api::WriteProductInput(writer, product);
  writer.EndArray();
  return text;
}

void Product(std::string_view body) {
  for (const bool check_digit : {false, true}) {
    api::ApiResult<catalog::Product> product =
        api::DecodeProductBody(body, kPathBarcode, check_digit);
    if (!product.ok()) {
      CheckBadRequest(product.error(), {"invalid_json", "invalid_fields"});
      continue;
    }
    CheckProduct(product.value(), check_digit);
    FUZZ_CHECK(product.value().barcode == kPathBarcode, product.value().barcode);
    std::string text;
    api::JsonWriter writer(&text);
    api::WriteProductInput(writer, product.value());
    api::ApiResult<catalog::Product> again = api::DecodeProductBody(text, kPathBarcode, check_digit);
    FUZZ_CHECK(again.ok() && again.value() == product.value(), "round trip failed: " + text);
  }
}

void ProductList(std::string_view body, std::size_t items_max) {
  for (const bool check_digit : {false, true}) {
    api::ApiResult<std::vector<catalog::Product>> products =
        api::DecodeProductList(body, check_digit, items_max);
    if (!products.ok()) {
      CheckBadRequest(products.error(), {"invalid_json", "too_many_items", "empty", "invalid_items"});
      continue;
    }
    FUZZ_CHECK(!products.value().empty() && products.value().size() <= items_max,
               std::to_string(products.value().size()) + " products");
    std::set<std::string> barcodes;
    for (const catalog::Product& product : products.value()) {
      CheckProduct(product, check_digit);
      FUZZ_CHECK(barcodes.insert(product.barcode).second, "repeated " + product.barcode);
    }
    const std::string text = EncodeProducts(products.value());
    api::ApiResult<std::vector<catalog::Product>> again =
        api::DecodeProductList(text, check_digit, items_max);
    FUZZ_CHECK(again.ok() && again.value() == products.value(), "round trip failed: " + text);
  }
}

void Batch(std::string_view body) { ProductList(body, limits::kCatalogBatchItemsMax); }
void ImportList(std::string_view body) { ProductList(body, 3); }

void Branch(std::string_view body) {
  api::ApiResult<catalog::Branch> branch = api::DecodeBranchBody(body, kPathBranch);
  if (!branch.ok()) return CheckBadRequest(branch.error(), {"invalid_json", "invalid_fields"});
  const std::vector<catalog::FieldProblem> problems = catalog::BranchProblems(branch.value());
  FUZZ_CHECK(problems.empty(), "decoded branch breaks a rule: " + ProblemsText(problems));
  FUZZ_CHECK(branch.value().branch == kPathBranch, branch.value().branch);
  std::string text;
  api::JsonWriter writer(&text);
  api::WriteBranch(writer, branch.value(), Zones::Get().sao_paulo);
  api::ApiResult<catalog::Branch> again = api::DecodeBranchBody(text, kPathBranch);
  FUZZ_CHECK(again.ok() && again.value() == branch.value(), "round trip failed: " + text);
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view body = AsText(data + 1, size - 1);
  switch (data[0]) {
    case 'P': Product(body); break;
    case 'L': Batch(body); break;
    case 'I': ImportList(body); break;
    case 'B': Branch(body); break;
    default: {
      constexpr void (*kDecoders[])(std::string_view) = {Product, Batch, ImportList, Branch};
      kDecoders[data[0] % 4](body);
    }
  }
  return 0;
}
