#include "cli/csv_reader.h"

namespace estoque::cli {

namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

std::string_view SkipByteOrderMark(std::string_view text) {
  if (text.starts_with(kUtf8ByteOrderMark)) text.remove_prefix(kUtf8ByteOrderMark.size());
  return text;
}

}  // namespace

char DetectCsvSeparator(std::string_view text) {
  text = SkipByteOrderMark(text);
  std::size_t commas = 0, semicolons = 0;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') quoted = !quoted;  // "" toggles twice: still right
    if (quoted) continue;
    if (c == '\n') break;
    if (c == ',') ++commas;
    if (c == ';') ++semicolons;
  }
  return semicolons > commas ? ';' : ',';
}

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text, char separator) {
  text = SkipByteOrderMark(text);
  std::vector<CsvRecord> records;
  std::size_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    CsvRecord record;
    record.line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && text[i] == '"') {
        const std::size_t opened_on = line;
        ++i;
        while (true) {
          if (i >= n) {
            return Status::InvalidArgument("line " + std::to_string(opened_on) +
                                           ": a quoted field is never closed");
          }
          const char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < n && text[i] != separator && text[i] != '\n' &&
            !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') && !(text[i] == '\r' && i + 1 == n)) {
          return Status::InvalidArgument("line " + std::to_string(line) +
                                         ": text after the closing quote of a field");
        }
      } else {
        while (i < n && text[i] != separator && text[i] != '\n') field += text[i++];
        if (!field.empty() && field.back() == '\r' && (i >= n || text[i] == '\n')) {
          field.pop_back();  // CRLF
        }
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == '\r') ++i;  // CR of a CRLF after a quoted field
      if (i >= n || text[i] == '\n') {
        end_of_record = true;
        if (i < n) {
          ++i;
          ++line;
        }
      } else {
        ++i;  // the separator
      }
    }
    const bool empty_line = record.fields.size() == 1 && record.fields[0].empty();
    if (!empty_line) records.push_back(std::move(record));
  }
  return records;
}

}  // namespace estoque::cli
