// End to end, concurrently: many clients at once against the real binary. Sellers (with
// redeliveries and cancellations, some before their sale), transfers both ways (received in full,
// short, cancelled before and after shipping), counts interleaved with the sales' times, readers,
// and 20 clients racing for the 10 units of one product. Afterwards every product-branch's stock
// must be what its ledger says by the counting rule, transfers must conserve the chain's stock
// (only the recorded losses leave it), every sale must be applied exactly once, and reservations
// must never have held more than the stock.
#include <atomic>
#include <barrier>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT

// Many clients share the one admin key: per-key throttling would refuse them (its own tests are
// in e2e_keys_test.cc), so it is off here.
class ConcurrencyTest : public InventoryServerTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--rate-limit-rps", "0"}; }
};

const std::string kA = "3001";
const std::string kB = "3002";
const std::vector<std::string> kProducts = {"78930001", "78930002", "78930003"};
const std::string kUncounted = "78930003";  // never counted after the seed: its totals are derivable
const std::string kReserved = "78930009";   // only reservations touch it
constexpr int64_t kSeed = 1000;
constexpr int64_t kReservedUnits = 10;

constexpr int kSellers = 4;
constexpr int kSalesPerSeller = 100;
constexpr int kTransfersPerThread = 30;
constexpr int kCounts = 40;
constexpr int kReservationClients = 20;

// 2024-06-01 at `seconds` after midnight, Sao Paulo.
std::string Clock(int seconds) { return At(seconds / 3600, (seconds / 60) % 60, seconds % 60); }

struct SaleSpec {
  std::string id;
  std::string branch;
  std::vector<Line> lines;
  int at_s = 0;  // seconds after midnight
  bool cancelled = false;
  bool cancel_first = false;
};

// Sale `i` of seller `seller`: the same every time (so any thread can redeliver it).
SaleSpec SaleFor(int seller, int i) {
  std::mt19937 rng(static_cast<uint32_t>(seller * 1000 + i + 7));
  SaleSpec sale;
  sale.id = "s" + std::to_string(seller) + "-" + std::to_string(i);
  sale.branch = rng() % 2 ? kA : kB;
  const std::size_t first = rng() % kProducts.size();
  sale.lines.push_back({kProducts[first], static_cast<int64_t>(1 + rng() % 3)});
  if (rng() % 2) sale.lines.push_back({kProducts[(first + 1) % kProducts.size()], static_cast<int64_t>(1 + rng() % 3)});
  sale.at_s = 9 * 3600 + seller * 100 + i;
  sale.cancelled = i % 10 == 3 || i % 10 == 7;
  sale.cancel_first = i % 10 == 7;
  return sale;
}
int CancelAt(const SaleSpec& sale) { return sale.at_s + 1800; }

enum class Plan { kCancelBeforeShip, kFull, kShort, kCancelInTransit };

struct TransferSpec {
  std::string id;
  std::string source, destination;
  std::vector<Line> lines;
  Plan plan = Plan::kFull;
  int ship_s = 0, end_s = 0;
};

TransferSpec TransferFor(int thread, int i) {
  std::mt19937 rng(static_cast<uint32_t>(thread * 7919 + i));
  TransferSpec t;
  t.id = "x" + std::to_string(thread) + "-" + std::to_string(i);
  t.source = thread % 2 == 0 ? kA : kB;
  t.destination = thread % 2 == 0 ? kB : kA;
  const std::size_t first = rng() % kProducts.size();
  t.lines.push_back({kProducts[first], static_cast<int64_t>(5 + rng() % 16)});
  if (rng() % 2) t.lines.push_back({kProducts[(first + 2) % kProducts.size()], static_cast<int64_t>(5 + rng() % 16)});
  t.plan = static_cast<Plan>(i % 4);
  t.ship_s = 10 * 3600 + thread * 100 + i;
  t.end_s = t.ship_s + 1800;
  return t;
}

// Errors seen by the client threads (gtest assertions are reported from the main thread).
class Problems {
 public:
  void Add(std::string problem) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back(std::move(problem));
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return problems_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> problems_;
};

std::string Describe(const std::string& what, const HttpResult& r) {
  return what + " -> " + std::to_string(r.status) + " " + r.body;
}

TEST_F(ConcurrencyTest, ManyClientsKeepStockLedgerAndReservationsConsistent) {
  // Seed: every product in both branches, and the reserved product's 10 units.
  {
    json::array seed;
    for (const auto& barcode : kProducts) {
      for (const auto& branch : {kA, kB}) seed.push_back(SeedItem(barcode, branch, kSeed, "2024-06-01 08:00:00"));
    }
    seed.push_back(SeedItem(kReserved, kA, kReservedUnits, "2024-06-01 08:00:00"));
    auto r = client_->Post("/v1/posicoes", json::serialize(seed));
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(WaitDrained());
  }

  Problems problems;
  const uint16_t port = server_->port();
  std::latch start(8 + kReservationClients);
  std::atomic<bool> writers_done{false};
  std::atomic<int> reads{0};
  std::vector<std::thread> threads;

  // Sellers.
  for (int seller = 0; seller < kSellers; ++seller) {
    threads.emplace_back([&, seller] {
      HttpClient client(port);
      auto post_sale = [&](const SaleSpec& sale) {
        auto r = client.Post("/v1/vendas", SaleBody(sale.id, sale.branch, sale.lines, Clock(sale.at_s)));
        if (r.status != 202) problems.Add(Describe("sale " + sale.id, r));
      };
      auto post_cancel = [&](const SaleSpec& sale) {
        auto r = client.Post("/v1/vendas/" + sale.branch + "/" + sale.id + "/cancelamento", DataBody(Clock(CancelAt(sale))));
        if (r.status != 202) problems.Add(Describe("cancel " + sale.id, r));
      };
      start.arrive_and_wait();
      for (int i = 0; i < kSalesPerSeller; ++i) {
        const SaleSpec sale = SaleFor(seller, i);
        if (sale.cancel_first) post_cancel(sale);
        post_sale(sale);
        if (i % 5 == 0) post_sale(sale);                              // redelivery
        if (i % 7 == 0) post_sale(SaleFor((seller + 1) % kSellers, i));  // another PDV's, again
        if (sale.cancelled && !sale.cancel_first) post_cancel(sale);
      }
    });
  }

  // Transfers: thread 4 from A to B, thread 5 from B to A.
  std::mutex transfers_mutex;
  std::map<std::string, std::string> final_status;  // id -> status the steps left it in
  std::map<std::string, std::vector<int64_t>> received;  // id -> received per line (recebida only)
  std::set<std::string> shipped;                          // ids that left their source
  for (int thread = 4; thread < 6; ++thread) {
    threads.emplace_back([&, thread] {
      HttpClient client(port);
      start.arrive_and_wait();
      for (int i = 0; i < kTransfersPerThread; ++i) {
        const TransferSpec t = TransferFor(thread, i);
        const std::string base = "/v1/transferencias/" + t.id;
        auto created = client.Post("/v1/transferencias", TransferBody(t.id, t.source, t.destination, t.lines));
        if (created.status != 201) problems.Add(Describe("create " + t.id, created));
        if (i == 1) {
          auto again = client.Post("/v1/transferencias", TransferBody(t.id, t.source, t.destination, t.lines));
          if (again.status != 200) problems.Add(Describe("create again " + t.id, again));
        }
        std::string status;
        std::vector<int64_t> got;
        bool left = false;
        if (t.plan == Plan::kCancelBeforeShip) {
          auto r = client.Post(base + "/cancelamento", DataBody(Clock(t.end_s)));
          if (r.status != 200) problems.Add(Describe("cancel " + t.id, r));
          status = "cancelada";
        } else {
          auto ship = client.Post(base + "/envio", DataBody(Clock(t.ship_s)));
          left = ship.status == 200;
          if (ship.status == 409 && ship.json().at("error").at("code") == "insufficient_stock") {
            auto r = client.Post(base + "/cancelamento", DataBody(Clock(t.end_s)));
            if (r.status != 200) problems.Add(Describe("cancel unshipped " + t.id, r));
            status = "cancelada";
          } else if (!left) {
            problems.Add(Describe("ship " + t.id, ship));
            continue;
          } else if (t.plan == Plan::kCancelInTransit) {
            auto r = client.Post(base + "/cancelamento", DataBody(Clock(t.end_s)));
            if (r.status != 200) problems.Add(Describe("cancel in transit " + t.id, r));
            status = "cancelada";
          } else {
            json::object body{{"data", Clock(t.end_s)}};
            for (const Line& line : t.lines) got.push_back(line.quantity);
            if (t.plan == Plan::kShort) {  // every line 2 short
              std::vector<Line> arrived;
              for (std::size_t j = 0; j < t.lines.size(); ++j) arrived.push_back({t.lines[j].barcode, got[j] -= 2});
              body["itens"] = Lines(arrived);
            }
            auto r = client.Post(base + "/recebimento", json::serialize(body));
            if (r.status != 200) problems.Add(Describe("receive " + t.id, r));
            status = "recebida";
          }
        }
        std::lock_guard<std::mutex> lock(transfers_mutex);
        final_status[t.id] = status;
        if (status == "recebida") received[t.id] = got;
        if (left) shipped.insert(t.id);
      }
    });
  }

  // Counts interleaved with the sales' times (never of kUncounted), some redelivered, and receipts.
  threads.emplace_back([&] {
    HttpClient client(port);
    start.arrive_and_wait();
    for (int i = 0; i < kCounts; ++i) {
      std::mt19937 rng(static_cast<uint32_t>(4242 + i));
      const std::string barcode = kProducts[rng() % 2];
      const std::string branch = rng() % 2 ? kA : kB;
      const int64_t quantity = 400 + static_cast<int64_t>(rng() % 600);
      const std::string count =
          Serialize(Movement("c-" + std::to_string(i), "contagem", branch, barcode, quantity, Clock(9 * 3600 + 180 + i * 17)));
      auto r = client.Post("/v1/movimentos", count);
      if (r.status != 201) problems.Add(Describe("count " + std::to_string(i), r));
      if (i % 3 == 0) {
        auto again = client.Post("/v1/movimentos", count);
        if (again.status != 200 || again.json().at("movimentos").at(0).at("duplicado") != true) {
          problems.Add(Describe("count again " + std::to_string(i), again));
        }
      }
      auto receipt = client.Post("/v1/movimentos", Serialize(Movement("rc-" + std::to_string(i), "recebimento", branch,
                                                                      barcode, 5, Clock(9 * 3600 + 190 + i * 17))));
      if (receipt.status != 201) problems.Add(Describe("receipt " + std::to_string(i), receipt));
    }
  });

  // A reader: whatever it sees, available = on hand - reserved, and the reservations of kReserved
  // never hold more than its stock.
  threads.emplace_back([&] {
    HttpClient client(port);
    start.arrive_and_wait();
    while (!writers_done.load()) {
      auto r = client.Get("/v1/posicoes/" + kReserved + "/" + kA);
      if (r.status != 200) {
        problems.Add(Describe("read reserved", r));
        break;
      }
      const auto v = r.json();
      if (Int(v.at("reservado")) > Int(v.at("em_estoque")) || Int(v.at("em_estoque")) < 0) {
        problems.Add("oversold: " + r.body);
      }
      if (Int(v.at("disponivel")) != Int(v.at("em_estoque")) - Int(v.at("reservado"))) problems.Add("disponivel: " + r.body);
      for (const auto& barcode : kProducts) {
        auto totals = client.Get("/v1/posicoes/" + barcode);
        if (totals.status != 200) {
          problems.Add(Describe("read totals", totals));
          continue;
        }
        const auto t = totals.json().at("totais");
        if (Int(t.at("disponivel")) != Int(t.at("em_estoque")) - Int(t.at("reservado"))) {
          problems.Add("totais: " + totals.body);
        }
      }
      reads.fetch_add(1);
    }
  });

  // 20 clients race for the 10 units; then half the winners confirm and half release; then a
  // second wave races for what the releases freed.
  std::barrier phase(kReservationClients);
  std::vector<int> won(kReservationClients, 0), won_again(kReservationClients, 0);
  std::vector<int> confirmed(kReservationClients, 0);
  const std::string expires = FromNow(std::chrono::minutes(10));
  std::vector<std::thread> reservers;
  for (int k = 0; k < kReservationClients; ++k) {
    reservers.emplace_back([&, k] {
      HttpClient client(port);
      auto reserve = [&](const std::string& id) {
        auto r = client.Post("/v1/reservas", ReservationBody(id, kA, {{kReserved, 1}}, expires));
        if (r.status == 201) return 1;
        if (r.status != 409 || r.json().at("error").at("code") != "insufficient_stock") {
          problems.Add(Describe("reserve " + id, r));
        }
        return 0;
      };
      start.arrive_and_wait();
      const std::string id = "rr-" + std::to_string(k);
      won[k] = reserve(id);
      phase.arrive_and_wait();  // every first attempt is over
      if (won[k]) {
        const bool confirm = k % 2 == 0;
        auto r = client.Post("/v1/reservas/" + id + (confirm ? "/confirmacao" : "/liberacao"), "");
        if (r.status != 200 || r.json().at("status") != (confirm ? "confirmada" : "liberada")) {
          problems.Add(Describe("end " + id, r));
        }
        confirmed[k] = confirm ? 1 : 0;
      }
      phase.arrive_and_wait();
      won_again[k] = reserve("rs-" + std::to_string(k));
    });
  }

  for (auto& reserver : reservers) reserver.join();
  for (std::size_t i = 0; i + 1 < threads.size(); ++i) threads[i].join();  // all but the reader
  writers_done.store(true);
  threads.back().join();
  for (const auto& problem : problems.Take()) ADD_FAILURE() << problem;
  EXPECT_GT(reads.load(), 0);
  ASSERT_TRUE(WaitDrained());

  // ---- reservations: exactly the stock, never more.
  int wins = 0, wins_again = 0, confirms = 0;
  for (int k = 0; k < kReservationClients; ++k) {
    wins += won[k];
    wins_again += won_again[k];
    confirms += confirmed[k];
  }
  EXPECT_EQ(wins, kReservedUnits);
  EXPECT_EQ(wins_again, kReservedUnits - confirms);
  {
    auto s = Stock(kReserved, kA);
    EXPECT_EQ(Int(s.at("em_estoque")), kReservedUnits - confirms) << json::serialize(s);
    EXPECT_EQ(Int(s.at("reservado")), wins_again);
    EXPECT_EQ(Int(s.at("disponivel")), 0);
    std::map<std::string, int> by_status;
    std::string cursor;
    for (int page = 0; page < 100; ++page) {
      auto r = client_->Get("/v1/reservas?filial=" + kA + "&limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
      ASSERT_EQ(r.status, 200) << r.body;
      const auto v = r.json();
      for (const auto& item : v.at("itens").as_array()) ++by_status[Str(item.at("status"))];
      if (v.at("proximo_cursor").is_null()) break;
      cursor = Str(v.at("proximo_cursor"));
    }
    EXPECT_EQ(by_status["confirmada"], confirms);
    EXPECT_EQ(by_status["liberada"], wins - confirms);
    EXPECT_EQ(by_status["ativa"], wins_again);
    EXPECT_LE(by_status["confirmada"] + by_status["ativa"], kReservedUnits);  // no oversell
    auto ledger = LedgerOf(kReserved, kA);
    EXPECT_EQ(ledger.size(), static_cast<std::size_t>(1 + confirms));
    EXPECT_EQ(SumWhere(ledger, [](const json::object& e) { return e.at("origem") == "reserva"; }), -confirms);
    EXPECT_EQ(OnHandByRule(ledger), kReservedUnits - confirms);
  }

  // ---- every product-branch: the stock is what its ledger says.
  std::map<std::string, json::object> entries;  // EntryKey -> entry, every product-branch
  for (const auto& barcode : kProducts) {
    for (const auto& branch : {kA, kB}) {
      auto ledger = Ledger(*client_, "codigo_barra=" + barcode + "&filial=" + branch, 23);
      auto s = Stock(barcode, branch);
      EXPECT_EQ(Int(s.at("em_estoque")), OnHandByRule(ledger)) << barcode << "/" << branch;
      EXPECT_EQ(Int(s.at("em_transito")), 0) << barcode << "/" << branch;
      EXPECT_EQ(Int(s.at("reservado")), 0) << barcode << "/" << branch;
      EXPECT_EQ(Int(s.at("disponivel")), Int(s.at("em_estoque"))) << barcode << "/" << branch;
      for (std::size_t i = 1; i < ledger.size(); ++i) EXPECT_GE(EventTime(ledger[i - 1]), EventTime(ledger[i]));
      for (auto& e : ledger) {
        const std::string key = EntryKey(e);
        EXPECT_TRUE(entries.emplace(key, std::move(e)).second) << "ledger entry listed twice: " << key;
      }
    }
  }
  auto find = [&](const std::string& barcode, const std::string& branch, const std::string& origin,
                  const std::string& id) -> const json::object* {
    auto found = entries.find(barcode + "/" + branch + "/" + origin + "/" + id);
    return found == entries.end() ? nullptr : &found->second;
  };

  // ---- sales: each line exactly once, cancellations exactly once, nothing else.
  std::size_t sale_lines = 0, cancel_lines = 0;
  int64_t uncounted_sold = 0;
  for (int seller = 0; seller < kSellers; ++seller) {
    for (int i = 0; i < kSalesPerSeller; ++i) {
      const SaleSpec sale = SaleFor(seller, i);
      for (std::size_t j = 0; j < sale.lines.size(); ++j) {
        const std::string id = sale.id + "#" + std::to_string(j + 1);
        const Line& line = sale.lines[j];
        const json::object* sold = find(line.barcode, sale.branch, "venda", id);
        ++sale_lines;
        if (sold == nullptr) {
          ADD_FAILURE() << "sale line not in the ledger: " << sale.id << " " << line.barcode << "/" << sale.branch;
          continue;
        }
        EXPECT_EQ(Int(sold->at("quantidade")), -line.quantity) << id;
        EXPECT_EQ(Str(sold->at("data")), Clock(sale.at_s)) << id;
        const json::object* back = find(line.barcode, sale.branch, "cancelamento", id);
        if (sale.cancelled) {
          ++cancel_lines;
          if (back == nullptr) {
            ADD_FAILURE() << "cancellation not in the ledger: " << id;
            continue;
          }
          EXPECT_EQ(Int(back->at("quantidade")), line.quantity) << id;
          EXPECT_EQ(Str(back->at("data")), Clock(CancelAt(sale))) << id;
        } else {
          EXPECT_EQ(back, nullptr) << "cancelled but never asked to: " << id;
          if (line.barcode == kUncounted) uncounted_sold += line.quantity;
        }
      }
    }
  }
  std::size_t venda = 0, cancelamento = 0;
  for (const auto& [key, e] : entries) {
    venda += e.at("origem") == "venda";
    cancelamento += e.at("origem") == "cancelamento";
  }
  EXPECT_EQ(venda, sale_lines);
  EXPECT_EQ(cancelamento, cancel_lines);

  // ---- transfers: each in its final status; out + in = 0 per line; losses are exactly the
  // shortfalls; in transit is empty.
  ASSERT_EQ(final_status.size(), static_cast<std::size_t>(2 * kTransfersPerThread));
  std::map<std::string, int64_t> shortfall;  // by barcode
  int64_t transfer_entries = 0;
  for (const auto& [key, e] : entries) transfer_entries += e.at("origem") == "transferencia";
  int64_t expected_entries = 0;
  for (int thread = 4; thread < 6; ++thread) {
    for (int i = 0; i < kTransfersPerThread; ++i) {
      const TransferSpec t = TransferFor(thread, i);
      auto r = client_->Get("/v1/transferencias/" + t.id);
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(Str(r.json().at("status")), final_status[t.id]) << t.id;
      for (std::size_t j = 0; j < t.lines.size(); ++j) {
        const Line& line = t.lines[j];
        const std::string prefix = t.id + "#" + std::to_string(j + 1);
        const json::object* out = find(line.barcode, t.source, "transferencia", prefix + ":envio");
        const json::object* in = find(line.barcode, t.destination, "transferencia", prefix + ":recebimento");
        const json::object* back = find(line.barcode, t.source, "transferencia", prefix + ":retorno");
        const json::object* loss = find(line.barcode, t.destination, "transferencia", prefix + ":perda");
        auto quantity = [](const json::object* e) { return e == nullptr ? 0 : Int(e->at("quantidade")); };
        EXPECT_EQ(out != nullptr, shipped.count(t.id) == 1) << prefix;
        if (final_status[t.id] == "recebida") {
          ASSERT_NE(out, nullptr) << prefix;
          ASSERT_NE(in, nullptr) << prefix;
          EXPECT_EQ(back, nullptr) << prefix;
          EXPECT_EQ(quantity(out), -line.quantity) << prefix;
          EXPECT_EQ(quantity(out) + quantity(in), 0) << prefix;
          const int64_t missing = line.quantity - received[t.id][j];
          EXPECT_EQ(quantity(loss), -missing) << prefix;
          if (missing > 0) {
            EXPECT_EQ(loss->at("motivo"), "perda");
            EXPECT_EQ(Int(r.json().at("itens").at(j).at("quantidade_recebida")), received[t.id][j]);
          }
          EXPECT_EQ(Str(out->at("data")), Clock(t.ship_s));
          EXPECT_EQ(Str(in->at("data")), Clock(t.end_s));
          shortfall[line.barcode] += missing;
          expected_entries += 2 + (missing > 0);
        } else if (out != nullptr) {  // cancelled in transit: the goods came back
          ASSERT_NE(back, nullptr) << prefix;
          EXPECT_EQ(quantity(out) + quantity(back), 0) << prefix;
          EXPECT_EQ(in, nullptr) << prefix;
          EXPECT_EQ(loss, nullptr) << prefix;
          expected_entries += 2;
        } else {  // cancelled before it left (as planned, or because the source lacked stock)
          EXPECT_EQ(back, nullptr) << prefix;
          EXPECT_EQ(in, nullptr) << prefix;
          EXPECT_EQ(loss, nullptr) << prefix;
        }
      }
    }
  }
  EXPECT_EQ(transfer_entries, expected_entries);
  // The chain's stock, per product: transfers only ever removed the shortfalls.
  for (const auto& barcode : kProducts) {
    int64_t net = 0;
    for (const auto& [key, e] : entries) {
      if (e.at("codigo_barra") == json::value(barcode) && e.at("origem") == "transferencia") net += Int(e.at("quantidade"));
    }
    EXPECT_EQ(net, -shortfall[barcode]) << barcode;
  }
  // The product nobody counted: seed - what was sold and not cancelled - the shortfalls.
  auto totals = client_->Get("/v1/posicoes/" + kUncounted);
  ASSERT_EQ(totals.status, 200) << totals.body;
  EXPECT_EQ(Int(totals.json().at("totais").at("em_estoque")), 2 * kSeed - uncounted_sold - shortfall[kUncounted])
      << totals.body;
  EXPECT_EQ(Int(totals.json().at("totais").at("em_transito")), 0);

  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(Int(fila.at("profundidade")), 0);
}

TEST_F(ConcurrencyTest, ReservationsAndShipmentsNeverTakeMoreThanTheStock) {
  // 10 units; at once, 12 clients reserve 1 unit each and 6 ship 2 units each to another branch.
  const std::string barcode = "78930010";
  SeedCounts({SeedItem(barcode, kA, 10, "2024-06-01 08:00:00")});
  constexpr int kReservers = 12, kShippers = 6;
  for (int s = 0; s < kShippers; ++s) {
    auto r = client_->Post("/v1/transferencias", TransferBody("m-" + std::to_string(s), kA, kB, {{barcode, 2}}));
    ASSERT_EQ(r.status, 201) << r.body;
  }
  Problems problems;
  const uint16_t port = server_->port();
  const std::string expires = FromNow(std::chrono::minutes(10));
  std::latch start(kReservers + kShippers);
  std::vector<int> reserved(kReservers, 0), shipped(kShippers, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < kReservers; ++k) {
    threads.emplace_back([&, k] {
      HttpClient client(port);
      start.arrive_and_wait();
      auto r = client.Post("/v1/reservas", ReservationBody("m-r" + std::to_string(k), kA, {{barcode, 1}}, expires));
      reserved[k] = r.status == 201;
      if (r.status != 201 && (r.status != 409 || r.json().at("error").at("code") != "insufficient_stock")) {
        problems.Add(Describe("reserve", r));
      }
    });
  }
  for (int s = 0; s < kShippers; ++s) {
    threads.emplace_back([&, s] {
      HttpClient client(port);
      start.arrive_and_wait();
      auto r = client.Post("/v1/transferencias/m-" + std::to_string(s) + "/envio", DataBody(At(9)));
      shipped[s] = r.status == 200;
      if (r.status != 200 && (r.status != 409 || r.json().at("error").at("code") != "insufficient_stock")) {
        problems.Add(Describe("ship", r));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& problem : problems.Take()) ADD_FAILURE() << problem;
  int reservations = 0, shipments = 0;
  for (int won : reserved) reservations += won;
  for (int won : shipped) shipments += won;
  const int taken = reservations + 2 * shipments;
  EXPECT_LE(taken, 10);
  EXPECT_GE(taken, 9);  // the demand (24) exceeds the stock: at most one unit can be left over
  auto s = Stock(barcode, kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 10 - 2 * shipments) << json::serialize(s);
  EXPECT_EQ(Int(s.at("reservado")), reservations);
  EXPECT_EQ(Int(s.at("disponivel")), 10 - taken);
  EXPECT_EQ(OnHandByRule(LedgerOf(barcode, kA)), 10 - 2 * shipments);
  if (shipments > 0) {
    EXPECT_EQ(Int(Stock(barcode, kB).at("em_transito")), 2 * shipments);
  }
  for (int s2 = 0; s2 < kShippers; ++s2) {
    auto r = client_->Get("/v1/transferencias/m-" + std::to_string(s2));
    EXPECT_EQ(Str(r.json().at("status")), shipped[s2] ? "em_transito" : "criada") << r.body;
  }
}

}  // namespace
}  // namespace estoque::e2e
