// codigo_barra: the product's barcode (GTIN-8/12/13/14 or an internal code of 8..14 digits).
// Leading zeros are significant: barcodes are strings, never numbers.
#pragma once

#include <string_view>

#include "common/status.h"

namespace estoque::domain {

// Ok if `barcode` is 8..14 ASCII digits, and, when `require_check_digit`, its last digit is the
// GTIN (mod-10) check digit of the others. Otherwise InvalidArgument with a reason in Portuguese-
// neutral English ("must be 8 to 14 digits", "invalid GTIN check digit").
Status ValidateBarcode(std::string_view barcode, bool require_check_digit);

// True if the last digit of `digits` is the GTIN mod-10 check digit of the preceding ones.
// REQUIRES: digits is all ASCII digits, size >= 2.
bool HasValidGtinCheckDigit(std::string_view digits);

}  // namespace estoque::domain
