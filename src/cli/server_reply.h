// How the command-line clients describe an unexpected answer of the server.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cli/http_client.h"

namespace estoque::cli {

// Characters of an unexpected response body quoted in an error.
inline constexpr std::size_t kBodyCharsQuotedMax = 500;

// Text safe to print on a terminal: control characters become '?'.
std::string Printable(std::string_view text);

// "the server answered HTTP <status>: <message>" with the details of the API's error body
// ({"error":{...}}) or the start of any other body, and a hint for 401, 403 (`forbidden_hint`) and
// 429.
std::string DescribeReply(const HttpReply& reply, std::string_view forbidden_hint);

}  // namespace estoque::cli
