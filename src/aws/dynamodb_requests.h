// The requests and answers of the DynamoDB operations the store needs, as plain structs
// (dynamodb_client.h sends them). Items, keys and expression values stay in DynamoDB's own JSON
// form, an object of attribute name -> AttributeValue:
//   {"codigo_barra": {"S": "7891000100103"}, "quantidade": {"N": "12"}}
// so nothing is lost or converted between the store and the wire. Limits are DynamoDB's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace estoque::aws::dynamodb {

// DynamoDB's limits on one request.
inline constexpr std::size_t kTransactWriteActionsMax = 100;
inline constexpr std::size_t kBatchWriteRequestsMax = 25;
inline constexpr std::size_t kBatchGetKeysMax = 100;
inline constexpr std::size_t kClientRequestTokenBytesMax = 36;

// attribute name -> AttributeValue.
using Item = boost::json::object;

// A condition (or update) expression with its placeholders: "#q" in `names`, ":v" in `values`.
struct Expression {
  std::string text;  // empty: none
  boost::json::object names;   // ExpressionAttributeNames: "#q" -> "quantidade"
  boost::json::object values;  // ExpressionAttributeValues: ":v" -> {"N": "1"}
};

struct PutItemRequest {
  std::string table;
  Item item;
  Expression condition;  // ConditionExpression, e.g. "attribute_not_exists(pk)"
  // ReturnValuesOnConditionCheckFailure ALL_OLD: a refused condition returns the current item
  // in the error (ConditionFailureItem), so no second read is needed.
  bool return_item_on_condition_failure = false;
};

struct GetItemRequest {
  std::string table;
  Item key;
  bool consistent_read = true;  // strongly consistent: costs 1 RCU per 4 KB instead of 0.5
};

struct UpdateItemRequest {
  std::string table;
  Item key;
  // UpdateExpression ("ADD quantidade :d SET atualizado = :t"), with the placeholders of both it
  // and `condition_text` in `expression.names` / `expression.values`.
  Expression expression;
  std::string condition_text;  // ConditionExpression; empty: none
  // ReturnValues: NONE, ALL_NEW, ALL_OLD, UPDATED_NEW, UPDATED_OLD.
  std::string return_values = "NONE";
  bool return_item_on_condition_failure = false;
};

struct DeleteItemRequest {
  std::string table;
  Item key;
  Expression condition;
  bool return_item_on_condition_failure = false;
};

struct WriteOutput {
  Item attributes;  // the ReturnValues asked for (empty for NONE)
  double consumed_capacity_units = 0;
};

struct GetItemOutput {
  std::optional<Item> item;  // nullopt: no such item
  double consumed_capacity_units = 0;
};

struct QueryRequest {
  std::string table;
  std::string index_name;  // empty: the table itself
  // KeyConditionExpression ("filial = :f"), with its placeholders; `filter_text` (empty: none)
  // shares them.
  Expression key_condition;
  std::string filter_text;
  bool scan_index_forward = true;
  bool consistent_read = false;  // not allowed on a global secondary index
  std::int64_t limit = 0;        // items evaluated per page; 0 = DynamoDB's 1 MB page
  Item exclusive_start_key;      // the previous page's last_evaluated_key; empty = first page
};

struct QueryPage {
  std::vector<Item> items;
  std::optional<Item> last_evaluated_key;  // nullopt: this was the last page
  double consumed_capacity_units = 0;
};

struct ScanRequest {
  std::string table;
  std::string index_name;  // empty: the table itself
  // FilterExpression (empty: none) with its placeholders.
  Expression filter;
  bool consistent_read = false;
  std::int64_t limit = 0;    // items evaluated per page; 0 = DynamoDB's 1 MB page
  Item exclusive_start_key;  // the previous page's last_evaluated_key; empty = first page
};

// One key of a BatchGetItem.
struct BatchGetKey {
  std::string table;
  Item key;
};

struct BatchGetOutput {
  // The items found, by table, in no particular order (keys without an item are absent).
  std::map<std::string, std::vector<Item>> items;
  // Keys DynamoDB still had not read after every round, in its RequestItems form; empty when all
  // were read.
  boost::json::object unprocessed_keys;
  int rounds = 0;
  double consumed_capacity_units = 0;

  bool complete() const { return unprocessed_keys.empty(); }
};

// One TransactWriteItems: up to kTransactWriteActionsMax actions, each one of
//   {"Put": {...}}, {"Update": {...}}, {"Delete": {...}}, {"ConditionCheck": {...}}
// in DynamoDB's JSON form (TransactWriteAction builds them).
struct TransactWriteRequest {
  std::vector<boost::json::object> actions;
  // Makes the call idempotent for 10 minutes: a replay with the same token and the same actions
  // succeeds without writing again. At most kClientRequestTokenBytesMax bytes; empty: none.
  std::string client_request_token;
};

struct TransactWriteOutput {
  double consumed_capacity_units = 0;
};

// Why DynamoDB cancelled one action of a transaction (CancellationReasons, in action order).
struct CancellationReason {
  std::string code;  // "None" for an action that was fine, "ConditionalCheckFailed", ...
  std::string message;
  std::optional<Item> item;  // the current item, when the action asked for ALL_OLD
};

// One request of a BatchWriteItem.
struct BatchWriteRequest {
  std::string table;
  bool is_delete = false;  // false: PutRequest of `item`; true: DeleteRequest of the key `item`
  Item item;
};

struct BatchWriteOutput {
  // Requests DynamoDB still had not processed after every round, in its RequestItems form
  // (table -> [{"PutRequest": ...}]); empty when all were written.
  boost::json::object unprocessed_items;
  int rounds = 0;  // BatchWriteItem calls made
  double consumed_capacity_units = 0;

  bool complete() const { return unprocessed_items.empty(); }
};

}  // namespace estoque::aws::dynamodb
