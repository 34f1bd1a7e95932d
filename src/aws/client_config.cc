#include "aws/client_config.h"

namespace estoque::aws {

Result<AwsClientConfig> ResolveClientConfig(const ConfigSources& sources,
                                            std::string_view service) {
  AwsClientConfig config;
  Result<std::string> region = ResolveRegion(sources);
  if (!region.ok()) {
    const Status& status = region.status();
    return Status(status.code(), "AWS region: " + status.message());
  }
  config.region = std::move(region).value();
  Result<ResolvedCredentials> credentials = ResolveCredentials(sources);
  if (!credentials.ok()) {
    const Status& status = credentials.status();
    return Status(status.code(), "AWS credentials: " + status.message());
  }
  config.credentials = std::move(credentials).value().credentials;
  Result<Endpoint> endpoint = ResolveEndpoint(sources, service, config.region);
  if (!endpoint.ok()) {
    const Status& status = endpoint.status();
    return Status(status.code(), std::string(service) + " endpoint: " + status.message());
  }
  config.endpoint = std::move(endpoint).value();
  return config;
}

}  // namespace estoque::aws
