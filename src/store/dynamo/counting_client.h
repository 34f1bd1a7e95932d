// CountingClient: the DynamoDB client of the inventory store, counting every request it sends and
// the capacity units DynamoDB reports, per operation (the "requests per position"; the
// cost of a store operation is the difference of two snapshots). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "aws/dynamodb_client.h"

namespace estoque::store::dynamo {

struct RequestCount {
  uint64_t requests = 0;             // HTTP requests that reached the operation (rounds included)
  double capacity_units = 0;         // as DynamoDB reported them (ConsumedCapacity)
};
// operation ("TransactWriteItems") -> count.
using RequestCounts = std::map<std::string, RequestCount>;
// after - before, per operation (operations without requests left out).
RequestCounts Difference(const RequestCounts& after, const RequestCounts& before);
uint64_t TotalRequests(const RequestCounts& counts);

class CountingClient {
 public:
  explicit CountingClient(aws::dynamodb::DynamoDbClient* client) : client_(client) {}

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
  void Count(const std::string& operation, uint64_t requests, double units);

  aws::dynamodb::DynamoDbClient* client_;
  mutable std::mutex mutex_;
  RequestCounts counts_;
};

}  // namespace estoque::store::dynamo
