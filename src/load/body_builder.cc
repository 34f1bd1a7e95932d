#include "load/body_builder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "common/clock.h"
#include "load/json_text.h"

namespace estoque::load {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr std::size_t kDateTimeChars = 19;  // "YYYY-MM-DDTHH:MM:SS"
constexpr std::string_view kTimeKeyRfc3339 = ",\"data_atualizacao_posicao_estoque\":";
constexpr std::string_view kTimeKeySeed = ",\"data_atulizacao_posicao_estoque\":";
// An item's bytes after its product prefix and branch fragment, at most: a 5-digit quantity,
// the time key and "YYYY-MM-DDTHH:MM:SS.ffffffZ" quoted, the closing brace and a comma.
constexpr std::size_t kItemTailCharsMax = 5 + kTimeKeyRfc3339.size() + 2 + 27 + 2;

domain::TimeZone LocateUtc() {
  Result<domain::TimeZone> utc = domain::TimeZone::Locate("UTC");
  assert(utc.ok());  // the tz database always has UTC
  return *utc;
}

char* Put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// Writes 1..kQuantityMax in decimal.
char* PutQuantity(char* p, uint64_t value) {
  char digits[20];
  char* end = digits + sizeof(digits);
  char* q = end;
  do {
    *--q = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return Put(p, std::string_view(q, static_cast<std::size_t>(end - q)));
}

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
      format_(format),
      zone_(zone),
      utc_(LocateUtc()),
      random_state_(seed),
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

uint64_t BodyBuilder::NextRandom() {
  // splitmix64: fast, good enough for picking keys, deterministic per seed.
  uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::size_t BodyBuilder::RandomBelow(uint64_t bound) {
  // Lemire's multiply-shift: uniform enough for picking keys, and no division.
  return static_cast<std::size_t>((static_cast<unsigned __int128>(NextRandom()) * bound) >> 64);
}

char* BodyBuilder::WriteTime(int64_t time_us, char* p, int64_t* stored_us) {
  const int64_t second = time_us / kMicrosPerSecond;
  if (second != cached_second_) {
    const int64_t second_us = second * kMicrosPerSecond;
    const std::string text = format_ == TimeFormat::kSeedLocal
                                 ? domain::FormatSeedLocalTime(second_us, zone_)
                                 : domain::FormatRfc3339(second_us, utc_);
    assert(text.size() >= kDateTimeChars);
    std::memcpy(cached_second_text_, text.data(), kDateTimeChars);
    cached_second_ = second;
  }
  *p++ = '"';
  p = Put(p, std::string_view(cached_second_text_, kDateTimeChars));
  if (format_ == TimeFormat::kSeedLocal) {
    *p++ = '"';
    *stored_us = second * kMicrosPerSecond;
    return p;
  }
  *p++ = '.';
  auto micros = static_cast<uint32_t>(time_us % kMicrosPerSecond);
  for (int k = 5; k >= 0; --k, micros /= 10) p[k] = static_cast<char>('0' + micros % 10);
  p += 6;
  *p++ = 'Z';
  *p++ = '"';
  *stored_us = time_us;
  return p;
}

SentItem BodyBuilder::Build(std::size_t items, int64_t first_time_us, std::string* out) {
  assert(items >= 1);
  const std::string_view time_key = format_ == TimeFormat::kSeedLocal ? kTimeKeySeed : kTimeKeyRfc3339;
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
      item.product = RandomBelow(item_prefixes_.size());
      item.branch = RandomBelow(branch_fragments_.size());
    }
    if (i != 0) *p++ = ',';
    p = Put(p, item_prefixes_[item.product]);
    p = Put(p, branch_fragments_[item.branch]);
    p = PutQuantity(p, 1 + RandomBelow(kQuantityMax));
    p = Put(p, time_key);
    p = WriteTime(first_time_us + static_cast<int64_t>(i), p, &item.time_us);
    *p++ = '}';
  }
  *p++ = ']';
  assert(static_cast<std::size_t>(p - begin) <= chars_max);
  out->resize(static_cast<std::size_t>(p - begin));
  return item;
}

}  // namespace estoque::load
