// Where requests to an AWS service go, resolved as the AWS SDKs do (docs/AWS.md):
//   1. AWS_ENDPOINT_URL_<SERVICE> (DYNAMODB, SQS): one service's endpoint, e.g. DynamoDB Local;
//   2. AWS_ENDPOINT_URL: every service's endpoint (ScyllaDB Alternator, an emulator);
//   3. https://<service>.<region>.amazonaws.com (".amazonaws.com.cn" for the cn-* regions).
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips 1 and 2. Not implemented: endpoint_url in the
// config file's profile and [services] sections, FIPS and dual-stack endpoints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "common/result.h"

namespace estoque::aws {

// A parsed http(s) endpoint URL.
struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name or an address; an IPv6 address without its brackets
  std::uint16_t port = 0;  // the URL's port, or the scheme's default (80, 443)
  std::string path = "/";  // the URL's path, "/" when it has none

  // The Host header to send (and sign): host, bracketed when IPv6, with ":port" when the port is
  // not the scheme's default.
  std::string HostHeader() const;
  // scheme://HostHeader()path
  std::string Url() const;
};

// Parses "http(s)://host[:port][/path]". InvalidArgument, naming the problem, for another scheme,
// an empty host, a port outside 1..65535, user information ('@'), a query or a fragment.
Result<Endpoint> ParseEndpointUrl(std::string_view url);

// The endpoint of `service` (the SDK's service id in lowercase: "dynamodb", "sqs") in `region`.
// REQUIRES: service is non-empty, lowercase letters, digits and '-'.
// InvalidArgument when a configured URL does not parse (naming the variable) or, with no URL
// configured, when region is empty.
Result<Endpoint> ResolveEndpoint(const ConfigSources& sources, std::string_view service,
                                 std::string_view region);

}  // namespace estoque::aws
