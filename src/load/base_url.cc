#include "load/base_url.h"

#include <charconv>

namespace estoque::load {

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  const auto fail = [&](std::string_view reason) {
    return Status::InvalidArgument("url " + std::string(url) + ": " + std::string(reason));
  };
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return fail("must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return fail("must not have a query");
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);

  BaseUrl result;
  result.host_header = std::string(authority);
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated [address]");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("bad port");
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return fail("missing host");
  if (port.data() != nullptr && port.empty()) return fail("bad port");
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return fail("bad port");
    }
  }
  result.host = std::string(host);
  result.port = port.empty() ? "80" : std::string(port);
  result.path_prefix = std::string(path);
  return result;
}

}  // namespace estoque::load
