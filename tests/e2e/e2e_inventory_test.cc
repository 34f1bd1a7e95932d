// End to end: the inventory endpoints over HTTP against the real binary. Sales and their
// cancellation (queued), movements (synchronous), the ledger, stock now and as of a time, product
// totals, reorder points, alerts, branch summaries and reservations; late and out-of-order events;
// every 400/404/409/415 case with its error code and the field it names. Event times are fixed.
#include <set>
#include <string>
#include <vector>

#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT

using InventoryTest = InventoryServerTest;

constexpr const char* kA = "1001";
constexpr const char* kB = "1002";

// ---------------------------------------------------------------- sales

TEST_F(InventoryTest, SaleIsQueuedAppliedAndWrittenToTheLedger) {
  SeedCounts({SeedItem("78900001", kA, 10, "2024-06-01 10:00:00"), SeedItem("78900002", kA, 20, "2024-06-01 10:00:00")});
  auto r = client_->Post("/v1/vendas", SaleBody("v-1", kA, {{"78900001", 3}, {"78900002", 5}, {"78900001", 1}}, At(11)));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(r.json().at("message_id").is_string()) << r.body;
  EXPECT_EQ(r.json().at("venda_id"), "v-1");
  EXPECT_EQ(Int(r.json().at("itens")), 3);
  ASSERT_TRUE(WaitDrained());

  auto s = Stock("78900001", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 6) << json::serialize(s);
  EXPECT_EQ(Int(s.at("qtd_estoque")), 6);
  EXPECT_EQ(Int(s.at("reservado")), 0);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  EXPECT_EQ(Int(s.at("disponivel")), 6);
  EXPECT_EQ(Str(s.at("ultima_contagem")), At(10));
  EXPECT_EQ(Str(s.at("ultimo_movimento")), At(11));
  EXPECT_TRUE(s.at("alerta").is_null());
  EXPECT_EQ(OnHand("78900002", kA), 15);

  auto ledger = LedgerOf("78900001", kA);
  ASSERT_EQ(ledger.size(), 3u);
  // Newest first; the two lines of the same time ordered by id, descending.
  EXPECT_EQ(ledger[0].at("id"), "v-1#3");
  EXPECT_EQ(ledger[1].at("id"), "v-1#1");
  EXPECT_EQ(ledger[2].at("tipo"), "contagem");
  EXPECT_EQ(ledger[2].at("origem"), "posicao");
  EXPECT_EQ(Int(ledger[2].at("quantidade")), 10);
  EXPECT_EQ(Str(ledger[2].at("data")), At(10));
  for (int i : {0, 1}) {
    EXPECT_EQ(ledger[i].at("tipo"), "venda");
    EXPECT_EQ(ledger[i].at("origem"), "venda");
    EXPECT_EQ(ledger[i].at("referencia"), "v-1");
    EXPECT_EQ(ledger[i].at("filial"), kA);
    EXPECT_EQ(ledger[i].at("codigo_barra"), "78900001");
    EXPECT_EQ(Str(ledger[i].at("data")), At(11));
    EXPECT_TRUE(ledger[i].at("registrado_em").is_string());
  }
  EXPECT_EQ(Int(ledger[0].at("quantidade")), -1);
  EXPECT_EQ(Int(ledger[1].at("quantidade")), -3);
  EXPECT_EQ(OnHandByRule(ledger), 6);
  auto other = LedgerOf("78900002", kA);
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(other[0].at("id"), "v-1#2");
  EXPECT_EQ(Int(other[0].at("quantidade")), -5);
}

TEST_F(InventoryTest, SameSaleIdTwiceIsAppliedOnceButIsPerBranch) {
  SeedCounts({SeedItem("78900003", kA, 10, "2024-06-01 10:00:00"), SeedItem("78900003", kB, 10, "2024-06-01 10:00:00")});
  Sell("v-2", kA, {{"78900003", 2}}, At(11));
  Sell("v-2", kA, {{"78900003", 2}}, At(11));  // redelivery
  ASSERT_TRUE(WaitDrained());
  Sell("v-2", kA, {{"78900003", 5}}, At(12));  // same id, other content: still the same sale
  Sell("v-2", kB, {{"78900003", 4}}, At(11));  // another branch: another sale
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900003", kA), 8);
  EXPECT_EQ(OnHand("78900003", kB), 6);
  auto ledger = LedgerOf("78900003", kA);
  EXPECT_EQ(ledger.size(), 2u);
  EXPECT_EQ(SumWhere(ledger, [](const json::object& e) { return e.at("tipo") == "venda"; }), -2);
  EXPECT_EQ(OnHandByRule(ledger), 8);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900003", kB)), 6);
}

TEST_F(InventoryTest, SaleOlderThanTheNewestCountChangesNothing) {
  SeedCounts({SeedItem("78900004", kA, 10, "2024-06-01 12:00:00")});
  Sell("v-old", kA, {{"78900004", 3}}, At(11));
  Sell("v-same", kA, {{"78900004", 2}}, At(12));  // at the count's own time: the count saw it
  ASSERT_TRUE(WaitDrained());
  auto s = Stock("78900004", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 10) << json::serialize(s);
  EXPECT_EQ(Str(s.at("ultima_contagem")), At(12));
  EXPECT_EQ(Str(s.at("ultimo_movimento")), At(12));
  auto ledger = LedgerOf("78900004", kA);
  EXPECT_EQ(ledger.size(), 3u);  // both sales are in the ledger all the same
  EXPECT_EQ(OnHandByRule(ledger), 10);

  Sell("v-new", kA, {{"78900004", 1}}, At(12, 0, 1));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900004", kA), 9);

  // As of a time: before the count there is none, so the sum of the deltas up to then.
  auto before = client_->Get("/v1/posicoes/78900004/1001?em=" + At(11, 30));
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(Int(before.json().at("em_estoque")), -3) << before.body;
  EXPECT_TRUE(before.json().at("ultima_contagem").is_null()) << before.body;
  auto at_count = client_->Get("/v1/posicoes/78900004/1001?em=" + At(12));
  ASSERT_EQ(at_count.status, 200) << at_count.body;
  EXPECT_EQ(Int(at_count.json().at("em_estoque")), 10) << at_count.body;
  EXPECT_EQ(Str(at_count.json().at("ultima_contagem")), At(12));
  auto later = client_->Get("/v1/posicoes/78900004/1001?em=" + At(13));
  EXPECT_EQ(Int(later.json().at("em_estoque")), 9) << later.body;
  EXPECT_EQ(Int(later.json().at("qtd_estoque")), 9) << later.body;
}

TEST_F(InventoryTest, LateCountRebasesOnLaterSales) {
  Sell("s-a", kA, {{"78900005", 3}}, At(11));
  Sell("s-b", kA, {{"78900005", 2}}, At(13));
  ASSERT_TRUE(WaitDrained());
  auto s = Stock("78900005", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), -5);  // sales are facts, even below zero
  EXPECT_TRUE(s.at("ultima_contagem").is_null());
  EXPECT_EQ(s.at("alerta"), "estoque_negativo");

  SeedCounts({SeedItem("78900005", kA, 20, "2024-06-01 12:00:00")});  // arrives late
  s = Stock("78900005", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 18) << json::serialize(s);  // 20 then the 13:00 sale
  EXPECT_EQ(Str(s.at("ultima_contagem")), At(12));
  EXPECT_TRUE(s.at("alerta").is_null());

  SeedCounts({SeedItem("78900005", kA, 50, "2024-06-01 10:00:00")});  // older than the newest
  EXPECT_EQ(OnHand("78900005", kA), 18);
  EXPECT_EQ(Str(Stock("78900005", kA).at("ultima_contagem")), At(12));

  // A count through the API re-bases the same way, and is answered with the counted quantity.
  auto r = client_->Post("/v1/movimentos", Serialize(Movement("inv-1", "contagem", kA, "78900005", 7, At(12, 30))));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Int(r.json().at("movimentos").at(0).at("quantidade")), 7);
  EXPECT_EQ(OnHand("78900005", kA), 5);
  EXPECT_EQ(Str(Stock("78900005", kA).at("ultima_contagem")), At(12, 30));

  auto ledger = LedgerOf("78900005", kA);
  EXPECT_EQ(ledger.size(), 5u);
  EXPECT_EQ(OnHandByRule(ledger), 5);
  auto past = client_->Get("/v1/posicoes/78900005/1001?em=" + At(12, 15));
  EXPECT_EQ(Int(past.json().at("em_estoque")), 20) << past.body;
}

TEST_F(InventoryTest, CancellationBeforeItsSaleWaitsForIt) {
  SeedCounts({SeedItem("78900006", kA, 10, "2024-06-01 10:00:00")});
  auto cancel = client_->Post("/v1/vendas/1001/v-9/cancelamento", DataBody(At(14)));
  ASSERT_EQ(cancel.status, 202) << cancel.body;
  EXPECT_EQ(cancel.json().at("venda_id"), "v-9");
  EXPECT_EQ(cancel.json().at("filial"), kA);
  EXPECT_TRUE(cancel.json().at("message_id").is_string());
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 10);
  EXPECT_EQ(LedgerOf("78900006", kA).size(), 1u);

  Sell("v-9", kA, {{"78900006", 4}}, At(13));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 10);
  auto ledger = LedgerOf("78900006", kA);
  ASSERT_EQ(ledger.size(), 3u);
  EXPECT_EQ(ledger[0].at("tipo"), "cancelamento_venda");
  EXPECT_EQ(ledger[0].at("origem"), "cancelamento");
  EXPECT_EQ(ledger[0].at("id"), "v-9#1");
  EXPECT_EQ(ledger[0].at("referencia"), "v-9");
  EXPECT_EQ(Str(ledger[0].at("data")), At(14));
  EXPECT_EQ(Int(ledger[0].at("quantidade")), 4);
  EXPECT_EQ(ledger[1].at("tipo"), "venda");
  EXPECT_EQ(Int(ledger[1].at("quantidade")), -4);
  EXPECT_EQ(Str(ledger[1].at("data")), At(13));

  // The cancellation again, and the sale again: nothing more.
  ASSERT_EQ(client_->Post("/v1/vendas/1001/v-9/cancelamento", DataBody(At(14))).status, 202);
  Sell("v-9", kA, {{"78900006", 4}}, At(13));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 10);
  EXPECT_EQ(LedgerOf("78900006", kA).size(), 3u);

  // The usual order, with a time and with an empty body (now).
  Sell("v-10", kA, {{"78900006", 3}}, At(15));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 7);
  ASSERT_EQ(client_->Post("/v1/vendas/1001/v-10/cancelamento", DataBody(At(16))).status, 202);
  Sell("v-11", kA, {{"78900006", 2}}, At(15, 30));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 8);
  auto empty = client_->Post("/v1/vendas/1001/v-11/cancelamento", "");
  ASSERT_EQ(empty.status, 202) << empty.body;
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900006", kA), 10);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900006", kA)), 10);
}

// ---------------------------------------------------------------- movements

TEST_F(InventoryTest, MovementsOfEveryKindWithTheirSignedEffects) {
  SeedCounts({SeedItem("78900007", kA, 100, "2024-06-01 10:00:00")});
  struct Case {
    std::string id, kind, reason;
    int64_t sent, effect;
  };
  const std::vector<Case> cases = {
      {"m1", "devolucao", "", 2, 2},           {"m2", "recebimento", "", 10, 10},
      {"m3", "ajuste", "perda", 1, -1},        {"m4", "ajuste", "quebra", 2, -2},
      {"m5", "ajuste", "vencimento", 3, -3},   {"m6", "ajuste", "furto", 4, -4},
      {"m7", "ajuste", "correcao", -5, -5},    {"m8", "ajuste", "correcao", 6, 6},
      {"m9", "transferencia_saida", "", 7, -7}, {"m10", "transferencia_entrada", "", 8, 8},
      {"m11", "venda", "", 9, -9},             {"m12", "cancelamento_venda", "", 9, 9},
  };
  json::array body;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    body.push_back(Movement(cases[i].id, cases[i].kind, kA, "78900007", cases[i].sent, At(11, static_cast<int>(i)),
                            cases[i].reason));
  }
  auto r = client_->Post("/v1/movimentos", Serialize(body));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto answered = r.json().at("movimentos").as_array();
  ASSERT_EQ(answered.size(), cases.size()) << r.body;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& m = answered[i].as_object();
    EXPECT_EQ(Str(m.at("id")), cases[i].id);
    EXPECT_EQ(Str(m.at("tipo")), cases[i].kind);
    EXPECT_EQ(Int(m.at("quantidade")), cases[i].effect) << cases[i].id;
    EXPECT_EQ(m.at("duplicado"), false);
    EXPECT_TRUE(Str(m.at("origem")).starts_with("k_")) << m;  // no origem: the key's id
    EXPECT_EQ(m.at("filial"), kA);
    EXPECT_EQ(m.at("codigo_barra"), "78900007");
    EXPECT_EQ(Str(m.at("data")), At(11, static_cast<int>(i)));
    if (cases[i].reason.empty()) {
      EXPECT_FALSE(m.contains("motivo")) << cases[i].id;
    } else {
      EXPECT_EQ(Str(m.at("motivo")), cases[i].reason);
    }
  }
  // 100 + 2 + 10 - 1 - 2 - 3 - 4 - 5 + 6 - 7 + 8 - 9 + 9
  EXPECT_EQ(OnHand("78900007", kA), 104);
  auto ledger = LedgerOf("78900007", kA);
  EXPECT_EQ(ledger.size(), 13u);
  EXPECT_EQ(OnHandByRule(ledger), 104);

  // The same request again: 200, every item a repeat, nothing applied.
  auto again = client_->Post("/v1/movimentos", Serialize(body));
  ASSERT_EQ(again.status, 200) << again.body;
  const auto again_items = again.json().at("movimentos").as_array();
  for (const auto& m : again_items) EXPECT_EQ(m.at("duplicado"), true);
  EXPECT_EQ(OnHand("78900007", kA), 104);

  // One repeat and one new count: 201, each item says which.
  auto mixed = client_->Post("/v1/movimentos", MovementsBody({Movement("m1", "devolucao", kA, "78900007", 2, At(11, 0)),
                                                               Movement("m13", "contagem", kA, "78900007", 50, At(12))}));
  ASSERT_EQ(mixed.status, 201) << mixed.body;
  EXPECT_EQ(mixed.json().at("movimentos").at(0).at("duplicado"), true);
  EXPECT_EQ(mixed.json().at("movimentos").at(1).at("duplicado"), false);
  EXPECT_EQ(Int(mixed.json().at("movimentos").at(1).at("quantidade")), 50);
  EXPECT_EQ(OnHand("78900007", kA), 50);

  // A single object; an own origem and a referencia.
  json::object single = Movement("m1", "recebimento", kA, "78900007", 5, At(13));
  single["origem"] = "erp";
  single["referencia"] = "NF-123";
  auto one = client_->Post("/v1/movimentos", Serialize(single));
  ASSERT_EQ(one.status, 201) << one.body;  // (1001, erp, m1) is another identity than (1001, api, m1)
  ASSERT_EQ(one.json().at("movimentos").as_array().size(), 1u);
  EXPECT_EQ(one.json().at("movimentos").at(0).at("origem"), "erp");
  EXPECT_EQ(one.json().at("movimentos").at(0).at("referencia"), "NF-123");
  EXPECT_EQ(OnHand("78900007", kA), 55);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900007", kA)), 55);
}

TEST_F(InventoryTest, RetriedMovementWithoutDataIsARepeat) {
  // A client that sends no "data" (the server's now) and retries the very same request after a
  // lost answer must get the repeat (200, duplicado), not a conflict, and nothing applied twice.
  SeedCounts({SeedItem("78900023", kA, 10, "2024-06-01 10:00:00")});
  const std::string body = R"({"id":"nd-1","tipo":"recebimento","filial":"1001","codigo_barra":"78900023","quantidade":2})";
  auto first = client_->Post("/v1/movimentos", body);
  ASSERT_EQ(first.status, 201) << first.body;
  auto retry = client_->Post("/v1/movimentos", body);
  EXPECT_EQ(retry.status, 200) << retry.body;
  if (retry.status == 200) {
    EXPECT_EQ(retry.json().at("movimentos").at(0).at("duplicado"), true) << retry.body;
  }
  EXPECT_EQ(OnHand("78900023", kA), 12);
  EXPECT_EQ(LedgerOf("78900023", kA).size(), 2u);
}

TEST_F(InventoryTest, CountsAtTheSameTimeSettleTheSameWhateverTheOrder) {
  // Two counts at one time: the same one wins in both arrival orders (greater quantity), and a
  // delta at that time is part of it while one a second later is not.
  for (const auto& [barcode, order] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"78900024", {5, 10}}, {"78900025", {10, 5}}}) {
    for (int64_t quantity : order) {
      const std::string id = std::to_string(quantity) + "-" + barcode;
      auto r = client_->Post("/v1/movimentos", Serialize(Movement(id, "contagem", kA, barcode, quantity, At(12))));
      ASSERT_EQ(r.status, 201) << r.body;
    }
    ASSERT_EQ(client_->Post("/v1/movimentos", MovementsBody({Movement("d0-" + barcode, "devolucao", kA, barcode, 3, At(12)),
                                                             Movement("d1-" + barcode, "devolucao", kA, barcode, 1, At(12, 0, 1))}))
                  .status,
              201);
    EXPECT_EQ(OnHand(barcode, kA), 11) << barcode;
    EXPECT_EQ(OnHandByRule(LedgerOf(barcode, kA)), 11) << barcode;
    auto at = client_->Get("/v1/posicoes/" + barcode + "/1001?em=" + At(12));
    EXPECT_EQ(Int(at.json().at("em_estoque")), 10) << at.body;
  }
}

TEST_F(InventoryTest, InventoryStateSurvivesARestart) {
  SeedCounts({SeedItem("78900026", kA, 30, "2024-06-01 10:00:00"), SeedItem("78900026", kB, 5, "2024-06-01 10:00:00")});
  Sell("rs-1", kA, {{"78900026", 2}}, At(11));
  ASSERT_EQ(client_->Post("/v1/vendas/1001/rs-2/cancelamento", DataBody(At(13))).status, 202);  // waits for rs-2
  ASSERT_TRUE(WaitDrained());
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(Movement("rs-m", "ajuste", kA, "78900026", 1, At(11, 30), "quebra"))).status,
            201);
  ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("rs-t", kA, kB, {{"78900026", 4}})).status, 201);
  ASSERT_EQ(client_->Post("/v1/transferencias/rs-t/envio", DataBody(At(12))).status, 200);
  ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("rs-r", kA, {{"78900026", 3}}, FromNow(std::chrono::minutes(10)))).status,
            201);
  ASSERT_EQ(Put("/v1/posicoes/78900026/1002/estoque_minimo", R"({"estoque_minimo": 7})").status, 200);
  auto snapshot = [&] {
    json::object all;
    all["a"] = Stock("78900026", kA);
    all["b"] = Stock("78900026", kB);
    all["totals"] = client_->Get("/v1/posicoes/78900026").json();
    json::array ledger;
    for (auto& e : Ledger(*client_, "")) ledger.push_back(std::move(e));
    all["ledger"] = std::move(ledger);
    all["transfer"] = client_->Get("/v1/transferencias/rs-t").json();
    all["reservation"] = client_->Get("/v1/reservas/rs-r").json();
    all["alerts"] = client_->Get("/v1/alertas").json();
    auto summary = client_->Get("/v1/filiais/1001/resumo").json().as_object();
    summary.erase("segundos_desde_ultimo_envio");
    all["summary"] = std::move(summary);
    return all;
  };
  const json::object before = snapshot();
  EXPECT_EQ(Int(before.at("a").at("em_estoque")), 30 - 2 - 1 - 4);
  EXPECT_EQ(Int(before.at("a").at("reservado")), 3);
  EXPECT_EQ(Int(before.at("b").at("em_transito")), 4);
  EXPECT_EQ(before.at("b").at("alerta"), "estoque_baixo");

  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  Restart();
  EXPECT_EQ(json::value(snapshot()), json::value(before));

  // And it goes on from there: a redelivered sale, the waiting cancellation, the transfer and the
  // reservation.
  Sell("rs-1", kA, {{"78900026", 2}}, At(11));
  Sell("rs-2", kA, {{"78900026", 5}}, At(12, 30));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand("78900026", kA), 23);  // sold and cancelled
  ASSERT_EQ(client_->Post("/v1/transferencias/rs-t/recebimento", DataBody(At(14))).status, 200);
  EXPECT_EQ(OnHand("78900026", kB), 9);
  auto confirmed = client_->Post("/v1/reservas/rs-r/confirmacao", "");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  auto s = Stock("78900026", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 20);
  EXPECT_EQ(Int(s.at("reservado")), 0);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900026", kA)), 20);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900026", kB)), 9);
  auto summary = client_->Get("/v1/filiais/1001/resumo").json();
  EXPECT_EQ(Int(summary.at("unidades")), 20);
  EXPECT_EQ(Int(summary.at("skus")), 1);
}

TEST_F(InventoryTest, ZoneLessTimesAreReadInTheBranchZone) {
  auto zone = Put("/v1/filiais/1003", R"({"fuso": "America/Manaus"})");  // UTC-4
  ASSERT_TRUE(zone.status == 200 || zone.status == 201) << zone.body;
  auto r = client_->Post("/v1/movimentos", Serialize(Movement("z-1", "recebimento", "1003", "78900027", 4, "2024-06-01 10:00:00")));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("movimentos").at(0).at("data"), "2024-06-01T11:00:00-03:00");  // written in the server's zone
  Sell("z-2", "1003", {{"78900027", 1}}, "2024-06-01 10:30:00");
  ASSERT_TRUE(WaitDrained());
  auto ledger = LedgerOf("78900027", "1003");
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].at("data"), "2024-06-01T11:30:00-03:00");
  EXPECT_EQ(Ledger(*client_, "filial=1003&desde=2024-06-01%2010:15:00").size(), 1u);
  auto as_of = client_->Get("/v1/posicoes/78900027/1003?em=2024-06-01%2010:15:00");
  ASSERT_EQ(as_of.status, 200) << as_of.body;
  EXPECT_EQ(Int(as_of.json().at("em_estoque")), 4);
  EXPECT_EQ(OnHand("78900027", "1003"), 3);
}

TEST_F(InventoryTest, MovementIdReusedForAnotherMovementIsAConflict) {
  SeedCounts({SeedItem("78900008", kA, 10, "2024-06-01 10:00:00")});
  auto first = client_->Post("/v1/movimentos", Serialize(Movement("m-x", "recebimento", kA, "78900008", 5, At(11))));
  ASSERT_EQ(first.status, 201) << first.body;
  for (const auto& other : {Movement("m-x", "recebimento", kA, "78900008", 6, At(11)),
                            Movement("m-x", "recebimento", kA, "78900008", 5, At(11, 1)),
                            Movement("m-x", "devolucao", kA, "78900008", 5, At(11)),
                            Movement("m-x", "recebimento", kA, "78900009", 5, At(11))}) {
    auto r = client_->Post("/v1/movimentos", Serialize(other));
    EXPECT_EQ(r.status, 409) << json::serialize(other) << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "conflict");
  }
  EXPECT_EQ(OnHand("78900008", kA), 15);
  EXPECT_EQ(LedgerOf("78900008", kA).size(), 2u);
  EXPECT_EQ(client_->Get("/v1/posicoes/78900009/1001").status, 404);

  // Another branch: another identity.
  auto elsewhere = client_->Post("/v1/movimentos", Serialize(Movement("m-x", "recebimento", kB, "78900008", 6, At(11))));
  EXPECT_EQ(elsewhere.status, 201) << elsewhere.body;
  EXPECT_EQ(OnHand("78900008", kB), 6);

  // Within one request: the same id twice is applied once; different content fails it all.
  auto twice = client_->Post("/v1/movimentos", MovementsBody({Movement("m-y", "recebimento", kA, "78900008", 1, At(12)),
                                                               Movement("m-y", "recebimento", kA, "78900008", 1, At(12))}));
  ASSERT_EQ(twice.status, 201) << twice.body;
  EXPECT_EQ(twice.json().at("movimentos").at(0).at("duplicado"), false);
  EXPECT_EQ(twice.json().at("movimentos").at(1).at("duplicado"), true);
  EXPECT_EQ(OnHand("78900008", kA), 16);
  auto clash = client_->Post("/v1/movimentos", MovementsBody({Movement("m-z", "recebimento", kA, "78900008", 1, At(12)),
                                                               Movement("m-z", "recebimento", kA, "78900008", 2, At(12))}));
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_EQ(ErrorCode(clash), "conflict");
  EXPECT_EQ(OnHand("78900008", kA), 16);
  auto ledger = LedgerOf("78900008", kA);
  EXPECT_EQ(ledger.size(), 3u);
  for (const auto& e : ledger) EXPECT_NE(e.at("id"), "m-z");
}

TEST_F(InventoryTest, RemovalBelowZeroIsInsufficientStockUnlessTheBranchAllowsIt) {
  SeedCounts({SeedItem("78900010", kA, 5, "2024-06-01 10:00:00")});
  for (const auto& removal : {Movement("p-1", "ajuste", kA, "78900010", 6, At(11), "perda"),
                              Movement("p-2", "transferencia_saida", kA, "78900010", 6, At(11)),
                              Movement("p-3", "ajuste", kA, "78900010", -6, At(11), "correcao")}) {
    auto r = client_->Post("/v1/movimentos", Serialize(removal));
    EXPECT_EQ(r.status, 409) << json::serialize(removal) << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "insufficient_stock");
  }
  // All or nothing: the receipt in the same request is not recorded either.
  auto batch = client_->Post("/v1/movimentos", MovementsBody({Movement("p-4", "recebimento", kA, "78900010", 1, At(11)),
                                                               Movement("p-5", "ajuste", kA, "78900010", 7, At(11, 1), "furto")}));
  EXPECT_EQ(batch.status, 409) << batch.body;
  EXPECT_EQ(ErrorCode(batch), "insufficient_stock");
  EXPECT_EQ(OnHand("78900010", kA), 5);
  EXPECT_EQ(LedgerOf("78900010", kA).size(), 1u);
  // Down to exactly zero is fine.
  auto to_zero = client_->Post("/v1/movimentos", Serialize(Movement("p-6", "ajuste", kA, "78900010", 5, At(11, 2), "quebra")));
  ASSERT_EQ(to_zero.status, 201) << to_zero.body;
  EXPECT_EQ(OnHand("78900010", kA), 0);
  // A reported sale is a fact: it may go below zero.
  auto sale = client_->Post("/v1/movimentos", Serialize(Movement("p-7", "venda", kA, "78900010", 2, At(11, 3))));
  ASSERT_EQ(sale.status, 201) << sale.body;
  EXPECT_EQ(OnHand("78900010", kA), -2);
  EXPECT_EQ(Stock("78900010", kA).at("alerta"), "estoque_negativo");
  auto lower = client_->Post("/v1/movimentos", Serialize(Movement("p-8", "ajuste", kA, "78900010", 1, At(11, 4), "perda")));
  EXPECT_EQ(lower.status, 409) << lower.body;
  // A branch with no stock of it at all.
  auto none = client_->Post("/v1/movimentos", Serialize(Movement("p-9", "ajuste", kB, "78900010", 1, At(11), "perda")));
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(ErrorCode(none), "insufficient_stock");

  auto allow = Put("/v1/filiais/1001", R"({"permite_estoque_negativo": true})");
  ASSERT_TRUE(allow.status == 200 || allow.status == 201) << allow.body;
  auto allowed = client_->Post("/v1/movimentos", Serialize(Movement("p-8", "ajuste", kA, "78900010", 1, At(11, 4), "perda")));
  EXPECT_EQ(allowed.status, 201) << allowed.body;
  EXPECT_EQ(OnHand("78900010", kA), -3);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900010", kA)), -3);
  // The other branch still does not allow it.
  EXPECT_EQ(client_->Post("/v1/movimentos", Serialize(Movement("p-9", "ajuste", kB, "78900010", 1, At(11), "perda"))).status,
            409);
}

// ---------------------------------------------------------------- ledger

TEST_F(InventoryTest, LedgerFiltersOrderAndPages) {
  SeedCounts({SeedItem("78900011", kA, 10, "2024-06-01 09:00:00"), SeedItem("78900011", kB, 10, "2024-06-01 09:00:00"),
              SeedItem("78900012", kA, 10, "2024-06-01 09:00:00")});
  json::array body;
  for (int hour = 10; hour <= 15; ++hour) {
    body.push_back(Movement("a-" + std::to_string(hour), "recebimento", kA, "78900011", hour, At(hour)));
    body.push_back(Movement("b-" + std::to_string(hour), "recebimento", kB, "78900011", 1, At(hour, 30)));
    body.push_back(Movement("c-" + std::to_string(hour), "recebimento", kA, "78900012", 1, At(hour, 15)));
  }
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(body)).status, 201);

  auto one = LedgerOf("78900011", kA);
  ASSERT_EQ(one.size(), 7u);
  for (std::size_t i = 1; i < one.size(); ++i) EXPECT_GE(EventTime(one[i - 1]), EventTime(one[i]));
  EXPECT_EQ(one[0].at("id"), "a-15");
  EXPECT_EQ(one.back().at("tipo"), "contagem");
  EXPECT_EQ(OnHandByRule(one), 10 + 10 + 11 + 12 + 13 + 14 + 15);
  EXPECT_EQ(OnHand("78900011", kA), 85);

  auto branch = Ledger(*client_, "filial=1001");
  EXPECT_EQ(branch.size(), 14u);
  for (const auto& e : branch) EXPECT_EQ(e.at("filial"), kA);
  for (std::size_t i = 1; i < branch.size(); ++i) EXPECT_GE(EventTime(branch[i - 1]), EventTime(branch[i]));
  auto product = Ledger(*client_, "codigo_barra=78900011");
  EXPECT_EQ(product.size(), 14u);
  for (const auto& e : product) EXPECT_EQ(e.at("codigo_barra"), "78900011");
  for (std::size_t i = 1; i < product.size(); ++i) EXPECT_GE(EventTime(product[i - 1]), EventTime(product[i]));

  // desde/ate are inclusive; zone-less times are read in the branch's zone.
  auto window = Ledger(*client_, "codigo_barra=78900011&filial=1001&desde=" + At(11) + "&ate=" + At(13));
  std::vector<std::string> ids;
  for (const auto& e : window) ids.emplace_back(e.at("id").as_string());
  EXPECT_EQ(ids, (std::vector<std::string>{"a-13", "a-12", "a-11"}));
  auto local = Ledger(*client_, "codigo_barra=78900011&filial=1001&desde=2024-06-01%2011:00:00&ate=2024-06-01%2013:00:00");
  EXPECT_EQ(local.size(), 3u);
  EXPECT_EQ(Ledger(*client_, "filial=1001&desde=" + At(15, 16)).size(), 0u);

  // Pages of 4 of the whole ledger: the same entries, in the same order, each once.
  auto all = Ledger(*client_, "");
  EXPECT_EQ(all.size(), 21u);
  std::vector<std::string> paged;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto r = client_->Get("/v1/movimentos?limit=4" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = r.json();
    const auto& items = page.at("itens").as_array();
    ++pages;
    for (const auto& e : items) {
      paged.push_back(EntryKey(e.as_object()));
    }
    if (page.at("proximo_cursor").is_null()) break;
    EXPECT_EQ(items.size(), 4u);
    cursor = std::string(page.at("proximo_cursor").as_string());
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(pages, 6);
  std::vector<std::string> whole;
  for (const auto& e : all) {
    whole.push_back(EntryKey(e));
  }
  EXPECT_EQ(paged, whole);
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size());
}

TEST_F(InventoryTest, LedgerPagesNeverSkipOrRepeatAmongEqualTimes) {
  // Barcodes and branches that are prefixes of each other, everything at the same two times.
  const std::vector<std::string> barcodes = {"78900031", "789000311", "7890003100"};
  const std::vector<std::string> branches = {"1001", "10011", "1002"};
  json::array body;
  int n = 0;
  for (const auto& barcode : barcodes) {
    for (const auto& branch : branches) {
      for (const char* id : {"a", "b", "b2"}) {
        json::object m = Movement(std::string(id) + "-" + barcode, "recebimento", branch, barcode, 1 + n++ % 4, At(10));
        if (std::string(id) == "b2") m["origem"] = "erp";
        body.push_back(m);
      }
      body.push_back(Movement("z-" + barcode, "devolucao", branch, barcode, 1, At(11)));
    }
  }
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(body)).status, 201);
  for (const std::string& query : std::vector<std::string>{"", "filial=1001", "filial=10011", "codigo_barra=78900031", "codigo_barra=789000311",
                                  "codigo_barra=7890003100&filial=1002", "desde=" + At(10) + "&ate=" + At(10)}) {
    std::vector<std::string> whole;
    for (const auto& e : Ledger(*client_, query)) whole.push_back(EntryKey(e));
    ASSERT_FALSE(whole.empty()) << query;
    for (int limit : {1, 2, 5}) {
      std::vector<std::string> paged;
      for (const auto& e : Ledger(*client_, query, limit)) paged.push_back(EntryKey(e));
      EXPECT_EQ(paged, whole) << "limit=" << limit << " " << query;
    }
  }
  EXPECT_EQ(Ledger(*client_, "").size(), 36u);
  EXPECT_EQ(Ledger(*client_, "filial=1001").size(), 12u);
  EXPECT_EQ(Ledger(*client_, "codigo_barra=78900031").size(), 12u);
  EXPECT_EQ(Ledger(*client_, "desde=" + At(10) + "&ate=" + At(10)).size(), 27u);
}

TEST_F(InventoryTest, LedgerQueryErrorsNameTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=0", "limit"},
      {"limit=1001", "limit"},
      {"limit=abc", "limit"},
      {"limit=-1", "limit"},
      {"cursor=a", "cursor"},
      {"cursor=AAAA", "cursor"},
      {"cursor=%%%", "cursor"},
      {"cursor=!!!!", "cursor"},
      {"desde=ontem", "desde"},
      {"ate=2024-02-30T00:00:00Z", "ate"},
      {"codigo_barra=abc", "codigo_barra"},
      {"filial=a%20b", "filial"},
  };
  for (const auto& [query, field] : cases) {
    auto r = client_->Get("/v1/movimentos?" + query);
    EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_parameter") << query;
    EXPECT_EQ(ErrorFields(r), (std::set<std::pair<int64_t, std::string>>{{-1, field}})) << query << " -> " << r.body;
  }
  // Nothing recorded: an empty page, not an error.
  auto empty = client_->Get("/v1/movimentos?codigo_barra=78900099&filial=1001");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(empty.json().at("itens").as_array().empty());
  EXPECT_TRUE(empty.json().at("proximo_cursor").is_null());
}

// ---------------------------------------------------------------- stock reads

TEST_F(InventoryTest, StockAsOfATimeAndProductTotals) {
  SeedCounts({SeedItem("78900013", kA, 10, "2024-06-01 10:00:00"), SeedItem("78900013", kB, 4, "2024-06-01 10:00:00")});
  Sell("t-1", kA, {{"78900013", 2}}, At(11));
  Sell("t-2", kB, {{"78900013", 1}}, At(12));
  ASSERT_TRUE(WaitDrained());
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(Movement("r-1", "recebimento", kA, "78900013", 5, At(13)))).status, 201);

  struct AsOf {
    std::string at;
    int64_t on_hand;
    bool has_movement;
  };
  for (const AsOf& c : {AsOf{At(10, 30), 10, false}, AsOf{At(11), 8, true}, AsOf{At(12, 59), 8, true},
                        AsOf{At(13), 13, true}, AsOf{At(10, 0, 0, 2), 13, true}}) {
    auto r = client_->Get("/v1/posicoes/78900013/1001?em=" + c.at);
    ASSERT_EQ(r.status, 200) << c.at << " -> " << r.body;
    auto v = r.json().as_object();
    EXPECT_EQ(Int(v.at("em_estoque")), c.on_hand) << c.at << " -> " << r.body;
    EXPECT_EQ(Int(v.at("qtd_estoque")), c.on_hand) << c.at;
    EXPECT_EQ(Str(v.at("em")), c.at);
    EXPECT_EQ(Str(v.at("ultima_contagem")), At(10)) << c.at;
    EXPECT_EQ(!v.at("ultimo_movimento").is_null(), c.has_movement) << c.at << " -> " << r.body;
  }
  auto local = client_->Get("/v1/posicoes/78900013/1001?em=2024-06-01%2011:00:00");
  ASSERT_EQ(local.status, 200) << local.body;
  EXPECT_EQ(Int(local.json().at("em_estoque")), 8);
  auto bad = client_->Get("/v1/posicoes/78900013/1001?em=amanha");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(ErrorCode(bad), "invalid_parameter");
  EXPECT_EQ(ErrorFieldNames(bad), (std::set<std::string>{"em"}));

  auto totals = client_->Get("/v1/posicoes/78900013");
  ASSERT_EQ(totals.status, 200) << totals.body;
  auto t = totals.json().as_object();
  EXPECT_EQ(Int(t.at("filiais")), 2);
  EXPECT_EQ(Int(t.at("total_qtd_estoque")), 16);
  EXPECT_EQ(Int(t.at("totais").at("em_estoque")), 16);
  EXPECT_EQ(Int(t.at("totais").at("reservado")), 0);
  EXPECT_EQ(Int(t.at("totais").at("em_transito")), 0);
  EXPECT_EQ(Int(t.at("totais").at("disponivel")), 16);
  ASSERT_EQ(t.at("itens").as_array().size(), 2u);
  EXPECT_EQ(t.at("itens").at(0).at("filial"), kA);
  EXPECT_EQ(Int(t.at("itens").at(0).at("em_estoque")), 13);
  EXPECT_EQ(t.at("itens").at(1).at("filial"), kB);
  EXPECT_EQ(Int(t.at("itens").at(1).at("em_estoque")), 3);

  // Unknown product-branches.
  for (const char* target : {"/v1/posicoes/78900099/1001", "/v1/posicoes/78900013/9999", "/v1/posicoes/78900099",
                             "/v1/posicoes/78900013/9999?em=2024-06-01T10:00:00Z"}) {
    auto r = client_->Get(target);
    EXPECT_EQ(r.status, 404) << target << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "not_found") << target;
  }
  auto keys = client_->Get("/v1/posicoes/abc/a%20b");
  EXPECT_EQ(keys.status, 400);
  EXPECT_EQ(ErrorFieldNames(keys), (std::set<std::string>{"codigo_barra", "filial"})) << keys.body;
}

TEST_F(InventoryTest, ReorderPointsAlertsAndBranchSummary) {
  SeedCounts({SeedItem("78900014", kA, 5, "2024-06-01 10:00:00"), SeedItem("78900015", kA, 100, "2024-06-01 10:00:00"),
              SeedItem("78900014", kB, 5, "2024-06-01 10:00:00")});
  auto set = Put("/v1/posicoes/78900014/1001/estoque_minimo", R"({"estoque_minimo": 8})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Int(set.json().at("estoque_minimo")), 8);
  EXPECT_EQ(Int(set.json().at("em_estoque")), 5);
  EXPECT_EQ(set.json().at("alerta"), "estoque_baixo");

  auto alerts = client_->Get("/v1/alertas");
  ASSERT_EQ(alerts.status, 200) << alerts.body;
  ASSERT_EQ(alerts.json().at("itens").as_array().size(), 1u) << alerts.body;
  auto alert = alerts.json().at("itens").at(0).as_object();
  EXPECT_EQ(alert.at("tipo"), "estoque_baixo");
  EXPECT_EQ(alert.at("filial"), kA);
  EXPECT_EQ(alert.at("codigo_barra"), "78900014");
  EXPECT_EQ(Int(alert.at("em_estoque")), 5);
  EXPECT_EQ(Int(alert.at("estoque_minimo")), 8);
  EXPECT_TRUE(alert.at("desde").is_string());

  Sell("a-1", kA, {{"78900014", 7}}, At(11));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(Stock("78900014", kA).at("alerta"), "estoque_negativo");
  auto negative = client_->Get("/v1/alertas?tipo=estoque_negativo");
  ASSERT_EQ(negative.status, 200);
  ASSERT_EQ(negative.json().at("itens").as_array().size(), 1u) << negative.body;
  EXPECT_EQ(Int(negative.json().at("itens").at(0).at("em_estoque")), -2);
  EXPECT_TRUE(client_->Get("/v1/alertas?tipo=estoque_baixo").json().at("itens").as_array().empty());
  EXPECT_TRUE(client_->Get("/v1/alertas?filial=1002").json().at("itens").as_array().empty());
  EXPECT_EQ(client_->Get("/v1/alertas?filial=1001&tipo=estoque_negativo").json().at("itens").as_array().size(), 1u);

  auto summary = client_->Get("/v1/filiais/1001/resumo");
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_EQ(summary.json().at("filial"), kA);
  EXPECT_EQ(Int(summary.json().at("skus")), 2);
  EXPECT_EQ(Int(summary.json().at("unidades")), 98);
  EXPECT_EQ(Int(summary.json().at("estoque_baixo")), 0);
  EXPECT_EQ(Int(summary.json().at("estoque_negativo")), 1);
  EXPECT_TRUE(summary.json().at("ultimo_envio").is_string());

  // Back to the reorder point exactly: no alert; below it: low again.
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(Movement("a-r", "recebimento", kA, "78900014", 10, At(12)))).status, 201);
  EXPECT_TRUE(Stock("78900014", kA).at("alerta").is_null());
  ASSERT_EQ(client_->Post("/v1/movimentos", Serialize(Movement("a-q", "ajuste", kA, "78900014", 1, At(13), "quebra"))).status,
            201);
  EXPECT_EQ(Stock("78900014", kA).at("alerta"), "estoque_baixo");
  EXPECT_EQ(Int(client_->Get("/v1/filiais/1001/resumo").json().at("estoque_baixo")), 1);
  // null: back to the product's default (0).
  auto cleared = Put("/v1/posicoes/78900014/1001/estoque_minimo", R"({"estoque_minimo": null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(Int(cleared.json().at("estoque_minimo")), 0);
  EXPECT_TRUE(cleared.json().at("alerta").is_null());
  EXPECT_TRUE(client_->Get("/v1/alertas").json().at("itens").as_array().empty());
  EXPECT_EQ(Int(client_->Get("/v1/filiais/1001/resumo").json().at("estoque_baixo")), 0);

  // A product-branch with no state yet gets one.
  auto fresh = Put("/v1/posicoes/78900016/1003/estoque_minimo", R"({"estoque_minimo": 3})");
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(Int(fresh.json().at("em_estoque")), 0);
  EXPECT_EQ(Int(fresh.json().at("estoque_minimo")), 3);
  EXPECT_EQ(fresh.json().at("alerta"), "estoque_baixo");
  EXPECT_EQ(Int(Stock("78900016", "1003").at("estoque_minimo")), 3);

  // Errors.
  for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"estoque_minimo": -1})", "estoque_minimo"},
           {R"({})", "estoque_minimo"},
           {R"({"estoque_minimo": "3"})", "estoque_minimo"},
           {R"({"estoque_minimo": 1.0001})", "estoque_minimo"}}) {
    auto r = Put("/v1/posicoes/78900014/1001/estoque_minimo", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << body;
    EXPECT_EQ(ErrorFieldNames(r), (std::set<std::string>{field})) << body << " -> " << r.body;
  }
  auto not_json = Put("/v1/posicoes/78900014/1001/estoque_minimo", "nope");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(ErrorCode(not_json), "invalid_json");
  auto media = client_->Request("PUT", "/v1/posicoes/78900014/1001/estoque_minimo", R"({"estoque_minimo": 1})",
                                {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(ErrorCode(media), "unsupported_media_type");
  auto path = Put("/v1/posicoes/123/1001/estoque_minimo", R"({"estoque_minimo": 1})");
  EXPECT_EQ(path.status, 400);
  EXPECT_EQ(ErrorFieldNames(path), (std::set<std::string>{"codigo_barra"}));
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"tipo=falta", "tipo"}, {"filial=a%20b", "filial"}, {"limit=0", "limit"}, {"cursor=a", "cursor"}}) {
    auto r = client_->Get("/v1/alertas?" + query);
    EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_parameter");
    EXPECT_EQ(ErrorFieldNames(r), (std::set<std::string>{field})) << query;
  }
  auto unknown = client_->Get("/v1/filiais/9999/resumo");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorCode(unknown), "not_found");
  auto bad_branch = client_->Get("/v1/filiais/a%20b/resumo");
  EXPECT_EQ(bad_branch.status, 400);
  EXPECT_EQ(ErrorFieldNames(bad_branch), (std::set<std::string>{"filial"}));
}

// ---------------------------------------------------------------- reservations

TEST_F(InventoryTest, ReservationLifecycle) {
  SeedCounts({SeedItem("78900017", kA, 10, "2024-06-01 10:00:00"), SeedItem("78900018", kA, 3, "2024-06-01 10:00:00")});
  const std::string expires = FromNow(std::chrono::minutes(10));
  const std::string r1 = ReservationBody("r-1", kA, {{"78900017", 4}, {"78900018", 1}}, expires);
  auto created = client_->Post("/v1/reservas", r1);
  ASSERT_EQ(created.status, 201) << created.body;
  auto v = created.json().as_object();
  EXPECT_EQ(v.at("id"), "r-1");
  EXPECT_EQ(v.at("filial"), kA);
  EXPECT_EQ(v.at("status"), "ativa");
  ASSERT_EQ(v.at("itens").as_array().size(), 2u);
  EXPECT_EQ(v.at("itens").at(0).at("codigo_barra"), "78900017");
  EXPECT_EQ(Int(v.at("itens").at(0).at("quantidade")), 4);
  EXPECT_EQ(ParseRfc3339(std::string(v.at("expira_em").as_string())), ParseRfc3339(expires));
  EXPECT_TRUE(v.at("criada_em").is_string());
  EXPECT_TRUE(v.at("encerrada_em").is_null());

  auto s = Stock("78900017", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 10);
  EXPECT_EQ(Int(s.at("reservado")), 4);
  EXPECT_EQ(Int(s.at("disponivel")), 6);
  EXPECT_EQ(Int(Stock("78900018", kA).at("disponivel")), 2);

  auto repeat = client_->Post("/v1/reservas", r1);
  EXPECT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.json().at("status"), "ativa");
  EXPECT_EQ(Int(Stock("78900017", kA).at("reservado")), 4);
  auto other = client_->Post("/v1/reservas", ReservationBody("r-1", kA, {{"78900017", 5}}, expires));
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(ErrorCode(other), "conflict");

  // More than available; all lines or none.
  auto too_much = client_->Post("/v1/reservas", ReservationBody("r-2", kA, {{"78900017", 7}}, expires));
  EXPECT_EQ(too_much.status, 409) << too_much.body;
  EXPECT_EQ(ErrorCode(too_much), "insufficient_stock");
  auto partial = client_->Post("/v1/reservas", ReservationBody("r-2", kA, {{"78900017", 6}, {"78900018", 3}}, expires));
  EXPECT_EQ(partial.status, 409) << partial.body;
  EXPECT_EQ(ErrorCode(partial), "insufficient_stock");
  EXPECT_EQ(Int(Stock("78900017", kA).at("reservado")), 4);
  EXPECT_EQ(client_->Get("/v1/reservas/r-2").status, 404);
  auto unknown_product = client_->Post("/v1/reservas", ReservationBody("r-2", kA, {{"78900099", 1}}, expires));
  EXPECT_EQ(unknown_product.status, 409) << unknown_product.body;
  EXPECT_EQ(ErrorCode(unknown_product), "insufficient_stock");

  auto exact = client_->Post("/v1/reservas", ReservationBody("r-3", kA, {{"78900017", 6}}, expires));
  ASSERT_EQ(exact.status, 201) << exact.body;
  EXPECT_EQ(Int(Stock("78900017", kA).at("disponivel")), 0);

  // Confirm r-1: it becomes a sale.
  auto confirmed = client_->Post("/v1/reservas/r-1/confirmacao", "");
  ASSERT_EQ(confirmed.status, 200) << confirmed.body;
  EXPECT_EQ(confirmed.json().at("status"), "confirmada");
  EXPECT_TRUE(confirmed.json().at("encerrada_em").is_string());
  s = Stock("78900017", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 6);
  EXPECT_EQ(Int(s.at("reservado")), 6);
  EXPECT_EQ(Int(s.at("disponivel")), 0);
  s = Stock("78900018", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 2);
  EXPECT_EQ(Int(s.at("reservado")), 0);
  auto ledger = LedgerOf("78900017", kA);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].at("tipo"), "venda");
  EXPECT_EQ(ledger[0].at("origem"), "reserva");
  EXPECT_EQ(ledger[0].at("id"), "r-1#1");
  EXPECT_EQ(ledger[0].at("referencia"), "r-1");
  EXPECT_EQ(Int(ledger[0].at("quantidade")), -4);
  EXPECT_EQ(OnHandByRule(ledger), 6);
  EXPECT_EQ(OnHandByRule(LedgerOf("78900018", kA)), 2);

  auto confirm_again = client_->Post("/v1/reservas/r-1/confirmacao", "");
  EXPECT_EQ(confirm_again.status, 200) << confirm_again.body;
  EXPECT_EQ(confirm_again.json().at("status"), "confirmada");
  EXPECT_EQ(OnHand("78900017", kA), 6);
  auto release_confirmed = client_->Post("/v1/reservas/r-1/liberacao", "");
  EXPECT_EQ(release_confirmed.status, 409) << release_confirmed.body;
  EXPECT_EQ(ErrorCode(release_confirmed), "conflict");

  // Release r-3.
  auto released = client_->Post("/v1/reservas/r-3/liberacao", "");
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(released.json().at("status"), "liberada");
  s = Stock("78900017", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 6);
  EXPECT_EQ(Int(s.at("reservado")), 0);
  EXPECT_EQ(Int(s.at("disponivel")), 6);
  EXPECT_EQ(client_->Post("/v1/reservas/r-3/liberacao", "").status, 200);
  auto confirm_released = client_->Post("/v1/reservas/r-3/confirmacao", "");
  EXPECT_EQ(confirm_released.status, 409) << confirm_released.body;
  EXPECT_EQ(ErrorCode(confirm_released), "conflict");
  EXPECT_EQ(OnHand("78900017", kA), 6);

  // Reads.
  auto got = client_->Get("/v1/reservas/r-1");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json().at("status"), "confirmada");
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/reservas/r-zz"}, {"POST", "/v1/reservas/r-zz/confirmacao"}, {"POST", "/v1/reservas/r-zz/liberacao"}}) {
    auto r = client_->Request(method, target, "");
    EXPECT_EQ(r.status, 404) << target << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "not_found");
  }
  auto list = client_->Get("/v1/reservas?filial=1001");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json().at("itens").as_array().size(), 2u) << list.body;
  EXPECT_EQ(list.json().at("itens").at(0).at("id"), "r-1");
  EXPECT_EQ(list.json().at("itens").at(1).at("id"), "r-3");
  auto ids_of = [&](const std::string& query) {
    std::vector<std::string> ids;
    auto r = client_->Get("/v1/reservas?" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    if (r.status != 200) return ids;
    const auto items = r.json().at("itens").as_array();
    for (const auto& item : items) ids.emplace_back(item.at("id").as_string());
    return ids;
  };
  EXPECT_EQ(ids_of("status=confirmada"), (std::vector<std::string>{"r-1"}));
  EXPECT_EQ(ids_of("status=liberada&filial=1001"), (std::vector<std::string>{"r-3"}));
  EXPECT_TRUE(ids_of("status=ativa").empty());
  EXPECT_TRUE(ids_of("filial=1002").empty());
  auto first_page = client_->Get("/v1/reservas?limit=1");
  ASSERT_EQ(first_page.status, 200);
  ASSERT_EQ(first_page.json().at("itens").as_array().size(), 1u);
  ASSERT_TRUE(first_page.json().at("proximo_cursor").is_string()) << first_page.body;
  auto second_page =
      client_->Get("/v1/reservas?limit=1&cursor=" + std::string(first_page.json().at("proximo_cursor").as_string()));
  ASSERT_EQ(second_page.status, 200) << second_page.body;
  ASSERT_EQ(second_page.json().at("itens").as_array().size(), 1u);
  EXPECT_EQ(second_page.json().at("itens").at(0).at("id"), "r-3");
  EXPECT_TRUE(second_page.json().at("proximo_cursor").is_null());
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"status=xyz", "status"}, {"filial=a%20b", "filial"}, {"limit=0", "limit"}, {"cursor=a", "cursor"}}) {
    auto r = client_->Get("/v1/reservas?" + query);
    EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_parameter");
    EXPECT_EQ(ErrorFieldNames(r), (std::set<std::string>{field})) << query;
  }
}

TEST_F(InventoryTest, ReservationExpiresThenCannotBeConfirmed) {
  SeedCounts({SeedItem("78900019", kA, 5, "2024-06-01 10:00:00")});
  auto created = client_->Post("/v1/reservas", ReservationBody("r-exp", kA, {{"78900019", 5}}, FromNow(std::chrono::seconds(1))));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string waiting = ReservationBody("r-wait", kA, {{"78900019", 1}}, FromNow(std::chrono::minutes(10)));
  // (Unless the sweeper was faster than this request, nothing is available.)
  auto blocked = client_->Post("/v1/reservas", waiting);
  if (blocked.status != 201) {
    EXPECT_EQ(blocked.status, 409) << blocked.body;
    EXPECT_EQ(ErrorCode(blocked), "insufficient_stock");
    ASSERT_TRUE(Eventually(
        [&] { return client_->Get("/v1/reservas/r-exp").json().at("status") == "expirada"; }, std::chrono::seconds(15)));
    auto s = Stock("78900019", kA);
    EXPECT_EQ(Int(s.at("reservado")), 0) << json::serialize(s);
    EXPECT_EQ(Int(s.at("disponivel")), 5);
    EXPECT_EQ(Int(s.at("em_estoque")), 5);
    auto retried = client_->Post("/v1/reservas", waiting);
    EXPECT_EQ(retried.status, 201) << retried.body;
  } else {
    ASSERT_TRUE(Eventually(
        [&] { return client_->Get("/v1/reservas/r-exp").json().at("status") == "expirada"; }, std::chrono::seconds(15)));
  }
  auto expired = client_->Get("/v1/reservas/r-exp");
  EXPECT_TRUE(expired.json().at("encerrada_em").is_string()) << expired.body;
  auto confirm = client_->Post("/v1/reservas/r-exp/confirmacao", "");
  EXPECT_EQ(confirm.status, 409) << confirm.body;
  EXPECT_EQ(ErrorCode(confirm), "conflict");
  auto release = client_->Post("/v1/reservas/r-exp/liberacao", "");
  EXPECT_EQ(release.status, 200) << release.body;  // released either way
  EXPECT_EQ(release.json().at("status"), "expirada");
  auto s = Stock("78900019", kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 5);  // an expiry sells nothing
  EXPECT_EQ(Int(s.at("reservado")), 1);   // r-wait
  EXPECT_EQ(LedgerOf("78900019", kA).size(), 1u);
  auto list = client_->Get("/v1/reservas?status=expirada");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json().at("itens").as_array().size(), 1u) << list.body;
  EXPECT_EQ(list.json().at("itens").at(0).at("id"), "r-exp");
}

// ---------------------------------------------------------------- request validation

TEST_F(InventoryTest, ReservationValidation) {
  SeedCounts({SeedItem("78900020", kA, 5, "2024-06-01 10:00:00")});
  const std::string later = FromNow(std::chrono::minutes(10));
  struct Case {
    std::string body;
    std::set<std::pair<int64_t, std::string>> fields;
  };
  const std::vector<Case> cases = {
      {ReservationBody("r-v", kA, {{"78900020", 1}}, "2024-06-01T10:00:00Z"), {{-1, "expira_em"}}},
      {ReservationBody("r-v", kA, {{"78900020", 1}}, "amanha"), {{-1, "expira_em"}}},
      {R"({"filial":"1001"})", {{-1, "id"}, {-1, "itens"}, {-1, "expira_em"}}},
      {ReservationBody("r v", kA, {{"78900020", 1}}, later), {{-1, "id"}}},
      {ReservationBody("r-v", "a b", {{"78900020", 1}}, later), {{-1, "filial"}}},
      {ReservationBody("r-v", kA, {{"78900020", 1}, {"78900020", 2}}, later), {{1, "codigo_barra"}}},
      {ReservationBody("r-v", kA, {{"78900020", 0}}, later), {{0, "quantidade"}}},
      {ReservationBody("r-v", kA, {{"1234", 1}}, later), {{0, "codigo_barra"}}},
      {ReservationBody("r-v", kA, {}, later), {{-1, "itens"}}},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/v1/reservas", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << c.body;
    EXPECT_EQ(ErrorFields(r), c.fields) << c.body << " -> " << r.body;
  }
  for (const char* body : {"{", "[]", "\"r\""}) {
    auto r = client_->Post("/v1/reservas", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_json") << body;
  }
  auto media = client_->Request("POST", "/v1/reservas", ReservationBody("r-v", kA, {{"78900020", 1}}, later),
                                {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(ErrorCode(media), "unsupported_media_type");
  for (const char* target : {"/v1/reservas/r-1/confirmacao", "/v1/reservas/r-1/liberacao"}) {
    auto r = client_->Request("POST", target, "", {{"Content-Type", "text/plain"}});
    EXPECT_EQ(r.status, 415) << target;
  }
  auto bad_id = client_->Get("/v1/reservas/r%20v");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(ErrorFieldNames(bad_id), (std::set<std::string>{"id"}));
  EXPECT_EQ(Int(Stock("78900020", kA).at("reservado")), 0);
  EXPECT_TRUE(client_->Get("/v1/reservas").json().at("itens").as_array().empty());
}

TEST_F(InventoryTest, SaleAndCancellationValidation) {
  struct Case {
    std::string body;
    std::set<std::pair<int64_t, std::string>> fields;
  };
  const std::string long_id(65, 'x');
  const std::vector<Case> cases = {
      {R"({})", {{-1, "venda_id"}, {-1, "filial"}, {-1, "itens"}}},
      {SaleBody("v", kA, {}, At(10)), {{-1, "itens"}}},
      {SaleBody("v", kA, {{"78900021", 0}}, At(10)), {{0, "quantidade"}}},
      {SaleBody("v", kA, {{"78900021", 1}, {"78900021", -1}}, At(10)), {{1, "quantidade"}}},
      {SaleBody("v", kA, {{"78900021", 1}, {"12", 1}}, At(10)), {{1, "codigo_barra"}}},
      {R"({"venda_id":"v","filial":"1001","itens":[{"codigo_barra":"78900021","quantidade":"3"}]})", {{0, "quantidade"}}},
      {R"({"venda_id":"v","filial":"1001","itens":[{"codigo_barra":78900021,"quantidade":3}]})", {{0, "codigo_barra"}}},
      {R"({"venda_id":"v","filial":"1001","itens":[{"quantidade":3}]})", {{0, "codigo_barra"}}},
      {R"({"venda_id":"v","filial":"1001","itens":{"codigo_barra":"78900021","quantidade":3}})", {{-1, "itens"}}},
      {SaleBody("v", kA, {{"78900021", 1}}, "2024-02-30T10:00:00Z"), {{-1, "data"}}},
      {SaleBody(long_id, kA, {{"78900021", 1}}, At(10)), {{-1, "venda_id"}}},
      {SaleBody("v 1", kA, {{"78900021", 1}}, At(10)), {{-1, "venda_id"}}},
      {SaleBody("v", "a b", {{"78900021", 1}}, At(10)), {{-1, "filial"}}},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/v1/vendas", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << c.body;
    EXPECT_EQ(ErrorFields(r), c.fields) << c.body << " -> " << r.body;
  }
  for (const char* body : {"{", "[]", "not json", R"({"venda_id":"v"} x)"}) {
    auto r = client_->Post("/v1/vendas", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_json") << body << " -> " << r.body;
  }
  auto media = client_->Request("POST", "/v1/vendas", SaleBody("v", kA, {{"78900021", 1}}, At(10)),
                                {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(ErrorCode(media), "unsupported_media_type");

  // Cancellation: path and body.
  auto bad_branch = client_->Post("/v1/vendas/a%20b/v-1/cancelamento", "");
  EXPECT_EQ(bad_branch.status, 400);
  EXPECT_EQ(ErrorCode(bad_branch), "invalid_parameter");
  EXPECT_EQ(ErrorFieldNames(bad_branch), (std::set<std::string>{"filial"}));
  auto bad_id = client_->Post("/v1/vendas/1001/v%201/cancelamento", "");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(ErrorFieldNames(bad_id), (std::set<std::string>{"venda_id"}));
  auto bad_body = client_->Post("/v1/vendas/1001/v-1/cancelamento", "{");
  EXPECT_EQ(bad_body.status, 400);
  EXPECT_EQ(ErrorCode(bad_body), "invalid_json");
  auto bad_time = client_->Post("/v1/vendas/1001/v-1/cancelamento", R"({"data":"ontem"})");
  EXPECT_EQ(bad_time.status, 400);
  EXPECT_EQ(ErrorCode(bad_time), "invalid_fields");
  EXPECT_EQ(ErrorFields(bad_time), (std::set<std::pair<int64_t, std::string>>{{-1, "data"}}));
  auto cancel_media = client_->Request("POST", "/v1/vendas/1001/v-1/cancelamento", DataBody(At(10)),
                                       {{"Content-Type", "text/plain"}});
  EXPECT_EQ(cancel_media.status, 415);

  // Nothing was queued.
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(Int(fila.at("profundidade")) + Int(fila.at("aplicadas")), 0) << json::serialize(fila);
  EXPECT_EQ(client_->Get("/v1/posicoes/78900021/1001").status, 404);
}

TEST_F(InventoryTest, MovementValidation) {
  struct Case {
    json::object movement;
    std::string field;
  };
  auto with = [](json::object m, const std::string& key, json::value value) {
    m[key] = std::move(value);
    return m;
  };
  auto without = [](json::object m, const std::string& key) {
    m.erase(key);
    return m;
  };
  const json::object good = Movement("mv-1", "recebimento", kA, "78900022", 3, At(10));
  const std::vector<Case> cases = {
      {with(good, "tipo", "roubo"), "tipo"},
      {without(good, "tipo"), "tipo"},
      {Movement("mv-1", "ajuste", kA, "78900022", 3, At(10)), "motivo"},
      {Movement("mv-1", "venda", kA, "78900022", 3, At(10), "perda"), "motivo"},
      {Movement("mv-1", "ajuste", kA, "78900022", 3, At(10), "sumiu"), "motivo"},
      {Movement("mv-1", "contagem", kA, "78900022", -1, At(10)), "quantidade"},
      {Movement("mv-1", "ajuste", kA, "78900022", 0, At(10), "correcao"), "quantidade"},
      {Movement("mv-1", "recebimento", kA, "78900022", 0, At(10)), "quantidade"},
      {Movement("mv-1", "venda", kA, "78900022", -2, At(10)), "quantidade"},
      {Movement("mv-1", "ajuste", kA, "78900022", -2, At(10), "perda"), "quantidade"},
      {with(good, "quantidade", "3"), "quantidade"},
      {without(good, "quantidade"), "quantidade"},
      {with(good, "origem", "venda"), "origem"},
      {with(good, "origem", "posicao"), "origem"},
      {with(good, "origem", "a b"), "origem"},
      {with(good, "data", "2024-13-01T00:00:00Z"), "data"},
      {with(good, "codigo_barra", "abc"), "codigo_barra"},
      {without(good, "codigo_barra"), "codigo_barra"},
      {with(good, "filial", "a/b"), "filial"},
      {without(good, "id"), "id"},
      {with(good, "id", json::string(65, 'i')), "id"},
      {with(good, "referencia", json::string(65, 'r')), "referencia"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/v1/movimentos", Serialize(c.movement));
    EXPECT_EQ(r.status, 400) << json::serialize(c.movement) << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << json::serialize(c.movement);
    EXPECT_EQ(ErrorFields(r), (std::set<std::pair<int64_t, std::string>>{{-1, c.field}}))
        << json::serialize(c.movement) << " -> " << r.body;
  }
  auto all_missing = client_->Post("/v1/movimentos", "{}");
  EXPECT_EQ(all_missing.status, 400);
  EXPECT_EQ(ErrorFieldNames(all_missing),
            (std::set<std::string>{"id", "tipo", "filial", "codigo_barra", "quantidade"}))
      << all_missing.body;

  // An array lists every bad element by index, and records none of the good ones.
  auto array = client_->Post("/v1/movimentos",
                             MovementsBody({good, with(good, "tipo", "roubo"), Movement("mv-3", "devolucao", kA, "78900022", 0, At(10))}));
  EXPECT_EQ(array.status, 400) << array.body;
  EXPECT_EQ(ErrorCode(array), "invalid_items");
  EXPECT_EQ(ErrorFields(array), (std::set<std::pair<int64_t, std::string>>{{1, "tipo"}, {2, "quantidade"}})) << array.body;
  auto not_object = client_->Post("/v1/movimentos", "[1]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_EQ(ErrorCode(not_object), "invalid_items");
  EXPECT_EQ(ErrorFields(not_object).begin()->first, 0);
  auto empty = client_->Post("/v1/movimentos", "[]");
  EXPECT_EQ(empty.status, 400);
  ErrorCode(empty);
  for (const char* body : {"{", "nope", "\"x\"", "12"}) {
    auto r = client_->Post("/v1/movimentos", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_json") << body << " -> " << r.body;
  }
  auto media = client_->Request("POST", "/v1/movimentos", Serialize(good), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(ErrorCode(media), "unsupported_media_type");
  EXPECT_EQ(client_->Get("/v1/posicoes/78900022/1001").status, 404);
  EXPECT_TRUE(Ledger(*client_, "").empty());
}

}  // namespace
}  // namespace estoque::e2e
