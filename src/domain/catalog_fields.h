// The rules of the catalog's descriptive fields (products' categoria and estoque_minimo, branches'
// nome, cidade, uf). Pure; the identifiers have their own files (barcode.h, branch.h,
// product_name.h) and the zone name is checked by TimeZone::Locate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "domain/unit.h"

namespace estoque::domain {

// Ok if `text` is valid UTF-8 of at most `code_points_max` code points (empty is fine) without
// control characters (U+0000..U+001F, U+007F). Otherwise InvalidArgument: "not valid UTF-8",
// "must have at most N characters", "must not contain control characters".
Status ValidateCatalogText(std::string_view text, std::size_t code_points_max);

// uf: Ok if `state` is empty or exactly two ASCII upper-case letters ("SP"); else
// InvalidArgument "must be two upper-case letters".
Status ValidateState(std::string_view state);

// estoque_minimo: Ok if `min_stock_milli` >= 0 and countable in `unit`
// (ValidateQuantityForUnit); else InvalidArgument with the reason.
Status ValidateMinStock(int64_t min_stock_milli, Unit unit);

}  // namespace estoque::domain
