// The server address of `estoque load --url`: http://host[:port][/prefix].
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::load {

struct BaseUrl {
  std::string host;         // name or address as written ("127.0.0.1", "::1" without brackets)
  std::string port;         // "80" when absent
  std::string host_header;  // the Host header value: host[:port] as written
  std::string path_prefix;  // "" or "/prefix" (no trailing slash), prepended to every target
};

// Parses `url`. InvalidArgument unless it is http:// (https is not supported), has a host, a
// numeric port 1..65535 if any, and no query or fragment.
Result<BaseUrl> ParseBaseUrl(std::string_view url);

}  // namespace estoque::load
