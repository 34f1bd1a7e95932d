#include "aws/dynamodb_change_index.h"

#include <algorithm>
#include <random>
#include <utility>

#include "aws/dynamodb_attributes.h"

namespace estoque::aws::dynamodb {

GlobalSecondaryIndex ChangeIndex() {
  GlobalSecondaryIndex index;
  index.name = std::string(kChangeIndexName);
  index.key.partition = KeyAttribute{std::string(kChangePartitionAttribute), AttributeType::kString};
  index.key.sort = KeyAttribute{std::string(kChangeTimeAttribute), AttributeType::kNumber};
  index.projection = ProjectionType::kAll;
  return index;
}

void SetChangeAttributes(Item* item, std::int64_t updated_at_us) {
  (*item)[kChangePartitionAttribute] = StringValue(kChangePartitionValue);
  (*item)[kChangeTimeAttribute] = NumberValue(updated_at_us);
}

std::int64_t NextChangeTime(std::int64_t now_us, std::int64_t previous_us) {
  return std::max(now_us, previous_us + 1);
}

Expression VersionCondition(std::string_view key_attribute, std::int64_t version) {
  Expression condition;
  if (version == 0) {
    condition.text = "attribute_not_exists(#k)";
    condition.names = {{"#k", key_attribute}};
  } else {
    condition.text = "#version = :version";
    condition.names = {{"#version", kChangeTimeAttribute}};
    condition.values = {{":version", NumberValue(version)}};
  }
  return condition;
}

Result<VersionedPutOutcome> VersionedPut(DynamoDbClient& client, const std::string& table,
                                         std::string_view key_attribute, std::optional<Item> guess,
                                         const DecideWrite& decide, int attempts_max) {
  std::optional<Item> current = std::move(guess);
  for (int attempt = 0; attempt < attempts_max; ++attempt) {
    Result<std::optional<Item>> decided = decide(current);
    if (!decided.ok()) return decided.status();
    if (!decided->has_value()) return VersionedPutOutcome{std::move(current), false};
    const std::int64_t version =
        current ? NumberAttribute(*current, kChangeTimeAttribute).value_or(0) : 0;
    PutItemRequest put;
    put.table = table;
    put.item = **decided;
    put.condition = VersionCondition(key_attribute, version);
    put.return_item_on_condition_failure = true;
    AwsResult<WriteOutput> written = client.PutItem(put);
    if (written.ok()) return VersionedPutOutcome{std::move(put.item), true};
    if (written.error().code != "ConditionalCheckFailedException") return written.status();
    current = ConditionFailureItem(written.error());  // nullopt: the item is gone
    // The item returned is current: the first retry goes at once. Writers that keep colliding
    // then take turns: full jitter, as the retries of retry.h.
    if (attempt == 0) continue;
    thread_local std::minstd_rand random(std::random_device{}());
    const int64_t ceiling_us = std::min<int64_t>(kVersionedPutBackoffMax.count(),
                                                 kVersionedPutBackoffBase.count() << (attempt - 1));
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<int64_t>(0, ceiling_us)(random)));
  }
  return Status::Conflict(table + ": another node kept changing the item; try again");
}

AwsResult<std::vector<Item>> ChangeFollower::Poll() {
  QueryRequest query;
  query.table = table_;
  query.index_name = std::string(kChangeIndexName);
  query.key_condition.text = "#p = :p AND #t >= :since";
  query.key_condition.names = {{"#p", kChangePartitionAttribute}, {"#t", kChangeTimeAttribute}};
  const std::int64_t since_us =
      std::max<std::int64_t>(0, newest_seen_us_ - kChangeOverlap.count());
  query.key_condition.values = {{":p", StringValue(kChangePartitionValue)},
                                {":since", NumberValue(since_us)}};
  AwsResult<QueryPage> page = client_->QueryAll(std::move(query), kChangePagesMax);
  if (!page.ok()) return std::move(page).error();
  // Not beyond this node's clock: an item stamped by a node whose clock runs ahead is read again
  // until this clock passes it, and writes of nodes behind by less than the overlap are not missed.
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  for (const Item& item : page->items) {
    const std::int64_t changed_us = NumberAttribute(item, kChangeTimeAttribute).value_or(0);
    newest_seen_us_ = std::max(newest_seen_us_, std::min(changed_us, now_us));
  }
  return std::move(page->items);
}

PeriodicRefresh::PeriodicRefresh(std::chrono::milliseconds interval, std::function<void()> refresh)
    : interval_(interval), refresh_(std::move(refresh)) {
  thread_ = std::thread([this] { Run(); });
}

PeriodicRefresh::~PeriodicRefresh() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PeriodicRefresh::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    lock.unlock();
    refresh_();
    lock.lock();
  }
}

}  // namespace estoque::aws::dynamodb
