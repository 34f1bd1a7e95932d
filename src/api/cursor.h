// Page cursors of the paged listings (GET /v1/posicoes, /v1/movimentos, ...): the store's opaque resume key (PositionPage::next_after),
// carried by clients as base64url without padding (RFC 4648 section 5), so it is safe in a query
// string as is. The one encoder and decoder of the cursor format.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <optional>

#include "common/result.h"

namespace estoque::api {

class JsonWriter;

// Longest cursor text accepted; the store's keys are far shorter.
inline constexpr std::size_t kCursorCharsMax = 1024;

// base64url of `raw_after`, no padding.
std::string EncodeCursor(std::string_view raw_after);

// The raw key of a cursor made by EncodeCursor. InvalidArgument if `cursor` is longer than
// kCursorCharsMax, has characters outside [A-Za-z0-9_-], has an impossible length (4n+1), or is not
// canonical (non-zero bits after the last byte), so each key has exactly one cursor.
Result<std::string> DecodeCursor(std::string_view cursor);

// The member every paged listing ends with: "proximo_cursor": the cursor of `next_after`, or null
// on the last page.
void WriteNextCursor(JsonWriter& writer, const std::optional<std::string>& next_after);

}  // namespace estoque::api
