#include "domain/unit.h"

namespace estoque::domain {

std::optional<Unit> ParseUnit(std::string_view text) {
  if (text == "UN") return Unit::kUnit;
  if (text == "KG") return Unit::kKilogram;
  if (text == "L") return Unit::kLiter;
  if (text == "M") return Unit::kMeter;
  return std::nullopt;
}

std::string_view UnitName(Unit unit) {
  switch (unit) {
    case Unit::kUnit: return "UN";
    case Unit::kKilogram: return "KG";
    case Unit::kLiter: return "L";
    case Unit::kMeter: return "M";
  }
  return "UN";
}

Status ValidateQuantityForUnit(int64_t quantity_milli, Unit unit) {
  if (unit == Unit::kUnit && quantity_milli % 1000 != 0) {
    return Status::InvalidArgument("must be a whole number for unit UN");
  }
  return Status::Ok();
}

}  // namespace estoque::domain
