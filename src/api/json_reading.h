// Helpers shared by the API's request decoders, over simdjson's On-Demand API. On-Demand only
// validates what is read, so decoders walk every value of a body (ValidateValue) and check the
// end of the document (CheckDocumentEnd): a body is either valid JSON throughout or rejected.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <simdjson.h>

#include "api/api_error.h"

namespace estoque::api::json {

// The parser of the calling thread, reused across requests so its buffers are allocated once per
// thread (they grow to the largest body seen, at most the request body limit). A document from it
// must be finished before the same thread parses again.
simdjson::ondemand::parser& ThreadParser();

// simdjson's description of `error`, for "invalid_json" messages.
std::string ErrorReason(simdjson::error_code error);

// 400 "invalid_json", "request body is not valid JSON: " + ErrorReason(error).
ApiError InvalidJson(simdjson::error_code error);

// `raw_json_token()` text without the whitespace simdjson leaves after it.
std::string_view TrimToken(std::string_view token);

// True if `text` matches the JSON number grammar (RFC 8259 section 6) exactly.
bool IsJsonNumberText(std::string_view text);

// The exact text of `value`, a number (its type already checked): its raw token without the
// trailing whitespace, checked against the JSON number grammar (else NUMBER_ERROR). Quantities are
// parsed from this text, never through a double ("12.345" must be 12345 milli-units). A view into
// the document's buffer, valid while the document lives.
simdjson::error_code ReadNumberText(simdjson::ondemand::value& value, std::string_view* text);

// The text of `value`, which must be a string (else INCORRECT_TYPE), consuming it. Without escapes
// it is a view into the document's buffer (no copy); otherwise simdjson's unescaped copy. Either
// way it stays valid while the document lives.
simdjson::error_code ReadString(simdjson::ondemand::value& value, std::string_view* text);

// The key of `field`, read like ReadString. Call at most once per field.
simdjson::error_code ReadKey(simdjson::ondemand::field& field, std::string_view* key);

// Calls `visit(key, value)` (key as ReadKey gives it, value an ondemand::value) for each member
// of `object` in body order; stops at the first error simdjson finds or `visit` returns.
template <typename Visit>
simdjson::error_code ForEachMember(simdjson::ondemand::object& object, const Visit& visit) {
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return error;
    std::string_view key;
    if (auto error = ReadKey(field, &key)) return error;
    if (auto error = visit(key, field.value())) return error;
  }
  return simdjson::SUCCESS;
}

// Reads `value` and everything inside it, so any syntax error in it surfaces. `depth` is the
// nesting depth of `value` itself (the root is 1). Returns SUCCESS, DEPTH_ERROR if a container is
// nested deeper than limits::kJsonDepthMax, or the syntax error found.
simdjson::error_code ValidateValue(simdjson::ondemand::value value, std::size_t depth);

// After the root value was read: SUCCESS if nothing but whitespace follows it, else
// TRAILING_CONTENT.
simdjson::error_code CheckDocumentEnd(simdjson::ondemand::document& document);

}  // namespace estoque::api::json
