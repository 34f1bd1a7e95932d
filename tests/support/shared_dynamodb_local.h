// One DynamoDB Local for every test of a binary (tests/support/dynamodb_local.h), started by the
// first test that asks and stopped after the last. A fixture derived from SharedDynamoDbTest is
// skipped, saying why, when Java or DynamoDB Local is not installed, unless CI=true (then it
// fails: CI runs scripts/setup first). Each test gets a table prefix of its own.
#pragma once

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "aws/dynamodb_client.h"
#include "support/dynamodb_local.h"

namespace estoque::test_support {

struct SharedDynamoDbLocal {
  std::unique_ptr<DynamoDbLocal> server;
  std::string skip_reason;  // set when not installed
  std::string start_error;  // set when installed but it did not start

  static SharedDynamoDbLocal& Get() {
    static SharedDynamoDbLocal* shared = [] {
      auto* state = new SharedDynamoDbLocal;
      std::optional<DynamoDbLocalInstall> install = FindDynamoDbLocal(&state->skip_reason);
      if (!install) return state;
      state->server = std::make_unique<DynamoDbLocal>(*install);
      if (!state->server->Start()) {
        state->start_error = state->server->last_error();
        return state;
      }
      std::cout << "DynamoDB Local answered " << state->server->startup_time().count()
                << " ms after its start, on " << state->server->endpoint_url() << std::endl;
      return state;
    }();
    return *shared;
  }
};

// Stops the server after the last test, so no JVM outlives the binary.
class StopSharedDynamoDbLocal : public ::testing::Environment {
 public:
  void TearDown() override { SharedDynamoDbLocal::Get().server.reset(); }
};

// Registered before main (an inline variable is initialised once per program).
inline ::testing::Environment* const kStopSharedDynamoDbLocal =
    ::testing::AddGlobalTestEnvironment(new StopSharedDynamoDbLocal);

class SharedDynamoDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedDynamoDbLocal& shared = SharedDynamoDbLocal::Get();
    if (!shared.skip_reason.empty()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "CI must run this test, but: " << shared.skip_reason;
      }
      GTEST_SKIP() << "DynamoDB Local is not installed: " << shared.skip_reason;
    }
    ASSERT_TRUE(shared.start_error.empty()) << shared.start_error;
    client_ = std::make_unique<aws::dynamodb::DynamoDbClient>(shared.server->ClientConfig());
    prefix_ = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_";
  }

  std::unique_ptr<aws::dynamodb::DynamoDbClient> client_;
  std::string prefix_;  // "<TestName>_": the tables of this test
};

}  // namespace estoque::test_support
