// Small HTTP helpers of the API layer: building JSON responses and reading request targets
// (path segments, query parameters, percent-encoding, media types). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <boost/container/static_vector.hpp>

#include "api/http_types.h"

namespace estoque::api {

// Path segments a route may have; longer paths are not routed (404) without being split further.
inline constexpr std::size_t kPathSegmentsMax = 8;
// Query parameters looked at; later ones are ignored.
inline constexpr std::size_t kQueryParametersMax = 32;

// A response with `body` as application/json, the request's HTTP version and keep-alive, and
// Content-Length set.
HttpResponse MakeJsonResponse(boost::beast::http::status status, std::string body,
                              unsigned http_version, bool keep_alive);

// Decodes %XX escapes; with `plus_is_space` (query strings) also '+' -> ' '. nullopt on a
// malformed escape ('%' not followed by two hex digits).
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// A request target split into its path and raw query ("/a/b?x=1" -> "/a/b", "x=1").
struct SplitTarget {
  std::string_view path;
  std::string_view query;  // without '?'; empty if none
};
SplitTarget SplitRequestTarget(std::string_view target);

// The raw (still percent-encoded) segments of an absolute path: "/v1/posicoes/123" ->
// {"v1","posicoes","123"}. Empty segments are kept ("/a//b/" -> {"a","","b",""}). nullopt if
// `path` does not start with '/' or has more than kPathSegmentsMax segments.
using PathSegments = boost::container::static_vector<std::string_view, kPathSegmentsMax>;
std::optional<PathSegments> SplitPath(std::string_view path);

// The percent-decoded value of the first query parameter named `name` (names compare after
// decoding; "x" and "x=" both give ""). nullopt if absent, or if its value has a malformed escape,
// in which case `*malformed` is set to true (else false).
std::optional<std::string> FindQueryParameter(std::string_view query, std::string_view name,
                                              bool* malformed);

// True if `content_type` names application/json, ignoring case, surrounding spaces and parameters
// ("application/json; charset=utf-8").
bool IsJsonMediaType(std::string_view content_type);

// A page size (limit=, the seed's quantidade_itens): ASCII digits only (no sign, fraction or
// exponent) of a value in 1..limits::kPageLimitMax; nullopt otherwise.
std::optional<std::size_t> ParsePageSize(std::string_view text);

}  // namespace estoque::api
