// A CSV reader for import files (RFC 4180): the one place that knows quoting and line endings.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace estoque::cli {

// One record of a CSV text, with the line it starts on (1-based; a quoted field may span lines).
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;

  friend bool operator==(const CsvRecord&, const CsvRecord&) = default;
};

// The separator of `text`: ';' if its first line has more ';' than ',' outside quotes (the
// spreadsheet export of locales with a decimal comma), else ','.
char DetectCsvSeparator(std::string_view text);

// Every record of `text`, in order. Records end at LF or CRLF (a last line may lack one); fields
// are split at `separator`; a field starting with '"' is quoted: it ends at the next lone '"',
// "" inside it is one '"', and it may hold separators and line breaks. A '"' inside an unquoted
// field is kept as is. A leading UTF-8 byte order mark is skipped; empty lines are skipped.
// InvalidArgument "line N: ..." for text between a closing quote and the next separator, or a
// quote left open at the end.
Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, char separator);

}  // namespace estoque::cli
