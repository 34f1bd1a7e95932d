// Unit of measure of a product (the catalog's "unidade"): decides which quantities are valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace estoque::domain {

enum class Unit : uint8_t {
  kUnit = 0,      // "UN": whole numbers only
  kKilogram = 1,  // "KG": up to 3 decimal places (the exact milli-units every quantity has)
  kLiter = 2,     // "L"
  kMeter = 3,     // "M"
};

// "UN", "KG", "L", "M" (exactly; upper case) -> the unit; nullopt otherwise.
std::optional<Unit> ParseUnit(std::string_view text);
std::string_view UnitName(Unit unit);

// Ok if `quantity_milli` can be counted in `unit`: for UN a whole number (a multiple of 1000);
// any milli quantity otherwise. InvalidArgument "must be a whole number for unit UN" if not.
Status ValidateQuantityForUnit(int64_t quantity_milli, Unit unit);

}  // namespace estoque::domain
