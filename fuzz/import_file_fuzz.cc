// Fuzz target: what `estoque import produtos` reads (cli/product_file.h, cli/csv_reader.h).
// Input: one selector byte, then the file's bytes. The selector names the file: 'J' "fuzz.json",
// 'C' "fuzz.csv", anything else a name without an extension (format detected from the content).
// Checks: the CSV reader's records re-written with every field quoted parse back to the same
// fields (both separators); every product of an accepted file breaks no catalog rule, and
// barcodes are distinct.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "catalog/validation.h"
#include "cli/csv_reader.h"
#include "cli/product_file.h"
#include "fuzz_support.h"

namespace estoque::fuzz {
namespace {

// `records` as CSV text: every field quoted ("" for a quote), LF line ends.
std::string WriteCsv(const std::vector<cli::CsvRecord>& records, char separator) {
  std::string text;
  for (const cli::CsvRecord& record : records) {
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) text += separator;
      text += '"';
      for (const char c : record.fields[i]) text += c == '"' ? std::string("\"\"") : std::string(1, c);
      text += '"';
    }
    text += '\n';
  }
  return text;
}

void Csv(std::string_view text, char separator) {
  Result<std::vector<cli::CsvRecord>> records = cli::ParseCsv(text, separator);
  if (!records.ok()) {
    FUZZ_CHECK(records.status().code() == StatusCode::kInvalidArgument, records.status().ToString());
    return;
  }
  std::size_t previous_line = 0;
  for (const cli::CsvRecord& record : *records) {
    FUZZ_CHECK(record.line > previous_line, "line numbers must increase");
    FUZZ_CHECK(!record.fields.empty(), "a record without fields");
    previous_line = record.line;
  }
  const std::string written = WriteCsv(*records, separator);
  Result<std::vector<cli::CsvRecord>> again = cli::ParseCsv(written, separator);
  FUZZ_CHECK(again.ok(), again.status().ToString());
  FUZZ_CHECK(again->size() == records->size(), "record count changed: " + written);
  for (std::size_t r = 0; r < records->size(); ++r) {
    FUZZ_CHECK((*again)[r].fields == (*records)[r].fields, "fields changed: " + written);
  }
}

void ProductFile(const std::string& path, std::string_view contents) {
  Result<std::vector<cli::ProductRow>> rows = cli::ParseProductFile(path, contents);
  if (!rows.ok()) {
    FUZZ_CHECK(rows.status().code() == StatusCode::kInvalidArgument, rows.status().ToString());
    return;
  }
  FUZZ_CHECK(!rows->empty(), "an accepted file without products");
  std::set<std::string> barcodes;
  for (const cli::ProductRow& row : *rows) {
    const std::vector<catalog::FieldProblem> problems = catalog::ProductProblems(row.product, false);
    FUZZ_CHECK(problems.empty(), row.where + ": " + std::string(problems.empty() ? "" : problems[0].field) +
                                     " " + (problems.empty() ? "" : problems[0].reason));
    FUZZ_CHECK(barcodes.insert(row.product.barcode).second, "repeated " + row.product.barcode);
  }
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view contents = AsText(data + 1, size - 1);
  const std::string path = data[0] == 'J' ? "fuzz.json" : data[0] == 'C' ? "fuzz.csv" : "fuzz-input";
  ProductFile(path, contents);
  Csv(contents, ',');
  Csv(contents, ';');
  const char detected = estoque::cli::DetectCsvSeparator(contents);
  FUZZ_CHECK(detected == ',' || detected == ';', std::string(1, detected));
  return 0;
}
