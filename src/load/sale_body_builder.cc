#include "load/sale_body_builder.h"

#include <algorithm>
#include <cassert>

#include "load/json_text.h"

namespace estoque::load {

namespace {

constexpr std::string_view kIdKey = "{\"venda_id\":\"";
constexpr std::string_view kBranchKey = "\",\"filial\":\"";
constexpr std::string_view kTimeKey = "\",\"data\":";
constexpr std::string_view kLinesKey = ",\"itens\":[";
// Most chars of a branch name (BodyBuilder::BranchName of an index below 2^64).
constexpr std::size_t kBranchCharsMax = 20;
// A line's bytes after its product prefix, at most: one quantity digit, '}' and ','.
constexpr std::size_t kLineTailCharsMax = 3;

}  // namespace

std::vector<std::string> PrepareSaleLinePrefixes(const std::vector<Product>& catalog) {
  std::vector<std::string> prefixes;
  prefixes.reserve(catalog.size());
  for (const Product& product : catalog) {
    std::string prefix = "{\"codigo_barra\":";
    AppendJsonString(&prefix, product.barcode);
    prefix += ",\"quantidade\":";
    prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

std::string SaleIdPrefixForRun(int64_t run_start_unix_us) {
  return "load-" + std::to_string(run_start_unix_us) + "-";
}

SaleBodyBuilder::SaleBodyBuilder(const std::vector<std::string>* line_prefixes,
                                 std::size_t branches, TimeFormat format,
                                 const domain::TimeZone& zone, uint64_t seed,
                                 std::string sale_id_prefix)
    : line_prefixes_(*line_prefixes),
      branches_(branches),
      sale_id_prefix_(std::move(sale_id_prefix)),
      time_writer_(format, zone),
      random_(seed) {
  assert(!line_prefixes->empty() && branches >= 1);
  assert(sale_id_prefix_.size() <= kSaleIdPrefixCharsMax);
  assert(sale_id_prefix_.empty() || domain::IsValidId(sale_id_prefix_));
  for (const std::string& prefix : line_prefixes_) {
    line_prefix_chars_max_ = std::max(line_prefix_chars_max_, prefix.size());
  }
}

std::string SaleBodyBuilder::SaleId(uint64_t sale_number) const {
  return sale_id_prefix_ + std::to_string(sale_number);
}

SentItem SaleBodyBuilder::Build(std::size_t lines, int64_t time_us, uint64_t sale_number,
                                std::string* out) {
  assert(lines >= 1);
  static_assert(kQuantityUnitsMax <= 9, "kLineTailCharsMax counts one quantity digit");
  // Size for the worst case, write through a pointer, then trim: no per-line capacity checks.
  const std::size_t head_chars_max = kIdKey.size() + sale_id_prefix_.size() + 20 +
                                     kBranchKey.size() + kBranchCharsMax + kTimeKey.size() +
                                     EventTimeWriter::kQuotedCharsMax + kLinesKey.size();
  const std::size_t chars_max =
      head_chars_max + lines * (line_prefix_chars_max_ + kLineTailCharsMax) + 2;
  if (out->capacity() < chars_max) out->reserve(chars_max);
  out->resize(chars_max);
  char* const begin = out->data();
  char* p = begin;
  SentItem last;
  last.branch = random_.Below(branches_);
  p = PutText(p, kIdKey);
  p = PutText(p, sale_id_prefix_);
  p = PutUint(p, sale_number);
  p = PutText(p, kBranchKey);
  p = PutUint(p, BodyBuilder::kFirstBranchNumber + last.branch);  // BodyBuilder::BranchName
  p = PutText(p, kTimeKey);
  p = time_writer_.Write(time_us, p, &last.time_us);
  p = PutText(p, kLinesKey);
  for (std::size_t i = 0; i < lines; ++i) {
    last.product = random_.Below(line_prefixes_.size());
    if (i != 0) *p++ = ',';
    p = PutText(p, line_prefixes_[last.product]);
    p = PutUint(p, 1 + random_.Below(kQuantityUnitsMax));
    *p++ = '}';
  }
  *p++ = ']';
  *p++ = '}';
  assert(static_cast<std::size_t>(p - begin) <= chars_max);
  out->resize(static_cast<std::size_t>(p - begin));
  return last;
}

}  // namespace estoque::load
