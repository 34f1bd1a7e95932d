// qtd_estoque: an exact decimal with up to 3 decimal places, held as a fixed-point integer of
// thousandths ("milli-units"). Never a float: 12.345 kg is 12345 milli-units.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::domain {

// Parses the exact text of a JSON number ("3011", "-0.5", "12.345", "1.2e3", "12.3450") into
// milli-units. Exponents are applied exactly in decimal. Errors (InvalidArgument):
//   not a JSON number; more than 3 significant decimal places (trailing zeros are fine);
//   |value| > 10^12.
Result<int64_t> ParseQuantityMilli(std::string_view json_number_text);

// Formats milli-units as the shortest exact JSON number: 3011000 -> "3011", 12345 -> "12.345",
// -500 -> "-0.5", 0 -> "0". Whole numbers come out as integers.
std::string FormatQuantityMilli(int64_t milli);

}  // namespace estoque::domain
