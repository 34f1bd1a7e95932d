// Table administration on a DynamoDbClient: create a table with its global secondary indexes in
// either billing mode, describe it, wait until it (and every index) is ACTIVE, turn on TTL.
// Thread-safe as the client is.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "aws/aws_error.h"
#include "aws/dynamodb_client.h"

namespace estoque::aws::dynamodb {

enum class AttributeType { kString, kNumber, kBinary };  // "S", "N", "B"

struct KeyAttribute {
  std::string name;
  AttributeType type = AttributeType::kString;
};

struct KeySchema {
  KeyAttribute partition;              // HASH
  std::optional<KeyAttribute> sort;    // RANGE; nullopt: none
};

enum class BillingMode { kPayPerRequest, kProvisioned };

struct ProvisionedThroughput {
  std::int64_t read_capacity_units = 5;   // the seed's 5 RCU / 5 WCU
  std::int64_t write_capacity_units = 5;
};

enum class ProjectionType { kAll, kKeysOnly, kInclude };

struct GlobalSecondaryIndex {
  std::string name;
  KeySchema key;
  ProjectionType projection = ProjectionType::kAll;
  std::vector<std::string> non_key_attributes;  // kInclude only
  ProvisionedThroughput throughput;              // kProvisioned only
};

struct TableSpec {
  std::string name;
  KeySchema key;
  std::vector<GlobalSecondaryIndex> indexes;
  BillingMode billing_mode = BillingMode::kPayPerRequest;
  ProvisionedThroughput throughput;  // kProvisioned only
};

// The CreateTable request for `spec` (AttributeDefinitions collected from the keys of the table
// and its indexes, each once).
boost::json::object CreateTableBody(const TableSpec& spec);

// Creates the table. ResourceInUseException when it exists (CreateTableIfMissing ignores that).
// Returns the TableDescription.
AwsResult<boost::json::object> CreateTable(DynamoDbClient& client, const TableSpec& spec);

// DescribeTable, and CreateTable only when the table does not exist ("already exists", from a
// node creating it at the same moment, counts as success). An existing table is not compared with
// `spec`, and is found without calling CreateTable, so a deployment whose tables exist needs no
// dynamodb:CreateTable permission (docs/DEPLOY.md).
AwsResult<boost::json::object> CreateTableIfMissing(DynamoDbClient& client, const TableSpec& spec);

// The TableDescription; ResourceNotFoundException when there is no such table.
AwsResult<boost::json::object> DescribeTable(DynamoDbClient& client, const std::string& table);

// Polls DescribeTable every `poll_interval` (sleeping with the client's retry hooks) until the
// table and each of its global secondary indexes are ACTIVE, at most `polls_max` times. The
// TableDescription when they are; an AwsError with code "TableNotActive" (http_status 0, so
// retryable) when they are not after the last poll; DescribeTable's errors as they are.
// REQUIRES: polls_max >= 1.
AwsResult<boost::json::object> WaitUntilTableActive(
    DynamoDbClient& client, const std::string& table,
    std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500), int polls_max = 120);

// Enables (or disables) TTL on `attribute`: DynamoDB deletes items whose `attribute` (a Number of
// Unix seconds) is in the past, typically within a few days. The service refuses to enable TTL
// when it is already enabled (ValidationException); EnableTimeToLive treats that as success.
AwsResult<Done> UpdateTimeToLive(DynamoDbClient& client, const std::string& table,
                                 const std::string& attribute, bool enabled);
AwsResult<Done> EnableTimeToLive(DynamoDbClient& client, const std::string& table,
                                 const std::string& attribute);

// Deletes the table (tests). ResourceNotFoundException when there is none.
AwsResult<Done> DeleteTable(DynamoDbClient& client, const std::string& table);

// How the server's tables are named and created (estoque serve --dynamodb-table-prefix,
// --dynamodb-billing-mode, --dynamodb-rcu, --dynamodb-wcu). Every table of the DynamoDB backend
// (catalog, keys, audit, inventory) is created through EnsureTable with the same setup.
struct TableSetup {
  std::string prefix = "estoque_";  // prepended to every table name
  BillingMode billing_mode = BillingMode::kPayPerRequest;
  ProvisionedThroughput throughput;  // kProvisioned: of the table and of each of its indexes
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500);  // WaitUntilTableActive
  int polls_max = 120;
};

// `spec` as `setup` creates it: the name prefixed, the billing mode and throughput applied to the
// table and every index.
TableSpec ApplyTableSetup(TableSpec spec, const TableSetup& setup);

// Creates the table ApplyTableSetup(spec, setup) gives if it is missing (an existing table is
// used as it is, even if its capacity differs) and waits until it and its indexes are ACTIVE.
// Returns its TableDescription; the errors of CreateTableIfMissing and WaitUntilTableActive.
AwsResult<boost::json::object> EnsureTable(DynamoDbClient& client, const TableSpec& spec,
                                           const TableSetup& setup);

}  // namespace estoque::aws::dynamodb
