#include "aws/dynamodb_tables.h"

#include <cassert>
#include <set>

namespace estoque::aws::dynamodb {
namespace {

namespace json = boost::json;

std::string_view TypeName(AttributeType type) {
  switch (type) {
    case AttributeType::kString: return "S";
    case AttributeType::kNumber: return "N";
    case AttributeType::kBinary: return "B";
  }
  return "S";
}

json::array KeySchemaJson(const KeySchema& key) {
  json::array schema;
  schema.push_back(json::object{{"AttributeName", key.partition.name}, {"KeyType", "HASH"}});
  if (key.sort) {
    schema.push_back(json::object{{"AttributeName", key.sort->name}, {"KeyType", "RANGE"}});
  }
  return schema;
}

json::object ThroughputJson(const ProvisionedThroughput& throughput) {
  return {{"ReadCapacityUnits", throughput.read_capacity_units},
          {"WriteCapacityUnits", throughput.write_capacity_units}};
}

json::object ProjectionJson(const GlobalSecondaryIndex& index) {
  switch (index.projection) {
    case ProjectionType::kAll: return {{"ProjectionType", "ALL"}};
    case ProjectionType::kKeysOnly: return {{"ProjectionType", "KEYS_ONLY"}};
    case ProjectionType::kInclude: {
      json::array names;
      for (const std::string& name : index.non_key_attributes) names.push_back(json::string(name));
      return {{"ProjectionType", "INCLUDE"}, {"NonKeyAttributes", std::move(names)}};
    }
  }
  return {{"ProjectionType", "ALL"}};
}

void AddDefinitions(const KeySchema& key, std::set<std::string>& seen, json::array& definitions) {
  const auto add = [&](const KeyAttribute& attribute) {
    if (!seen.insert(attribute.name).second) return;
    definitions.push_back(json::object{{"AttributeName", attribute.name},
                                       {"AttributeType", TypeName(attribute.type)}});
  };
  add(key.partition);
  if (key.sort) add(*key.sort);
}

bool IsActive(const json::object& description) {
  const json::value* status = description.if_contains("TableStatus");
  if (status == nullptr || !status->is_string() || status->get_string() != "ACTIVE") return false;
  const json::value* indexes = description.if_contains("GlobalSecondaryIndexes");
  if (indexes == nullptr || !indexes->is_array()) return true;
  for (const json::value& index : indexes->get_array()) {
    if (!index.is_object()) return false;
    const json::value* index_status = index.get_object().if_contains("IndexStatus");
    if (index_status == nullptr || !index_status->is_string() ||
        index_status->get_string() != "ACTIVE") {
      return false;
    }
  }
  return true;
}

AwsResult<json::object> TableDescription(AwsResult<json::object> response, std::string_view field) {
  if (!response.ok()) return std::move(response).error();
  const json::value* description = response->if_contains(field);
  if (description == nullptr || !description->is_object()) {
    AwsError error;
    error.code = std::string(kMalformedResponseCode);
    error.message = "the response has no " + std::string(field);
    error.http_status = 200;
    return error;
  }
  return description->get_object();
}

}  // namespace

json::object CreateTableBody(const TableSpec& spec) {
  std::set<std::string> seen;
  json::array definitions;
  AddDefinitions(spec.key, seen, definitions);
  for (const GlobalSecondaryIndex& index : spec.indexes) AddDefinitions(index.key, seen, definitions);
  const bool provisioned = spec.billing_mode == BillingMode::kProvisioned;
  json::object body{{"TableName", spec.name},
                    {"KeySchema", KeySchemaJson(spec.key)},
                    {"AttributeDefinitions", std::move(definitions)},
                    {"BillingMode", provisioned ? "PROVISIONED" : "PAY_PER_REQUEST"}};
  if (provisioned) body["ProvisionedThroughput"] = ThroughputJson(spec.throughput);
  if (!spec.indexes.empty()) {
    json::array indexes;
    for (const GlobalSecondaryIndex& index : spec.indexes) {
      json::object entry{{"IndexName", index.name},
                         {"KeySchema", KeySchemaJson(index.key)},
                         {"Projection", ProjectionJson(index)}};
      if (provisioned) entry["ProvisionedThroughput"] = ThroughputJson(index.throughput);
      indexes.push_back(std::move(entry));
    }
    body["GlobalSecondaryIndexes"] = std::move(indexes);
  }
  return body;
}

AwsResult<json::object> CreateTable(DynamoDbClient& client, const TableSpec& spec) {
  return TableDescription(client.Call("CreateTable", CreateTableBody(spec)), "TableDescription");
}

AwsResult<json::object> CreateTableIfMissing(DynamoDbClient& client, const TableSpec& spec) {
  AwsResult<json::object> existing = DescribeTable(client, spec.name);
  if (existing.ok() || existing.error().code != "ResourceNotFoundException") return existing;
  AwsResult<json::object> created = CreateTable(client, spec);
  if (!created.ok() && created.error().code == "ResourceInUseException") {
    return DescribeTable(client, spec.name);
  }
  return created;
}

AwsResult<json::object> DescribeTable(DynamoDbClient& client, const std::string& table) {
  return TableDescription(client.Call("DescribeTable", {{"TableName", table}}), "Table");
}

AwsResult<json::object> WaitUntilTableActive(DynamoDbClient& client, const std::string& table,
                                             std::chrono::milliseconds poll_interval,
                                             int polls_max) {
  assert(polls_max >= 1);
  for (int poll = 1;; ++poll) {
    AwsResult<json::object> description = DescribeTable(client, table);
    if (!description.ok() || IsActive(*description)) return description;
    if (poll >= polls_max) {
      AwsError error;
      error.code = "TableNotActive";
      error.message = "table " + table + " (or one of its indexes) not ACTIVE after " +
                      std::to_string(polls_max) + " polls";
      return error;
    }
    client.transport().retry().hooks().sleep(poll_interval);
  }
}

AwsResult<Done> UpdateTimeToLive(DynamoDbClient& client, const std::string& table,
                                 const std::string& attribute, bool enabled) {
  AwsResult<json::object> response = client.Call(
      "UpdateTimeToLive",
      {{"TableName", table},
       {"TimeToLiveSpecification", {{"AttributeName", attribute}, {"Enabled", enabled}}}});
  if (!response.ok()) return std::move(response).error();
  return Done{};
}

AwsResult<Done> EnableTimeToLive(DynamoDbClient& client, const std::string& table,
                                 const std::string& attribute) {
  // Already on for this attribute: nothing to change (and no UpdateTimeToLive permission needed).
  AwsResult<json::object> described = client.Call("DescribeTimeToLive", {{"TableName", table}});
  if (described.ok()) {
    const json::object* description = described->if_contains("TimeToLiveDescription")
                                          ? described->at("TimeToLiveDescription").if_object()
                                          : nullptr;
    if (description != nullptr) {
      const json::value* status = description->if_contains("TimeToLiveStatus");
      const json::value* name = description->if_contains("AttributeName");
      if (status != nullptr && name != nullptr && name->is_string() &&
          name->as_string() == attribute && status->is_string() &&
          (status->as_string() == "ENABLED" || status->as_string() == "ENABLING")) {
        return Done{};
      }
    }
  }
  AwsResult<Done> updated = UpdateTimeToLive(client, table, attribute, true);
  if (!updated.ok() && updated.error().code == "ValidationException" &&
      updated.error().message.find("already enabled") != std::string::npos) {
    return Done{};
  }
  return updated;
}

AwsResult<Done> DeleteTable(DynamoDbClient& client, const std::string& table) {
  AwsResult<json::object> response = client.Call("DeleteTable", {{"TableName", table}});
  if (!response.ok()) return std::move(response).error();
  return Done{};
}

TableSpec ApplyTableSetup(TableSpec spec, const TableSetup& setup) {
  spec.name = setup.prefix + spec.name;
  spec.billing_mode = setup.billing_mode;
  spec.throughput = setup.throughput;
  for (GlobalSecondaryIndex& index : spec.indexes) index.throughput = setup.throughput;
  return spec;
}

AwsResult<json::object> EnsureTable(DynamoDbClient& client, const TableSpec& spec,
                                    const TableSetup& setup) {
  const TableSpec applied = ApplyTableSetup(spec, setup);
  AwsResult<json::object> created = CreateTableIfMissing(client, applied);
  if (!created.ok()) return created;
  return WaitUntilTableActive(client, applied.name, setup.poll_interval, setup.polls_max);
}

}  // namespace estoque::aws::dynamodb
