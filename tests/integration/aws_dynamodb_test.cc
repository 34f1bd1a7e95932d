// The DynamoDB client (src/aws/dynamodb_client.h, dynamodb_tables.h) against Amazon's DynamoDB
// Local, started once for this binary on 127.0.0.1 (tests/support/dynamodb_local.h). Each test
// works in its own table. Skipped, saying why, only when Java or DynamoDB Local is not installed
// (scripts/setup installs both); under CI (CI=true) a missing install fails instead.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"
#include "aws/dynamodb_tables.h"
#include "support/shared_dynamodb_local.h"

namespace estoque::aws::dynamodb {
namespace {

using test_support::DynamoDbLocal;

namespace json = boost::json;

test_support::SharedDynamoDbLocal& Shared() { return test_support::SharedDynamoDbLocal::Get(); }

json::value S(std::string_view text) { return json::object{{"S", text}}; }
json::value N(std::string_view number) { return json::object{{"N", number}}; }

class DynamoDb : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::SharedDynamoDbLocal::Require()) return;
    auto& shared = Shared();
    client_ = std::make_unique<DynamoDbClient>(shared.server->ClientConfig());
    table_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // positions: codigo_barra (partition) + filial (sort), and the index by_filial (filial,
  // codigo_barra), as the seed's table.
  TableSpec PositionsTable(BillingMode mode = BillingMode::kPayPerRequest) const {
    TableSpec spec;
    spec.name = table_;
    spec.key.partition = KeyAttribute{"codigo_barra", AttributeType::kString};
    spec.key.sort = KeyAttribute{"filial", AttributeType::kString};
    GlobalSecondaryIndex by_branch;
    by_branch.name = "by_filial";
    by_branch.key.partition = KeyAttribute{"filial", AttributeType::kString};
    by_branch.key.sort = KeyAttribute{"codigo_barra", AttributeType::kString};
    spec.indexes.push_back(std::move(by_branch));
    spec.billing_mode = mode;
    return spec;
  }

  void CreatePositions() {
    AwsResult<json::object> created = CreateTable(*client_, PositionsTable());
    ASSERT_TRUE(created.ok()) << created.error().ToString();
    AwsResult<json::object> active = WaitUntilTableActive(*client_, table_,
                                                          std::chrono::milliseconds(100), 100);
    ASSERT_TRUE(active.ok()) << active.error().ToString();
  }

  static Item Position(std::string_view barcode, std::string_view branch, std::string_view quantity) {
    return {{"codigo_barra", S(barcode)}, {"filial", S(branch)}, {"quantidade", N(quantity)}};
  }
  static Item Key(std::string_view barcode, std::string_view branch) {
    return {{"codigo_barra", S(barcode)}, {"filial", S(branch)}};
  }

  std::optional<Item> Get(std::string_view barcode, std::string_view branch) {
    AwsResult<GetItemOutput> got = client_->GetItem({table_, Key(barcode, branch)});
    EXPECT_TRUE(got.ok()) << got.error().ToString();
    return got.ok() ? got->item : std::nullopt;
  }

  // The item's quantidade, or null when there is no item (so a failing test fails cleanly).
  static json::value QuantityIn(const std::optional<Item>& item) {
    if (!item || !item->contains("quantidade")) return nullptr;
    return item->at("quantidade");
  }
  json::value Quantity(std::string_view barcode, std::string_view branch) {
    return QuantityIn(Get(barcode, branch));
  }

  std::unique_ptr<DynamoDbClient> client_;
  std::string table_;
};

TEST_F(DynamoDb, CreatesATableWithAGlobalSecondaryIndexOnDemand) {
  CreatePositions();
  AwsResult<json::object> description = DescribeTable(*client_, table_);
  ASSERT_TRUE(description.ok()) << description.error().ToString();
  EXPECT_EQ(description->at("TableStatus"), "ACTIVE");
  const json::array& indexes = description->at("GlobalSecondaryIndexes").as_array();
  ASSERT_EQ(indexes.size(), 1u);
  EXPECT_EQ(indexes[0].at("IndexName"), "by_filial");
  EXPECT_EQ(indexes[0].at("IndexStatus"), "ACTIVE");
  EXPECT_EQ(description->at("BillingModeSummary").at("BillingMode"), "PAY_PER_REQUEST");

  AwsResult<json::object> again = CreateTable(*client_, PositionsTable());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "ResourceInUseException");
  EXPECT_TRUE(CreateTableIfMissing(*client_, PositionsTable()).ok());
}

TEST_F(DynamoDb, CreatesAProvisionedTableWithTheSeedsCapacity) {
  AwsResult<json::object> created = CreateTable(*client_, PositionsTable(BillingMode::kProvisioned));
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  ASSERT_TRUE(WaitUntilTableActive(*client_, table_, std::chrono::milliseconds(100), 100).ok());
  AwsResult<json::object> description = DescribeTable(*client_, table_);
  ASSERT_TRUE(description.ok());
  EXPECT_EQ(description->at("ProvisionedThroughput").at("ReadCapacityUnits").to_number<int>(), 5);
  EXPECT_EQ(description->at("ProvisionedThroughput").at("WriteCapacityUnits").to_number<int>(), 5);
  EXPECT_EQ(description->at("GlobalSecondaryIndexes")
                .at(0).at("ProvisionedThroughput").at("WriteCapacityUnits").to_number<int>(),
            5);
}

TEST_F(DynamoDb, PutsAndGetsAnItem) {
  CreatePositions();
  AwsResult<WriteOutput> put = client_->PutItem({table_, Position("7891000100103", "001", "12")});
  ASSERT_TRUE(put.ok()) << put.error().ToString();
  EXPECT_GT(put->consumed_capacity_units, 0) << "ReturnConsumedCapacity TOTAL is answered";
  EXPECT_EQ(Get("7891000100103", "001"), Position("7891000100103", "001", "12"));
  EXPECT_EQ(Get("7891000100103", "002"), std::nullopt);
}

TEST_F(DynamoDb, ARefusedConditionalPutReturnsTheCurrentItemAndIsNotRetried) {
  CreatePositions();
  PutItemRequest first{table_, Position("789", "001", "12"), {"attribute_not_exists(codigo_barra)", {}, {}}};
  ASSERT_TRUE(client_->PutItem(first).ok());

  PutItemRequest second{table_, Position("789", "001", "99"),
                        {"attribute_not_exists(codigo_barra)", {}, {}}, true};
  AwsResult<WriteOutput> refused = client_->PutItem(second);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ConditionalCheckFailedException");
  EXPECT_EQ(refused.error().http_status, 400);
  EXPECT_EQ(refused.error().attempts, 1);
  EXPECT_EQ(refused.error().ToStatus().code(), StatusCode::kConflict);
  EXPECT_EQ(ConditionFailureItem(refused.error()), Position("789", "001", "12"));
  EXPECT_EQ(Get("789", "001"), Position("789", "001", "12"));

  // Without ReturnValuesOnConditionCheckFailure, no item comes back.
  second.return_item_on_condition_failure = false;
  AwsResult<WriteOutput> bare = client_->PutItem(second);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(ConditionFailureItem(bare.error()), std::nullopt);
}

TEST_F(DynamoDb, NewerWinsWithAConditionOnTheTimestamp) {
  CreatePositions();
  const auto put_at = [&](std::string_view quantity, std::string_view at) {
    Item item = Position("789", "001", quantity);
    item["atualizado"] = N(at);
    return client_->PutItem({table_, item,
                             {"attribute_not_exists(atualizado) OR atualizado < :t", {},
                              {{":t", N(at)}}}});
  };
  ASSERT_TRUE(put_at("5", "200").ok());
  EXPECT_EQ(put_at("4", "100").error().code, "ConditionalCheckFailedException");
  ASSERT_TRUE(put_at("6", "300").ok());
  EXPECT_EQ(Quantity("789", "001"), N("6"));
}

TEST_F(DynamoDb, UpdateItemAddsToACounter) {
  CreatePositions();
  UpdateItemRequest add{table_, Key("789", "001"), {"ADD #q :d", {{"#q", "quantidade"}}, {{":d", N("5")}}}};
  add.return_values = "ALL_NEW";
  AwsResult<WriteOutput> first = client_->UpdateItem(add);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->attributes.at("quantidade"), N("5"));
  add.expression.values = {{":d", N("-2")}};
  AwsResult<WriteOutput> second = client_->UpdateItem(add);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->attributes.at("quantidade"), N("3"));

  // A condition on the counter: refused when it would go below zero, with the current item.
  add.expression.values = {{":d", N("-4")}, {":need", N("4")}};
  add.condition_text = "#q >= :need";
  add.return_item_on_condition_failure = true;
  AwsResult<WriteOutput> refused = client_->UpdateItem(add);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ConditionalCheckFailedException");
  EXPECT_EQ(QuantityIn(ConditionFailureItem(refused.error())), N("3"));
}

TEST_F(DynamoDb, DeletesWithACondition) {
  CreatePositions();
  ASSERT_TRUE(client_->PutItem({table_, Position("789", "001", "1")}).ok());
  DeleteItemRequest del{table_, Key("789", "001"), {"quantidade = :q", {}, {{":q", N("2")}}}, true};
  AwsResult<WriteOutput> refused = client_->DeleteItem(del);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ConditionalCheckFailedException");
  del.condition.values = {{":q", N("1")}};
  ASSERT_TRUE(client_->DeleteItem(del).ok());
  EXPECT_EQ(Get("789", "001"), std::nullopt);
}

TEST_F(DynamoDb, QueriesPageByPageWithLastEvaluatedKey) {
  CreatePositions();
  for (int branch = 1; branch <= 7; ++branch) {
    ASSERT_TRUE(client_->PutItem({table_, Position("789", "00" + std::to_string(branch), "1")}).ok());
  }
  ASSERT_TRUE(client_->PutItem({table_, Position("999", "001", "1")}).ok());

  QueryRequest query;
  query.table = table_;
  query.key_condition = {"codigo_barra = :b", {}, {{":b", S("789")}}};
  query.limit = 3;
  std::vector<std::size_t> page_sizes;
  std::vector<std::string> branches;
  for (int page_number = 0; page_number < 10; ++page_number) {
    AwsResult<QueryPage> page = client_->Query(query);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    page_sizes.push_back(page->items.size());
    for (const Item& item : page->items) branches.emplace_back(item.at("filial").at("S").as_string());
    if (!page->last_evaluated_key) break;
    query.exclusive_start_key = *page->last_evaluated_key;
  }
  EXPECT_EQ(page_sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(branches, (std::vector<std::string>{"001", "002", "003", "004", "005", "006", "007"}));

  query.exclusive_start_key = {};
  AwsResult<QueryPage> all = client_->QueryAll(query, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 7u);
  EXPECT_FALSE(all->last_evaluated_key);
  AwsResult<QueryPage> bounded = client_->QueryAll(query, 2);
  ASSERT_TRUE(bounded.ok());
  EXPECT_EQ(bounded->items.size(), 6u);
  EXPECT_TRUE(bounded->last_evaluated_key) << "more remain: the caller can go on";

  // The index by branch: every product of branch 001, in barcode order.
  QueryRequest by_branch;
  by_branch.table = table_;
  by_branch.index_name = "by_filial";
  by_branch.key_condition = {"filial = :f", {}, {{":f", S("001")}}};
  AwsResult<QueryPage> branch_page = client_->QueryAll(by_branch, 10);
  ASSERT_TRUE(branch_page.ok()) << branch_page.error().ToString();
  ASSERT_EQ(branch_page->items.size(), 2u);
  EXPECT_EQ(branch_page->items[0].at("codigo_barra"), S("789"));
  EXPECT_EQ(branch_page->items[1].at("codigo_barra"), S("999"));
}

TEST_F(DynamoDb, TransactWriteItemsWritesAllAndAReplayWithTheSameTokenWritesNothingMore) {
  CreatePositions();
  ASSERT_TRUE(client_->PutItem({table_, Position("789", "001", "10")}).ok());
  // A transfer of 4 units from branch 001 to 002.
  UpdateItemRequest take{table_, Key("789", "001"),
                         {"ADD quantidade :minus", {}, {{":minus", N("-4")}, {":need", N("4")}}}};
  take.condition_text = "quantidade >= :need";
  UpdateItemRequest give{table_, Key("789", "002"), {"ADD quantidade :plus", {}, {{":plus", N("4")}}}};
  TransactWriteRequest transfer{{TransactUpdate(take), TransactUpdate(give)}, "transfer-0001"};

  AwsResult<TransactWriteOutput> done = client_->TransactWriteItems(transfer);
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_EQ(Quantity("789", "001"), N("6"));
  EXPECT_EQ(Quantity("789", "002"), N("4"));

  // The same call again (a client retry after a lost answer): success, nothing applied twice.
  AwsResult<TransactWriteOutput> replay = client_->TransactWriteItems(transfer);
  ASSERT_TRUE(replay.ok()) << replay.error().ToString();
  EXPECT_EQ(Quantity("789", "001"), N("6"));
  EXPECT_EQ(Quantity("789", "002"), N("4"));

  // The same token with other actions is refused.
  give.expression.values = {{":plus", N("5")}};
  TransactWriteRequest other{{TransactUpdate(take), TransactUpdate(give)}, "transfer-0001"};
  AwsResult<TransactWriteOutput> mismatch = client_->TransactWriteItems(other);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, "IdempotentParameterMismatchException");
  EXPECT_EQ(mismatch.error().attempts, 1);
}

TEST_F(DynamoDb, ACancelledTransactionReportsAReasonPerActionAndWritesNothing) {
  CreatePositions();
  ASSERT_TRUE(client_->PutItem({table_, Position("789", "001", "2")}).ok());
  PutItemRequest ledger{table_, Position("789", "ledger-1", "0"), {"attribute_not_exists(codigo_barra)", {}, {}}};
  UpdateItemRequest take{table_, Key("789", "001"),
                         {"ADD quantidade :minus", {}, {{":minus", N("-4")}, {":need", N("4")}}}};
  take.condition_text = "quantidade >= :need";
  take.return_item_on_condition_failure = true;
  TransactWriteRequest sale{{TransactPut(ledger), TransactUpdate(take)}, "sale-0001"};

  AwsResult<TransactWriteOutput> cancelled = client_->TransactWriteItems(sale);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, "TransactionCanceledException");
  EXPECT_EQ(cancelled.error().ToStatus().code(), StatusCode::kConflict);
  EXPECT_EQ(cancelled.error().attempts, 1);
  const std::vector<CancellationReason> reasons = CancellationReasons(cancelled.error());
  ASSERT_EQ(reasons.size(), 2u) << cancelled.error().ToString() << " body: "
                                << json::serialize(cancelled.error().body);
  EXPECT_EQ(reasons[0].code, "None");
  EXPECT_EQ(reasons[1].code, "ConditionalCheckFailed");
  ASSERT_TRUE(reasons[1].item.has_value());
  EXPECT_EQ(reasons[1].item->at("quantidade"), N("2"));
  EXPECT_EQ(Get("789", "ledger-1"), std::nullopt) << "all or nothing";
  EXPECT_EQ(Quantity("789", "001"), N("2"));
}

TEST_F(DynamoDb, RefusesTransactionsOverTheLimitsBeforeSending) {
  TransactWriteRequest too_many;
  for (std::size_t i = 0; i <= kTransactWriteActionsMax; ++i) {
    too_many.actions.push_back(TransactPut({table_, Position("789", std::to_string(i), "1")}));
  }
  AwsResult<TransactWriteOutput> refused = client_->TransactWriteItems(too_many);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "ValidationException");
  TransactWriteRequest long_token{{TransactPut({table_, Position("789", "1", "1")})},
                                  std::string(kClientRequestTokenBytesMax + 1, 't')};
  EXPECT_EQ(client_->TransactWriteItems(long_token).error().code, "ValidationException");
  EXPECT_EQ(client_->transport().http().connections_opened_total(), 0u) << "nothing was sent";
}

TEST_F(DynamoDb, BatchWritesTwentyFiveItems) {
  CreatePositions();
  std::vector<BatchWriteRequest> requests;
  for (int i = 0; i < 25; ++i) {
    requests.push_back({table_, false, Position("789", "b" + std::to_string(100 + i), "1")});
  }
  AwsResult<BatchWriteOutput> written = client_->BatchWriteItem(requests);
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_TRUE(written->complete());
  EXPECT_EQ(written->rounds, 1);
  QueryRequest query;
  query.table = table_;
  query.key_condition = {"codigo_barra = :b", {}, {{":b", S("789")}}};
  EXPECT_EQ(client_->QueryAll(query, 10)->items.size(), 25u);

  requests.push_back({table_, true, Key("789", "b100")});
  EXPECT_EQ(client_->BatchWriteItem(requests).error().code, "ValidationException");
  requests.resize(1);
  requests[0] = {table_, true, Key("789", "b100")};
  ASSERT_TRUE(client_->BatchWriteItem(requests).ok());
  EXPECT_EQ(Get("789", "b100"), std::nullopt);
}

TEST_F(DynamoDb, ScansPageByPageWithAFilter) {
  CreatePositions();
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(client_->PutItem({table_, Position("b" + std::to_string(i), "001", std::to_string(i))}).ok());
  }
  ScanRequest scan;
  scan.table = table_;
  scan.limit = 4;
  AwsResult<QueryPage> first = client_->Scan(scan);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->items.size(), 4u);
  ASSERT_TRUE(first->last_evaluated_key);
  AwsResult<QueryPage> all = client_->ScanAll(scan, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 9u);
  EXPECT_FALSE(all->last_evaluated_key);

  // The filter applies after the Limit: pages may hold fewer items than Limit, even none.
  scan.filter = {"quantidade >= :q", {}, {{":q", N("5")}}};
  AwsResult<QueryPage> filtered = client_->ScanAll(scan, 10);
  ASSERT_TRUE(filtered.ok()) << filtered.error().ToString();
  EXPECT_EQ(filtered->items.size(), 4u);
}

TEST_F(DynamoDb, BatchGetsItemsAndSkipsMissingKeys) {
  CreatePositions();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client_->PutItem({table_, Position("789", "00" + std::to_string(i), "1")}).ok());
  }
  AwsResult<BatchGetOutput> got = client_->BatchGetItem(
      {{table_, Key("789", "000")}, {table_, Key("789", "002")}, {table_, Key("789", "404")}});
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_TRUE(got->complete());
  EXPECT_EQ(got->rounds, 1);
  ASSERT_EQ(got->items.size(), 1u);
  std::vector<std::string> branches;
  for (const Item& item : got->items.at(table_)) branches.emplace_back(item.at("filial").at("S").as_string());
  std::sort(branches.begin(), branches.end());
  EXPECT_EQ(branches, (std::vector<std::string>{"000", "002"}));
  EXPECT_GT(got->consumed_capacity_units, 0);

  std::vector<BatchGetKey> too_many(kBatchGetKeysMax + 1, BatchGetKey{table_, Key("789", "000")});
  EXPECT_EQ(client_->BatchGetItem(too_many).error().code, "ValidationException");
}

TEST_F(DynamoDb, EnablesTimeToLiveOnce) {
  CreatePositions();
  AwsResult<Done> enabled = UpdateTimeToLive(*client_, table_, "expira_em", true);
  ASSERT_TRUE(enabled.ok()) << enabled.error().ToString();
  AwsResult<json::object> described = client_->Call("DescribeTimeToLive", {{"TableName", table_}});
  ASSERT_TRUE(described.ok()) << described.error().ToString();
  EXPECT_EQ(described->at("TimeToLiveDescription").at("AttributeName"), "expira_em");
  EXPECT_EQ(described->at("TimeToLiveDescription").at("TimeToLiveStatus"), "ENABLED");
  AwsResult<Done> again = EnableTimeToLive(*client_, table_, "expira_em");
  EXPECT_TRUE(again.ok()) << again.error().ToString();
}

TEST_F(DynamoDb, MapsAValidationErrorAndAMissingTable) {
  CreatePositions();
  // The sort key is missing: the service validates the key before anything else.
  AwsResult<WriteOutput> invalid = client_->PutItem({table_, {{"codigo_barra", S("789")}}});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, "ValidationException");
  EXPECT_EQ(invalid.error().http_status, 400);
  EXPECT_FALSE(invalid.error().message.empty());
  EXPECT_EQ(invalid.error().attempts, 1) << "a validation error is never retried";
  EXPECT_EQ(invalid.error().ToStatus().code(), StatusCode::kInvalidArgument);

  AwsResult<GetItemOutput> missing = client_->GetItem({"no_such_table", Key("789", "001")});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().ToStatus().code(), StatusCode::kNotFound);
}

TEST_F(DynamoDb, KeepsOneConnectionAliveAcrossCalls) {
  CreatePositions();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client_->PutItem({table_, Position("789", std::to_string(i), "1")}).ok());
  }
  EXPECT_EQ(client_->transport().http().connections_opened_total(), 1u);
}

}  // namespace
}  // namespace estoque::aws::dynamodb
