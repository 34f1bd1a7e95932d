// `estoque serve --store dynamodb`: the DynamoDB client the options and the AWS chains describe,
// and the parts of the server that live in DynamoDB tables (catalog, API keys, audit log), each
// creating its tables on first start in the configured billing mode (docs/DYNAMODB.md); then the
// inventory store, which needs the catalog (through the inventory policy) first.
#pragma once

#include <memory>

#include "app/serve_config.h"
#include "auth/dynamo_audit_log.h"
#include "auth/dynamo_key_store.h"
#include "aws/client_config.h"
#include "aws/credentials.h"
#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"
#include "catalog/dynamo_catalog.h"
#include "common/result.h"
#include "store/dynamo/dynamo_inventory_store.h"
#include "store/inventory_store.h"

namespace estoque::app {

// The table setup of --dynamodb-table-prefix, --dynamodb-billing-mode, --dynamodb-rcu/-wcu.
// REQUIRES: ValidateStoreOptions(config).ok()
aws::dynamodb::TableSetup TableSetupOf(const ServeConfig& config);

// The DynamoDB client configuration: --dynamodb-endpoint and --aws-region when given, else the
// AWS chains (aws/client_config.h: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, the region's
// endpoint; AWS_REGION, AWS_DEFAULT_REGION, the profile; credentials from the environment or the
// shared files). Errors name what is missing ("AWS region: ...", "AWS credentials: ...").
Result<aws::AwsClientConfig> DynamoDbClientConfig(const ServeConfig& config,
                                                  const aws::ConfigSources& sources);

// What serve runs on DynamoDB. Members are destroyed in reverse order: the client last.
struct DynamoBackend {
  aws::AwsClientConfig client_config;  // what `client` was made with (for other clients: the store)
  std::unique_ptr<aws::dynamodb::DynamoDbClient> client;
  std::unique_ptr<catalog::DynamoCatalog> catalog;
  std::unique_ptr<auth::DynamoKeyStore> keys;  // null with --auth off
  std::unique_ptr<auth::DynamoAuditLog> audit;
};

// Resolves the client and opens catalog, keys (unless config.auth is "off") and audit log,
// creating their tables if missing. The first error, saying which part failed.
Result<std::unique_ptr<DynamoBackend>> OpenDynamoBackend(const ServeConfig& config,
                                                         const aws::ConfigSources& sources);

// The inventory store on the backend's client configuration and the tables of --dynamodb-*,
// created when missing. `policy` (the catalog's) must outlive the store.
Result<std::unique_ptr<store::dynamo::DynamoInventoryStore>> OpenDynamoInventory(
    const DynamoBackend& backend, const ServeConfig& config, store::InventoryPolicy* policy);

}  // namespace estoque::app
