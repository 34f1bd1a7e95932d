// `estoque serve --store dynamodb` against DynamoDB Local: the options (command line, environment,
// config file) reach the tables it creates on first start (names, billing mode, capacity), bad
// values stop it with an error naming the option, and, until the DynamoDB inventory store is part
// of the build, it refuses to start saying so (never falling back to the local data directory).
// Each run gets a clean environment (env -i) so the machine's AWS settings never leak in.
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

TEST_F(DynamoDbServe, CreatesTheTablesInTheConfiguredModeThenSaysTheStoreIsNotAvailableYet) {
  const ServeRun run = Serve("--store dynamodb --dynamodb-endpoint " + Endpoint() +
                            " --aws-region us-east-1 --dynamodb-table-prefix " + prefix_ +
                            " --dynamodb-billing-mode provisioned --dynamodb-rcu 6 --dynamodb-wcu 4",
                        Credentials());
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("--store dynamodb: unavailable: the DynamoDB inventory store is not "
                            "available yet"),
            std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("listening"), std::string::npos) << run.output;
  for (const char* table : {"produtos", "filiais", "chaves", "auditoria"}) {
    auto description = aws::dynamodb::DescribeTable(*client_, prefix_ + table);
    ASSERT_TRUE(description.ok()) << table << ": " << description.error().ToString();
    EXPECT_EQ(description->at("ProvisionedThroughput").at("ReadCapacityUnits"), 6) << table;
    EXPECT_EQ(description->at("ProvisionedThroughput").at("WriteCapacityUnits"), 4) << table;
  }
  // A second start finds the tables and stops at the same place.
  EXPECT_EQ(Serve("--store dynamodb --dynamodb-table-prefix " + prefix_,
                  Credentials() + " AWS_REGION=us-east-1 AWS_ENDPOINT_URL_DYNAMODB=" + Endpoint())
                .exit_code,
            1);
}

TEST_F(DynamoDbServe, EnvironmentAndConfigFileReachTheOptions) {
  // The environment's ESTOQUE_* variables, with the endpoint and region from AWS's variables.
  const ServeRun from_env = Serve("", Credentials() + " ESTOQUE_STORE=dynamodb ESTOQUE_DYNAMODB_TABLE_PREFIX=" +
                                     prefix_ + "env_ AWS_ENDPOINT_URL=" + Endpoint() +
                                     " AWS_DEFAULT_REGION=us-east-1");
  EXPECT_EQ(from_env.exit_code, 1) << from_env.output;
  EXPECT_NE(from_env.output.find("not available yet"), std::string::npos) << from_env.output;
  auto on_demand = aws::dynamodb::DescribeTable(*client_, prefix_ + "env_chaves");
  ASSERT_TRUE(on_demand.ok()) << on_demand.error().ToString();
  EXPECT_EQ(on_demand->at("BillingModeSummary").at("BillingMode"), "PAY_PER_REQUEST");

  const std::string file = dir_.path() + "/estoque.toml";
  std::ofstream(file) << "store = \"dynamodb\"\ndynamodb-table-prefix = \"" << prefix_
                      << "file_\"\ndynamodb-endpoint = \"" << Endpoint()
                      << "\"\naws-region = \"us-east-1\"\n";
  const ServeRun from_file = Serve("--config " + file, Credentials());
  EXPECT_EQ(from_file.exit_code, 1) << from_file.output;
  EXPECT_TRUE(aws::dynamodb::DescribeTable(*client_, prefix_ + "file_produtos").ok());
}

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
