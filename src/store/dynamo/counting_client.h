// CountingClient: the DynamoDB client of the inventory store, counting per operation every request
// it sends, the read and write units it costs by DynamoDB's rules (aws/dynamodb_capacity.h), and,
// apart, the capacity units DynamoDB reports (the "requests per position"; the cost of a
// store operation is the difference of two snapshots). The units are computed from what is sent
// and received, because DynamoDB Local's ConsumedCapacity does not bill transactions double nor
// global secondary indexes; they follow the service's rules with these approximations
// (docs/DYNAMODB.md "Requests and capacity units"):
//   - PutItem: WriteUnits(item) for the table and for each index whose keys the item has;
//   - UpdateItem, DeleteItem, and the Update, Delete and ConditionCheck actions of a transaction:
//     1 unit each, as for an item of at most 1 KB without indexes (the store updates only its
//     statistics counters, which are small and unindexed; the item is not sent, so not sized);
//   - TransactWriteItems: kTransactionFactor x the sum of its actions;
//   - GetItem and BatchGetItem: ReadUnits of each item returned, and the minimum for each key
//     asked that had none; Query and Scan: ReadUnits of the sum of the page's items (what a
//     filter dropped, which DynamoDB bills too, is not seen: none of the store's pages filter
//     much).
// Units of a request that failed are not counted (DynamoDB bills some failures, e.g. a
// cancelled transaction's reads of its conditions). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/dynamodb_capacity.h"
#include "aws/dynamodb_client.h"

namespace estoque::store::dynamo {

struct RequestCount {
  uint64_t requests = 0;   // HTTP requests that reached the operation (rounds included)
  double read_units = 0;   // by DynamoDB's rules (see above): RCU, or read request units
  double write_units = 0;  // WCU, or write request units
  double reported_capacity_units = 0;  // as DynamoDB reported them (ConsumedCapacity)
};
// operation ("TransactWriteItems") -> count.
using RequestCounts = std::map<std::string, RequestCount>;
// after - before, per operation (operations without requests left out).
RequestCounts Difference(const RequestCounts& after, const RequestCounts& before);
uint64_t TotalRequests(const RequestCounts& counts);

class CountingClient {
 public:
  // `indexes`: the key attributes of each table's global secondary indexes
  // (aws::dynamodb::IndexKeysOf of the store's TableSpecs), for the write units of puts.
  explicit CountingClient(aws::dynamodb::DynamoDbClient* client,
                          aws::dynamodb::TableIndexKeys indexes = {})
      : client_(client), indexes_(std::move(indexes)) {}

  aws::AwsResult<aws::dynamodb::GetItemOutput> GetItem(const aws::dynamodb::GetItemRequest& r);
  aws::AwsResult<aws::dynamodb::WriteOutput> PutItem(const aws::dynamodb::PutItemRequest& r);
  aws::AwsResult<aws::dynamodb::WriteOutput> UpdateItem(const aws::dynamodb::UpdateItemRequest& r);
  aws::AwsResult<aws::dynamodb::QueryPage> Query(const aws::dynamodb::QueryRequest& r);
  aws::AwsResult<aws::dynamodb::QueryPage> Scan(const aws::dynamodb::ScanRequest& r);
  // Any number of keys (duplicates asked once): one BatchGetItem per kBatchGetKeysMax, strongly
  // consistent (one request may name keys of several tables); the items found by table, in no
  // particular order.
  aws::AwsResult<std::map<std::string, std::vector<aws::dynamodb::Item>>> BatchGet(
      const std::vector<aws::dynamodb::BatchGetKey>& keys);
  aws::AwsResult<aws::dynamodb::TransactWriteOutput> TransactWriteItems(
      const aws::dynamodb::TransactWriteRequest& r);

  aws::dynamodb::DynamoDbClient& raw() { return *client_; }
  RequestCounts Snapshot() const;

 private:
  void Count(const std::string& operation, uint64_t requests, double read_units,
             double write_units, double reported_units);
  // Write units of a PutItem of `item` in `table` (with its indexes), outside a transaction.
  double PutUnits(const std::string& table, const aws::dynamodb::Item& item) const;
  // Write units of one TransactWriteItems action, outside the transaction's factor.
  double ActionUnits(const boost::json::object& action) const;

  aws::dynamodb::DynamoDbClient* client_;
  const aws::dynamodb::TableIndexKeys indexes_;
  mutable std::mutex mutex_;
  RequestCounts counts_;
};

}  // namespace estoque::store::dynamo
