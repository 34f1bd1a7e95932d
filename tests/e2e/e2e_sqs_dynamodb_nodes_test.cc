// Several stateless nodes (issue 6): three `estoque serve --store dynamodb --queue sqs` on one
// DynamoDB Local and one fauxqs queue, with clients writing positions, sales and receipts through
// all of them while nodes are SIGKILLed and restarted. Afterwards:
//   - every node answers every product-branch identically;
//   - the result equals what one embedded node (RocksDB store, embedded queue) holds for the same
//     input, so nothing acknowledged was lost and nothing was applied twice (redeliveries, client
//     retries after a dead node, messages a killed node had received and not deleted).
// A client whose node dies (connection refused, or no answer) sends the same request to the next
// node: every write is idempotent (newer-wins positions, venda_id, movement ids), as PDVs retry.
// Skipped, saying why, only when an emulator is not installed; under CI (CI=true) a missing
// install fails instead.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "aws/sqs_client.h"
#include "e2e/support/fixture.h"
#include "e2e/support/inventory_support.h"
#include "support/shared_dynamodb_local.h"
#include "support/shared_fauxqs.h"

namespace estoque::e2e {
namespace {

namespace json = boost::json;
namespace sqs = aws::sqs;
using inventory::At;
using inventory::Int;
using inventory::Movement;
using inventory::SaleBody;
using inventory::Serialize;
using test_support::SharedDynamoDbLocal;
using test_support::SharedFauxqs;
using namespace std::chrono_literals;

constexpr int kNodes = 3;
constexpr int kProducts = 12;
const std::vector<std::string> kBranches = {"1001", "1002", "1003"};

std::string Barcode(int i) { return std::to_string(78920000000LL + i); }

// One write of the input, sent until a node answers 2xx.
struct Write {
  std::string path;
  std::string body;
};

// The input, the same for the nodes and for the embedded reference: seed positions (counts) at
// many times, sales of 1-3 lines and receipts, shuffled (arrival order must not matter).
std::vector<Write> Input() {
  std::mt19937 random(20261126);
  std::vector<Write> writes;
  for (int m = 0; m < 120; ++m) {
    json::array items;
    for (int i = 0; i < 4; ++i) {
      const int product = static_cast<int>(random() % kProducts);
      const std::string& branch = kBranches[random() % kBranches.size()];
      char time[32];
      std::snprintf(time, sizeof time, "2024-06-01 %02d:%02d:%02d", 8 + m % 4, m % 60, i + 4 * (m / 60));
      items.push_back(SeedItem(Barcode(product), branch, 100 + static_cast<int>(random() % 50), time));
    }
    writes.push_back({"/v1/posicoes", json::serialize(items)});
  }
  for (int s = 0; s < 300; ++s) {
    std::vector<inventory::Line> lines;
    const int count = 1 + static_cast<int>(random() % 3);
    for (int l = 0; l < count; ++l) {
      lines.push_back({Barcode((s + l * 5) % kProducts), 1 + static_cast<int64_t>(random() % 3)});
    }
    writes.push_back({"/v1/vendas", SaleBody("v-" + std::to_string(s), kBranches[s % kBranches.size()],
                                             lines, At(8 + s % 4, s % 60, s / 60))});
  }
  for (int r = 0; r < 30; ++r) {
    writes.push_back({"/v1/movimentos",
                      Serialize(Movement("rec-" + std::to_string(r), "recebimento",
                                         kBranches[r % kBranches.size()], Barcode(r % kProducts),
                                         10 + r, At(9 + r % 3, r)))});
  }
  std::shuffle(writes.begin(), writes.end(), random);
  return writes;
}

class NodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SharedDynamoDbLocal::Require() || !SharedFauxqs::Require()) return;
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    sqs_ = std::make_unique<sqs::SqsClient>(SharedFauxqs::Get().server->ClientConfig());
    aws::AwsResult<std::string> dlq = sqs_->CreateQueue({name + "-dlq", {}});
    ASSERT_TRUE(dlq.ok());
    dlq_url_ = *dlq;
    aws::AwsResult<sqs::QueueAttributes> arn = sqs_->GetQueueAttributes(dlq_url_, {"QueueArn"});
    ASSERT_TRUE(arn.ok());
    aws::AwsResult<std::string> queue = sqs_->CreateQueue(
        {name, {{"RedrivePolicy", sqs::RedrivePolicy(arn->at("QueueArn"), 10)}}});
    ASSERT_TRUE(queue.ok());
    queue_url_ = *queue;
    prefix_ = name + "_";
  }

  // Node `i` of the cluster: its own data directory, the shared tables and queue.
  std::unique_ptr<ServerProcess> Node(int i) {
    const aws::AwsClientConfig dynamo = SharedDynamoDbLocal::Get().server->ClientConfig();
    return std::make_unique<ServerProcess>(
        dir_.path() + "/node" + std::to_string(i),
        std::vector<std::string>{"--store", "dynamodb", "--dynamodb-table-prefix", prefix_,
                                 "--queue", "sqs", "--sqs-queue-url", queue_url_,
                                 "--sqs-dlq-url", dlq_url_, "--sqs-visibility-timeout-s", "2",
                                 "--apply-linger-ms", "20", "--rate-limit-rps", "0"},
        std::map<std::string, std::string>{
            {"AWS_ENDPOINT_URL_DYNAMODB", SharedDynamoDbLocal::Get().server->endpoint_url()},
            {"AWS_ENDPOINT_URL_SQS", SharedFauxqs::Get().server->endpoint_url()},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ACCESS_KEY_ID", dynamo.credentials.access_key_id},
            {"AWS_SECRET_ACCESS_KEY", dynamo.credentials.secret_access_key}});
  }

  // Messages in a queue, visible or not (UINT64_MAX when it cannot be read).
  uint64_t Depth(const std::string& url) {
    aws::AwsResult<sqs::QueueAttributes> attributes = sqs_->GetQueueAttributes(
        url, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
    if (!attributes.ok()) return UINT64_MAX;
    return std::stoull(attributes->at("ApproximateNumberOfMessages")) +
           std::stoull(attributes->at("ApproximateNumberOfMessagesNotVisible"));
  }

  TempDir dir_;
  std::unique_ptr<sqs::SqsClient> sqs_;
  std::string queue_url_;
  std::string dlq_url_;
  std::string prefix_;
};

// The ports of the running nodes (0 while a node is down).
class Ports {
 public:
  void Set(int node, uint16_t port) {
    std::lock_guard<std::mutex> lock(mutex_);
    ports_[node] = port;
  }
  uint16_t Get(int node) {
    std::lock_guard<std::mutex> lock(mutex_);
    return ports_[node];
  }

 private:
  std::mutex mutex_;
  uint16_t ports_[kNodes] = {};
};

// Sends `write` to node `first`, then to the next ones, until one answers 2xx (a 4xx fails the
// test). Returns the number of attempts, 0 when no node took it within 120 s.
int SendUntilAccepted(Ports& ports, const Write& write, int first) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  int attempts = 0;
  for (int node = first; std::chrono::steady_clock::now() < deadline; node = (node + 1) % kNodes) {
    const uint16_t port = ports.Get(node);
    if (port == 0) continue;
    ++attempts;
    HttpClient client(port);
    const HttpResult r = client.Post(write.path, write.body);
    if (r.status >= 200 && r.status < 300) return attempts;
    if (r.status >= 400 && r.status < 500) {
      ADD_FAILURE() << write.path << " " << write.body << " -> " << r.status << " " << r.body;
      return 0;
    }
    std::this_thread::sleep_for(20ms);  // 0 (node died), 503 (draining, queue full): next node
  }
  return 0;
}

// Every product-branch's GET /v1/posicoes/{cb} body and ledger, as one node answers them.
struct Snapshot {
  std::map<std::string, std::string> positions;  // barcode -> body
  std::map<std::string, std::vector<std::string>> ledgers;  // "cb/filial" -> entry keys
};

Snapshot Read(uint16_t port) {
  HttpClient client(port);
  Snapshot snapshot;
  for (int p = 0; p < kProducts; ++p) {
    auto r = client.Get("/v1/posicoes/" + Barcode(p));
    snapshot.positions[Barcode(p)] = std::to_string(r.status) + " " + r.body;
    for (const std::string& branch : kBranches) {
      std::vector<std::string>& keys = snapshot.ledgers[Barcode(p) + "/" + branch];
      for (const json::object& entry :
           inventory::Ledger(client, "codigo_barra=" + Barcode(p) + "&filial=" + branch)) {
        // An API movement's origem is the id of the key that sent it, which each store draws
        // at random for the bootstrap key: compared as "k_".
        std::string origin = inventory::Str(entry.at("origem"));
        if (origin.starts_with("k_")) origin = "k_";
        keys.push_back(inventory::Str(entry.at("id")) + " " + origin + " " +
                       inventory::Str(entry.at("tipo")) + " " + json::serialize(entry.at("quantidade")) +
                       " " + inventory::Str(entry.at("data")));
      }
    }
  }
  return snapshot;
}

TEST_F(NodesTest, ThreeNodesKilledAndRestartedAgreeWithOneEmbeddedNode) {
  const std::vector<Write> input = Input();

  // The reference: one embedded node, each write once.
  Snapshot reference;
  {
    ServerProcess embedded(dir_.path() + "/embedded", {"--rate-limit-rps", "0"});
    ASSERT_TRUE(embedded.Start()) << embedded.last_error();
    HttpClient client(embedded.port());
    for (const Write& write : input) {
      const HttpResult r = client.Post(write.path, write.body);
      ASSERT_TRUE(r.status >= 200 && r.status < 300) << write.path << " " << r.status << " " << r.body;
    }
    ASSERT_TRUE(Eventually([&] {
      return Int(client.Get("/v1/fila").json().at("profundidade")) == 0;
    }, 60s));
    reference = Read(embedded.port());
    EXPECT_EQ(embedded.Terminate(), 0) << embedded.output();
  }

  std::vector<std::unique_ptr<ServerProcess>> nodes;
  Ports ports;
  for (int i = 0; i < kNodes; ++i) {
    nodes.push_back(Node(i));
    ASSERT_TRUE(nodes[i]->Start()) << nodes[i]->last_error();
    ports.Set(i, nodes[i]->port());
  }

  // Three clients write through all nodes while one node after another is killed and restarted.
  std::atomic<int> sent{0};
  std::atomic<int> retried{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&, c] {
      for (std::size_t w = static_cast<std::size_t>(c); w < input.size() && !failed; w += 3) {
        const int attempts = SendUntilAccepted(ports, input[w], static_cast<int>(w % kNodes));
        if (attempts == 0) failed = true;
        retried += attempts > 1 ? 1 : 0;
        ++sent;
      }
    });
  }
  // At least kKills kills, the last ones maybe after every write was accepted (the nodes then
  // die holding received messages not yet deleted).
  constexpr int kKills = 4;
  int kills = 0;
  std::string restart_error;
  for (int k = 0; (sent < static_cast<int>(input.size()) || kills < kKills) && !failed; ++k) {
    std::this_thread::sleep_for(300ms);
    const int victim = k % kNodes;
    ports.Set(victim, 0);
    nodes[victim]->Kill();
    ++kills;
    std::this_thread::sleep_for(200ms);
    if (!nodes[victim]->Start()) {
      restart_error = nodes[victim]->last_error();
      break;
    }
    ports.Set(victim, nodes[victim]->port());
  }
  for (auto& client : clients) client.join();
  ASSERT_TRUE(restart_error.empty()) << restart_error;
  ASSERT_FALSE(failed);
  EXPECT_GE(kills, kKills);

  // Everything accepted is applied: the queue empties (messages a killed node had received come
  // back after the visibility timeout) and nothing is dead-lettered.
  ASSERT_TRUE(Eventually([&] { return Depth(queue_url_) == 0; }, 120s)) << Depth(queue_url_);
  EXPECT_EQ(Depth(dlq_url_), 0u);

  std::vector<Snapshot> answers;
  for (int i = 0; i < kNodes; ++i) answers.push_back(Read(nodes[i]->port()));
  for (int i = 0; i < kNodes; ++i) {
    for (const auto& [barcode, body] : reference.positions) {
      EXPECT_EQ(answers[i].positions[barcode], body) << "node " << i << ", " << barcode;
    }
    for (const auto& [key, entries] : reference.ledgers) {
      EXPECT_EQ(answers[i].ledgers[key], entries) << "node " << i << ", ledger of " << key;
    }
  }
  std::size_t entries = 0;
  for (const auto& [key, keys] : reference.ledgers) entries += keys.size();
  std::cout << input.size() << " writes through " << kNodes << " nodes, " << kills << " kills, "
            << retried.load() << " writes resent to another node; " << entries
            << " ledger entries, equal on every node and to the embedded node's" << std::endl;
  for (auto& node : nodes) EXPECT_EQ(node->Terminate(), 0) << node->output();
}

}  // namespace
}  // namespace estoque::e2e
