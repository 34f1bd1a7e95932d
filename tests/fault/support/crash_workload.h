// The crash test's clients: threads, each with its own HTTP connection, writing positions, sales
// and transfers through the real server as fast as it answers, and keeping their own log of what
// was acknowledged (2xx) and what was abandoned with an unknown outcome.
//
// The workload is built so that the final state follows from the set of writes that took effect:
// - "movement" product-branches get one initial count (a position at kInitialCountAt) and then
//   only deltas after it (sales, transfer steps), so em_estoque = count + the deltas;
// - "count" product-branches get only positions, each item with its own event time (a global
//   sequence), so em_estoque = the quantity of the newest position that took effect.
// Branches allow negative stock, so no transfer step can be refused for lack of stock whatever
// the order in which writes land.
//
// A request that fails on the wire (the server was killed) has an unknown outcome. Like a PDV,
// the client then usually waits for the server to come back and sends it again, unchanged (same
// ids: idempotency makes the retry harmless); sometimes it gives up instead, and the request is
// logged as abandoned: it must then have taken effect entirely or not at all.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "e2e/support/http_client.h"
#include "fault/support/event_time.h"
#include "fault/support/server_epochs.h"

namespace estoque::fault::crash {

namespace json = boost::json;
using e2e::HttpClient;
using e2e::HttpResult;

// Event times (Unix seconds, UTC). Every delta is after every initial count.
inline constexpr int64_t kCountStreamFirstAt = 1714521600;  // 2024-05-01T00:00:00Z, + sequence
inline constexpr int64_t kInitialCountAt = 1717113600;      // 2024-05-31T00:00:00Z
inline constexpr int64_t kSalesFirstAt = 1717200000;        // 2024-06-01T00:00:00Z
inline constexpr int64_t kTransfersFirstAt = 1717286400;    // 2024-06-02T00:00:00Z

// A request that failed on the wire is sent again with this probability; otherwise abandoned.
inline constexpr double kRetryProbability = 0.75;
// How long a client waits for the harness to bring a server back before it reports a failure.
inline constexpr std::chrono::seconds kServerBackTimeout{120};
inline constexpr std::chrono::milliseconds kRefusedBackoff{20};  // after a 503
inline constexpr std::size_t kCountItemsPerRequest = 20;
inline constexpr std::size_t kInitialCountsPerRequest = 50;

struct Product {
  std::string barcode;
  std::string name;
};

// What the clients write to. Shared read-only by every client.
struct Workload {
  std::vector<std::string> branches;        // each allows negative stock
  std::vector<Product> movement_products;   // initial count, then sales and transfers
  std::vector<Product> count_products;      // positions only
};

struct CountItem {
  std::string barcode;
  std::string branch;
  std::string name;
  int64_t quantity = 0;
  int64_t at_s = 0;
};

struct Line {
  std::string barcode;
  int64_t quantity = 0;  // > 0, as sent
};

enum class Outcome { kAcknowledged, kAbandoned };

struct PositionsOp {
  std::vector<CountItem> items;
  Outcome outcome = Outcome::kAbandoned;
};

struct SaleOp {
  std::string id;
  std::string branch;
  std::vector<Line> lines;
  int64_t at_s = 0;
  Outcome outcome = Outcome::kAbandoned;
};

// Steps of a transfer: 0 nothing, 1 created, 2 shipped (envio), 3 received (recebimento).
struct TransferOp {
  std::string id;
  std::string source;
  std::string destination;
  std::vector<Line> lines;
  int64_t ship_at_s = 0;
  int64_t receive_at_s = 0;
  int planned_step = 0;       // the client meant to go this far
  int sent_step = 0;          // the furthest step it sent (acknowledged or not)
  int acknowledged_step = 0;  // the furthest step that got a 2xx
};

// One client's log; written only by its thread, read after it joined.
struct ClientLog {
  std::vector<PositionsOp> positions;
  std::vector<SaleOp> sales;
  std::vector<TransferOp> transfers;
  uint64_t acknowledged_requests = 0;
  uint64_t wire_failures = 0;   // requests whose outcome became unknown
  uint64_t retries = 0;         // ... and were sent again
  uint64_t refused_503 = 0;
  std::vector<std::string> errors;  // answers no request of this workload should get
};

// Shared by the harness and the clients.
struct RunControl {
  const ServerEpochs* epochs = nullptr;
  std::atomic<bool> stop{false};   // finish the request in hand, start no new one
  std::atomic<bool> abort{false};  // the harness failed: give up at once
  std::atomic<int64_t> count_sequence{0};  // event times of the count stream
};

// An HTTP connection that follows the server from epoch to epoch.
class EpochClient {
 public:
  explicit EpochClient(RunControl* control) : control_(control) {}

  // One attempt on the current server; status 0 when it failed on the wire.
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body) {
    const Endpoint now = control_->epochs->Current();
    if (!client_ || now.epoch != endpoint_.epoch) {
      endpoint_ = now;
      client_ = std::make_unique<HttpClient>(now.port);
    }
    return client_->Request(method, target, body);
  }

  // After a failure on the wire: waits until a server newer than the one used is up. False if
  // the run was aborted or none came back in time.
  bool AwaitNextServer() {
    const auto deadline = std::chrono::steady_clock::now() + kServerBackTimeout;
    while (!control_->abort.load() && std::chrono::steady_clock::now() < deadline) {
      if (control_->epochs->WaitNewer(endpoint_.epoch, std::chrono::milliseconds(100))) return true;
    }
    return false;
  }

 private:
  RunControl* control_;
  Endpoint endpoint_;
  std::unique_ptr<HttpClient> client_;
};

// Sends until the server answers, retrying unchanged after a wire failure (when the dice say so)
// and after a 503. nullopt: abandoned with an unknown outcome.
inline std::optional<HttpResult> SendUntilAnswered(EpochClient& client, std::mt19937_64& rng, ClientLog& log,
                                                   const std::string& method, const std::string& target,
                                                   const std::string& body, RunControl& control) {
  std::bernoulli_distribution retry(kRetryProbability);
  for (;;) {
    if (control.abort.load()) return std::nullopt;
    HttpResult result = client.Send(method, target, body);
    if (result.status == 503) {
      ++log.refused_503;
      std::this_thread::sleep_for(kRefusedBackoff);
      continue;
    }
    if (result.status != 0) return result;
    ++log.wire_failures;
    if (!client.AwaitNextServer()) {
      if (!control.abort.load()) log.errors.push_back(method + " " + target + ": no server came back");
      return std::nullopt;
    }
    if (!retry(rng)) return std::nullopt;
    ++log.retries;
  }
}

inline void ExpectStatus(ClientLog& log, const HttpResult& result, std::initializer_list<int> wanted,
                         const std::string& what) {
  for (int status : wanted) {
    if (result.status == status) return;
  }
  log.errors.push_back(what + " -> " + std::to_string(result.status) + " " + result.body);
}

inline json::array LinesJson(const std::vector<Line>& lines) {
  json::array items;
  for (const Line& line : lines) items.push_back({{"codigo_barra", line.barcode}, {"quantidade", line.quantity}});
  return items;
}

// 1..max distinct movement products with quantities 1..5.
inline std::vector<Line> RandomLines(const Workload& workload, std::mt19937_64& rng, std::size_t max) {
  std::uniform_int_distribution<std::size_t> count(1, max);
  std::uniform_int_distribution<std::size_t> product(0, workload.movement_products.size() - 1);
  std::uniform_int_distribution<int64_t> quantity(1, 5);
  std::vector<Line> lines;
  const std::size_t wanted = count(rng);
  while (lines.size() < wanted) {
    const std::string& barcode = workload.movement_products[product(rng)].barcode;
    bool repeated = false;
    for (const Line& line : lines) repeated = repeated || line.barcode == barcode;
    if (!repeated) lines.push_back({barcode, quantity(rng)});
  }
  return lines;
}

// Positions: first the initial count of every movement product-branch, then batches of counts of
// random count product-branches, each item with the next time of the global sequence.
inline void RunPositionsClient(const Workload& workload, RunControl& control, uint64_t seed, ClientLog& log) {
  std::mt19937_64 rng(seed);
  EpochClient client(&control);
  std::vector<CountItem> initial;
  std::uniform_int_distribution<int64_t> initial_quantity(500, 999);
  for (const Product& product : workload.movement_products) {
    for (const std::string& branch : workload.branches) {
      initial.push_back({product.barcode, branch, product.name, initial_quantity(rng), kInitialCountAt});
    }
  }
  std::size_t initial_sent = 0;
  std::uniform_int_distribution<std::size_t> product(0, workload.count_products.size() - 1);
  std::uniform_int_distribution<std::size_t> branch(0, workload.branches.size() - 1);
  std::uniform_int_distribution<int64_t> quantity(0, 999);
  while (!control.stop.load() && !control.abort.load()) {
    PositionsOp op;
    if (initial_sent < initial.size()) {
      const std::size_t end = std::min(initial.size(), initial_sent + kInitialCountsPerRequest);
      op.items.assign(initial.begin() + static_cast<std::ptrdiff_t>(initial_sent),
                      initial.begin() + static_cast<std::ptrdiff_t>(end));
      initial_sent = end;
    } else {
      for (std::size_t i = 0; i < kCountItemsPerRequest; ++i) {
        const Product& p = workload.count_products[product(rng)];
        op.items.push_back({p.barcode, workload.branches[branch(rng)], p.name, quantity(rng),
                            kCountStreamFirstAt + control.count_sequence.fetch_add(1)});
      }
    }
    json::array body;
    for (const CountItem& item : op.items) {
      body.push_back({{"codigo_barra", item.barcode},
                      {"nome_produto", item.name},
                      {"filial", item.branch},
                      {"qtd_estoque", item.quantity},
                      {"data_atulizacao_posicao_estoque", Rfc3339Utc(item.at_s)}});
    }
    std::optional<HttpResult> result =
        SendUntilAnswered(client, rng, log, "POST", "/v1/posicoes", json::serialize(body), control);
    if (result) {
      ExpectStatus(log, *result, {202}, "POST /v1/posicoes");
      if (result->status == 202) {
        op.outcome = Outcome::kAcknowledged;
        ++log.acknowledged_requests;
      }
    }
    log.positions.push_back(std::move(op));
  }
}

// Sales of 1..3 movement products at a random branch, ids "v<client>-<n>".
inline void RunSalesClient(const Workload& workload, RunControl& control, int client_index, uint64_t seed,
                           ClientLog& log) {
  std::mt19937_64 rng(seed);
  EpochClient client(&control);
  std::uniform_int_distribution<std::size_t> branch(0, workload.branches.size() - 1);
  std::uniform_int_distribution<int64_t> second(0, 86'399);
  for (int n = 0; !control.stop.load() && !control.abort.load(); ++n) {
    SaleOp op;
    op.id = "v" + std::to_string(client_index) + "-" + std::to_string(n);
    op.branch = workload.branches[branch(rng)];
    op.lines = RandomLines(workload, rng, 3);
    op.at_s = kSalesFirstAt + second(rng);
    const std::string body = json::serialize(json::object{
        {"venda_id", op.id}, {"filial", op.branch}, {"itens", LinesJson(op.lines)}, {"data", Rfc3339Utc(op.at_s)}});
    std::optional<HttpResult> result = SendUntilAnswered(client, rng, log, "POST", "/v1/vendas", body, control);
    if (result) {
      ExpectStatus(log, *result, {202}, "POST /v1/vendas " + op.id);
      if (result->status == 202) {
        op.outcome = Outcome::kAcknowledged;
        ++log.acknowledged_requests;
      }
    }
    log.sales.push_back(std::move(op));
  }
}

// Transfers of 1..2 movement products between two branches: created, then (mostly) shipped, then
// (mostly) received; a step abandoned with an unknown outcome ends that transfer.
inline void RunTransfersClient(const Workload& workload, RunControl& control, int client_index, uint64_t seed,
                               ClientLog& log) {
  std::mt19937_64 rng(seed);
  EpochClient client(&control);
  std::uniform_int_distribution<std::size_t> branch(0, workload.branches.size() - 1);
  std::discrete_distribution<int> plan({0, 10, 20, 70});  // stop after: create, ship, receive
  for (int n = 0; !control.stop.load() && !control.abort.load(); ++n) {
    TransferOp op;
    op.id = "t" + std::to_string(client_index) + "-" + std::to_string(n);
    op.source = workload.branches[branch(rng)];
    do {
      op.destination = workload.branches[branch(rng)];
    } while (op.destination == op.source);
    op.lines = RandomLines(workload, rng, 2);
    op.ship_at_s = kTransfersFirstAt + n * 60;
    op.receive_at_s = op.ship_at_s + 30;
    op.planned_step = plan(rng);
    const std::string path = "/v1/transferencias/" + op.id;
    const std::string steps[] = {
        json::serialize(json::object{{"id", op.id}, {"origem", op.source}, {"destino", op.destination},
                                     {"itens", LinesJson(op.lines)}}),
        json::serialize(json::object{{"data", Rfc3339Utc(op.ship_at_s)}}),
        json::serialize(json::object{{"data", Rfc3339Utc(op.receive_at_s)}})};
    const std::string targets[] = {"/v1/transferencias", path + "/envio", path + "/recebimento"};
    for (int step = 1; step <= op.planned_step; ++step) {
      op.sent_step = step;
      std::optional<HttpResult> result =
          SendUntilAnswered(client, rng, log, "POST", targets[step - 1], steps[step - 1], control);
      if (!result) break;  // abandoned: the outcome of this step stays unknown
      if (step == 1) {
        ExpectStatus(log, *result, {200, 201}, "POST /v1/transferencias " + op.id);
      } else {
        ExpectStatus(log, *result, {200}, "POST " + targets[step - 1]);
      }
      if (result->status != 200 && result->status != 201) break;
      op.acknowledged_step = step;
      ++log.acknowledged_requests;
    }
    log.transfers.push_back(std::move(op));
  }
}

}  // namespace estoque::fault::crash
