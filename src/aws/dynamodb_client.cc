#include "aws/dynamodb_client.h"

#include <cassert>
#include <utility>

namespace estoque::aws::dynamodb {
namespace {

namespace json = boost::json;

// A request refused before it is sent, shaped like the service's own refusal.
AwsError LocalValidationError(std::string message) {
  AwsError error;
  error.code = "ValidationException";
  error.message = "refused before sending: " + std::move(message);
  error.http_status = 400;
  return error;
}

// Adds ConditionExpression (or the given key) and the placeholders of `expression`.
void AddExpression(json::object& body, std::string_view key, const Expression& expression) {
  if (!expression.text.empty()) body[key] = expression.text;
  if (!expression.names.empty()) body["ExpressionAttributeNames"] = expression.names;
  if (!expression.values.empty()) body["ExpressionAttributeValues"] = expression.values;
}

void AddReturnOnConditionFailure(json::object& body, bool return_item) {
  if (return_item) body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD";
}

json::object PutBody(const PutItemRequest& put) {
  json::object body{{"TableName", put.table}, {"Item", put.item}};
  AddExpression(body, "ConditionExpression", put.condition);
  AddReturnOnConditionFailure(body, put.return_item_on_condition_failure);
  return body;
}

json::object UpdateBody(const UpdateItemRequest& update) {
  json::object body{{"TableName", update.table}, {"Key", update.key}};
  AddExpression(body, "UpdateExpression", update.expression);
  if (!update.condition_text.empty()) body["ConditionExpression"] = update.condition_text;
  AddReturnOnConditionFailure(body, update.return_item_on_condition_failure);
  return body;
}

json::object DeleteBody(const DeleteItemRequest& del) {
  json::object body{{"TableName", del.table}, {"Key", del.key}};
  AddExpression(body, "ConditionExpression", del.condition);
  AddReturnOnConditionFailure(body, del.return_item_on_condition_failure);
  return body;
}

std::optional<Item> ObjectField(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_object()) return std::nullopt;
  return value->get_object();
}

double CapacityOf(const json::value& entry);

// A Query or Scan answer as a page.
AwsResult<QueryPage> ReadPage(AwsResult<json::object> response) {
  if (!response.ok()) return std::move(response).error();
  QueryPage page;
  if (const json::value* items = response->if_contains("Items"); items && items->is_array()) {
    for (const json::value& item : items->get_array()) {
      if (item.is_object()) page.items.push_back(item.get_object());
    }
  }
  page.last_evaluated_key = ObjectField(*response, "LastEvaluatedKey");
  page.consumed_capacity_units = ConsumedCapacityUnits(*response);
  return page;
}

// Up to `pages_max` pages of `read_page` (called with the previous page's LastEvaluatedKey, or
// nullptr for the first), joined; last_evaluated_key is set when more remain.
AwsResult<QueryPage> AllPages(int pages_max,
                              const std::function<AwsResult<QueryPage>(const Item*)>& read_page) {
  assert(pages_max >= 1);
  QueryPage all;
  for (int page_number = 0; page_number < pages_max; ++page_number) {
    AwsResult<QueryPage> page = read_page(all.last_evaluated_key ? &*all.last_evaluated_key : nullptr);
    if (!page.ok()) return std::move(page).error();
    for (Item& item : page->items) all.items.push_back(std::move(item));
    all.consumed_capacity_units += page->consumed_capacity_units;
    all.last_evaluated_key = std::move(page->last_evaluated_key);
    if (!all.last_evaluated_key) break;
  }
  return all;
}

double CapacityOf(const json::value& entry) {
  if (!entry.is_object()) return 0;
  const json::value* units = entry.get_object().if_contains("CapacityUnits");
  if (units == nullptr || !units->is_number()) return 0;
  return units->to_number<double>();
}

}  // namespace

double ConsumedCapacityUnits(const json::object& response) {
  const json::value* consumed = response.if_contains("ConsumedCapacity");
  if (consumed == nullptr) return 0;
  if (!consumed->is_array()) return CapacityOf(*consumed);
  double total = 0;
  for (const json::value& entry : consumed->get_array()) total += CapacityOf(entry);
  return total;
}

DynamoDbClient::DynamoDbClient(AwsClientConfig config, ClientOptions options)
    : client_(JsonServiceProtocol{std::string(kSigningName), std::string(kTargetPrefix)},
              std::move(config)),
      options_(options) {
  assert(options_.batch_rounds_max >= 1);
}

AwsResult<json::object> DynamoDbClient::Call(std::string_view operation, const json::object& body) {
  return client_.Call(operation, body);
}

AwsResult<WriteOutput> DynamoDbClient::PutItem(const PutItemRequest& request) {
  json::object body = PutBody(request);
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  AwsResult<json::object> response = Call("PutItem", body);
  if (!response.ok()) return std::move(response).error();
  return WriteOutput{ObjectField(*response, "Attributes").value_or(Item{}),
                     ConsumedCapacityUnits(*response)};
}

AwsResult<GetItemOutput> DynamoDbClient::GetItem(const GetItemRequest& request) {
  json::object body{{"TableName", request.table},
                    {"Key", request.key},
                    {"ConsistentRead", request.consistent_read}};
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  AwsResult<json::object> response = Call("GetItem", body);
  if (!response.ok()) return std::move(response).error();
  return GetItemOutput{ObjectField(*response, "Item"), ConsumedCapacityUnits(*response)};
}

AwsResult<WriteOutput> DynamoDbClient::UpdateItem(const UpdateItemRequest& request) {
  json::object body = UpdateBody(request);
  body["ReturnValues"] = request.return_values;
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  AwsResult<json::object> response = Call("UpdateItem", body);
  if (!response.ok()) return std::move(response).error();
  return WriteOutput{ObjectField(*response, "Attributes").value_or(Item{}),
                     ConsumedCapacityUnits(*response)};
}

AwsResult<WriteOutput> DynamoDbClient::DeleteItem(const DeleteItemRequest& request) {
  json::object body = DeleteBody(request);
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  AwsResult<json::object> response = Call("DeleteItem", body);
  if (!response.ok()) return std::move(response).error();
  return WriteOutput{ObjectField(*response, "Attributes").value_or(Item{}),
                     ConsumedCapacityUnits(*response)};
}

AwsResult<QueryPage> DynamoDbClient::Query(const QueryRequest& request) {
  json::object body{{"TableName", request.table},
                    {"ScanIndexForward", request.scan_index_forward},
                    {"ConsistentRead", request.consistent_read}};
  if (!request.index_name.empty()) body["IndexName"] = request.index_name;
  AddExpression(body, "KeyConditionExpression", request.key_condition);
  if (!request.filter_text.empty()) body["FilterExpression"] = request.filter_text;
  if (request.limit > 0) body["Limit"] = request.limit;
  if (!request.exclusive_start_key.empty()) body["ExclusiveStartKey"] = request.exclusive_start_key;
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  return ReadPage(Call("Query", body));
}

AwsResult<QueryPage> DynamoDbClient::QueryAll(QueryRequest request, int pages_max) {
  return AllPages(pages_max, [&](const Item* start_key) {
    request.exclusive_start_key = start_key != nullptr ? *start_key : Item{};
    return Query(request);
  });
}

AwsResult<QueryPage> DynamoDbClient::Scan(const ScanRequest& request) {
  json::object body{{"TableName", request.table}, {"ConsistentRead", request.consistent_read}};
  if (!request.index_name.empty()) body["IndexName"] = request.index_name;
  AddExpression(body, "FilterExpression", request.filter);
  if (request.limit > 0) body["Limit"] = request.limit;
  if (!request.exclusive_start_key.empty()) body["ExclusiveStartKey"] = request.exclusive_start_key;
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  return ReadPage(Call("Scan", body));
}

AwsResult<QueryPage> DynamoDbClient::ScanAll(ScanRequest request, int pages_max) {
  return AllPages(pages_max, [&](const Item* start_key) {
    request.exclusive_start_key = start_key != nullptr ? *start_key : Item{};
    return Scan(request);
  });
}

AwsResult<TransactWriteOutput> DynamoDbClient::TransactWriteItems(
    const TransactWriteRequest& request) {
  if (request.actions.empty()) return LocalValidationError("TransactWriteItems with no actions");
  if (request.actions.size() > kTransactWriteActionsMax) {
    return LocalValidationError("TransactWriteItems with " +
                                std::to_string(request.actions.size()) + " actions; at most " +
                                std::to_string(kTransactWriteActionsMax));
  }
  if (request.client_request_token.size() > kClientRequestTokenBytesMax) {
    return LocalValidationError("ClientRequestToken longer than " +
                                std::to_string(kClientRequestTokenBytesMax) + " bytes");
  }
  json::array actions;
  for (const json::object& action : request.actions) actions.push_back(action);
  json::object body{{"TransactItems", std::move(actions)}};
  if (!request.client_request_token.empty()) {
    body["ClientRequestToken"] = request.client_request_token;
  }
  if (options_.return_consumed_capacity) body["ReturnConsumedCapacity"] = "TOTAL";
  AwsResult<json::object> response = Call("TransactWriteItems", body);
  if (!response.ok()) return std::move(response).error();
  return TransactWriteOutput{ConsumedCapacityUnits(*response)};
}

AwsResult<BatchWriteOutput> DynamoDbClient::BatchWriteItem(
    const std::vector<BatchWriteRequest>& requests) {
  if (requests.empty()) return LocalValidationError("BatchWriteItem with no requests");
  if (requests.size() > kBatchWriteRequestsMax) {
    return LocalValidationError("BatchWriteItem with " + std::to_string(requests.size()) +
                                " requests; at most " + std::to_string(kBatchWriteRequestsMax));
  }
  json::object request_items;
  for (const BatchWriteRequest& request : requests) {
    json::value& list = request_items[request.table];
    if (!list.is_array()) list = json::array();
    if (request.is_delete) {
      list.get_array().push_back(json::object{{"DeleteRequest", {{"Key", request.item}}}});
    } else {
      list.get_array().push_back(json::object{{"PutRequest", {{"Item", request.item}}}});
    }
  }
  const bool capacity = options_.return_consumed_capacity;
  BatchWriteOutput output;
  AwsResult<json::object> unprocessed = BatchRounds(
      std::move(request_items), "UnprocessedItems", options_.batch_rounds_max, client_.retry(),
      [this, capacity](const json::object& items) {
        json::object body{{"RequestItems", items}};
        if (capacity) body["ReturnConsumedCapacity"] = "TOTAL";
        return Call("BatchWriteItem", body);
      },
      [&output](const json::object& answer) {
        output.consumed_capacity_units += ConsumedCapacityUnits(answer);
      },
      &output.rounds);
  if (!unprocessed.ok()) return std::move(unprocessed).error();
  output.unprocessed_items = std::move(*unprocessed);
  return output;
}

AwsResult<BatchGetOutput> DynamoDbClient::BatchGetItem(const std::vector<BatchGetKey>& keys,
                                                       bool consistent_read) {
  if (keys.empty()) return LocalValidationError("BatchGetItem with no keys");
  if (keys.size() > kBatchGetKeysMax) {
    return LocalValidationError("BatchGetItem with " + std::to_string(keys.size()) +
                                " keys; at most " + std::to_string(kBatchGetKeysMax));
  }
  json::object request_items;
  for (const BatchGetKey& key : keys) {
    json::value& table = request_items[key.table];
    if (!table.is_object()) {
      table = json::object{{"Keys", json::array()}, {"ConsistentRead", consistent_read}};
    }
    table.get_object()["Keys"].get_array().push_back(key.key);
  }
  const bool capacity = options_.return_consumed_capacity;
  BatchGetOutput output;
  AwsResult<json::object> unprocessed = BatchRounds(
      std::move(request_items), "UnprocessedKeys", options_.batch_rounds_max, client_.retry(),
      [this, capacity](const json::object& items) {
        json::object body{{"RequestItems", items}};
        if (capacity) body["ReturnConsumedCapacity"] = "TOTAL";
        return Call("BatchGetItem", body);
      },
      [&output](const json::object& answer) {
        output.consumed_capacity_units += ConsumedCapacityUnits(answer);
        const json::value* responses = answer.if_contains("Responses");
        if (responses == nullptr || !responses->is_object()) return;
        for (const auto& [table, items] : responses->get_object()) {
          if (!items.is_array()) continue;
          std::vector<Item>& found = output.items[std::string(table)];
          for (const json::value& item : items.get_array()) {
            if (item.is_object()) found.push_back(item.get_object());
          }
        }
      },
      &output.rounds);
  if (!unprocessed.ok()) return std::move(unprocessed).error();
  output.unprocessed_keys = std::move(*unprocessed);
  return output;
}

AwsResult<json::object> BatchRounds(
    json::object request_items, std::string_view unprocessed_field, int rounds_max,
    const RetryStrategy& retry,
    const std::function<AwsResult<json::object>(const json::object&)>& send,
    const std::function<void(const json::object&)>& on_answer, int* rounds) {
  assert(rounds_max >= 1);
  *rounds = 0;
  while (*rounds < rounds_max) {
    if (*rounds > 0) {
      retry.hooks().sleep(retry.hooks().jitter(BackoffCeiling(retry.options(), *rounds)));
    }
    ++*rounds;
    AwsResult<json::object> answer = send(request_items);
    if (!answer.ok()) return std::move(answer).error();
    on_answer(*answer);
    request_items = ObjectField(*answer, unprocessed_field).value_or(json::object{});
    if (request_items.empty()) break;
  }
  return request_items;
}

json::object TransactPut(const PutItemRequest& put) { return {{"Put", PutBody(put)}}; }

json::object TransactUpdate(const UpdateItemRequest& update) {
  return {{"Update", UpdateBody(update)}};
}

json::object TransactDelete(const DeleteItemRequest& del) { return {{"Delete", DeleteBody(del)}}; }

json::object TransactConditionCheck(std::string_view table, const Item& key,
                                    const Expression& condition,
                                    bool return_item_on_condition_failure) {
  json::object body{{"TableName", table}, {"Key", key}};
  AddExpression(body, "ConditionExpression", condition);
  AddReturnOnConditionFailure(body, return_item_on_condition_failure);
  return {{"ConditionCheck", std::move(body)}};
}

std::optional<Item> ConditionFailureItem(const AwsError& error) {
  if (error.code != "ConditionalCheckFailedException") return std::nullopt;
  return ObjectField(error.body, "Item");
}

std::vector<CancellationReason> CancellationReasons(const AwsError& error) {
  std::vector<CancellationReason> reasons;
  if (error.code != "TransactionCanceledException") return reasons;
  const json::value* list = error.body.if_contains("CancellationReasons");
  if (list == nullptr || !list->is_array()) return reasons;
  for (const json::value& entry : list->get_array()) {
    CancellationReason reason;
    if (entry.is_object()) {
      const json::object& object = entry.get_object();
      if (const json::value* code = object.if_contains("Code"); code && code->is_string()) {
        reason.code = std::string(code->get_string());
      }
      if (const json::value* text = object.if_contains("Message"); text && text->is_string()) {
        reason.message = std::string(text->get_string());
      }
      reason.item = ObjectField(object, "Item");
    }
    reasons.push_back(std::move(reason));
  }
  return reasons;
}

}  // namespace estoque::aws::dynamodb
