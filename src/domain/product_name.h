// nome_produto: the product's display name, as sent by PDVs.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace estoque::domain {

// Ok if `name` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) of 1..200 code points
// and contains no control characters (U+0000..U+001F, U+007F). Otherwise InvalidArgument.
Status ValidateProductName(std::string_view name);

// Number of code points in `utf8`, or -1 if it is not valid UTF-8.
std::ptrdiff_t CountUtf8CodePoints(std::string_view utf8);

}  // namespace estoque::domain
