// A sale reported by a PDV (POST /v1/vendas) and its cancellation. Both travel through the queue
// and are applied by the workers like positions; (branch, sale id) is the idempotency key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace estoque::domain {

struct SaleLine {
  std::string barcode;
  int64_t quantity_milli = 0;  // > 0: removed from stock
  friend bool operator==(const SaleLine&, const SaleLine&) = default;
};

struct Sale {
  std::string id;      // venda_id, unique per branch
  std::string branch;  // filial
  std::vector<SaleLine> lines;  // itens, in body order (a barcode may repeat)
  int64_t event_at_us = 0;      // data
  std::string origin;  // who sent it ("pdv" until keys exist)
  friend bool operator==(const Sale&, const Sale&) = default;
};

// POST /v1/vendas/{filial}/{venda_id}/cancelamento: puts back every line of the sale as of
// event_at_us. A cancellation that arrives before its sale waits for it (docs/INVENTORY.md).
struct SaleCancel {
  std::string sale_id;
  std::string branch;
  int64_t event_at_us = 0;
  std::string origin;
  friend bool operator==(const SaleCancel&, const SaleCancel&) = default;
};

// Limits of a sale id: 1..64 chars of [A-Za-z0-9_.:-] (also used for movement, transfer and
// reservation ids, and origins).
inline constexpr std::size_t kIdCharsMax = 64;
bool IsValidId(std::string_view id);
// The reason an error names for an id IsValidId refuses.
inline constexpr std::string_view kInvalidIdReason =
    "must be 1 to 64 characters of A-Z a-z 0-9 _ - . :";

}  // namespace estoque::domain
