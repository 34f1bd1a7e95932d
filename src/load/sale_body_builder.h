// Builds POST /v1/vendas bodies (one sale of a branch: {"venda_id","filial","data","itens":
// [{"codigo_barra","quantidade"}]}) by hand into a reused string, like BodyBuilder does for
// positions: no DOM and no allocation once the string has grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/sale.h"
#include "domain/timestamp.h"
#include "load/body_builder.h"
#include "load/catalog.h"
#include "load/event_time_text.h"
#include "load/key_random.h"

namespace estoque::load {

// The JSON text every line of one product starts with, escaped once per run:
// {"codigo_barra":"...","quantidade":   (one string per catalog product).
std::vector<std::string> PrepareSaleLinePrefixes(const std::vector<Product>& catalog);

// Sale ids are the run's prefix + the sale's decimal number (up to 20 digits).
inline constexpr std::size_t kSaleIdPrefixCharsMax = domain::kIdCharsMax - 20;

// "load-<run_start_unix_us>-": unique per run (two runs would have to start in the same
// microsecond to share it), so sales of an earlier run against the same server are never taken
// for redeliveries (which the server would not apply again).
std::string SaleIdPrefixForRun(int64_t run_start_unix_us);

// Not thread-safe: one per connection. `line_prefixes` (from PrepareSaleLinePrefixes) must
// outlive the builder.
class SaleBodyBuilder {
 public:
  // Each sale picks one branch uniformly from `branches` (named like BodyBuilder::BranchName);
  // each line a product uniformly from the catalog (a product may repeat within a sale, as the
  // API allows) and a quantity of 1..kQuantityUnitsMax whole units, from a deterministic
  // generator seeded with `seed`. `zone` is used for TimeFormat::kSeedLocal only.
  // REQUIRES: line_prefixes non-empty, branches >= 1, sale_id_prefix of id characters
  // (domain::IsValidId) and at most kSaleIdPrefixCharsMax of them.
  SaleBodyBuilder(const std::vector<std::string>* line_prefixes, std::size_t branches,
                  TimeFormat format, const domain::TimeZone& zone, uint64_t seed,
                  std::string sale_id_prefix);

  // Quantities sold per line, in whole units: small, like a checkout's.
  static constexpr uint64_t kQuantityUnitsMax = 5;

  // The venda_id of sale number `sale_number`.
  std::string SaleId(uint64_t sale_number) const;

  // Replaces *out with one sale of `lines` lines, id SaleId(sale_number), "data" `time_us`
  // (every line of a sale shares it), and returns its last line (time_us: the instant the server
  // will store). Writes through a raw pointer into *out's existing capacity: no allocation once
  // *out has grown. REQUIRES: lines >= 1.
  SentItem Build(std::size_t lines, int64_t time_us, uint64_t sale_number, std::string* out);

 private:
  const std::vector<std::string>& line_prefixes_;
  std::size_t line_prefix_chars_max_ = 0;
  const std::size_t branches_;
  const std::string sale_id_prefix_;
  EventTimeWriter time_writer_;
  KeyRandom random_;
};

}  // namespace estoque::load
