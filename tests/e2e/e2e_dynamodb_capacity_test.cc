// End to end on DynamoDB Local: `estoque serve --store dynamodb` counts the capacity units of what
// it writes by DynamoDB's rules and exposes them at GET /metrics, and `estoque custo` prices them.
//   - after N positions are applied, the write units of TransactWriteItems are what the rules give
//     for the items now in the tables (read back with Scan and sized by aws/dynamodb_capacity.h):
//     2 x Σ PutItem units (table + each index the item has the keys of) + 2 per statistics
//     update (at most 2 per transaction); so at least 2 per transaction;
//   - `estoque custo --janela 1` against the server while positions arrive prints both billing
//     modes with numbers, and its JSON has a non-zero write rate.
// Skipped, saying why, when Java or DynamoDB Local is not installed (failed under CI=true).
#include <sys/wait.h>

#include <cstdio>
#include <iostream>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "aws/dynamodb_capacity.h"
#include "e2e/support/fixture.h"
#include "e2e/support/test_keys.h"
#include "store/dynamo/dynamo_schema.h"
#include "support/shared_dynamodb_local.h"

namespace estoque::e2e {
namespace {

namespace ddb = aws::dynamodb;
namespace json = boost::json;

constexpr char kBranch[] = "1001";
constexpr int kPositions = 60;

std::string Barcode(int i) { return std::to_string(78900000000LL + i); }

// The value of `metric`{operation="<operation>"} in Prometheus text; 0 when absent.
double Sample(const std::string& text, const std::string& metric, const std::string& operation) {
  const std::string prefix = metric + "{operation=\"" + operation + "\"} ";
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + prefix.size()));
}

// Runs `command` in a shell; its stdout and stderr, and its exit code in *exit_code.
std::string RunShell(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buffer[4096];
  while (std::size_t read = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, read);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

class DynamoCapacityTest : public test_support::SharedDynamoDbTest {
 protected:
  void SetUp() override {
    SharedDynamoDbTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const aws::AwsClientConfig config =
        test_support::SharedDynamoDbLocal::Get().server->ClientConfig();
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data",
        std::vector<std::string>{"--store", "dynamodb", "--dynamodb-endpoint",
                                 test_support::SharedDynamoDbLocal::Get().server->endpoint_url(),
                                 "--aws-region", "us-east-1", "--dynamodb-table-prefix", prefix_,
                                 "--rate-limit-rps", "0"},
        std::map<std::string, std::string>{
            {"AWS_ACCESS_KEY_ID", config.credentials.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", config.credentials.secret_access_key}});
    ASSERT_TRUE(server_->Start(std::chrono::seconds(120))) << server_->last_error();
    http_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override {
    if (server_ && server_->running()) {
      EXPECT_EQ(server_->Terminate(), 0) << server_->output();
    }
  }

  // Posts positions `first`..`first + count - 1` at branch 1001, one request.
  void PostPositions(int first, int count, const std::string& time) {
    json::array items;
    for (int i = first; i < first + count; ++i) {
      items.push_back(SeedItem(Barcode(i), kBranch, 10 + i, time));
    }
    auto r = http_->Post("/v1/posicoes", json::serialize(items));
    ASSERT_EQ(r.status, 202) << r.body;
  }

  bool WaitApplied(int64_t applied) {
    return Eventually(
        [&] {
          auto r = http_->Get("/v1/fila");
          return r.status == 200 && r.json().at("aplicadas").to_number<int64_t>() >= applied &&
                 r.json().at("profundidade").to_number<int64_t>() == 0;
        },
        std::chrono::seconds(60));
  }

  // Σ PutWriteUnits of every item now in `table` (the write units of putting each once).
  double PutUnitsOfTable(const std::string& table, const ddb::TableIndexKeys& indexes) {
    ddb::ScanRequest scan;
    scan.table = table;
    scan.consistent_read = true;
    aws::AwsResult<ddb::QueryPage> items = client_->ScanAll(scan, 1000);
    EXPECT_TRUE(items.ok()) << table;
    if (!items.ok()) return 0;
    auto found = indexes.find(table);
    double units = 0;
    for (const ddb::Item& item : items->items) {
      units += ddb::PutWriteUnits(item, found == indexes.end() ? ddb::IndexKeys{} : found->second);
    }
    return units;
  }

  test_support::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(DynamoCapacityTest, MetricsCountTransactionWritesByDynamoDbsRules) {
  auto before = http_->Get("/metrics");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.headers["content-type"], "text/plain; version=0.0.4");
  EXPECT_NE(before.body.find("estoque_uptime_seconds "), std::string::npos) << before.body;

  PostPositions(0, kPositions, "2024-06-01 10:00:00");
  ASSERT_TRUE(WaitApplied(kPositions)) << http_->Get("/v1/fila").body;
  auto after = http_->Get("/metrics");
  ASSERT_EQ(after.status, 200);
  const std::string& text = after.body;

  const double transactions =
      Sample(text, "estoque_dynamodb_requests_total", "TransactWriteItems");
  const double units = Sample(text, "estoque_dynamodb_write_units_total", "TransactWriteItems");
  ASSERT_GT(transactions, 0) << text;
  EXPECT_GE(units, 2 * transactions) << text;
  EXPECT_GT(Sample(text, "estoque_dynamodb_read_units_total", "BatchGetItem"), 0) << text;

  // What the rules give for the items the positions wrote: each state and ledger entry put once,
  // in a transaction; the statistics updates (1 unit each, doubled) at most 2 per transaction.
  store::dynamo::DynamoStoreOptions options;
  options.table_prefix = prefix_;
  const store::dynamo::TableNames tables = store::dynamo::TableNamesFor(prefix_);
  const ddb::TableIndexKeys indexes = ddb::IndexKeysOf(store::dynamo::TableSpecs(tables, options));
  const double puts = PutUnitsOfTable(tables.positions, indexes) +
                      PutUnitsOfTable(tables.ledger, indexes) +
                      PutUnitsOfTable(tables.ids, indexes);
  // Each position: a state (table + por_filial + lista) and a ledger entry (table + por_filial +
  // por_produto), each under 1 KB.
  EXPECT_EQ(puts, 6.0 * kPositions);
  EXPECT_GE(units, 2 * puts) << text;
  EXPECT_LE(units, 2 * puts + 2 * 2 * transactions) << text;
  std::cout << kPositions << " positions: " << transactions << " TransactWriteItems, " << units
            << " write units (" << units / kPositions << " per position)" << std::endl;
}

TEST_F(DynamoCapacityTest, CustoPricesTheObservedTrafficInBothModes) {
  const std::string command = std::string("ESTOQUE_API_KEY=") + kTestAdminKey + " " +
                              ESTOQUE_BINARY + " custo --server " + server_->url() + " --janela 1";
  // Positions keep arriving while custo reads the metrics twice.
  std::future<std::string> json_run = std::async(std::launch::async, [&] {
    int exit_code = -1;
    std::string output = RunShell(command + " --json", &exit_code);
    return exit_code == 0 ? output : "exit " + std::to_string(exit_code) + ": " + output;
  });
  // (Until custo is done, at most 20 s: a slow apply must still fall inside its window.)
  for (int round = 0; round < 200 && json_run.wait_for(std::chrono::milliseconds(0)) !=
                                         std::future_status::ready;
       ++round) {
    char time[32];
    std::snprintf(time, sizeof time, "2024-06-01 10:%02d:%02d", round / 60, round % 60);
    PostPositions(round * 10, 10, time);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string output = json_run.get();
  json::error_code error;
  const json::value document = json::parse(output, error);
  ASSERT_FALSE(error) << output;
  EXPECT_TRUE(document.at("dynamodb").as_bool()) << output;
  EXPECT_GT(document.at("observado").at("escrita_unidades_s").to_number<double>(), 0) << output;
  EXPECT_GT(document.at("sob_demanda").at("escrita").to_number<double>(), 0) << output;
  // Provisioned never falls below auto scaling's minimum (5 RCU + 5 WCU).
  EXPECT_GE(document.at("provisionado").at("total").to_number<double>(),
            5 * 730 * (0.00013 + 0.00065) - 1e-9)
      << output;

  int exit_code = -1;
  const std::string table = RunShell(command, &exit_code);
  EXPECT_EQ(exit_code, 0) << table;
  EXPECT_NE(table.find("sob demanda "), std::string::npos) << table;
  EXPECT_NE(table.find("provisionado ("), std::string::npos) << table;
  EXPECT_NE(table.find("$ "), std::string::npos) << table;
  EXPECT_NE(table.find("Custo por milhão de unidades de escrita"), std::string::npos) << table;

  // An unknown key: custo says what the server answered and fails.
  const std::string bad = RunShell(std::string(ESTOQUE_BINARY) + " custo --server " + server_->url() +
                                  " --janela 1 --key estq_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                              &exit_code);
  EXPECT_EQ(exit_code, 1) << bad;
  EXPECT_NE(bad.find("401"), std::string::npos) << bad;
}

}  // namespace
}  // namespace estoque::e2e
