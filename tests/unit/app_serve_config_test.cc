// The store options of `estoque serve` (app/serve_config.h, app/dynamodb_backend.h): their
// validation names the option and the rule; the DynamoDB client takes --dynamodb-endpoint and
// --aws-region before the AWS variables, and the AWS chains otherwise; the table setup follows
// the billing options. No network: the environment is a map.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "app/dynamodb_backend.h"
#include "app/serve_config.h"

namespace estoque::app {
namespace {

Status Check(const ServeConfig& config) { return ValidateServeConfig(config); }

TEST(ServeStoreOptions, DefaultsAreValidAndEmbedded) {
  ServeConfig config;
  EXPECT_TRUE(Check(config).ok());
  EXPECT_EQ(config.store, "rocksdb");
  EXPECT_EQ(config.dynamodb_table_prefix, "estoque_");
  EXPECT_EQ(config.dynamodb_billing_mode, "on-demand");
  EXPECT_EQ(config.dynamodb_rcu, 5);
  EXPECT_EQ(config.dynamodb_wcu, 5);
}

TEST(ServeStoreOptions, EachBadValueIsRefusedNamingItsOption) {
  struct Case {
    void (*set)(ServeConfig&);
    std::string option;
  };
  const Case cases[] = {
      {[](ServeConfig& c) { c.store = "cassandra"; }, "store: must be rocksdb or dynamodb"},
      {[](ServeConfig& c) { c.dynamodb_endpoint = "ftp://x"; }, "dynamodb-endpoint: "},
      {[](ServeConfig& c) { c.dynamodb_endpoint = "http://"; }, "dynamodb-endpoint: "},
      {[](ServeConfig& c) { c.aws_region = "sa east 1"; }, "aws-region: "},
      {[](ServeConfig& c) { c.dynamodb_table_prefix = "estoque/"; }, "dynamodb-table-prefix: "},
      {[](ServeConfig& c) { c.dynamodb_table_prefix = std::string(201, 'x'); }, "dynamodb-table-prefix: "},
      {[](ServeConfig& c) { c.dynamodb_billing_mode = "PAY_PER_REQUEST"; }, "dynamodb-billing-mode: must be on-demand or provisioned"},
      {[](ServeConfig& c) { c.dynamodb_rcu = 0; }, "dynamodb-rcu: must be 1..40000"},
      {[](ServeConfig& c) { c.dynamodb_wcu = 40'001; }, "dynamodb-wcu: must be 1..40000"},
  };
  for (const Case& bad : cases) {
    ServeConfig config;
    bad.set(config);
    Status status = Check(config);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad.option;
    EXPECT_EQ(status.message().rfind(bad.option, 0), 0u) << status.message();
  }
  ServeConfig fine;
  fine.store = "dynamodb";
  fine.dynamodb_endpoint = "http://127.0.0.1:8000";
  fine.aws_region = "sa-east-1";
  fine.dynamodb_table_prefix = "";
  fine.dynamodb_billing_mode = "provisioned";
  fine.dynamodb_rcu = 40'000;
  EXPECT_TRUE(Check(fine).ok()) << Check(fine).ToString();
}

aws::ConfigSources Environment(std::map<std::string, std::string> variables) {
  return aws::ConfigSources{[variables](std::string_view name) -> std::optional<std::string> {
                              auto found = variables.find(std::string(name));
                              if (found == variables.end()) return std::nullopt;
                              return found->second;
                            },
                            "/nonexistent-home"};
}

TEST(ServeStoreOptions, TheOptionsComeBeforeTheAwsVariables) {
  const std::map<std::string, std::string> aws = {{"AWS_ACCESS_KEY_ID", "AKID"},
                                                  {"AWS_SECRET_ACCESS_KEY", "secret"},
                                                  {"AWS_REGION", "us-east-1"},
                                                  {"AWS_ENDPOINT_URL_DYNAMODB", "http://env-dynamo:8000"},
                                                  {"AWS_ENDPOINT_URL", "http://env-all:9000"}};
  ServeConfig config;
  Result<aws::AwsClientConfig> from_env = DynamoDbClientConfig(config, Environment(aws));
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->endpoint.Url(), "http://env-dynamo:8000/");
  EXPECT_EQ(from_env->region, "us-east-1");
  EXPECT_EQ(from_env->credentials.access_key_id, "AKID");

  config.dynamodb_endpoint = "http://127.0.0.1:8123";
  config.aws_region = "sa-east-1";
  Result<aws::AwsClientConfig> from_options = DynamoDbClientConfig(config, Environment(aws));
  ASSERT_TRUE(from_options.ok());
  EXPECT_EQ(from_options->endpoint.Url(), "http://127.0.0.1:8123/");
  EXPECT_EQ(from_options->region, "sa-east-1");

  // Without any endpoint: the region's.
  ServeConfig plain;
  plain.aws_region = "sa-east-1";
  Result<aws::AwsClientConfig> regional = DynamoDbClientConfig(
      plain, Environment({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"}}));
  ASSERT_TRUE(regional.ok()) << regional.status().ToString();
  EXPECT_EQ(regional->endpoint.Url(), "https://dynamodb.sa-east-1.amazonaws.com/");
  // AWS_ENDPOINT_URL when there is no per-service variable.
  Result<aws::AwsClientConfig> shared = DynamoDbClientConfig(
      plain, Environment({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "secret"},
                          {"AWS_ENDPOINT_URL", "http://alternator:8000"}}));
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->endpoint.Url(), "http://alternator:8000/");
}

TEST(ServeStoreOptions, MissingRegionOrCredentialsAreNamed) {
  ServeConfig config;
  Result<aws::AwsClientConfig> no_region =
      DynamoDbClientConfig(config, Environment({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "s"}}));
  ASSERT_FALSE(no_region.ok());
  EXPECT_EQ(no_region.status().message().rfind("AWS region: ", 0), 0u) << no_region.status().message();
  config.aws_region = "us-east-1";
  Result<aws::AwsClientConfig> no_credentials = DynamoDbClientConfig(config, Environment({}));
  ASSERT_FALSE(no_credentials.ok());
  EXPECT_EQ(no_credentials.status().message().rfind("AWS credentials: ", 0), 0u);
}

TEST(ServeStoreOptions, TheTableSetupFollowsTheBillingOptions) {
  ServeConfig config;
  aws::dynamodb::TableSetup on_demand = TableSetupOf(config);
  EXPECT_EQ(on_demand.prefix, "estoque_");
  EXPECT_EQ(on_demand.billing_mode, aws::dynamodb::BillingMode::kPayPerRequest);
  config.dynamodb_table_prefix = "loja_";
  config.dynamodb_billing_mode = "provisioned";
  config.dynamodb_rcu = 10;
  config.dynamodb_wcu = 7;
  aws::dynamodb::TableSetup provisioned = TableSetupOf(config);
  EXPECT_EQ(provisioned.prefix, "loja_");
  EXPECT_EQ(provisioned.billing_mode, aws::dynamodb::BillingMode::kProvisioned);
  EXPECT_EQ(provisioned.throughput.read_capacity_units, 10);
  EXPECT_EQ(provisioned.throughput.write_capacity_units, 7);
}

TEST(ServeApplyWorkers, ZeroToThirtyTwoAreAcceptedAndOtherValuesNamed) {
  ServeConfig config;
  for (int64_t workers : {0, 1, 4, 32}) {
    config.apply_workers = workers;
    EXPECT_TRUE(Check(config).ok()) << workers;
  }
  for (int64_t workers : {-1, 33}) {
    config.apply_workers = workers;
    const Status refused = Check(config);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.message().rfind("apply-workers: ", 0), 0u) << refused.message();
  }
}

}  // namespace
}  // namespace estoque::app
