#include "domain/barcode.h"

#include <cassert>

#include "common/limits.h"

namespace estoque::domain {

namespace {

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Status ValidateBarcode(std::string_view barcode, bool require_check_digit) {
  if (barcode.size() < limits::kBarcodeDigitsMin || barcode.size() > limits::kBarcodeDigitsMax) {
    return Status::InvalidArgument("must be 8 to 14 digits");
  }
  for (char c : barcode) {
    if (!IsAsciiDigit(c)) return Status::InvalidArgument("must be 8 to 14 digits");
  }
  if (require_check_digit && !HasValidGtinCheckDigit(barcode)) {
    return Status::InvalidArgument("invalid GTIN check digit");
  }
  return Status::Ok();
}

bool HasValidGtinCheckDigit(std::string_view digits) {
  assert(digits.size() >= 2);
  // GTIN mod-10: from the digit next to the check digit leftwards, weights alternate 3, 1, 3, ...
  // This makes GTIN-8/12/13/14 (and a GTIN left-padded with zeros) all use the same rule.
  int sum = 0;
  int weight = 3;
  for (std::size_t i = digits.size() - 1; i-- > 0;) {
    assert(IsAsciiDigit(digits[i]));
    sum += (digits[i] - '0') * weight;
    weight = 4 - weight;
  }
  const int expected = (10 - sum % 10) % 10;
  assert(IsAsciiDigit(digits.back()));
  return digits.back() - '0' == expected;
}

}  // namespace estoque::domain
