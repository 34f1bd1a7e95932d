// End to end with the DynamoDB store: the real binary run with `--store dynamodb` against Amazon's
// DynamoDB Local on 127.0.0.1 (tests/support/shared_dynamodb_local.h), each test on tables of its
// own prefix.
//   - every table is created on first start in the configured billing mode and capacity;
//   - the inventory, the catalog and the keys live in the tables, not in the node's data
//     directory: a node started on an empty directory serves what another node wrote;
//   - two nodes on one set of tables agree, and reservations made through both at once never
//     take more than the stock (the version conditions of DynamoDB transactions, not a lock);
//   - the requests DynamoDB's 100-action transactions cannot hold are answered 400 naming the
//     field;
//   - the options reach the server from the environment and from the config file.
// Skipped, saying why, only when Java or DynamoDB Local is not installed; under CI (CI=true) a
// missing install fails instead.
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aws/dynamodb_tables.h"
#include "e2e/support/fixture.h"
#include "e2e/support/inventory_support.h"
#include "support/shared_dynamodb_local.h"

namespace estoque::e2e {
namespace {

namespace json = boost::json;
using inventory::At;
using inventory::ErrorFieldNames;
using inventory::FromNow;
using inventory::Int;
using inventory::Line;
using inventory::Movement;
using inventory::ReservationBody;
using inventory::SaleBody;
using inventory::Serialize;
using inventory::Str;
using inventory::TransferBody;
using test_support::SharedDynamoDbLocal;

constexpr char kBranch[] = "1001";
constexpr char kOther[] = "1002";

// Every table `--store dynamodb` creates (docs/DYNAMODB.md), without the prefix.
const std::vector<std::string> kTables = {"posicoes", "movimentos", "ids", "estatisticas",
                                          "transferencias", "reservas", "produtos", "filiais",
                                          "chaves", "auditoria"};

std::string Barcode(int i) { return std::to_string(78910000000LL + i); }

class DynamoDbNodes : public test_support::SharedDynamoDbTest {
 protected:
  // The AWS settings of DynamoDB Local, as a deployment would give them.
  std::map<std::string, std::string> AwsEnvironment() const {
    const auto& server = *SharedDynamoDbLocal::Get().server;
    const aws::AwsClientConfig config = server.ClientConfig();
    return {{"AWS_ENDPOINT_URL_DYNAMODB", server.endpoint_url()},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", config.credentials.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", config.credentials.secret_access_key}};
  }

  // A node on this test's tables, with a data directory of its own (`name`). Not started.
  std::unique_ptr<ServerProcess> Node(const std::string& name, std::vector<std::string> extra = {},
                                      std::map<std::string, std::string> environment = {}) {
    std::vector<std::string> args{"--store", "dynamodb", "--dynamodb-table-prefix", prefix_,
                                  "--rate-limit-rps", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::map<std::string, std::string> env = AwsEnvironment();
    for (auto& [key, value] : environment) env[key] = value;
    return std::make_unique<ServerProcess>(dirs_.path() + "/" + name, std::move(args), std::move(env));
  }

  static std::optional<int64_t> OnHand(HttpClient& client, const std::string& barcode,
                                       const std::string& branch) {
    auto r = client.Get("/v1/posicoes/" + barcode + "/" + branch);
    if (r.status != 200) return std::nullopt;
    return Int(r.json().at("em_estoque"));
  }

  TempDir dirs_;
};

TEST_F(DynamoDbNodes, TablesAreCreatedInTheConfiguredModeAndTheDataOutlivesTheNode) {
  auto first = Node("first", {"--dynamodb-billing-mode", "provisioned", "--dynamodb-rcu", "6",
                              "--dynamodb-wcu", "4"});
  ASSERT_TRUE(first->Start()) << first->last_error();
  for (const std::string& table : kTables) {
    auto description = aws::dynamodb::DescribeTable(*client_, prefix_ + table);
    ASSERT_TRUE(description.ok()) << table << ": " << description.error().ToString();
    EXPECT_EQ(description->at("ProvisionedThroughput").at("ReadCapacityUnits"), 6) << table;
    EXPECT_EQ(description->at("ProvisionedThroughput").at("WriteCapacityUnits"), 4) << table;
  }

  HttpClient a(first->port());
  ASSERT_EQ(a.Post("/v1/posicoes", Body({SeedItem(Barcode(1), kBranch, 10, "2024-06-01 09:00:00"),
                                         SeedItem(Barcode(2), kBranch, 20, "2024-06-01 09:00:00")}))
                .status,
            202);
  ASSERT_EQ(a.Post("/v1/vendas", SaleBody("v-1", kBranch, {{Barcode(1), 3}}, At(10))).status, 202);
  auto received = a.Post("/v1/movimentos", Serialize(Movement("rec-1", "recebimento", kBranch,
                                                              Barcode(2), 5, At(11))));
  ASSERT_EQ(received.status, 201) << received.body;
  ASSERT_EQ(a.Request("PUT", "/v1/produtos/" + Barcode(1), R"({"nome_produto":"Café Torrado 500g"})").status, 200);
  ASSERT_TRUE(Eventually([&] { return OnHand(a, Barcode(1), kBranch) == 7; }))
      << OnHand(a, Barcode(1), kBranch).value_or(-1);
  ASSERT_EQ(OnHand(a, Barcode(2), kBranch), 25);
  ASSERT_EQ(first->Terminate(), 0) << first->output();

  // Another node on an empty data directory serves the same inventory, catalog and keys.
  auto second = Node("second");
  ASSERT_TRUE(second->Start()) << second->last_error();
  HttpClient b(second->port());
  EXPECT_EQ(OnHand(b, Barcode(1), kBranch), 7);
  EXPECT_EQ(OnHand(b, Barcode(2), kBranch), 25);
  auto position = b.Get("/v1/posicoes/" + Barcode(1) + "/" + kBranch).json();
  EXPECT_EQ(Int(position.at("qtd_estoque")), 7);  // the seed's field stays
  EXPECT_EQ(Str(b.Get("/v1/produtos/" + Barcode(1)).json().at("nome_produto")), "Café Torrado 500g");
  auto ledger = b.Get("/v1/movimentos?codigo_barra=" + Barcode(1) + "&filial=" + kBranch);
  ASSERT_EQ(ledger.status, 200) << ledger.body;
  EXPECT_EQ(ledger.json().at("itens").as_array().size(), 2u) << ledger.body;  // count, sale
  auto summary = b.Get(std::string("/v1/filiais/") + kBranch + "/resumo");
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(Int(summary.json().at("skus")), 2) << summary.body;
  // The seed's query payload through the new node.
  auto seed = b.Post("/v1/consulta", Serialize(json::object{{"codigo_barra", Barcode(2)},
                                                            {"filial", kBranch},
                                                            {"query_type", "query"}}));
  EXPECT_EQ(seed.status, 200) << seed.body;
  EXPECT_EQ(second->Terminate(), 0) << second->output();
}

TEST_F(DynamoDbNodes, TwoNodesAgreeAndReservationsThroughBothNeverOversell) {
  auto first = Node("a");
  auto second = Node("b");
  ASSERT_TRUE(first->Start()) << first->last_error();
  ASSERT_TRUE(second->Start()) << second->last_error();
  HttpClient a(first->port());
  HttpClient b(second->port());

  const std::string product = Barcode(7);
  ASSERT_EQ(a.Post("/v1/movimentos", Serialize(Movement("cnt-1", "contagem", kBranch, product, 10,
                                                         At(9))))
                .status,
            201);
  ASSERT_EQ(OnHand(b, product, kBranch), 10);  // the other node reads it at once

  // 20 clients, half through each node, reserve one unit each of the last 10, all at once.
  constexpr int kClients = 20;
  std::atomic<int> reserved{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  const std::string expires = FromNow(std::chrono::minutes(10));
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&, k] {
      HttpClient client(k % 2 == 0 ? first->port() : second->port());
      auto r = client.Post("/v1/reservas", ReservationBody("r-" + std::to_string(k), kBranch,
                                                           {{product, 1}}, expires));
      if (r.status == 201) {
        ++reserved;
      } else if (r.status == 409 && r.json().at("error").at("code") == "insufficient_stock") {
        ++refused;
      } else {
        ++other;
        ADD_FAILURE() << r.status << " " << r.body;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(reserved.load(), 10);
  EXPECT_EQ(refused.load(), 10);
  EXPECT_EQ(other.load(), 0);
  for (HttpClient* client : {&a, &b}) {
    auto stock = client->Get("/v1/posicoes/" + product + "/" + kBranch).json();
    EXPECT_EQ(Int(stock.at("reservado")), 10);
    EXPECT_EQ(Int(stock.at("disponivel")), 0);
  }

  // Writes through either node reach both: positions through one, sales through the other.
  ASSERT_EQ(a.Post("/v1/posicoes", Body({SeedItem(Barcode(8), kOther, 50, "2024-06-01 09:00:00")})).status, 202);
  ASSERT_TRUE(Eventually([&] { return OnHand(b, Barcode(8), kOther) == 50; }));
  for (int s = 0; s < 5; ++s) {
    ASSERT_EQ(b.Post("/v1/vendas", SaleBody("vb-" + std::to_string(s), kOther, {{Barcode(8), 2}},
                                            At(10, s)))
                  .status,
              202);
  }
  ASSERT_TRUE(Eventually([&] { return OnHand(a, Barcode(8), kOther) == 40; }))
      << OnHand(a, Barcode(8), kOther).value_or(-1);
  EXPECT_EQ(a.Get("/v1/posicoes/" + Barcode(8)).body, b.Get("/v1/posicoes/" + Barcode(8)).body);
  EXPECT_EQ(first->Terminate(), 0) << first->output();
  EXPECT_EQ(second->Terminate(), 0) << second->output();
}

TEST_F(DynamoDbNodes, RequestsLargerThanATransactionAre400NamingTheField) {
  auto node = Node("n");
  ASSERT_TRUE(node->Start()) << node->last_error();
  HttpClient client(node->port());

  auto movements = [](int n) {
    json::array array;
    for (int i = 0; i < n; ++i) {
      array.push_back(Movement("m-" + std::to_string(n) + "-" + std::to_string(i), "recebimento",
                               kBranch, Barcode(100 + i), 1, At(9)));
    }
    return Serialize(array);
  };
  auto too_many = client.Post("/v1/movimentos", movements(25));
  EXPECT_EQ(too_many.status, 400) << too_many.body;
  EXPECT_EQ(ErrorFieldNames(too_many), std::set<std::string>{"movimentos"}) << too_many.body;
  auto most = client.Post("/v1/movimentos", movements(24));
  EXPECT_EQ(most.status, 201) << most.body;

  std::vector<Line> lines33;
  for (int i = 0; i < 33; ++i) lines33.push_back({Barcode(100 + i), 1});
  auto transfer = client.Post("/v1/transferencias", TransferBody("t-33", kBranch, kOther, lines33));
  EXPECT_EQ(transfer.status, 400) << transfer.body;
  EXPECT_EQ(ErrorFieldNames(transfer), std::set<std::string>{"itens"}) << transfer.body;
  EXPECT_EQ(client.Get("/v1/transferencias/t-33").status, 404);  // nothing written

  std::vector<Line> lines49;
  for (int i = 0; i < 49; ++i) lines49.push_back({Barcode(200 + i), 1});
  auto reservation = client.Post("/v1/reservas", ReservationBody("r-49", kBranch, lines49,
                                                                  FromNow(std::chrono::minutes(5))));
  EXPECT_EQ(reservation.status, 400) << reservation.body;
  EXPECT_EQ(ErrorFieldNames(reservation), std::set<std::string>{"itens"}) << reservation.body;

  json::array products;
  for (int i = 0; i < 101; ++i) {
    products.push_back(json::object{{"codigo_barra", Barcode(300 + i)}, {"nome_produto", "P"}});
  }
  auto batch = client.Post("/v1/produtos/lote", Serialize(products));
  EXPECT_EQ(batch.status, 400) << batch.body;
  EXPECT_EQ(ErrorFieldNames(batch), std::set<std::string>{"produtos"}) << batch.body;
  EXPECT_EQ(client.Get("/v1/produtos/" + Barcode(300)).status, 404);
  EXPECT_EQ(node->Terminate(), 0) << node->output();
}

TEST_F(DynamoDbNodes, OptionsComeFromTheEnvironmentAndTheConfigFile) {
  // ESTOQUE_* variables, the endpoint from AWS_ENDPOINT_URL (not the DynamoDB-specific one).
  std::map<std::string, std::string> env = AwsEnvironment();
  const std::string endpoint = env["AWS_ENDPOINT_URL_DYNAMODB"];
  auto from_env = std::make_unique<ServerProcess>(
      dirs_.path() + "/env", std::vector<std::string>{},
      std::map<std::string, std::string>{{"ESTOQUE_STORE", "dynamodb"},
                                         {"ESTOQUE_DYNAMODB_TABLE_PREFIX", prefix_ + "env_"},
                                         {"AWS_ENDPOINT_URL", endpoint},
                                         {"AWS_DEFAULT_REGION", "us-east-1"},
                                         {"AWS_ACCESS_KEY_ID", env["AWS_ACCESS_KEY_ID"]},
                                         {"AWS_SECRET_ACCESS_KEY", env["AWS_SECRET_ACCESS_KEY"]}});
  ASSERT_TRUE(from_env->Start()) << from_env->last_error();
  auto on_demand = aws::dynamodb::DescribeTable(*client_, prefix_ + "env_posicoes");
  ASSERT_TRUE(on_demand.ok()) << on_demand.error().ToString();
  EXPECT_EQ(on_demand->at("BillingModeSummary").at("BillingMode"), "PAY_PER_REQUEST");
  EXPECT_EQ(from_env->Terminate(), 0) << from_env->output();

  const std::string file = dirs_.path() + "/estoque.toml";
  std::ofstream(file) << "store = \"dynamodb\"\ndynamodb-table-prefix = \"" << prefix_
                      << "file_\"\ndynamodb-endpoint = \"" << endpoint
                      << "\"\naws-region = \"us-east-1\"\n";
  auto from_file = std::make_unique<ServerProcess>(
      dirs_.path() + "/file", std::vector<std::string>{"--config", file},
      std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", env["AWS_ACCESS_KEY_ID"]},
                                         {"AWS_SECRET_ACCESS_KEY", env["AWS_SECRET_ACCESS_KEY"]}});
  ASSERT_TRUE(from_file->Start()) << from_file->last_error();
  EXPECT_TRUE(aws::dynamodb::DescribeTable(*client_, prefix_ + "file_movimentos").ok());
  EXPECT_EQ(from_file->Terminate(), 0) << from_file->output();
}

}  // namespace
}  // namespace estoque::e2e
