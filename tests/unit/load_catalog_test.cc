#include "load/catalog.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "domain/barcode.h"
#include "domain/product_name.h"

namespace estoque::load {
namespace {

// The seed's catalog beside the checkout, else the copy kept in tests/data (tests/data/README.md).
std::filesystem::path SeedCatalogPath() {
  const std::filesystem::path here = std::filesystem::path(__FILE__).parent_path();
  const std::filesystem::path shared = here / "../../../shared/data/produtos_supermercado.json";
  return std::filesystem::exists(shared) ? shared : here / "../data/produtos_supermercado.json";
}

// A scratch file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& contents)
      : path_(std::filesystem::temp_directory_path() /
              ("estoque_load_catalog_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
               "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json")) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(CatalogTest, LoadsTheSeedCatalog) {
  const std::filesystem::path path = SeedCatalogPath();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "seed catalog not found at " << path;
  Result<std::vector<Product>> catalog = LoadCatalog(path.string());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->size(), 1000u);
  EXPECT_EQ((*catalog)[0].barcode, "7730777337407");
  EXPECT_EQ((*catalog)[0].name, "Pimentão");
  std::set<std::string> barcodes;
  int valid_check_digits = 0;
  bool has_leading_zero = false;
  for (const Product& product : *catalog) {
    EXPECT_TRUE(domain::ValidateBarcode(product.barcode, false).ok()) << product.barcode;
    EXPECT_TRUE(domain::ValidateProductName(product.name).ok()) << product.name;
    barcodes.insert(product.barcode);
    valid_check_digits += domain::HasValidGtinCheckDigit(product.barcode);
    has_leading_zero = has_leading_zero || product.barcode == "0423746182527";
  }
  EXPECT_EQ(barcodes.size(), 1000u);
  EXPECT_EQ(valid_check_digits, 95);  // as the seed says
  EXPECT_TRUE(has_leading_zero);      // leading zeros kept: barcodes are strings
}

TEST(CatalogTest, GeneratedCatalogHasUniqueValidBarcodes) {
  const std::vector<Product> catalog = GenerateCatalog(20000);
  ASSERT_EQ(catalog.size(), 20000u);
  std::set<std::string> barcodes;
  for (const Product& product : catalog) {
    EXPECT_EQ(product.barcode.size(), 13u);
    EXPECT_TRUE(domain::ValidateBarcode(product.barcode, /*require_check_digit=*/true).ok())
        << product.barcode;
    EXPECT_TRUE(domain::ValidateProductName(product.name).ok()) << product.name;
    barcodes.insert(product.barcode);
  }
  EXPECT_EQ(barcodes.size(), catalog.size());
  EXPECT_EQ(catalog[0].barcode, "7890000000000");  // 7*1 + 8*3 + 9*1 = 40: check digit 0
  EXPECT_EQ(catalog[0].name, "Café 0");
}

TEST(CatalogTest, GenerationIsDeterministic) {
  const std::vector<Product> a = GenerateCatalog(100);
  const std::vector<Product> b = GenerateCatalog(100);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].barcode, b[i].barcode);
    EXPECT_EQ(a[i].name, b[i].name);
  }
  EXPECT_EQ(GenerateCatalog(1).size(), 1u);
}

TEST(CatalogTest, LoadsAMinimalFileAndIgnoresOtherMembers) {
  TempFile file(R"([{"codigo_barra":"0423746182527","nome_produto":"Caf\u00e9","preco":1.5}])");
  Result<std::vector<Product>> catalog = LoadCatalog(file.path());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->size(), 1u);
  EXPECT_EQ((*catalog)[0].barcode, "0423746182527");
  EXPECT_EQ((*catalog)[0].name, "Café");
}

TEST(CatalogTest, RejectsBadCatalogs) {
  struct Case {
    const char* contents;
    const char* reason_part;
  };
  const Case cases[] = {
      {"", "catalog"},
      {"{", "catalog"},
      {"{}", "not a JSON array"},
      {"[]", "empty"},
      {"[1]", "not an object"},
      {R"([{"nome_produto":"x"}])", "codigo_barra must be a string"},
      {R"([{"codigo_barra":5140642011605,"nome_produto":"x"}])", "codigo_barra must be a string"},
      {R"([{"codigo_barra":"5140642011605"}])", "nome_produto must be a string"},
      {R"([{"codigo_barra":"123","nome_produto":"x"}])", "must be 8 to 14 digits"},
      {R"([{"codigo_barra":"5140642011605","nome_produto":""}])", "must have 1 to 200 characters"},
      {R"([{"codigo_barra":"5140642011605","nome_produto":"a"},{"codigo_barra":"5140642011605","nome_produto":"b"}])",
       "duplicate codigo_barra 5140642011605"},
  };
  for (const Case& c : cases) {
    TempFile file(c.contents);
    Result<std::vector<Product>> catalog = LoadCatalog(file.path());
    ASSERT_FALSE(catalog.ok()) << c.contents;
    EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidArgument) << c.contents;
    EXPECT_NE(catalog.status().message().find(c.reason_part), std::string::npos)
        << c.contents << " -> " << catalog.status().message();
  }
}

TEST(CatalogTest, MissingFileIsNotFound) {
  Result<std::vector<Product>> catalog = LoadCatalog("/nonexistent/estoque/catalog.json");
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace estoque::load
