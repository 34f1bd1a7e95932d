// The products the load generator writes positions for: the seed's catalog file, or a generated
// one of any size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace estoque::load {

struct Product {
  std::string barcode;  // codigo_barra: 8..14 digits, leading zeros kept
  std::string name;     // nome_produto: valid UTF-8, 1..200 code points
};

// Bounds of a catalog: a generated one is at most this big (its barcodes carry a 9-digit index).
inline constexpr std::size_t kGeneratedProductsMax = 1'000'000'000;
// Catalog files larger than this are refused rather than read into memory.
inline constexpr std::size_t kCatalogFileBytesMax = 256 * 1024 * 1024;

// Reads a JSON array of {"codigo_barra": string, "nome_produto": string} objects (other members
// are ignored), like the seed's data/produtos_supermercado.json. Every entry must pass the domain
// checks the server applies (barcode without the GTIN check-digit rule, product name), and
// barcodes must be unique. InvalidArgument naming the first bad entry, NotFound if the file cannot
// be opened, InvalidArgument for an empty catalog.
Result<std::vector<Product>> LoadCatalog(const std::string& path);

// LoadCatalog on `json`, the file's contents already in memory; `path` only names it in messages.
Result<std::vector<Product>> ParseCatalog(std::string_view json, const std::string& path);

// `count` products with deterministic, unique 13-digit barcodes with valid GTIN check digits
// ("789" + 9-digit index + check digit) and names cycling through Portuguese product names
// (some non-ASCII, e.g. "Café 17"). REQUIRES: 1 <= count <= kGeneratedProductsMax.
std::vector<Product> GenerateCatalog(std::size_t count);

}  // namespace estoque::load
