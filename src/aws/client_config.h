// AwsClientConfig: everything an AWS service client needs to reach and sign for a service, and
// how patient it is (timeouts, retries). Filled from the environment and profile files by
// ResolveClientConfig, or by hand (tests, an emulator).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/endpoint.h"
#include "aws/http_client.h"
#include "aws/retry.h"
#include "common/result.h"

namespace estoque::aws {

struct AwsClientConfig {
  Endpoint endpoint;
  std::string region;  // the signing region
  Credentials credentials;
  HttpClientOptions http;
  RetryOptions retry;
  RetryHooks retry_hooks = RealRetryHooks();
  // The signing time of each send. Must be thread-safe.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

// Credentials, region and endpoint of `service` ("dynamodb", "sqs") from the chains of
// credentials.h and endpoint.h; the other fields keep their defaults. Fails as
// ResolveCredentials, ResolveRegion and ResolveEndpoint do, naming the part that failed.
Result<AwsClientConfig> ResolveClientConfig(const ConfigSources& sources, std::string_view service);

}  // namespace estoque::aws
