#include "domain/catalog_fields.h"

#include <string>

#include "domain/product_name.h"

namespace estoque::domain {

Status ValidateCatalogText(std::string_view text, std::size_t code_points_max) {
  const std::ptrdiff_t count = CountUtf8CodePoints(text);
  if (count < 0) return Status::InvalidArgument("not valid UTF-8");
  if (static_cast<std::size_t>(count) > code_points_max) {
    return Status::InvalidArgument("must have at most " + std::to_string(code_points_max) +
                                   " characters");
  }
  // In valid UTF-8 the control characters are exactly these single bytes: no byte of a multi-byte
  // sequence is below 0x80.
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return Status::InvalidArgument("must not contain control characters");
    }
  }
  return Status::Ok();
}

Status ValidateState(std::string_view state) {
  if (state.empty()) return Status::Ok();
  if (state.size() != 2 || state[0] < 'A' || state[0] > 'Z' || state[1] < 'A' || state[1] > 'Z') {
    return Status::InvalidArgument("must be two upper-case letters");
  }
  return Status::Ok();
}

Status ValidateMinStock(int64_t min_stock_milli, Unit unit) {
  if (min_stock_milli < 0) return Status::InvalidArgument("must not be negative");
  return ValidateQuantityForUnit(min_stock_milli, unit);
}

}  // namespace estoque::domain
