#include "api/http_util.h"

#include "common/limits.h"

#include <boost/beast/http/field.hpp>

namespace estoque::api {

namespace http = boost::beast::http;

HttpResponse MakeJsonResponse(http::status status, std::string body, unsigned http_version,
                              bool keep_alive) {
  HttpResponse response{status, http_version};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

SplitTarget SplitRequestTarget(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

std::optional<PathSegments> SplitPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  PathSegments segments;
  std::string_view rest = path.substr(1);
  while (true) {
    if (segments.size() == kPathSegmentsMax) return std::nullopt;
    const std::size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

std::optional<std::string> FindQueryParameter(std::string_view query, std::string_view name,
                                              bool* malformed) {
  *malformed = false;
  std::size_t seen = 0;
  while (!query.empty() && seen < kQueryParametersMax) {
    ++seen;
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t equals = pair.find('=');
    const std::string_view raw_name = pair.substr(0, equals);
    const std::string_view raw_value =
        equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    const std::optional<std::string> decoded_name = PercentDecode(raw_name, true);
    if (!decoded_name || *decoded_name != name) continue;
    std::optional<std::string> value = PercentDecode(raw_value, true);
    if (!value) *malformed = true;
    return value;
  }
  return std::nullopt;
}

bool IsJsonMediaType(std::string_view content_type) {
  const std::string_view media_type = TrimSpaces(content_type.substr(0, content_type.find(';')));
  constexpr std::string_view kJson = "application/json";
  if (media_type.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < kJson.size(); ++i) {
    if (AsciiLower(media_type[i]) != kJson[i]) return false;
  }
  return true;
}

std::optional<std::size_t> ParsePageSize(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  std::size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value < 1 || value > limits::kPageLimitMax) return std::nullopt;
  return value;
}

}  // namespace estoque::api
