// End to end with the SQS queue: the real binary run with `--queue sqs` against the fauxqs
// emulator on 127.0.0.1 (tests/support/fauxqs.h), one queue and dead-letter queue per test.
//   - positions and sales posted to the API are sent through SQS and applied;
//   - a server SIGKILLed while clients post positions and sales, then restarted, has lost
//     nothing it acknowledged (202) and applied nothing twice;
//   - a message that is not an estoque message ends in GET /v1/fila/dlq and can be dropped.
// Skipped, saying why, only when fauxqs or its Node.js is not installed; under CI (CI=true) a
// missing install fails instead.
#include <atomic>
#include <iostream>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <future>

#include "aws/sqs_client.h"
#include "e2e/support/fixture.h"
#include "e2e/support/inventory_support.h"
#include "queue/embedded_queue.h"
#include "store/rocksdb_engine.h"
#include "support/shared_fauxqs.h"

namespace estoque::e2e {
namespace {

namespace json = boost::json;
namespace sqs = aws::sqs;
using inventory::At;
using inventory::Int;
using inventory::Ledger;
using inventory::SaleBody;
using inventory::Str;
using test_support::Fauxqs;
using namespace std::chrono_literals;

test_support::SharedFauxqs& Shared() { return test_support::SharedFauxqs::Get(); }

constexpr char kProduct[] = "7891000100103";
constexpr char kBranch[] = "1001";

std::string Barcode(int i) { return std::to_string(78900000000LL + i); }

class SqsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::SharedFauxqs::Require()) return;
    auto& shared = Shared();
    sqs_ = std::make_unique<sqs::SqsClient>(shared.server->ClientConfig());
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    aws::AwsResult<std::string> dlq = sqs_->CreateQueue({name + "-dlq", {}});
    ASSERT_TRUE(dlq.ok());
    dlq_url_ = *dlq;
    aws::AwsResult<sqs::QueueAttributes> arn = sqs_->GetQueueAttributes(dlq_url_, {"QueueArn"});
    ASSERT_TRUE(arn.ok());
    aws::AwsResult<std::string> queue = sqs_->CreateQueue(
        {name, {{"RedrivePolicy", sqs::RedrivePolicy(arn->at("QueueArn"), 10)}}});
    ASSERT_TRUE(queue.ok());
    queue_url_ = *queue;
    server_ = std::make_unique<ServerProcess>(
        dir_.path() + "/data",
        std::vector<std::string>{"--queue", "sqs", "--sqs-queue-url", queue_url_, "--sqs-dlq-url",
                                 dlq_url_, "--sqs-visibility-timeout-s", "2", "--dlq-max-attempts", "2",
                                 // Batches of up to ~200 ms of messages: their deletes (10 per
                                 // call, one call after another) follow the apply for a while.
                                 "--apply-linger-ms", "200", "--rate-limit-rps", "0"},
        std::map<std::string, std::string>{{"AWS_ENDPOINT_URL_SQS", shared.server->endpoint_url()},
                                           {"AWS_REGION", "us-east-1"},
                                           {"AWS_ACCESS_KEY_ID", "AKIDESTOQUETEST"},
                                           {"AWS_SECRET_ACCESS_KEY", "estoque-test-secret"}});
    ASSERT_TRUE(server_->Start()) << server_->last_error();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  void TearDown() override {
    if (server_ && server_->running()) {
      EXPECT_EQ(server_->Terminate(), 0) << server_->output();
    }
  }

  void Restart() {
    ASSERT_TRUE(server_->Start()) << server_->last_error();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  // The position's qtd_estoque, or nullopt when there is none.
  std::optional<int64_t> Quantity(const std::string& barcode) {
    auto r = client_->Get("/v1/posicoes/" + barcode + "/" + kBranch);
    if (r.status != 200) return std::nullopt;
    return Int(r.json().at("qtd_estoque"));
  }

  // GET /v1/fila's aplicadas, or nullopt if it did not answer 200.
  std::optional<int64_t> AppliedItems() {
    auto r = client_->Get("/v1/fila");
    if (r.status != 200) return std::nullopt;
    return Int(r.json().at("aplicadas"));
  }

  // Messages in the SQS queue, visible or not.
  uint64_t SqsDepth() {
    aws::AwsResult<sqs::QueueAttributes> attributes = sqs_->GetQueueAttributes(
        queue_url_, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    if (!attributes.ok()) return UINT64_MAX;
    return std::stoull(attributes->at("ApproximateNumberOfMessages")) +
           std::stoull(attributes->at("ApproximateNumberOfMessagesNotVisible"));
  }

  TempDir dir_;
  std::unique_ptr<sqs::SqsClient> sqs_;
  std::string queue_url_;
  std::string dlq_url_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(SqsServerTest, PositionsAndSalesGoThroughSqsAndAreApplied) {
  auto posted = client_->Post("/v1/posicoes", Body({SeedItem(kProduct, kBranch, 10, "2024-06-01 09:00:00")}));
  ASSERT_EQ(posted.status, 202) << posted.body;
  EXPECT_FALSE(Str(posted.json().at("message_id")).empty());
  ASSERT_TRUE(Eventually([&] { return Quantity(kProduct) == 10; }));
  auto sold = client_->Post("/v1/vendas", SaleBody("v-1", kBranch, {{kProduct, 3}}, At(10)));
  ASSERT_EQ(sold.status, 202) << sold.body;
  ASSERT_TRUE(Eventually([&] { return Quantity(kProduct) == 7; })) << Quantity(kProduct).value_or(-1);
  ASSERT_TRUE(Eventually([&] { return SqsDepth() == 0; }));  // deleted once applied
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(Int(fila.at("aplicadas")), 2);  // the count and the sale line
  EXPECT_EQ(Int(fila.at("dlq")), 0);
  EXPECT_EQ(client_->Get("/v1/fila/dlq").status, 200);
}

TEST_F(SqsServerTest, KillDuringIngestLosesNothingAcknowledgedAndAppliesNothingTwice) {
  constexpr int64_t kCounted = 1'000'000;
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem(kProduct, kBranch, kCounted, "2024-06-01 09:00:00")})).status, 202);
  ASSERT_TRUE(Eventually([&] { return Quantity(kProduct) == kCounted; }));

  // Two clients: one posts positions (5 new barcodes each), one posts sales of one unit each,
  // until the server dies under them.
  std::mutex mutex;
  std::vector<int> acknowledged_positions;  // message numbers
  std::vector<int> acknowledged_sales;
  std::atomic<bool> stop{false};
  std::thread positions([&] {
    HttpClient client(server_->port());
    for (int m = 0; !stop.load(); ++m) {
      json::array items;
      for (int i = 0; i < 5; ++i) items.push_back(SeedItem(Barcode(m * 5 + i), kBranch, m * 5 + i + 1, "2024-06-01 09:00:00"));
      if (client.Post("/v1/posicoes", json::serialize(items)).status != 202) break;
      std::lock_guard<std::mutex> lock(mutex);
      acknowledged_positions.push_back(m);
    }
  });
  std::thread sales([&] {
    HttpClient client(server_->port());
    for (int s = 0; !stop.load(); ++s) {
      if (client.Post("/v1/vendas", SaleBody("v-" + std::to_string(s), kBranch, {{kProduct, 1}}, At(10, s / 60 % 60, s % 60))).status != 202) break;
      std::lock_guard<std::mutex> lock(mutex);
      acknowledged_sales.push_back(s);
    }
  });
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return acknowledged_positions.size() >= 100 && acknowledged_sales.size() >= 100;
  }, 60s));
  // Kill the moment a batch has been applied, while its messages are being deleted from SQS (so
  // that they come back after the restart and are applied a second time), or failing that within
  // 2 s.
  const std::optional<int64_t> applied_before = AppliedItems();
  Eventually([&] { return AppliedItems() != applied_before; }, 2s);
  server_->Kill();
  stop = true;
  positions.join();
  sales.join();
  Restart();

  // Everything acknowledged is applied; what was in flight at the kill may be too (SQS may have
  // accepted it before the server died without answering).
  ASSERT_TRUE(Eventually([&] { return SqsDepth() == 0; }, 60s)) << SqsDepth();
  for (int m : acknowledged_positions) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(Quantity(Barcode(m * 5 + i)), m * 5 + i + 1) << "message " << m;
    }
  }
  // Each sale at most once in the ledger, each acknowledged one exactly once, and the stock is
  // the count minus exactly the sales in the ledger.
  std::map<std::string, int> sale_entries;
  for (const json::object& entry : Ledger(*client_, std::string("codigo_barra=") + kProduct + "&filial=" + kBranch)) {
    if (Str(entry.at("origem")) == "venda") ++sale_entries[Str(entry.at("id"))];
  }
  for (const auto& [id, count] : sale_entries) EXPECT_EQ(count, 1) << id;
  for (int s : acknowledged_sales) EXPECT_EQ(sale_entries.count("v-" + std::to_string(s) + "#1"), 1u) << s;
  EXPECT_EQ(Quantity(kProduct), kCounted - static_cast<int64_t>(sale_entries.size()));
  // Items applied (a redelivery counts as dropped, not applied): one per distinct item.
  int64_t positions_present = 0;
  const int64_t last_message = acknowledged_positions.back() + 3;  // beyond anything in flight
  for (int key = 0; key < last_message * 5; ++key) positions_present += Quantity(Barcode(key)).has_value();
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(Int(fila.at("aplicadas")), 1 + positions_present + static_cast<int64_t>(sale_entries.size()));
  std::cout << "acknowledged " << acknowledged_positions.size() << " position messages and "
            << acknowledged_sales.size() << " sales before SIGKILL; redeliveries dropped as duplicates: "
            << Int(fila.at("descartadas_mais_antigas")) << std::endl;
}

TEST_F(SqsServerTest, AMessageThatIsNotEstoquesIsDeadLetteredAndDropped) {
  aws::AwsResult<sqs::SendBatchOutput> sent =
      sqs_->SendMessageBatch(queue_url_, {{"0", "not an estoque message", std::nullopt}});
  ASSERT_TRUE(sent.ok() && sent->complete());
  ASSERT_TRUE(Eventually([&] { return Int(client_->Get("/v1/fila").json().at("dlq")) == 1; }, 20s));
  auto page = client_->Get("/v1/fila/dlq");
  ASSERT_EQ(page.status, 200) << page.body;
  const json::value listed = page.json();
  const json::array& items = listed.at("itens").as_array();
  ASSERT_EQ(items.size(), 1u) << page.body;
  const std::string id = Str(items[0].at("id"));
  EXPECT_NE(json::serialize(items[0]).find("not an estoque message"), std::string::npos) << page.body;
  EXPECT_EQ(SqsDepth(), 0u);

  auto dropped = client_->Request("DELETE", "/v1/fila/dlq", R"({"ids":[")" + id + R"("]})");
  ASSERT_EQ(dropped.status, 200) << dropped.body;
  EXPECT_EQ(Int(dropped.json().at("restantes")), 0) << dropped.body;
  auto unknown = client_->Request("DELETE", "/v1/fila/dlq", R"({"ids":[")" + id + R"("]})");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
}

// Start-up refusals, each with a message naming what is wrong.
class SqsConfigTest : public SqsServerTest {
 protected:
  void SetUp() override {}  // no server started for the test
  void TearDown() override {}

  std::string FailedStart(const std::string& data_dir, std::vector<std::string> args) {
    ServerProcess server(data_dir, std::move(args),
                         {{"AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1"}, {"AWS_REGION", "us-east-1"},
                          {"AWS_ACCESS_KEY_ID", "AKIDESTOQUETEST"}, {"AWS_SECRET_ACCESS_KEY", "x"}});
    EXPECT_FALSE(server.Start(10s));
    return server.last_error();
  }
};

TEST_F(SqsConfigTest, BadQueueFlagsFailAtStartNamingTheFlag) {
  const std::string data = dir_.path() + "/data";
  EXPECT_NE(FailedStart(data, {"--queue", "sqs"}).find("sqs-queue-url: required with --queue sqs"), std::string::npos);
  EXPECT_NE(FailedStart(data, {"--queue", "kafka"}).find("queue: must be 'embedded' or 'sqs'"), std::string::npos);
  EXPECT_NE(FailedStart(data, {"--sqs-queue-url", "http://sqs.localhost/1/q"}).find("sqs-queue-url: only with --queue sqs"),
            std::string::npos);
  EXPECT_NE(FailedStart(data, {"--queue", "sqs", "--sqs-queue-url", "http://sqs.localhost/1/q",
                               "--sqs-visibility-timeout-s", "1"}).find("sqs-visibility-timeout-s: must be 2..43200"),
            std::string::npos);
  // A queue that cannot be reached (nothing listens on port 1).
  EXPECT_NE(FailedStart(data, {"--queue", "sqs", "--sqs-queue-url", "http://sqs.localhost/1/q"}).find("opening the SQS queue"),
            std::string::npos);
}

TEST_F(SqsConfigTest, AnEmbeddedQueueWithUnappliedMessagesIsRefused) {
  const std::string data = dir_.path() + "/data";
  {
    store::EngineOptions options;
    options.data_dir = data;
    Result<std::unique_ptr<store::RocksEngine>> engine = store::RocksEngine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    Result<std::unique_ptr<queue::EmbeddedQueue>> embedded = queue::EmbeddedQueue::Open(engine->get(), {});
    ASSERT_TRUE(embedded.ok());
    queue::Message message;
    message.items.push_back({kProduct, kBranch, "Caf\xC3\xA9", 1000, 1});
    std::promise<Result<uint64_t>> accepted;
    (*embedded)->Enqueue(std::move(message), [&](Result<uint64_t> id) { accepted.set_value(id); });
    ASSERT_TRUE(accepted.get_future().get().ok());
  }
  const std::string why = FailedStart(data, {"--queue", "sqs", "--sqs-queue-url", "http://sqs.localhost/1/q"});
  EXPECT_NE(why.find("still holds 1 accepted messages not yet applied"), std::string::npos) << why;
}

}  // namespace
}  // namespace estoque::e2e
