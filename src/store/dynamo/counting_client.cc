#include "store/dynamo/counting_client.h"

#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;

RequestCounts Difference(const RequestCounts& after, const RequestCounts& before) {
  RequestCounts difference;
  for (const auto& [operation, count] : after) {
    RequestCount base;
    if (auto found = before.find(operation); found != before.end()) base = found->second;
    if (count.requests == base.requests) continue;
    difference[operation] = RequestCount{count.requests - base.requests,
                                         count.capacity_units - base.capacity_units};
  }
  return difference;
}

uint64_t TotalRequests(const RequestCounts& counts) {
  uint64_t total = 0;
  for (const auto& [operation, count] : counts) total += count.requests;
  return total;
}

void CountingClient::Count(const std::string& operation, uint64_t requests, double units) {
  std::lock_guard<std::mutex> lock(mutex_);
  RequestCount& count = counts_[operation];
  count.requests += requests;
  count.capacity_units += units;
}

RequestCounts CountingClient::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

aws::AwsResult<ddb::GetItemOutput> CountingClient::GetItem(const ddb::GetItemRequest& r) {
  auto result = client_->GetItem(r);
  Count("GetItem", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::WriteOutput> CountingClient::PutItem(const ddb::PutItemRequest& r) {
  auto result = client_->PutItem(r);
  Count("PutItem", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::WriteOutput> CountingClient::UpdateItem(const ddb::UpdateItemRequest& r) {
  auto result = client_->UpdateItem(r);
  Count("UpdateItem", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::QueryPage> CountingClient::Query(const ddb::QueryRequest& r) {
  auto result = client_->Query(r);
  Count("Query", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::QueryPage> CountingClient::Scan(const ddb::ScanRequest& r) {
  auto result = client_->Scan(r);
  Count("Scan", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<std::map<std::string, std::vector<ddb::Item>>> CountingClient::BatchGet(
    const std::vector<ddb::BatchGetKey>& asked) {
  // DynamoDB refuses a request that names a key twice.
  std::vector<ddb::BatchGetKey> keys;
  std::set<std::string> distinct;
  for (const ddb::BatchGetKey& key : asked) {
    if (distinct.insert(key.table + '\0' + boost::json::serialize(key.key)).second) {
      keys.push_back(key);
    }
  }
  std::map<std::string, std::vector<ddb::Item>> items;
  for (std::size_t begin = 0; begin < keys.size(); begin += ddb::kBatchGetKeysMax) {
    const std::size_t end = std::min(keys.size(), begin + ddb::kBatchGetKeysMax);
    std::vector<ddb::BatchGetKey> part(keys.begin() + static_cast<std::ptrdiff_t>(begin),
                                       keys.begin() + static_cast<std::ptrdiff_t>(end));
    auto result = client_->BatchGetItem(part, /*consistent_read=*/true);
    if (!result.ok()) {
      Count("BatchGetItem", 1, 0);
      return std::move(result).error();
    }
    Count("BatchGetItem", static_cast<uint64_t>(std::max(1, result->rounds)),
          result->consumed_capacity_units);
    if (!result->complete()) {
      return aws::AwsError{"UnprocessedKeys", "BatchGetItem left keys unread after every round",
                           0, {}, {}, 1};
    }
    for (auto& [table, table_items] : result->items) {
      std::vector<ddb::Item>& into = items[table];
      for (ddb::Item& item : table_items) into.push_back(std::move(item));
    }
  }
  return items;
}

aws::AwsResult<ddb::TransactWriteOutput> CountingClient::TransactWriteItems(
    const ddb::TransactWriteRequest& r) {
  auto result = client_->TransactWriteItems(r);
  Count("TransactWriteItems", 1, result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

}  // namespace estoque::store::dynamo
