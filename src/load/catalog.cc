#include "load/catalog.h"

#include <boost/json.hpp>

#include <cassert>
#include <cstdio>
#include <memory>
#include <unordered_set>

#include "domain/barcode.h"
#include "domain/product_name.h"

namespace estoque::load {

namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::NotFound("cannot open catalog " + path);
  std::string contents;
  char buffer[64 * 1024];
  std::size_t read;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    contents.append(buffer, read);
    if (contents.size() > kCatalogFileBytesMax) {
      return Status::InvalidArgument("catalog " + path + " is larger than 256 MiB");
    }
  }
  if (std::ferror(file.get())) return Status::Unavailable("error reading catalog " + path);
  return contents;
}

const boost::json::string* StringMember(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value == nullptr ? nullptr : value->if_string();
}

}  // namespace

Result<std::vector<Product>> LoadCatalog(const std::string& path) {
  Result<std::string> contents = ReadWholeFile(path);
  if (!contents.ok()) return contents.status();
  return ParseCatalog(*contents, path);
}

Result<std::vector<Product>> ParseCatalog(std::string_view json, const std::string& path) {
  boost::system::error_code error;
  const boost::json::value root = boost::json::parse(json, error);
  if (error) return Status::InvalidArgument("catalog " + path + ": " + error.message());
  const boost::json::array* entries = root.if_array();
  if (entries == nullptr) return Status::InvalidArgument("catalog " + path + ": not a JSON array");
  if (entries->empty()) return Status::InvalidArgument("catalog " + path + " is empty");

  std::vector<Product> products;
  products.reserve(entries->size());
  std::unordered_set<std::string_view> barcodes;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto fail = [&](const std::string& reason) {
      return Status::InvalidArgument("catalog " + path + " entry " + std::to_string(i) + ": " +
                                     reason);
    };
    const boost::json::object* entry = (*entries)[i].if_object();
    if (entry == nullptr) return fail("not an object");
    const boost::json::string* barcode = StringMember(*entry, "codigo_barra");
    const boost::json::string* name = StringMember(*entry, "nome_produto");
    if (barcode == nullptr) return fail("codigo_barra must be a string");
    if (name == nullptr) return fail("nome_produto must be a string");
    if (Status s = domain::ValidateBarcode(*barcode, false); !s.ok()) {
      return fail("codigo_barra " + s.message());
    }
    if (Status s = domain::ValidateProductName(*name); !s.ok()) {
      return fail("nome_produto " + s.message());
    }
    products.push_back(Product{std::string(*barcode), std::string(*name)});
  }
  for (const Product& product : products) {
    if (!barcodes.insert(product.barcode).second) {
      return Status::InvalidArgument("catalog " + path + ": duplicate codigo_barra " +
                                     product.barcode);
    }
  }
  return products;
}

std::vector<Product> GenerateCatalog(std::size_t count) {
  assert(count >= 1 && count <= kGeneratedProductsMax);
  static constexpr const char* kNames[] = {
      "Café",     "Pão de Queijo", "Maçã",     "Feijão",     "Arroz",   "Açúcar",
      "Leite",    "Manteiga",      "Pimentão", "Detergente", "Mamão",   "Sabão em Pó",
      "Macarrão", "Óleo de Soja",  "Farinha",  "Biscoito",   "Iogurte", "Esponja de Aço",
  };
  constexpr std::size_t kNameCount = sizeof(kNames) / sizeof(kNames[0]);
  std::vector<Product> products;
  products.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    char digits[32];  // 13 used (count < 10^9); room for any size_t keeps -Wformat-truncation quiet
    std::snprintf(digits, sizeof(digits), "789%09zu0", i);
    // Replace the placeholder last digit with the GTIN check digit (the one that validates).
    for (char check = '0'; check <= '9'; ++check) {
      digits[12] = check;
      if (domain::HasValidGtinCheckDigit(std::string_view(digits, 13))) break;
    }
    products.push_back(Product{std::string(digits, 13),
                               std::string(kNames[i % kNameCount]) + " " + std::to_string(i)});
  }
  return products;
}

}  // namespace estoque::load
