#include "load/body_builder.h"

#include <algorithm>
#include <cassert>

#include "common/clock.h"
#include "load/json_text.h"

namespace estoque::load {

namespace {

constexpr std::string_view kTimeKeyRfc3339 = ",\"data_atualizacao_posicao_estoque\":";
constexpr std::string_view kTimeKeySeed = ",\"data_atulizacao_posicao_estoque\":";
// An item's bytes after its product prefix and branch fragment, at most: a 5-digit quantity,
// the time key and quoted time, the closing brace and a comma.
constexpr std::size_t kItemTailCharsMax =
    5 + kTimeKeyRfc3339.size() + EventTimeWriter::kQuotedCharsMax + 2;

}  // namespace

int64_t EventClock::Reserve(uint64_t count) {
  assert(count >= 1);
  const int64_t now_us = NowUnixMicros();
  int64_t last = last_reserved_us_.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t first = std::max(now_us, last + 1);
    if (last_reserved_us_.compare_exchange_weak(last, first + static_cast<int64_t>(count) - 1,
                                                std::memory_order_relaxed)) {
      return first;
    }
  }
}

std::vector<std::string> PrepareItemPrefixes(const std::vector<Product>& catalog) {
  std::vector<std::string> prefixes;
  prefixes.reserve(catalog.size());
  for (const Product& product : catalog) {
    std::string prefix = "{\"codigo_barra\":";
    AppendJsonString(&prefix, product.barcode);
    prefix += ",\"nome_produto\":";
    AppendJsonString(&prefix, product.name);
    prefix += ",\"filial\":\"";
    prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

BodyBuilder::BodyBuilder(const std::vector<std::string>* item_prefixes, std::size_t branches,
                         TimeFormat format, const domain::TimeZone& zone, uint64_t seed,
                         std::atomic<uint64_t>* sequential_key_cursor)
    : item_prefixes_(*item_prefixes),
      time_writer_(format, zone),
      random_(seed),
      sequential_key_cursor_(sequential_key_cursor) {
  assert(!item_prefixes->empty() && branches >= 1);
  for (const std::string& prefix : item_prefixes_) {
    item_prefix_chars_max_ = std::max(item_prefix_chars_max_, prefix.size());
  }
  for (std::size_t i = 0; i < branches; ++i) {
    branch_fragments_.push_back(BranchName(i) + "\",\"qtd_estoque\":");
    branch_fragment_chars_max_ = std::max(branch_fragment_chars_max_, branch_fragments_.back().size());
  }
}

std::string BodyBuilder::BranchName(std::size_t branch_index) {
  return std::to_string(kFirstBranchNumber + branch_index);
}

SentItem BodyBuilder::Build(std::size_t items, int64_t first_time_us, std::string* out) {
  assert(items >= 1);
  const std::string_view time_key =
      time_writer_.format() == TimeFormat::kSeedLocal ? kTimeKeySeed : kTimeKeyRfc3339;
  // Size for the worst case, write through a pointer, then trim: no per-item capacity checks.
  const std::size_t chars_max =
      2 + items * (item_prefix_chars_max_ + branch_fragment_chars_max_ + kItemTailCharsMax);
  if (out->capacity() < chars_max) out->reserve(chars_max);
  out->resize(chars_max);
  char* const begin = out->data();
  char* p = begin;
  *p++ = '[';
  SentItem item;
  const uint64_t first_key =
      sequential_key_cursor_ != nullptr ? sequential_key_cursor_->fetch_add(items) : 0;
  for (std::size_t i = 0; i < items; ++i) {
    if (sequential_key_cursor_ != nullptr) {
      const uint64_t key = first_key + i;
      item.branch = key % branch_fragments_.size();
      item.product = (key / branch_fragments_.size()) % item_prefixes_.size();
    } else {
      item.product = random_.Below(item_prefixes_.size());
      item.branch = random_.Below(branch_fragments_.size());
    }
    if (i != 0) *p++ = ',';
    p = PutText(p, item_prefixes_[item.product]);
    p = PutText(p, branch_fragments_[item.branch]);
    p = PutUint(p, 1 + random_.Below(kQuantityMax));
    p = PutText(p, time_key);
    p = time_writer_.Write(first_time_us + static_cast<int64_t>(i), p, &item.time_us);
    *p++ = '}';
  }
  *p++ = ']';
  assert(static_cast<std::size_t>(p - begin) <= chars_max);
  out->resize(static_cast<std::size_t>(p - begin));
  return item;
}

}  // namespace estoque::load
