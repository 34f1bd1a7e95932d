#include "store/dynamo/counting_client.h"

#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace json = boost::json;

RequestCounts Difference(const RequestCounts& after, const RequestCounts& before) {
  RequestCounts difference;
  for (const auto& [operation, count] : after) {
    RequestCount base;
    if (auto found = before.find(operation); found != before.end()) base = found->second;
    if (count.requests == base.requests) continue;
    difference[operation] =
        RequestCount{count.requests - base.requests, count.read_units - base.read_units,
                     count.write_units - base.write_units,
                     count.reported_capacity_units - base.reported_capacity_units};
  }
  return difference;
}

uint64_t TotalRequests(const RequestCounts& counts) {
  uint64_t total = 0;
  for (const auto& [operation, count] : counts) total += count.requests;
  return total;
}

void CountingClient::Count(const std::string& operation, uint64_t requests, double read_units,
                           double write_units, double reported_units) {
  std::lock_guard<std::mutex> lock(mutex_);
  RequestCount& count = counts_[operation];
  count.requests += requests;
  count.read_units += read_units;
  count.write_units += write_units;
  count.reported_capacity_units += reported_units;
}

RequestCounts CountingClient::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

double CountingClient::PutUnits(const std::string& table, const ddb::Item& item) const {
  static const ddb::IndexKeys kNoIndexes;
  auto found = indexes_.find(table);
  return ddb::PutWriteUnits(item, found == indexes_.end() ? kNoIndexes : found->second);
}

double CountingClient::ActionUnits(const json::object& action) const {
  if (const json::value* put = action.if_contains("Put"); put != nullptr && put->is_object()) {
    const json::value* table = put->get_object().if_contains("TableName");
    const json::value* item = put->get_object().if_contains("Item");
    if (table != nullptr && table->is_string() && item != nullptr && item->is_object()) {
      return PutUnits(std::string(table->get_string()), item->get_object());
    }
  }
  return ddb::WriteUnits(0);  // Update, Delete, ConditionCheck: one unit of a small item
}

namespace {

// Read units of items read one by one (GetItem, BatchGetItem): each rounded up on its own.
double ItemReadUnits(const std::vector<ddb::Item>& items, bool consistent) {
  double units = 0;
  for (const ddb::Item& item : items) units += ddb::ReadUnits(ddb::ItemSizeBytes(item), consistent);
  return units;
}

// Read units of a Query or Scan page: the sum of its items' sizes, rounded up once.
double PageReadUnits(const ddb::QueryPage& page, bool consistent) {
  std::size_t bytes = 0;
  for (const ddb::Item& item : page.items) bytes += ddb::ItemSizeBytes(item);
  return ddb::ReadUnits(bytes, consistent);
}

// The number of keys in a BatchGetItem's UnprocessedKeys ({table: {"Keys": [...]}}).
std::size_t UnprocessedKeyCount(const json::object& unprocessed) {
  std::size_t keys = 0;
  for (const auto& [table, request] : unprocessed) {
    if (!request.is_object()) continue;
    if (const json::value* list = request.get_object().if_contains("Keys");
        list != nullptr && list->is_array()) {
      keys += list->get_array().size();
    }
  }
  return keys;
}

}  // namespace

aws::AwsResult<ddb::GetItemOutput> CountingClient::GetItem(const ddb::GetItemRequest& r) {
  auto result = client_->GetItem(r);
  if (!result.ok()) {
    Count("GetItem", 1, 0, 0, 0);
    return result;
  }
  const std::size_t bytes = result->item ? ddb::ItemSizeBytes(*result->item) : 0;
  Count("GetItem", 1, ddb::ReadUnits(bytes, r.consistent_read), 0,
        result->consumed_capacity_units);
  return result;
}

aws::AwsResult<ddb::WriteOutput> CountingClient::PutItem(const ddb::PutItemRequest& r) {
  auto result = client_->PutItem(r);
  Count("PutItem", 1, 0, result.ok() ? PutUnits(r.table, r.item) : 0,
        result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::WriteOutput> CountingClient::UpdateItem(const ddb::UpdateItemRequest& r) {
  auto result = client_->UpdateItem(r);
  Count("UpdateItem", 1, 0, result.ok() ? ddb::WriteUnits(0) : 0,
        result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::QueryPage> CountingClient::Query(const ddb::QueryRequest& r) {
  auto result = client_->Query(r);
  Count("Query", 1, result.ok() ? PageReadUnits(*result, r.consistent_read) : 0, 0,
        result.ok() ? result->consumed_capacity_units : 0);
  return result;
}

aws::AwsResult<ddb::QueryPage> CountingClient::Scan(const ddb::ScanRequest& r) {
  auto result = client_->Scan(r);
  Count("Scan", 1, result.ok() ? PageReadUnits(*result, r.consistent_read) : 0, 0,
        result.ok() ? result->consumed_capacity_units : 0);
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
    constexpr bool kConsistent = true;
    auto result = client_->BatchGetItem(part, kConsistent);
    if (!result.ok()) {
      Count("BatchGetItem", 1, 0, 0, 0);
      return std::move(result).error();
    }
    // Each item returned rounded up on its own, and the minimum for each key read without one.
    double units = 0;
    std::size_t returned = 0;
    for (const auto& [table, table_items] : result->items) {
      units += ItemReadUnits(table_items, kConsistent);
      returned += table_items.size();
    }
    const std::size_t unread = UnprocessedKeyCount(result->unprocessed_keys);
    if (part.size() > returned + unread) {
      units += static_cast<double>(part.size() - returned - unread) * ddb::ReadUnits(0, kConsistent);
    }
    Count("BatchGetItem", static_cast<uint64_t>(std::max(1, result->rounds)), units, 0,
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
  if (!result.ok()) {
    Count("TransactWriteItems", 1, 0, 0, 0);
    return result;
  }
  double units = 0;
  for (const json::object& action : r.actions) units += ActionUnits(action);
  Count("TransactWriteItems", 1, 0, ddb::kTransactionFactor * units,
        result->consumed_capacity_units);
  return result;
}

}  // namespace estoque::store::dynamo
