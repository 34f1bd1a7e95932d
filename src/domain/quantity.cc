#include "domain/quantity.h"

#include <cstddef>

#include "common/limits.h"

namespace estoque::domain {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Significant decimal digits of 10^15 milli-units (10^12 units): a result with more cannot fit.
constexpr std::ptrdiff_t kMilliDigitsMax = 16;
// Exponents are saturated here while read: any |exponent| this large is out of range (or has too
// many decimals) whatever the digits, and saturating keeps the arithmetic far from overflow.
constexpr int64_t kExponentSaturation = int64_t{1} << 40;

Status NotANumber() { return Status::InvalidArgument("not a JSON number"); }

}  // namespace

Result<int64_t> ParseQuantityMilli(std::string_view text) {
  // RFC 8259: number = [ "-" ] int [ frac ] [ exp ]; int = "0" / ( digit1-9 *DIGIT ).
  std::size_t pos = 0;
  const std::size_t n = text.size();
  const bool negative = pos < n && text[pos] == '-';
  if (negative) ++pos;
  const std::size_t int_begin = pos;
  if (pos >= n || !IsDigit(text[pos])) return NotANumber();
  if (text[pos] == '0') {
    ++pos;
  } else {
    while (pos < n && IsDigit(text[pos])) ++pos;
  }
  const std::size_t int_end = pos;
  std::size_t frac_begin = pos, frac_end = pos;
  if (pos < n && text[pos] == '.') {
    ++pos;
    frac_begin = pos;
    while (pos < n && IsDigit(text[pos])) ++pos;
    frac_end = pos;
    if (frac_end == frac_begin) return NotANumber();
  }
  int64_t exponent = 0;
  if (pos < n && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < n && (text[pos] == '+' || text[pos] == '-')) exponent_negative = text[pos++] == '-';
    if (pos >= n || !IsDigit(text[pos])) return NotANumber();
    while (pos < n && IsDigit(text[pos])) {
      exponent = exponent * 10 + (text[pos++] - '0');
      if (exponent > kExponentSaturation) exponent = kExponentSaturation;
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (pos != n) return NotANumber();

  // The value is D * 10^(exponent - fraction_digits), D being the int and fraction digits joined.
  const std::ptrdiff_t int_digits = static_cast<std::ptrdiff_t>(int_end - int_begin);
  const std::ptrdiff_t all_digits = int_digits + static_cast<std::ptrdiff_t>(frac_end - frac_begin);
  const auto digit_at = [&](std::ptrdiff_t k) {
    return k < int_digits ? text[int_begin + k] : text[frac_begin + (k - int_digits)];
  };
  std::ptrdiff_t first = 0;
  while (first < all_digits && digit_at(first) == '0') ++first;
  if (first == all_digits) return int64_t{0};  // "0", "-0", "0.000e99": zero whatever the exponent
  std::ptrdiff_t last = all_digits - 1;
  while (digit_at(last) == '0') --last;
  // Strip trailing zeros into the exponent: milli = digits[first..last] * 10^scale.
  const int64_t scale = exponent - static_cast<int64_t>(frac_end - frac_begin) +
                        (all_digits - 1 - last) + limits::kQuantityDecimalPlaces;
  if (scale < 0) return Status::InvalidArgument("more than 3 decimal places");
  const std::ptrdiff_t significant = last - first + 1;
  if (scale > kMilliDigitsMax || significant + scale > kMilliDigitsMax) {
    return Status::InvalidArgument("out of range (|value| <= 10^12)");
  }
  uint64_t magnitude = 0;  // < 10^16: fits easily
  for (std::ptrdiff_t k = first; k <= last; ++k) magnitude = magnitude * 10 + (digit_at(k) - '0');
  for (int64_t k = 0; k < scale; ++k) magnitude *= 10;
  if (magnitude > static_cast<uint64_t>(limits::kQuantityAbsMilliMax)) {
    return Status::InvalidArgument("out of range (|value| <= 10^12)");
  }
  const int64_t milli = static_cast<int64_t>(magnitude);
  return negative ? -milli : milli;
}

std::string FormatQuantityMilli(int64_t milli) {
  // Unsigned arithmetic so INT64_MIN formats too (it is out of range, but formatting is total).
  const uint64_t magnitude = milli < 0 ? 0 - static_cast<uint64_t>(milli) : static_cast<uint64_t>(milli);
  const uint64_t scale = static_cast<uint64_t>(limits::kQuantityScale);
  uint64_t whole = magnitude / scale;
  uint64_t fraction = magnitude % scale;

  char buffer[32];
  char* end = buffer + sizeof(buffer);
  char* p = end;
  if (fraction != 0) {
    int places = limits::kQuantityDecimalPlaces;
    while (fraction % 10 == 0) fraction /= 10, --places;
    for (int k = 0; k < places; ++k) *--p = static_cast<char>('0' + fraction % 10), fraction /= 10;
    *--p = '.';
  }
  do {
    *--p = static_cast<char>('0' + whole % 10);
    whole /= 10;
  } while (whole != 0);
  if (milli < 0) *--p = '-';
  return std::string(p, end);
}

}  // namespace estoque::domain
