// nome_produto: the product's display name, as sent by PDVs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace estoque::domain {

// Ok if `name` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF) of 1..200 code points
// and contains no control characters (U+0000..U+001F, U+007F). Otherwise InvalidArgument.
Status ValidateProductName(std::string_view name);

// Number of code points in `utf8`, or -1 if it is not valid UTF-8.
std::ptrdiff_t CountUtf8CodePoints(std::string_view utf8);

// `text` itself if it is valid UTF-8; otherwise a copy with every non-ASCII byte replaced by '?'
// (for echoing stored text that should be UTF-8 but is not, e.g. in a JSON answer).
std::string Utf8OrMasked(std::string_view text);

}  // namespace estoque::domain
