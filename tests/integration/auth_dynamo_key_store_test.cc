// DynamoKeyStore against DynamoDB Local (started once for this binary, a table prefix per
// test). Two store instances on one table are two nodes: a key created on one works on the
// other, and a revocation or rotation on one is refused by the other for every request that
// starts more than revocation_check_age after it returned (docs/SECURITY.md, "at once").
#include "auth/dynamo_key_store.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "auth/token.h"
#include "support/shared_dynamodb_local.h"

namespace estoque::auth {
namespace {

NewKey Pdv(std::string branch, std::string name = "PDV") {
  NewKey key;
  key.role = Role::kPdv;
  key.branches = {std::move(branch)};
  key.name = std::move(name);
  return key;
}

NewKey Admin(std::string name = "admin") {
  NewKey key;
  key.role = Role::kAdmin;
  key.name = std::move(name);
  return key;
}

class DynamoKeyStoreTest : public test_support::SharedDynamoDbTest {
 protected:
  // A node. The refresh thread runs rarely unless asked: the tests call Refresh themselves, so
  // the revocation checks are what they observe.
  std::unique_ptr<DynamoKeyStore> Node(std::chrono::milliseconds check_age = std::chrono::seconds(1),
                                       std::chrono::milliseconds refresh = std::chrono::hours(1)) {
    DynamoKeyStoreOptions options;
    options.tables.prefix = prefix_;
    options.revocation_check_age = check_age;
    options.refresh_interval = refresh;
    auto keys = DynamoKeyStore::Open(client_.get(), options);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return keys.ok() ? std::move(*keys) : nullptr;
  }

  // Every item of the table, as DynamoDB's JSON.
  std::string TableText() {
    aws::dynamodb::ScanRequest scan;
    scan.table = prefix_ + "chaves";
    auto items = client_->ScanAll(scan, 10);
    EXPECT_TRUE(items.ok());
    std::string text;
    if (items.ok()) {
      for (const auto& item : items->items) text += boost::json::serialize(item);
    }
    return text;
  }
};

TEST_F(DynamoKeyStoreTest, AKeyCreatedOnOneNodeWorksOnAnotherAndOnlyItsHashIsStored) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 0u);
  NewKey key = Pdv("1002");
  key.branches.push_back("1001");
  key.rate = RateOverride{5, 10};
  Result<IssuedKey> issued = a->Create(key);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->record.branches, (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(issued->record.token_hash, HashToken(issued->token));
  ASSERT_NE(a->Authenticate(issued->token), nullptr);
  EXPECT_EQ(*a->Authenticate(issued->token), issued->record);
  // b reads the table for Get at once; its memory learns the key from the change index.
  Result<ApiKeyRecord> got = b->Get(issued->record.id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, issued->record);
  auto c = Node();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->size(), 1u);  // loaded at start
  ASSERT_NE(c->Authenticate(issued->token), nullptr);
  Result<IssuedKey> second = a->Create(Admin());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(c->Authenticate(second->token), nullptr);
  ASSERT_TRUE(c->Refresh().ok());
  ASSERT_NE(c->Authenticate(second->token), nullptr);
  EXPECT_EQ(c->List().size(), 2u);
  EXPECT_EQ(b->Get("k_0000000000000000").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(a->Create(Pdv("")).status().code(), StatusCode::kInvalidArgument);
  // Neither token is in the table, in any form DynamoDB's JSON carries.
  const std::string table = TableText();
  EXPECT_EQ(table.find(issued->token), std::string::npos);
  EXPECT_EQ(table.find(second->token), std::string::npos);
  EXPECT_EQ(table.find(issued->token.substr(5)), std::string::npos);
}

TEST_F(DynamoKeyStoreTest, ARevocationOnOneNodeIsRefusedByTheOthersWithinTheCheckAge) {
  auto a = Node();
  auto b = Node(std::chrono::milliseconds(200));
  ASSERT_TRUE(a && b);
  Result<IssuedKey> issued = a->Create(Pdv("1001"));
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(b->Refresh().ok());
  ASSERT_NE(b->Authenticate(issued->token), nullptr);  // confirmed against the table now
  Result<ApiKeyRecord> revoked = a->Revoke(issued->record.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_FALSE(revoked->active());
  EXPECT_EQ(a->Authenticate(issued->token), nullptr);  // the revoking node: at once
  // b has not refreshed: a request after the check age confirms the key and finds it revoked.
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(b->Authenticate(issued->token), nullptr);
  EXPECT_EQ(b->Authenticate(issued->token), nullptr);
  // Revoking again is Ok (idempotent) on either node, and keeps the first time.
  Result<ApiKeyRecord> again = b->Revoke(issued->record.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->revoked_at_us, revoked->revoked_at_us);
  EXPECT_EQ(b->Revoke("k_0000000000000000").status().code(), StatusCode::kNotFound);

  // With a check age of 0 every request confirms: refused on the very next request.
  auto strict = Node(std::chrono::milliseconds(0));
  ASSERT_TRUE(strict);
  Result<IssuedKey> other = a->Create(Admin());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(strict->Refresh().ok());
  ASSERT_NE(strict->Authenticate(other->token), nullptr);
  ASSERT_TRUE(a->Revoke(other->record.id).ok());
  EXPECT_EQ(strict->Authenticate(other->token), nullptr);
}

TEST_F(DynamoKeyStoreTest, ARotationStopsTheOldTokenOnEveryNodeAndTheNewOneWorks) {
  auto a = Node();
  auto b = Node(std::chrono::milliseconds(200));
  ASSERT_TRUE(a && b);
  Result<IssuedKey> issued = a->Create(Pdv("1001"));
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(b->Refresh().ok());
  ASSERT_NE(b->Authenticate(issued->token), nullptr);
  Result<IssuedKey> rotated = a->Rotate(issued->record.id);
  ASSERT_TRUE(rotated.ok()) << rotated.status().ToString();
  EXPECT_EQ(rotated->record.id, issued->record.id);
  EXPECT_GT(rotated->record.rotated_at_us, 0);
  EXPECT_EQ(a->Authenticate(issued->token), nullptr);
  ASSERT_NE(a->Authenticate(rotated->token), nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_EQ(b->Authenticate(issued->token), nullptr);
  // The confirmation read brought the new record: b accepts the new token without a refresh.
  auto on_b = b->Authenticate(rotated->token);
  ASSERT_NE(on_b, nullptr);
  EXPECT_EQ(*on_b, rotated->record);
}

TEST_F(DynamoKeyStoreTest, AStaleNodeCannotRotateAKeyRevokedElsewhere) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  Result<IssuedKey> issued = a->Create(Pdv("1001"));
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(b->Refresh().ok());
  ASSERT_TRUE(a->Revoke(issued->record.id).ok());
  // b's memory says active; the version condition fails and the decision, made again on the
  // revoked item, is the Conflict of a revoked key. The revocation stands.
  EXPECT_EQ(b->Rotate(issued->record.id).status().code(), StatusCode::kConflict);
  Result<ApiKeyRecord> stored = a->Get(issued->record.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->active());
  EXPECT_EQ(stored->token_hash, issued->record.token_hash);
}

TEST_F(DynamoKeyStoreTest, NodesBootstrappingWithOneTokenCreateOneKey) {
  auto a = Node(), b = Node();
  ASSERT_TRUE(a && b);
  const std::string token(40, 'x');
  Result<IssuedKey> results[2] = {Status::Internal("not run"), Status::Internal("not run")};
  std::thread first([&] { results[0] = a->CreateWithToken(Admin("bootstrap admin"), token); });
  std::thread second([&] { results[1] = b->CreateWithToken(Admin("bootstrap admin"), token); });
  first.join();
  second.join();
  const int created = results[0].ok() + results[1].ok();
  EXPECT_EQ(created, 1);
  for (const Result<IssuedKey>& result : results) {
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), StatusCode::kConflict) << result.status().ToString();
    }
  }
  EXPECT_EQ(a->List().size(), 1u);  // the claim item is not a key
  EXPECT_EQ(b->CreateWithToken(Admin(), token).status().code(), StatusCode::kConflict);
  EXPECT_EQ(a->CreateWithToken(Admin(), "short").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(b->Refresh().ok());
  ASSERT_NE(b->Authenticate(token), nullptr);
  auto c = Node();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->size(), 1u);
}

TEST_F(DynamoKeyStoreTest, TheRefreshThreadFollowsOtherNodes) {
  auto a = Node(), b = Node(std::chrono::seconds(1), std::chrono::milliseconds(50));
  ASSERT_TRUE(a && b);
  Result<IssuedKey> issued = a->Create(Admin());
  ASSERT_TRUE(issued.ok());
  for (int i = 0; i < 200 && b->Authenticate(issued->token) == nullptr; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(b->Authenticate(issued->token), nullptr);
}

}  // namespace
}  // namespace estoque::auth
