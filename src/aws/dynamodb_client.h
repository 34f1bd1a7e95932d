// DynamoDbClient: the low-level DynamoDB client the DynamoDB store is built on. It speaks
// DynamoDB's JSON 1.0 protocol (X-Amz-Target: DynamoDB_20120810.<Operation>) through a
// JsonProtocolClient: SigV4-signed for "dynamodb", pooled keep-alive connections, timeouts and
// the standard retries (retry.h). Call() sends any operation; the typed methods build the
// requests the store needs and read their answers. Each asks for ReturnConsumedCapacity TOTAL
// (when return_consumed_capacity) so the store can count capacity units.
//
// Errors are AwsErrors with DynamoDB's code: ConditionalCheckFailedException (with the item when
// asked: ConditionFailureItem), TransactionCanceledException (CancellationReasons),
// ValidationException, ResourceNotFoundException, ... Table administration is in
// dynamodb_tables.h. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "aws/aws_error.h"
#include "aws/client_config.h"
#include "aws/dynamodb_requests.h"
#include "aws/json_protocol_client.h"

namespace estoque::aws::dynamodb {

inline constexpr std::string_view kTargetPrefix = "DynamoDB_20120810";
inline constexpr std::string_view kSigningName = "dynamodb";

struct ClientOptions {
  // ReturnConsumedCapacity TOTAL on every item operation.
  bool return_consumed_capacity = true;
  // Calls per BatchWriteItem / BatchGetItem: the first, then resubmissions of UnprocessedItems /
  // UnprocessedKeys with the retry backoff between them. REQUIRES: >= 1.
  int batch_rounds_max = 6;
};

class DynamoDbClient {
 public:
  explicit DynamoDbClient(AwsClientConfig config, ClientOptions options = {});

  // Sends operation `operation` ("PutItem") with `body`; the response object, or the AwsError.
  AwsResult<boost::json::object> Call(std::string_view operation, const boost::json::object& body);

  AwsResult<WriteOutput> PutItem(const PutItemRequest& request);
  AwsResult<GetItemOutput> GetItem(const GetItemRequest& request);
  AwsResult<WriteOutput> UpdateItem(const UpdateItemRequest& request);
  AwsResult<WriteOutput> DeleteItem(const DeleteItemRequest& request);

  // One page of a Query.
  AwsResult<QueryPage> Query(const QueryRequest& request);
  // The pages of a Query, following LastEvaluatedKey, joined: at most `pages_max` pages
  // (REQUIRES: >= 1), so a result is never unbounded. When more remain, last_evaluated_key is
  // set and the caller may go on from it; otherwise it is nullopt.
  AwsResult<QueryPage> QueryAll(QueryRequest request, int pages_max);

  // One page of a Scan, and the pages following LastEvaluatedKey joined (bounded as QueryAll).
  AwsResult<QueryPage> Scan(const ScanRequest& request);
  AwsResult<QueryPage> ScanAll(ScanRequest request, int pages_max);

  // BatchGetItem of up to kBatchGetKeysMax keys (strongly consistent when `consistent_read`),
  // resubmitting UnprocessedKeys as BatchWriteItem resubmits UnprocessedItems. An AwsError (not
  // sent) for no keys or too many.
  AwsResult<BatchGetOutput> BatchGetItem(const std::vector<BatchGetKey>& keys,
                                         bool consistent_read = true);

  // TransactWriteItems. An AwsError with code "ValidationException" (not sent) when there are no
  // actions, more than kTransactWriteActionsMax, or a token longer than
  // kClientRequestTokenBytesMax. TransactionCanceledException carries CancellationReasons.
  AwsResult<TransactWriteOutput> TransactWriteItems(const TransactWriteRequest& request);

  // BatchWriteItem of up to kBatchWriteRequestsMax requests, resubmitting UnprocessedItems (see
  // ClientOptions::batch_rounds_max). What is still unprocessed after the last round is in
  // the output (complete() is false): the caller decides. An AwsError (not sent) for no requests
  // or too many.
  AwsResult<BatchWriteOutput> BatchWriteItem(const std::vector<BatchWriteRequest>& requests);

  const JsonProtocolClient& transport() const { return client_; }
  const ClientOptions& options() const { return options_; }

 private:
  JsonProtocolClient client_;
  const ClientOptions options_;
};

// Builders of TransactWriteItems actions.
boost::json::object TransactPut(const PutItemRequest& put);
boost::json::object TransactUpdate(const UpdateItemRequest& update);
boost::json::object TransactDelete(const DeleteItemRequest& del);
// A ConditionCheck of `condition` on the item at `key`.
boost::json::object TransactConditionCheck(std::string_view table, const Item& key,
                                           const Expression& condition,
                                           bool return_item_on_condition_failure = false);

// The item DynamoDB returned with a ConditionalCheckFailedException when the request asked for
// it (return_item_on_condition_failure); nullopt otherwise (or when the item did not exist).
std::optional<Item> ConditionFailureItem(const AwsError& error);

// The reasons of a TransactionCanceledException, one per action in order; empty for any other
// error or when the service sent none.
std::vector<CancellationReason> CancellationReasons(const AwsError& error);

// The sum of ConsumedCapacity[.CapacityUnits] in a response (an object or a list of them);
// 0 when absent.
double ConsumedCapacityUnits(const boost::json::object& response);

// The loop of BatchWriteItem and BatchGetItem, exposed for tests: calls `send` with
// `request_items`, then with each answer's `unprocessed_field` ("UnprocessedItems",
// "UnprocessedKeys"), up to `rounds_max` calls, sleeping before each resubmission as `retry`
// would before a retry (its hooks and backoff), and passing every answer to `on_answer`. Returns
// what is still unprocessed ({} when nothing), and the number of calls in *rounds. Stops at the
// first AwsError.
AwsResult<boost::json::object> BatchRounds(
    boost::json::object request_items, std::string_view unprocessed_field, int rounds_max,
    const RetryStrategy& retry,
    const std::function<AwsResult<boost::json::object>(const boost::json::object&)>& send,
    const std::function<void(const boost::json::object&)>& on_answer, int* rounds);

}  // namespace estoque::aws::dynamodb
