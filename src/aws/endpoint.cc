#include "aws/endpoint.h"

#include <cassert>
#include <charconv>

namespace estoque::aws {
namespace {

constexpr std::uint16_t kHttpPort = 80;
constexpr std::uint16_t kHttpsPort = 443;

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::uint16_t DefaultPort(std::string_view scheme) {
  return scheme == "https" ? kHttpsPort : kHttpPort;
}

// Used only by an assert.
[[maybe_unused]] bool IsServiceId(std::string_view service) {
  if (service.empty()) return false;
  for (char c : service) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// "dynamodb" -> "AWS_ENDPOINT_URL_DYNAMODB"; '-' becomes '_' as the SDKs do with spaces.
std::string ServiceEndpointVariable(std::string_view service) {
  std::string variable = "AWS_ENDPOINT_URL_";
  for (char c : service) {
    variable += c == '-' ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return variable;
}

Result<Endpoint> ParseConfigured(std::string_view variable, const std::string& url) {
  Result<Endpoint> endpoint = ParseEndpointUrl(url);
  if (!endpoint.ok()) {
    return Status::InvalidArgument(std::string(variable) + ": " + endpoint.status().message());
  }
  return endpoint;
}

}  // namespace

std::string Endpoint::HostHeader() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string header = ipv6 ? "[" + host + "]" : host;
  if (port != DefaultPort(scheme)) header += ":" + std::to_string(port);
  return header;
}

std::string Endpoint::Url() const { return scheme + "://" + HostHeader() + path; }

Result<Endpoint> ParseEndpointUrl(std::string_view url) {
  const std::string quoted = "endpoint URL '" + std::string(url) + "'";
  Endpoint endpoint;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::InvalidArgument(quoted + " does not start with http:// or https://");
  }
  endpoint.scheme = Lowercase(url.substr(0, scheme_end));
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return Status::InvalidArgument(quoted + " has scheme '" + endpoint.scheme +
                                   "'; only http and https are supported");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument(quoted + " has a query or fragment");
  }
  const std::size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  if (path_start != std::string_view::npos) endpoint.path = std::string(rest.substr(path_start));
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument(quoted + " has user information ('@')");
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(quoted + " has an IPv6 address without its ']'");
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument(quoted + " has text after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return Status::InvalidArgument(quoted + " has an empty port");
    }
  } else {
    const std::size_t colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Status::InvalidArgument(quoted + " has an empty port");
    }
  }
  if (endpoint.host.empty()) return Status::InvalidArgument(quoted + " has no host");

  endpoint.port = DefaultPort(endpoint.scheme);
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::InvalidArgument(quoted + " has port '" + std::string(port_text) +
                                     "'; expected 1..65535");
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  }
  return endpoint;
}

Result<Endpoint> ResolveEndpoint(const ConfigSources& sources, std::string_view service,
                                 std::string_view region) {
  assert(IsServiceId(service));
  std::optional<std::string> ignore = EnvironmentValue(sources, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (!ignore || Lowercase(*ignore) != "true") {
    const std::string service_variable = ServiceEndpointVariable(service);
    if (std::optional<std::string> url = EnvironmentValue(sources, service_variable)) {
      return ParseConfigured(service_variable, *url);
    }
    if (std::optional<std::string> url = EnvironmentValue(sources, "AWS_ENDPOINT_URL")) {
      return ParseConfigured("AWS_ENDPOINT_URL", *url);
    }
  }
  if (region.empty()) {
    return Status::InvalidArgument("no endpoint for " + std::string(service) +
                                   ": no endpoint URL is configured and the region is empty");
  }
  const std::string_view domain =
      region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return ParseEndpointUrl("https://" + std::string(service) + "." + std::string(region) + "." +
                          std::string(domain));
}

}  // namespace estoque::aws
