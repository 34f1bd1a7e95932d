// The CSV reader of import files (cli/csv_reader.h): RFC 4180 quoting, line endings, separators.
#include "cli/csv_reader.h"

#include <gtest/gtest.h>

namespace estoque::cli {
namespace {

std::vector<CsvRecord> Parse(std::string_view text, char separator = ',') {
  Result<std::vector<CsvRecord>> records = ParseCsv(text, separator);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  return records.ok() ? *records : std::vector<CsvRecord>{};
}

TEST(CsvReader, PlainRecordsWithLfOrCrlf) {
  const std::vector<CsvRecord> expected = {{1, {"a", "b"}}, {2, {"1", ""}}, {3, {"", "x"}}};
  EXPECT_EQ(Parse("a,b\n1,\n,x\n"), expected);
  EXPECT_EQ(Parse("a,b\r\n1,\r\n,x\r\n"), expected);
  EXPECT_EQ(Parse("a,b\r\n1,\r\n,x"), expected);  // no final line break
  EXPECT_EQ(Parse("a,b,\n"), (std::vector<CsvRecord>{{1, {"a", "b", ""}}}));
}

TEST(CsvReader, QuotedFields) {
  EXPECT_EQ(Parse("\"Caf\xC3\xA9, 500g\",\"diz \"\"oi\"\"\"\n"),
            (std::vector<CsvRecord>{{1, {"Caf\xC3\xA9, 500g", "diz \"oi\""}}}));
  // A quoted field spanning lines: the next record starts on line 3.
  EXPECT_EQ(Parse("\"a\nb\",c\r\nd,\"\"\r\n"),
            (std::vector<CsvRecord>{{1, {"a\nb", "c"}}, {3, {"d", ""}}}));
  // A quote inside an unquoted field is kept.
  EXPECT_EQ(Parse("TV 32\",x\n"), (std::vector<CsvRecord>{{1, {"TV 32\"", "x"}}}));
}

TEST(CsvReader, BomAndEmptyLinesAreSkipped) {
  EXPECT_EQ(Parse("\xEF\xBB\xBFh1;h2\n\n1;2\n\r\n", ';'),
            (std::vector<CsvRecord>{{1, {"h1", "h2"}}, {3, {"1", "2"}}}));
  EXPECT_TRUE(Parse("").empty());
}

TEST(CsvReader, Errors) {
  Result<std::vector<CsvRecord>> open = ParseCsv("a,b\n\"never closed,x\n", ',');
  EXPECT_EQ(open.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(open.status().message(), "line 2: a quoted field is never closed");
  Result<std::vector<CsvRecord>> after = ParseCsv("a,b\n1,\"x\"y\n", ',');
  EXPECT_EQ(after.status().message(), "line 2: text after the closing quote of a field");
}

TEST(CsvReader, DetectSeparator) {
  EXPECT_EQ(DetectCsvSeparator("codigo_barra,nome_produto\n1;2;3;4\n"), ',');
  EXPECT_EQ(DetectCsvSeparator("codigo_barra;nome_produto;estoque_minimo\n1,5"), ';');
  EXPECT_EQ(DetectCsvSeparator("\"a;b;c\",d\n"), ',');  // quoted separators do not count
  EXPECT_EQ(DetectCsvSeparator(""), ',');
}

}  // namespace
}  // namespace estoque::cli
