#include "app/dynamodb_backend.h"

#include <utility>

namespace estoque::app {

aws::dynamodb::TableSetup TableSetupOf(const ServeConfig& config) {
  aws::dynamodb::TableSetup setup;
  setup.prefix = config.dynamodb_table_prefix;
  setup.billing_mode = config.dynamodb_billing_mode == "provisioned"
                           ? aws::dynamodb::BillingMode::kProvisioned
                           : aws::dynamodb::BillingMode::kPayPerRequest;
  setup.throughput.read_capacity_units = config.dynamodb_rcu;
  setup.throughput.write_capacity_units = config.dynamodb_wcu;
  return setup;
}

Result<aws::AwsClientConfig> DynamoDbClientConfig(const ServeConfig& config,
                                                  const aws::ConfigSources& sources) {
  // The options take the place of the variables they override, so the chains stay the AWS
  // SDKs' (aws/endpoint.h, aws/credentials.h) with the options first.
  aws::ConfigSources with_options = sources;
  with_options.environment = [&config, environment = sources.environment](
                                 std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_REGION" && !config.aws_region.empty()) return config.aws_region;
    if (!config.dynamodb_endpoint.empty()) {
      if (name == "AWS_ENDPOINT_URL_DYNAMODB") return config.dynamodb_endpoint;
      if (name == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") return std::nullopt;
    }
    return environment(name);
  };
  return aws::ResolveClientConfig(with_options, "dynamodb");
}

Result<std::unique_ptr<DynamoBackend>> OpenDynamoBackend(const ServeConfig& config,
                                                         const aws::ConfigSources& sources) {
  Result<aws::AwsClientConfig> client_config = DynamoDbClientConfig(config, sources);
  if (!client_config.ok()) return client_config.status();
  auto backend = std::make_unique<DynamoBackend>();
  backend->client_config = *client_config;
  backend->client = std::make_unique<aws::dynamodb::DynamoDbClient>(std::move(*client_config));
  const aws::dynamodb::TableSetup tables = TableSetupOf(config);

  catalog::DynamoCatalogOptions catalog_options;
  catalog_options.tables = tables;
  auto catalog = catalog::DynamoCatalog::Open(backend->client.get(), catalog_options);
  if (!catalog.ok()) {
    return Status(catalog.status().code(), "catalog tables: " + catalog.status().message());
  }
  backend->catalog = std::move(*catalog);

  if (config.auth == "on") {
    auth::DynamoKeyStoreOptions key_options;
    key_options.tables = tables;
    auto keys = auth::DynamoKeyStore::Open(backend->client.get(), key_options);
    if (!keys.ok()) return Status(keys.status().code(), "API key table: " + keys.status().message());
    backend->keys = std::move(*keys);
  }

  auth::DynamoAuditLogOptions audit_options;
  audit_options.tables = tables;
  auto audit = auth::DynamoAuditLog::Open(backend->client.get(), audit_options);
  if (!audit.ok()) return Status(audit.status().code(), "audit table: " + audit.status().message());
  backend->audit = std::move(*audit);
  return backend;
}

Result<std::unique_ptr<store::dynamo::DynamoInventoryStore>> OpenDynamoInventory(
    const DynamoBackend& backend, const ServeConfig& config, store::InventoryPolicy* policy) {
  const aws::dynamodb::TableSetup tables = TableSetupOf(config);
  store::dynamo::DynamoStoreOptions options;
  options.table_prefix = tables.prefix;
  options.billing_mode = tables.billing_mode;
  options.throughput = tables.throughput;
  auto store = store::dynamo::OpenDynamoInventoryStore(backend.client_config, options, policy);
  if (!store.ok()) {
    return Status(store.status().code(), "inventory tables: " + store.status().message());
  }
  return store;
}

}  // namespace estoque::app
