// Builds POST /v1/posicoes bodies (the seed's queue message: a JSON array of stock positions) by
// hand into a reused string: no DOM and no allocation once the string has grown.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/timestamp.h"
#include "load/catalog.h"
#include "load/event_time_text.h"
#include "load/key_random.h"

namespace estoque::load {

// Strictly increasing event times shared by every connection, so that each item sent is newer
// than every item sent before it (by this process) and the newer-wins rule applies all of them.
// Thread-safe.
class EventClock {
 public:
  // Reserves `count` consecutive microseconds and returns the first: >= the wall clock
  // (NowUnixMicros) and > every microsecond reserved before. REQUIRES: count >= 1.
  int64_t Reserve(uint64_t count);

 private:
  std::atomic<int64_t> last_reserved_us_{0};
};

// The key and event time of one item that was put in a body.
struct SentItem {
  std::size_t product = 0;  // index into the catalog
  std::size_t branch = 0;   // index: filial is BranchName(branch)
  int64_t time_us = 0;      // the instant the server will store (seed format: whole seconds)
};

// The JSON text every item of one product starts with, escaped once per run rather than once per
// item: {"codigo_barra":"...","nome_produto":"...","filial":" (one string per catalog product).
std::vector<std::string> PrepareItemPrefixes(const std::vector<Product>& catalog);

// Not thread-safe: one per connection. `item_prefixes` (from PrepareItemPrefixes) must outlive
// the builder. Times go under "data_atualizacao_posicao_estoque" (kRfc3339Micros), or the seed's
// misspelt "data_atulizacao_posicao_estoque" (kSeedLocal).
class BodyBuilder {
 public:
  // Items pick a product uniformly from the catalog, a branch uniformly from `branches`, and a
  // quantity uniformly from 1..kQuantityMax, from a deterministic generator seeded with `seed`.
  // `zone` is used for kSeedLocal only. REQUIRES: item_prefixes non-empty, branches >= 1.
  BodyBuilder(const std::vector<std::string>* item_prefixes, std::size_t branches,
              TimeFormat format, const domain::TimeZone& zone, uint64_t seed,
              std::atomic<uint64_t>* sequential_key_cursor = nullptr);
  // With a non-null `sequential_key_cursor` (shared by all builders of a run), items take the
  // keys k = cursor++ in order: product (k / branches) % products, branch k % branches.

  // The seed's quantity range.
  static constexpr uint64_t kQuantityMax = 10'000;
  // Branch names are "1001", "1002", ... like the seed's.
  static constexpr std::size_t kFirstBranchNumber = 1001;
  static std::string BranchName(std::size_t branch_index);

  // Replaces *out with a JSON array of `items` items whose event times are first_time_us,
  // first_time_us + 1, ... and returns the last item. Writes through a raw pointer into *out's
  // existing capacity: no allocation once *out has grown. REQUIRES: items >= 1.
  SentItem Build(std::size_t items, int64_t first_time_us, std::string* out);

 private:
  const std::vector<std::string>& item_prefixes_;
  std::size_t item_prefix_chars_max_ = 0;
  // Per branch: 1001","qtd_estoque":
  std::vector<std::string> branch_fragments_;
  std::size_t branch_fragment_chars_max_ = 0;
  EventTimeWriter time_writer_;
  KeyRandom random_;
  std::atomic<uint64_t>* sequential_key_cursor_ = nullptr;
};

}  // namespace estoque::load
