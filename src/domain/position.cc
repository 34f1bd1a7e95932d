#include "domain/position.h"

#include <tuple>

namespace estoque::domain {

bool Supersedes(const Position& incoming, const Position& stored) {
  // Total order; std::string compares bytes lexicographically (as unsigned char via char_traits).
  return std::tie(incoming.updated_at_us, incoming.quantity_milli, incoming.product_name) >
         std::tie(stored.updated_at_us, stored.quantity_milli, stored.product_name);
}

}  // namespace estoque::domain
