// The product files `estoque import produtos` reads: JSON (an array of product objects, the format
// of POST /v1/produtos/lote; the seed's produtos_supermercado.json is one) or CSV (a header row
// naming the columns). Every row is checked with the catalog's rules before anything is sent.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "common/result.h"

namespace estoque::cli {

// Files larger than this are refused rather than read into memory.
inline constexpr std::size_t kImportFileBytesMax = 256 * 1024 * 1024;
// Problems listed in the error of an invalid file; the rest are counted.
inline constexpr std::size_t kImportProblemsListedMax = 20;

// One product of a file and where it is, for messages: "line 12" (CSV) or "index 11" (JSON).
struct ProductRow {
  std::string where;
  catalog::Product product;
};

enum class ProductFileFormat { kJson, kCsv };

// The format of `path`: by its extension (".json", ".csv", any case), else by its content (JSON
// if its first non-blank character is '[').
ProductFileFormat DetectProductFileFormat(const std::string& path, std::string_view contents);

// Reads and checks every product of `path` (barcodes without the GTIN check-digit rule; the
// server applies its own setting). Fields absent from a row take the API's defaults (unidade UN,
// categoria "", estoque_minimo 0, ativo true).
//   JSON: a JSON array of objects with the members of POST /v1/produtos/lote (unknown ones are
//         ignored; estoque_minimo is a number).
//   CSV:  RFC 4180 with ',' or ';' separators (the one the header uses most); a header row names
//         the columns: codigo_barra and nome_produto required, unidade, categoria,
//         estoque_minimo, ativo optional, in any order and any case. Cells are trimmed; an empty
//         cell takes the default; unidade in any case; estoque_minimo may use a decimal comma
//         when the separator is ';'; ativo is true/false, 1/0, sim/não, s/n or yes/no.
// Errors: NotFound if the file cannot be opened; InvalidArgument naming the file and each bad row
// ("line 12: codigo_barra: must be 8 to 14 digits", up to kImportProblemsListedMax of them, one
// per line), an unknown or repeated column, a repeated codigo_barra, or an empty file.
Result<std::vector<ProductRow>> ReadProductFile(const std::string& path);

// ReadProductFile on `contents`, the file's bytes already in memory: `path` names the file in
// messages and picks the format (DetectProductFileFormat).
Result<std::vector<ProductRow>> ParseProductFile(const std::string& path, std::string_view contents);

}  // namespace estoque::cli
