// One DynamoDB Local for every test of a binary (tests/support/dynamodb_local.h), started by the
// first test that asks and stopped after the last. A fixture derived from SharedDynamoDbTest is
// skipped, saying why, when Java or DynamoDB Local is not installed, unless CI=true (then it
// fails: CI runs scripts/setup first). Each test gets a table prefix of its own.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"
#include "support/dynamodb_local.h"
#include "support/shared_emulator.h"

namespace estoque::test_support {

struct DynamoDbLocalTraits {
  using Server = DynamoDbLocal;
  using Install = DynamoDbLocalInstall;
  static std::optional<Install> Find(std::string* why) { return FindDynamoDbLocal(why); }
  static constexpr const char* kName = "DynamoDB Local";
};
using SharedDynamoDbLocal = SharedEmulator<DynamoDbLocalTraits>;

// Registered before main (an inline variable is initialised once per program).
inline ::testing::Environment* const kStopSharedDynamoDbLocal =
    ::testing::AddGlobalTestEnvironment(new StopSharedEmulator<DynamoDbLocalTraits>);

class SharedDynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SharedDynamoDbLocal::Require()) return;
    client_ = std::make_unique<aws::dynamodb::DynamoDbClient>(
        SharedDynamoDbLocal::Get().server->ClientConfig());
    prefix_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_";
  }

  std::unique_ptr<aws::dynamodb::DynamoDbClient> client_;
  std::string prefix_;  // "<TestName>_": the tables of this test
};

}  // namespace estoque::test_support
