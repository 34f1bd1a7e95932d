#include "cli/product_file.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_map>

#include "api/catalog_json.h"
#include "catalog/validation.h"
#include "cli/csv_reader.h"
#include "domain/quantity.h"
#include "domain/unit.h"

namespace estoque::cli {

namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::NotFound("cannot open " + path);
  std::string contents;
  char buffer[64 * 1024];
  std::size_t read;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    contents.append(buffer, read);
    if (contents.size() > kImportFileBytesMax) {
      return Status::InvalidArgument(path + " is larger than 256 MiB");
    }
  }
  if (std::ferror(file.get())) return Status::Unavailable("error reading " + path);
  return contents;
}

std::string AsciiLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Problems of a whole file, capped at kImportProblemsListedMax listed.
class FileProblems {
 public:
  void Add(const std::string& where, std::string_view field, const std::string& reason) {
    ++total_;
    if (total_ > kImportProblemsListedMax) return;
    text_ += "\n  " + where + ": " + (field.empty() ? "" : std::string(field) + ": ") + reason;
  }
  std::size_t total() const { return total_; }
  Status ToStatus(const std::string& path) const {
    std::string message = path + ": " + std::to_string(total_) + " problem(s)";
    if (total_ > kImportProblemsListedMax) {
      message += " (the first " + std::to_string(kImportProblemsListedMax) + " are listed)";
    }
    return Status::InvalidArgument(message + text_);
  }

 private:
  std::size_t total_ = 0;
  std::string text_;
};

Result<std::vector<ProductRow>> ReadJson(const std::string& path, std::string_view contents) {
  api::ApiResult<std::vector<catalog::Product>> decoded =
      api::DecodeProductList(contents, /*require_gtin_check_digit=*/false,
                              std::numeric_limits<std::size_t>::max());
  if (!decoded.ok()) {
    const api::ApiError& error = decoded.error();
    if (error.code == "empty") return Status::InvalidArgument(path + " has no products");
    if (error.details.empty()) return Status::InvalidArgument(path + ": " + error.message);
    FileProblems problems;
    for (const api::ErrorDetail& detail : error.details) {
      problems.Add(detail.index ? "index " + std::to_string(*detail.index) : "file", detail.field,
                   detail.reason);
    }
    return problems.ToStatus(path);
  }
  std::vector<ProductRow> rows;
  rows.reserve(decoded.value().size());
  for (std::size_t i = 0; i < decoded.value().size(); ++i) {
    rows.push_back(ProductRow{"index " + std::to_string(i), std::move(decoded.value()[i])});
  }
  return rows;
}

// ativo in a CSV cell; nullopt if it is none of the accepted spellings.
std::optional<bool> ParseCsvBool(std::string_view text) {
  const std::string lower = AsciiLower(text);
  if (lower == "true" || lower == "1" || lower == "sim" || lower == "s" || lower == "yes") {
    return true;
  }
  if (lower == "false" || lower == "0" || lower == "nao" || lower == "n\xc3\xa3o" ||
      lower == "n\xc3\x83o" || lower == "n" || lower == "no") {
    return false;
  }
  return std::nullopt;
}

Result<std::vector<ProductRow>> ReadCsv(const std::string& path, std::string_view contents) {
  const char separator = DetectCsvSeparator(contents);
  Result<std::vector<CsvRecord>> records = ParseCsv(contents, separator);
  if (!records.ok()) return Status::InvalidArgument(path + ": " + records.status().message());
  if (records->empty()) return Status::InvalidArgument(path + " has no header row");

  // Column of each known field, from the header row.
  constexpr std::string_view kColumns[] = {catalog::kFieldBarcode, catalog::kFieldProductName,
                                           catalog::kFieldUnit,    catalog::kFieldCategory,
                                           catalog::kFieldMinStock, catalog::kFieldActive};
  std::unordered_map<std::string_view, std::size_t> column_of;
  const CsvRecord& header = records->front();
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = AsciiLower(Trim(header.fields[i]));
    const auto known = std::find(std::begin(kColumns), std::end(kColumns), name);
    const std::string where = path + ": line " + std::to_string(header.line) + ": ";
    if (known == std::end(kColumns)) {
      return Status::InvalidArgument(where + "unknown column '" + name +
                                     "' (columns: codigo_barra, nome_produto, unidade, "
                                     "categoria, estoque_minimo, ativo)");
    }
    if (!column_of.emplace(*known, i).second) {
      return Status::InvalidArgument(where + "column '" + name + "' appears twice");
    }
  }
  for (std::string_view required : {catalog::kFieldBarcode, catalog::kFieldProductName}) {
    if (!column_of.contains(required)) {
      return Status::InvalidArgument(path + ": the header row has no " + std::string(required) +
                                     " column");
    }
  }

  std::vector<ProductRow> rows;
  rows.reserve(records->size() - 1);
  std::unordered_map<std::string, std::size_t> line_of_barcode;
  FileProblems problems;
  for (std::size_t r = 1; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    ProductRow row{"line " + std::to_string(record.line), {}};
    if (record.fields.size() != header.fields.size()) {
      problems.Add(row.where, "",
                   "has " + std::to_string(record.fields.size()) + " fields, the header has " +
                       std::to_string(header.fields.size()));
      continue;
    }
    const auto cell = [&](std::string_view field) -> std::optional<std::string_view> {
      const auto column = column_of.find(field);
      if (column == column_of.end()) return std::nullopt;
      return Trim(record.fields[column->second]);
    };
    const std::size_t problems_before = problems.total();
    catalog::Product& product = row.product;
    product.barcode = *cell(catalog::kFieldBarcode);
    product.name = *cell(catalog::kFieldProductName);
    bool unit_ok = true;
    if (auto unit = cell(catalog::kFieldUnit); unit && !unit->empty()) {
      std::string upper(*unit);
      for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
      if (std::optional<domain::Unit> parsed = domain::ParseUnit(upper)) {
        product.unit = *parsed;
      } else {
        unit_ok = false;
        problems.Add(row.where, catalog::kFieldUnit, "must be one of UN, KG, L, M");
      }
    }
    if (auto category = cell(catalog::kFieldCategory)) product.category = *category;
    bool min_stock_ok = unit_ok;
    if (auto min_stock = cell(catalog::kFieldMinStock); min_stock && !min_stock->empty()) {
      std::string number(*min_stock);
      if (separator == ';') std::replace(number.begin(), number.end(), ',', '.');
      Result<int64_t> milli = domain::ParseQuantityMilli(number);
      if (milli.ok()) {
        product.min_stock_milli = *milli;
      } else {
        min_stock_ok = false;
        problems.Add(row.where, catalog::kFieldMinStock, milli.status().message());
      }
    }
    if (auto active = cell(catalog::kFieldActive); active && !active->empty()) {
      if (std::optional<bool> parsed = ParseCsvBool(*active)) {
        product.active = *parsed;
      } else {
        problems.Add(row.where, catalog::kFieldActive, "must be true or false (or sim/não, 1/0)");
      }
    }
    bool barcode_ok = true;
    for (const catalog::FieldProblem& problem : catalog::ProductProblems(product, false)) {
      if (problem.field == catalog::kFieldMinStock && !min_stock_ok) continue;
      barcode_ok = barcode_ok && problem.field != catalog::kFieldBarcode;
      problems.Add(row.where, problem.field, problem.reason);
    }
    if (barcode_ok) {
      const auto [first, inserted] = line_of_barcode.emplace(product.barcode, record.line);
      if (!inserted) {
        problems.Add(row.where, catalog::kFieldBarcode,
                     product.barcode + " repeats line " + std::to_string(first->second));
      }
    }
    if (problems.total() == problems_before) rows.push_back(std::move(row));
  }
  if (problems.total() > 0) return problems.ToStatus(path);
  if (rows.empty()) return Status::InvalidArgument(path + " has no products");
  return rows;
}

}  // namespace

ProductFileFormat DetectProductFileFormat(const std::string& path, std::string_view contents) {
  const std::size_t dot = path.find_last_of('.');
  const std::string extension = dot == std::string::npos ? "" : AsciiLower(path.substr(dot));
  if (extension == ".json") return ProductFileFormat::kJson;
  if (extension == ".csv") return ProductFileFormat::kCsv;
  if (contents.starts_with("\xEF\xBB\xBF")) contents.remove_prefix(3);
  for (const char c : contents) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '[' ? ProductFileFormat::kJson : ProductFileFormat::kCsv;
  }
  return ProductFileFormat::kCsv;
}

Result<std::vector<ProductRow>> ReadProductFile(const std::string& path) {
  Result<std::string> contents = ReadWholeFile(path);
  if (!contents.ok()) return contents.status();
  return ParseProductFile(path, *contents);
}

Result<std::vector<ProductRow>> ParseProductFile(const std::string& path, std::string_view contents) {
  return DetectProductFileFormat(path, contents) == ProductFileFormat::kJson
             ? ReadJson(path, contents)
             : ReadCsv(path, contents);
}

}  // namespace estoque::cli
