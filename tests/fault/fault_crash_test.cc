// Crash test: clients write positions, sales and transfers through the real server as fast as it
// answers while the harness kill -9's it at random moments (seeded) and starts it again on the
// same data, at least kKillsMin times. At the end, with the queue drained, the clients' own logs
// of acknowledged requests are checked against the server (fault/support/crash_verifier.h):
// every acknowledged write applied exactly once, nothing with an unknown outcome half applied,
// every quantity what the ledger sums to. Prints one summary line.
//
// ESTOQUE_FAULT_SECONDS: how long to keep killing (default kKillPhaseSecondsDefault, and at least
// until kKillsMin kills; the final check adds a few seconds). ESTOQUE_FAULT_SEED: repeat a run's kill schedule
// and the clients' choices (the interleaving of threads still differs).
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/support/fixture.h"
#include "fault/support/crash_verifier.h"
#include "fault/support/crash_workload.h"

namespace estoque::fault::crash {
namespace {

constexpr int kKillsMin = 20;
constexpr int kKillPhaseSecondsDefault = 45;
constexpr int kLoadBeforeKillMsMin = 50;
constexpr int kLoadBeforeKillMsMax = 500;
constexpr std::size_t kMovementProducts = 100;
constexpr std::size_t kCountProducts = 400;
constexpr int kSalesClients = 3;
constexpr int kTransferClients = 1;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoll(text, nullptr, 10);
}

// True while `pid` runs: not gone and not a zombie (a server that died on its own).
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

Workload LoadWorkload() {
  std::ifstream in(ESTOQUE_SHARED_DATA "/produtos_supermercado.json");
  std::stringstream text;
  text << in.rdbuf();
  const json::value catalog = json::parse(text.str());
  Workload workload;
  workload.branches = {"1001", "1002", "1003", "1004"};
  for (const json::value& item : catalog.as_array()) {
    Product product{std::string(item.at("codigo_barra").as_string()), std::string(item.at("nome_produto").as_string())};
    if (workload.movement_products.size() < kMovementProducts) {
      workload.movement_products.push_back(std::move(product));
    } else if (workload.count_products.size() < kCountProducts) {
      workload.count_products.push_back(std::move(product));
    }
  }
  return workload;
}

// The catalog's products and branches that allow negative stock (synchronous, fsync'ed writes).
void SetUpCatalog(e2e::HttpClient& client, const Workload& workload) {
  json::array products;
  for (const auto* list : {&workload.movement_products, &workload.count_products}) {
    for (const Product& p : *list) products.push_back({{"codigo_barra", p.barcode}, {"nome_produto", p.name}});
  }
  auto created = client.Post("/v1/produtos/lote", json::serialize(products));
  ASSERT_EQ(created.status, 200) << created.body;
  for (const std::string& branch : workload.branches) {
    auto r = client.Request("PUT", "/v1/filiais/" + branch,
                            R"({"nome":"Loja )" + branch + R"(","permite_estoque_negativo":true})");
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
}

TEST(CrashTest, KillNineNeverLosesNorDuplicatesAcknowledgedWrites) {
  const int64_t kill_phase_s = EnvInt("ESTOQUE_FAULT_SECONDS", kKillPhaseSecondsDefault);
  const uint64_t seed = static_cast<uint64_t>(EnvInt("ESTOQUE_FAULT_SEED", static_cast<int64_t>(std::random_device{}())));
  std::printf("crash test: seed=%llu kill phase %llds (ESTOQUE_FAULT_SEED / ESTOQUE_FAULT_SECONDS)\n",
              static_cast<unsigned long long>(seed), static_cast<long long>(kill_phase_s));
  std::fflush(stdout);
  const auto started = std::chrono::steady_clock::now();

  const Workload workload = LoadWorkload();
  ASSERT_EQ(workload.count_products.size(), kCountProducts);
  e2e::TempDir dir;
  // Default durability (sync). No per-key throttling: the clients share the admin key.
  e2e::ServerProcess server(dir.path() + "/data", {"--rate-limit-rps", "0"});
  ASSERT_TRUE(server.Start()) << server.last_error();
  {
    e2e::HttpClient setup(server.port());
    SetUpCatalog(setup, workload);
    if (HasFatalFailure()) return;
  }

  ServerEpochs epochs;
  RunControl control;
  control.epochs = &epochs;
  epochs.Publish(server.port());
  const int clients = 1 + kSalesClients + kTransferClients;
  std::vector<ClientLog> logs(clients);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { RunPositionsClient(workload, control, seed * 31 + 1, logs[0]); });
  for (int i = 0; i < kSalesClients; ++i) {
    threads.emplace_back([&, i] { RunSalesClient(workload, control, i, seed * 31 + 2 + i, logs[1 + i]); });
  }
  for (int i = 0; i < kTransferClients; ++i) {
    const int slot = 1 + kSalesClients + i;
    threads.emplace_back([&, i, slot] { RunTransfersClient(workload, control, i, seed * 31 + 100 + i, logs[slot]); });
  }
  auto finish_clients = [&] {
    for (std::thread& t : threads) t.join();
    threads.clear();
  };

  std::mt19937_64 schedule(seed);
  std::uniform_int_distribution<int> load_ms(kLoadBeforeKillMsMin, kLoadBeforeKillMsMax);
  int kills = 0;
  std::vector<int64_t> restart_ms;  // kill to listening again
  const auto kill_phase_end = std::chrono::steady_clock::now() + std::chrono::seconds(kill_phase_s);
  while (kills < kKillsMin || std::chrono::steady_clock::now() < kill_phase_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(load_ms(schedule)));
    if (!Alive(server.pid())) {
      control.abort = true;
      finish_clients();
      FAIL() << "the server died without being killed, after " << kills << " kills:\n" << server.output();
    }
    server.Kill();
    ++kills;
    const auto restarting = std::chrono::steady_clock::now();
    if (!server.Start(std::chrono::seconds(60))) {
      control.abort = true;
      finish_clients();
      FAIL() << "restart after kill " << kills << " failed: " << server.last_error() << "\n" << server.output();
    }
    restart_ms.push_back(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarting).count());
    epochs.Publish(server.port());
  }
  // The last server stays up: let the clients finish what they have in hand, retries included.
  std::this_thread::sleep_for(std::chrono::milliseconds(kLoadBeforeKillMsMax));
  control.stop = true;
  finish_clients();
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  e2e::HttpClient client(server.port());
  ASSERT_TRUE(e2e::Eventually(
      [&] {
        auto r = client.Get("/v1/fila");
        return r.status == 200 && r.json().at("profundidade").to_number<int64_t>() == 0;
      },
      std::chrono::seconds(120)))
      << client.Get("/v1/fila").body;

  uint64_t wire_failures = 0, retries = 0, refused = 0, requests_acknowledged = 0;
  for (const ClientLog& log : logs) {
    wire_failures += log.wire_failures;
    retries += log.retries;
    refused += log.refused_503;
    requests_acknowledged += log.acknowledged_requests;
    for (const std::string& error : log.errors) ADD_FAILURE() << "unexpected answer: " << error;
  }
  const CrashReport report = VerifyCrashRun(client, workload, logs);
  std::sort(restart_ms.begin(), restart_ms.end());
  const int64_t restart_ms_median = restart_ms.empty() ? 0 : restart_ms[restart_ms.size() / 2];
  const int64_t restart_ms_max = restart_ms.empty() ? 0 : restart_ms.back();
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "kills=%d acknowledged=%llu lost=%llu duplicated=%llu half_applied=%llu unexpected=%llu "
      "stock_mismatches=%llu transfer_inconsistencies=%llu conservation_failures=%llu wrong_quantities=%llu "
      "abandoned=%llu abandoned_applied=%llu wire_failures=%llu retries=%llu refused_503=%llu "
      "ledger_entries=%llu product_branches=%llu restart_ms_median=%lld restart_ms_max=%lld load_s=%.1f total_s=%.1f seed=%llu\n",
      kills, static_cast<unsigned long long>(report.acknowledged_writes),
      static_cast<unsigned long long>(report.lost), static_cast<unsigned long long>(report.duplicated),
      static_cast<unsigned long long>(report.half_applied), static_cast<unsigned long long>(report.unexpected_entries),
      static_cast<unsigned long long>(report.stock_mismatches),
      static_cast<unsigned long long>(report.transfer_inconsistencies),
      static_cast<unsigned long long>(report.conservation_failures),
      static_cast<unsigned long long>(report.wrong_quantities),
      static_cast<unsigned long long>(report.abandoned_writes),
      static_cast<unsigned long long>(report.abandoned_applied), static_cast<unsigned long long>(wire_failures),
      static_cast<unsigned long long>(retries), static_cast<unsigned long long>(refused),
      static_cast<unsigned long long>(report.ledger_entries), static_cast<unsigned long long>(report.product_branches),
      static_cast<long long>(restart_ms_median), static_cast<long long>(restart_ms_max), load_s, total_s, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  for (const std::string& problem : report.problems) ADD_FAILURE() << problem;

  EXPECT_GE(kills, kKillsMin);
  EXPECT_EQ(report.acknowledged_writes, requests_acknowledged);
  EXPECT_GT(report.acknowledged_writes, 0u);
  EXPECT_GT(wire_failures, 0u) << "no request was in flight at a kill: the test proved nothing";
  EXPECT_EQ(report.lost, 0u);
  EXPECT_EQ(report.duplicated, 0u);
  EXPECT_EQ(report.half_applied, 0u);
  EXPECT_EQ(report.unexpected_entries, 0u);
  EXPECT_EQ(report.wrong_quantities, 0u);
  EXPECT_EQ(report.transfer_inconsistencies, 0u);
  EXPECT_EQ(report.stock_mismatches, 0u);
  EXPECT_EQ(report.conservation_failures, 0u);
  EXPECT_EQ(server.Terminate(), 0) << server.output();
}

}  // namespace
}  // namespace estoque::fault::crash
