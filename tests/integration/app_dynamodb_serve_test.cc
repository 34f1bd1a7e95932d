// `estoque serve --store dynamodb` with bad options or missing AWS settings: it stops at start with
// an error naming the option (DynamoDB Local is the endpoint where one is needed). Each run gets a
// clean environment (env -i) so the machine's AWS settings never leak in. A server that starts on
// DynamoDB is tested end to end in tests/e2e/e2e_dynamodb_test.cc.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aws/dynamodb_tables.h"
#include "support/shared_dynamodb_local.h"
#include "support/temp_dir.h"

namespace estoque {
namespace {

struct ServeRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class DynamoDbServe : public test_support::SharedDynamoDbTest {
 protected:
  // Runs `estoque serve <arguments>` with only `environment` (plus PATH and a HOME without .aws)
  // and returns how it ended. The server must exit by itself (every case here does).
  ServeRun Serve(const std::string& arguments, const std::string& environment = "") {
    const std::string log = dir_.path() + "/output.txt";
    const std::string command = "env -i PATH=/usr/bin:/bin HOME=" + dir_.path() + " " + environment +
                                " timeout 60 " + ESTOQUE_BINARY + " serve --listen 127.0.0.1:0 --data " +
                                dir_.path() + "/data " + arguments + " > " + log + " 2>&1";
    ServeRun run;
    const int status = std::system(command.c_str());
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    run.output = text.str();
    return run;
  }

  std::string Credentials() const {
    const aws::AwsClientConfig config = test_support::SharedDynamoDbLocal::Get().server->ClientConfig();
    return "AWS_ACCESS_KEY_ID=" + config.credentials.access_key_id +
           " AWS_SECRET_ACCESS_KEY=" + config.credentials.secret_access_key;
  }
  std::string Endpoint() const { return test_support::SharedDynamoDbLocal::Get().server->endpoint_url(); }

  test_support::TempDir dir_;
};

TEST_F(DynamoDbServe, BadOptionsStopItNamingTheOption) {
  const ServeRun mode = Serve("--store dynamodb", "ESTOQUE_DYNAMODB_BILLING_MODE=PAY_PER_REQUEST");
  EXPECT_EQ(mode.exit_code, 1);
  EXPECT_NE(mode.output.find("dynamodb-billing-mode: must be on-demand or provisioned"),
            std::string::npos)
      << mode.output;
  const ServeRun store = Serve("--store dynamo");
  EXPECT_NE(store.output.find("store: must be rocksdb or dynamodb"), std::string::npos) << store.output;
  const ServeRun rcu = Serve("--store dynamodb --dynamodb-rcu 0");
  EXPECT_NE(rcu.output.find("dynamodb-rcu: must be 1..40000"), std::string::npos) << rcu.output;
  const ServeRun no_credentials =
      Serve("--store dynamodb --aws-region us-east-1 --dynamodb-endpoint " + Endpoint());
  EXPECT_EQ(no_credentials.exit_code, 1);
  EXPECT_NE(no_credentials.output.find("AWS credentials: "), std::string::npos) << no_credentials.output;
  const ServeRun no_region = Serve("--store dynamodb", Credentials());
  EXPECT_NE(no_region.output.find("AWS region: "), std::string::npos) << no_region.output;
}

}  // namespace
}  // namespace estoque
