// Position: the newest known stock quantity of one product (codigo_barra) in one branch (filial),
// and the newer-wins rule that decides which of two positions for the same key is kept.
#pragma once

#include <cstdint>
#include <string>

namespace estoque::domain {

struct Position {
  std::string barcode;       // codigo_barra, validated
  std::string branch;        // filial, validated
  std::string product_name;  // nome_produto, validated UTF-8
  int64_t quantity_milli = 0;  // qtd_estoque in milli-units
  int64_t updated_at_us = 0;   // event time, UTC microseconds

  friend bool operator==(const Position&, const Position&) = default;
};

// The newer-wins rule. True iff `incoming` must replace `stored` (same key).
//
// Positions are totally ordered by (updated_at_us, quantity_milli, product_name bytes); the
// greater one wins. So:
//   - a newer event time always wins, an older one is always dropped;
//   - equal times are settled deterministically (larger quantity, then the byte-wise greater
//     name), so every replica and every arrival order ends with the same position;
//   - an identical redelivery is not "newer": applying it is a no-op.
// Because the rule is "keep the maximum of a total order", applying any multiset of positions
// in any order, with any duplicates, yields the same final position.
bool Supersedes(const Position& incoming, const Position& stored);

}  // namespace estoque::domain
