// End to end: transfers between branches over HTTP against the real binary. Each step's stock
// effect (source on hand, destination in transit, then on hand), its ledger entries, conservation
// of the chain's stock, partial receipts (the shortfall is a loss at the destination), the status
// machine's 409s, listing, and every 400/404/415 case. Event times are fixed.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT

using TransfersTest = InventoryServerTest;

constexpr const char* kA = "1001";
constexpr const char* kB = "1002";
constexpr const char* kC = "1003";
constexpr const char* kP = "78900101";
constexpr const char* kQ = "78900102";

class TransferSteps : public TransfersTest {
 protected:
  HttpResult Create(const std::string& id, const std::string& source, const std::string& destination,
                    const std::vector<Line>& lines) {
    return client_->Post("/v1/transferencias", TransferBody(id, source, destination, lines));
  }
  HttpResult Step(const std::string& id, const std::string& step, const std::string& body) {
    return client_->Post("/v1/transferencias/" + id + "/" + step, body);
  }
  std::string StatusOf(const std::string& id) {
    auto r = client_->Get("/v1/transferencias/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? Str(r.json().at("status")) : "<" + std::to_string(r.status) + ">";
  }
  // The ledger entries of transfer `id` (referencia) at one product-branch.
  std::vector<json::object> EntriesOf(const std::string& id, const std::string& barcode, const std::string& branch) {
    std::vector<json::object> out;
    for (auto& e : LedgerOf(barcode, branch)) {
      if (e.contains("referencia") && e.at("referencia") == json::value(id)) out.push_back(std::move(e));
    }
    return out;
  }
  // em_estoque + em_transito over every branch of `barcode`.
  int64_t ChainStock(const std::string& barcode) {
    auto r = client_->Get("/v1/posicoes/" + barcode);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return INT64_MIN;
    const auto totals = r.json().at("totais");
    return Int(totals.at("em_estoque")) + Int(totals.at("em_transito"));
  }
};

TEST_F(TransferSteps, FullLifecycleMovesStockAtomically) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00"), SeedItem(kQ, kA, 10, "2024-06-01 10:00:00"),
              SeedItem(kP, kB, 5, "2024-06-01 10:00:00")});
  auto created = Create("t-1", kA, kB, {{kP, 7}, {kQ, 4}});
  ASSERT_EQ(created.status, 201) << created.body;
  auto v = created.json().as_object();
  EXPECT_EQ(v.at("id"), "t-1");
  EXPECT_EQ(v.at("origem"), kA);
  EXPECT_EQ(v.at("destino"), kB);
  EXPECT_EQ(v.at("status"), "criada");
  ASSERT_EQ(v.at("itens").as_array().size(), 2u);
  EXPECT_EQ(v.at("itens").at(0).at("codigo_barra"), kP);
  EXPECT_EQ(Int(v.at("itens").at(0).at("quantidade")), 7);
  EXPECT_FALSE(v.at("itens").at(0).as_object().contains("quantidade_recebida"));
  EXPECT_TRUE(v.at("criada_em").is_string());
  EXPECT_TRUE(v.at("enviada_em").is_null());
  EXPECT_TRUE(v.at("recebida_em").is_null());
  EXPECT_TRUE(v.at("cancelada_em").is_null());
  // Creating moves nothing.
  EXPECT_EQ(OnHand(kP, kA), 20);
  EXPECT_EQ(client_->Get("/v1/posicoes/78900102/1002").status, 404);

  auto repeat = Create("t-1", kA, kB, {{kP, 7}, {kQ, 4}});
  EXPECT_EQ(repeat.status, 200) << repeat.body;
  EXPECT_EQ(repeat.json().at("status"), "criada");
  for (const auto& other : {TransferBody("t-1", kA, kB, {{kP, 8}, {kQ, 4}}), TransferBody("t-1", kA, kC, {{kP, 7}, {kQ, 4}}),
                            TransferBody("t-1", kA, kB, {{kP, 7}})}) {
    auto r = client_->Post("/v1/transferencias", other);
    EXPECT_EQ(r.status, 409) << other << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "conflict");
  }
  EXPECT_EQ(StatusOf("t-1"), "criada");

  // Ship.
  auto shipped = Step("t-1", "envio", DataBody(At(11)));
  ASSERT_EQ(shipped.status, 200) << shipped.body;
  EXPECT_EQ(shipped.json().at("status"), "em_transito");
  EXPECT_EQ(Str(shipped.json().at("enviada_em")), At(11));
  auto s = Stock(kP, kA);
  EXPECT_EQ(Int(s.at("em_estoque")), 13);
  EXPECT_EQ(Int(s.at("disponivel")), 13);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  EXPECT_EQ(OnHand(kQ, kA), 6);
  s = Stock(kP, kB);
  EXPECT_EQ(Int(s.at("em_estoque")), 5);
  EXPECT_EQ(Int(s.at("em_transito")), 7);
  EXPECT_EQ(Int(s.at("disponivel")), 5);
  s = Stock(kQ, kB);  // the destination's state exists from the shipment on
  EXPECT_EQ(Int(s.at("em_estoque")), 0);
  EXPECT_EQ(Int(s.at("em_transito")), 4);
  auto totals = client_->Get("/v1/posicoes/78900101").json();
  EXPECT_EQ(Int(totals.at("totais").at("em_estoque")), 18);
  EXPECT_EQ(Int(totals.at("totais").at("em_transito")), 7);
  EXPECT_EQ(ChainStock(kP), 25);
  EXPECT_EQ(ChainStock(kQ), 10);

  auto ship_again = Step("t-1", "envio", DataBody(At(11)));
  EXPECT_EQ(ship_again.status, 200) << ship_again.body;
  EXPECT_EQ(ship_again.json().at("status"), "em_transito");
  EXPECT_EQ(OnHand(kP, kA), 13);

  // Receive everything.
  auto received = Step("t-1", "recebimento", DataBody(At(12)));
  ASSERT_EQ(received.status, 200) << received.body;
  v = received.json().as_object();
  EXPECT_EQ(v.at("status"), "recebida");
  EXPECT_EQ(Str(v.at("recebida_em")), At(12));
  EXPECT_EQ(Int(v.at("itens").at(0).at("quantidade_recebida")), 7);
  EXPECT_EQ(Int(v.at("itens").at(1).at("quantidade_recebida")), 4);
  s = Stock(kP, kB);
  EXPECT_EQ(Int(s.at("em_estoque")), 12);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  s = Stock(kQ, kB);
  EXPECT_EQ(Int(s.at("em_estoque")), 4);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  EXPECT_EQ(OnHand(kP, kA), 13);
  EXPECT_EQ(ChainStock(kP), 25);
  EXPECT_EQ(ChainStock(kQ), 10);

  // The ledger.
  auto out = EntriesOf("t-1", kP, kA);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].at("tipo"), "transferencia_saida");
  EXPECT_EQ(out[0].at("origem"), "transferencia");
  EXPECT_EQ(out[0].at("id"), "t-1#1:envio");
  EXPECT_EQ(Int(out[0].at("quantidade")), -7);
  EXPECT_EQ(Str(out[0].at("data")), At(11));
  auto in = EntriesOf("t-1", kP, kB);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].at("tipo"), "transferencia_entrada");
  EXPECT_EQ(in[0].at("id"), "t-1#1:recebimento");
  EXPECT_EQ(Int(in[0].at("quantidade")), 7);
  EXPECT_EQ(Str(in[0].at("data")), At(12));
  auto in_q = EntriesOf("t-1", kQ, kB);
  ASSERT_EQ(in_q.size(), 1u);
  EXPECT_EQ(in_q[0].at("id"), "t-1#2:recebimento");
  EXPECT_EQ(Int(in_q[0].at("quantidade")), 4);
  EXPECT_EQ(Int(EntriesOf("t-1", kQ, kA).at(0).at("quantidade")), -4);
  for (const auto& [barcode, branch] : std::vector<std::pair<std::string, std::string>>{{kP, kA}, {kP, kB}, {kQ, kA}, {kQ, kB}}) {
    EXPECT_EQ(OnHandByRule(LedgerOf(barcode, branch)), OnHand(barcode, branch)) << barcode << "/" << branch;
  }

  // Repeats and state errors.
  auto receive_again = Step("t-1", "recebimento", DataBody(At(12)));
  EXPECT_EQ(receive_again.status, 200) << receive_again.body;
  EXPECT_EQ(receive_again.json().at("status"), "recebida");
  EXPECT_EQ(OnHand(kP, kB), 12);
  auto cancel = Step("t-1", "cancelamento", DataBody(At(13)));
  EXPECT_EQ(cancel.status, 409) << cancel.body;
  EXPECT_EQ(ErrorCode(cancel), "conflict");
  auto ship_received = Step("t-1", "envio", DataBody(At(13)));
  EXPECT_EQ(ship_received.status, 409) << ship_received.body;
  EXPECT_EQ(ErrorCode(ship_received), "conflict");
  EXPECT_EQ(StatusOf("t-1"), "recebida");
  EXPECT_EQ(OnHand(kP, kA), 13);
  EXPECT_EQ(OnHand(kP, kB), 12);
}

TEST_F(TransferSteps, PartialReceiptRecordsTheShortfallAsALossAtTheDestination) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00"), SeedItem(kQ, kA, 10, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-2", kA, kB, {{kP, 6}, {kQ, 5}}).status, 201);
  ASSERT_EQ(Step("t-2", "envio", DataBody(At(11))).status, 200);
  // Only the first line is listed: the second arrives in full.
  auto received = Step("t-2", "recebimento",
                       Serialize(json::object{{"itens", Lines({{kP, 4}})}, {"data", At(12)}}));
  ASSERT_EQ(received.status, 200) << received.body;
  EXPECT_EQ(Int(received.json().at("itens").at(0).at("quantidade_recebida")), 4);
  EXPECT_EQ(Int(received.json().at("itens").at(1).at("quantidade_recebida")), 5);
  auto s = Stock(kP, kB);
  EXPECT_EQ(Int(s.at("em_estoque")), 4);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  EXPECT_EQ(OnHand(kQ, kB), 5);
  EXPECT_EQ(OnHand(kP, kA), 14);

  auto at_b = EntriesOf("t-2", kP, kB);
  ASSERT_EQ(at_b.size(), 2u);
  std::map<std::string, json::object> by_id;
  for (const auto& e : at_b) by_id[Str(e.at("id"))] = e;
  ASSERT_TRUE(by_id.count("t-2#1:recebimento")) << json::serialize(json::value_from(at_b));
  ASSERT_TRUE(by_id.count("t-2#1:perda")) << json::serialize(json::value_from(at_b));
  EXPECT_EQ(Int(by_id["t-2#1:recebimento"].at("quantidade")), 6);
  EXPECT_EQ(by_id["t-2#1:perda"].at("tipo"), "ajuste");
  EXPECT_EQ(by_id["t-2#1:perda"].at("motivo"), "perda");
  EXPECT_EQ(Int(by_id["t-2#1:perda"].at("quantidade")), -2);
  EXPECT_EQ(Str(by_id["t-2#1:perda"].at("data")), At(12));
  EXPECT_TRUE(EntriesOf("t-2", kQ, kB).size() == 1u);  // no loss on the full line

  // Conservation: out + in = 0; what changed the chain's stock is exactly the loss.
  auto transfer_sum = [](const std::vector<json::object>& entries) {
    return SumWhere(entries, [](const json::object& e) {
      return e.at("tipo") == "transferencia_saida" || e.at("tipo") == "transferencia_entrada";
    });
  };
  auto loss_sum = [](const std::vector<json::object>& entries) {
    return SumWhere(entries, [](const json::object& e) { return e.at("tipo") == "ajuste"; });
  };
  EXPECT_EQ(transfer_sum(EntriesOf("t-2", kP, kA)) + transfer_sum(at_b), 0);
  EXPECT_EQ(loss_sum(at_b), -2);
  EXPECT_EQ(ChainStock(kP), 18);
  EXPECT_EQ(ChainStock(kQ), 10);

  // Nothing arrives at all.
  ASSERT_EQ(Create("t-3", kA, kB, {{kP, 3}}).status, 201);
  ASSERT_EQ(Step("t-3", "envio", DataBody(At(13))).status, 200);
  auto none = Step("t-3", "recebimento", Serialize(json::object{{"itens", Lines({{kP, 0}})}, {"data", At(14)}}));
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(Int(none.json().at("itens").at(0).at("quantidade_recebida")), 0);
  EXPECT_EQ(OnHand(kP, kB), 4);
  EXPECT_EQ(OnHand(kP, kA), 11);
  EXPECT_EQ(ChainStock(kP), 15);
  EXPECT_EQ(OnHandByRule(LedgerOf(kP, kB)), 4);
  EXPECT_EQ(OnHandByRule(LedgerOf(kP, kA)), 11);
}

TEST_F(TransferSteps, CancelBeforeShippingMovesNothing) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-4", kA, kB, {{kP, 5}}).status, 201);
  auto cancelled = Step("t-4", "cancelamento", DataBody(At(11)));
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json().at("status"), "cancelada");
  EXPECT_EQ(Str(cancelled.json().at("cancelada_em")), At(11));
  EXPECT_TRUE(cancelled.json().at("enviada_em").is_null());
  EXPECT_EQ(OnHand(kP, kA), 20);
  EXPECT_TRUE(EntriesOf("t-4", kP, kA).empty());
  EXPECT_EQ(client_->Get("/v1/posicoes/78900101/1002").status, 404);
  for (const char* step : {"envio", "recebimento"}) {
    auto r = Step("t-4", step, DataBody(At(12)));
    EXPECT_EQ(r.status, 409) << step << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "conflict");
  }
  auto again = Step("t-4", "cancelamento", DataBody(At(11)));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("status"), "cancelada");
  EXPECT_EQ(OnHand(kP, kA), 20);
}

TEST_F(TransferSteps, CancelInTransitReturnsTheGoodsToTheSource) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-5", kA, kB, {{kP, 8}}).status, 201);
  ASSERT_EQ(Step("t-5", "envio", DataBody(At(11))).status, 200);
  EXPECT_EQ(OnHand(kP, kA), 12);
  EXPECT_EQ(Int(Stock(kP, kB).at("em_transito")), 8);
  auto cancelled = Step("t-5", "cancelamento", DataBody(At(12)));
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json().at("status"), "cancelada");
  EXPECT_EQ(OnHand(kP, kA), 20);
  auto s = Stock(kP, kB);
  EXPECT_EQ(Int(s.at("em_transito")), 0);
  EXPECT_EQ(Int(s.at("em_estoque")), 0);
  EXPECT_EQ(ChainStock(kP), 20);
  auto back = EntriesOf("t-5", kP, kA);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].at("id"), "t-5#1:retorno");
  EXPECT_EQ(back[0].at("tipo"), "transferencia_entrada");
  EXPECT_EQ(Int(back[0].at("quantidade")), 8);
  EXPECT_EQ(Str(back[0].at("data")), At(12));
  EXPECT_EQ(back[1].at("id"), "t-5#1:envio");
  EXPECT_TRUE(EntriesOf("t-5", kP, kB).empty());
  EXPECT_EQ(OnHandByRule(LedgerOf(kP, kA)), 20);
  auto receive = Step("t-5", "recebimento", DataBody(At(13)));
  EXPECT_EQ(receive.status, 409) << receive.body;
  EXPECT_EQ(ErrorCode(receive), "conflict");
  EXPECT_EQ(OnHand(kP, kB), 0);
}

TEST_F(TransferSteps, ShippingNeedsAvailableStockAtTheSource) {
  SeedCounts({SeedItem(kP, kA, 3, "2024-06-01 10:00:00"), SeedItem(kQ, kA, 10, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-6", kA, kB, {{kP, 5}}).status, 201);
  auto short_ship = Step("t-6", "envio", DataBody(At(11)));
  EXPECT_EQ(short_ship.status, 409) << short_ship.body;
  EXPECT_EQ(ErrorCode(short_ship), "insufficient_stock");
  EXPECT_EQ(StatusOf("t-6"), "criada");
  EXPECT_EQ(OnHand(kP, kA), 3);
  EXPECT_TRUE(EntriesOf("t-6", kP, kA).empty());
  EXPECT_EQ(client_->Get("/v1/posicoes/78900101/1002").status, 404);

  // Reserved stock is not available to ship.
  ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-t", kA, {{kQ, 8}}, FromNow(std::chrono::minutes(10)))).status,
            201);
  ASSERT_EQ(Create("t-7", kA, kB, {{kQ, 5}}).status, 201);
  auto reserved = Step("t-7", "envio", DataBody(At(11)));
  EXPECT_EQ(reserved.status, 409) << reserved.body;
  EXPECT_EQ(ErrorCode(reserved), "insufficient_stock");
  ASSERT_EQ(client_->Post("/v1/reservas/r-t/liberacao", "").status, 200);
  auto freed = Step("t-7", "envio", DataBody(At(11)));
  ASSERT_EQ(freed.status, 200) << freed.body;
  EXPECT_EQ(OnHand(kQ, kA), 5);

  // Every line or none.
  ASSERT_EQ(Create("t-8", kA, kB, {{kQ, 1}, {kP, 5}}).status, 201);
  auto mixed = Step("t-8", "envio", DataBody(At(12)));
  EXPECT_EQ(mixed.status, 409) << mixed.body;
  EXPECT_EQ(ErrorCode(mixed), "insufficient_stock");
  EXPECT_EQ(OnHand(kQ, kA), 5);
  EXPECT_EQ(Int(Stock(kQ, kB).at("em_transito")), 5);  // t-7's only

  // A branch that allows negative stock ships anyway.
  auto allow = Put("/v1/filiais/1001", R"({"permite_estoque_negativo": true})");
  ASSERT_TRUE(allow.status == 200 || allow.status == 201) << allow.body;
  auto negative = Step("t-6", "envio", DataBody(At(13)));
  ASSERT_EQ(negative.status, 200) << negative.body;
  auto s = Stock(kP, kA);
  EXPECT_EQ(Int(s.at("em_estoque")), -2);
  EXPECT_EQ(s.at("alerta"), "estoque_negativo");
  EXPECT_EQ(Int(Stock(kP, kB).at("em_transito")), 5);
  EXPECT_EQ(ChainStock(kP), 3);
}

TEST_F(TransferSteps, ReceivingBeforeShippingIsAConflict) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-9", kA, kB, {{kP, 5}}).status, 201);
  auto r = Step("t-9", "recebimento", DataBody(At(11)));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(ErrorCode(r), "conflict");
  EXPECT_EQ(StatusOf("t-9"), "criada");
  EXPECT_EQ(OnHand(kP, kA), 20);
  EXPECT_EQ(client_->Get("/v1/posicoes/78900101/1002").status, 404);
}

TEST_F(TransferSteps, UnknownTransferIsNotFound) {
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/transferencias/nao-existe"},
           {"POST", "/v1/transferencias/nao-existe/envio"},
           {"POST", "/v1/transferencias/nao-existe/recebimento"},
           {"POST", "/v1/transferencias/nao-existe/cancelamento"}}) {
    auto r = client_->Request(method, target, "");
    EXPECT_EQ(r.status, 404) << target << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "not_found") << target;
  }
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/transferencias/a%20b"}, {"POST", "/v1/transferencias/a%20b/envio"}}) {
    auto r = client_->Request(method, target, "");
    EXPECT_EQ(r.status, 400) << target << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_parameter");
    EXPECT_EQ(ErrorFieldNames(r), (std::set<std::string>{"id"})) << target;
  }
}

TEST_F(TransferSteps, RequestValidation) {
  struct Case {
    std::string body;
    std::set<std::pair<int64_t, std::string>> fields;
  };
  const std::vector<Case> cases = {
      {R"({})", {{-1, "id"}, {-1, "origem"}, {-1, "destino"}, {-1, "itens"}}},
      {TransferBody("t-v", kA, kA, {{kP, 1}}), {{-1, "destino"}}},
      {TransferBody("t-v", kA, kB, {{kP, 1}, {kP, 2}}), {{1, "codigo_barra"}}},
      {TransferBody("t-v", kA, kB, {{kP, 0}}), {{0, "quantidade"}}},
      {TransferBody("t-v", kA, kB, {{kP, -3}}), {{0, "quantidade"}}},
      {TransferBody("t-v", kA, kB, {{"abc", 1}}), {{0, "codigo_barra"}}},
      {TransferBody("t-v", kA, kB, {}), {{-1, "itens"}}},
      {TransferBody("t-v", "a b", kB, {{kP, 1}}), {{-1, "origem"}}},
      {TransferBody("t-v", kA, "", {{kP, 1}}), {{-1, "destino"}}},
      {TransferBody("t v", kA, kB, {{kP, 1}}), {{-1, "id"}}},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/v1/transferencias", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << c.body;
    EXPECT_EQ(ErrorFields(r), c.fields) << c.body << " -> " << r.body;
  }
  for (const char* body : {"{", "[]", "nope"}) {
    auto r = client_->Post("/v1/transferencias", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_json") << body;
  }
  EXPECT_TRUE(client_->Get("/v1/transferencias").json().at("itens").as_array().empty());

  // Steps' bodies.
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-10", kA, kB, {{kP, 2}}).status, 201);
  auto bad_ship_time = Step("t-10", "envio", R"({"data":"ontem"})");
  EXPECT_EQ(bad_ship_time.status, 400) << bad_ship_time.body;
  EXPECT_EQ(ErrorCode(bad_ship_time), "invalid_fields");
  EXPECT_EQ(ErrorFields(bad_ship_time), (std::set<std::pair<int64_t, std::string>>{{-1, "data"}}));
  EXPECT_EQ(ErrorCode(Step("t-10", "envio", "{")), "invalid_json");
  EXPECT_EQ(StatusOf("t-10"), "criada");
  ASSERT_EQ(Step("t-10", "envio", DataBody(At(11))).status, 200);
  const std::vector<Case> receipts = {
      {Serialize(json::object{{"itens", Lines({{kP, 3}})}}), {{0, "quantidade"}}},
      {Serialize(json::object{{"itens", Lines({{kP, -1}})}}), {{0, "quantidade"}}},
      {Serialize(json::object{{"itens", Lines({{"78900999", 1}})}}), {{0, "codigo_barra"}}},
      {Serialize(json::object{{"itens", Lines({{kP, 1}, {kP, 1}})}}), {{1, "codigo_barra"}}},
      {R"({"itens": 3})", {{-1, "itens"}}},
      {R"({"data": "2024-06-31T10:00:00Z"})", {{-1, "data"}}},
  };
  for (const Case& c : receipts) {
    auto r = Step("t-10", "recebimento", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << c.body;
    EXPECT_EQ(ErrorFields(r), c.fields) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(ErrorCode(Step("t-10", "recebimento", "[")), "invalid_json");
  EXPECT_EQ(ErrorCode(Step("t-10", "cancelamento", R"({"data": 5})")), "invalid_fields");
  EXPECT_EQ(StatusOf("t-10"), "em_transito");
  EXPECT_EQ(Int(Stock(kP, kB).at("em_transito")), 2);

  // 415 everywhere a body is read.
  for (const std::string target : {"/v1/transferencias", "/v1/transferencias/t-10/envio", "/v1/transferencias/t-10/recebimento",
                                   "/v1/transferencias/t-10/cancelamento"}) {
    auto r = client_->Request("POST", target, DataBody(At(12)), {{"Content-Type", "text/plain"}});
    EXPECT_EQ(r.status, 415) << target << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "unsupported_media_type") << target;
  }
  EXPECT_EQ(StatusOf("t-10"), "em_transito");
}

TEST_F(TransferSteps, ListingFiltersAndPages) {
  SeedCounts({SeedItem(kP, kA, 20, "2024-06-01 10:00:00")});
  ASSERT_EQ(Create("t-a", kA, kB, {{kP, 1}}).status, 201);
  ASSERT_EQ(Create("t-b", kB, kC, {{kP, 1}}).status, 201);
  ASSERT_EQ(Create("t-c", kA, kC, {{kP, 1}}).status, 201);
  ASSERT_EQ(Step("t-a", "envio", DataBody(At(11))).status, 200);
  ASSERT_EQ(Step("t-c", "cancelamento", DataBody(At(11))).status, 200);
  auto ids_of = [&](const std::string& query) {
    std::vector<std::string> ids;
    auto r = client_->Get("/v1/transferencias" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    if (r.status != 200) return ids;
    const auto items = r.json().at("itens").as_array();
    for (const auto& item : items) ids.push_back(Str(item.at("id")));
    return ids;
  };
  EXPECT_EQ(ids_of(""), (std::vector<std::string>{"t-a", "t-b", "t-c"}));
  EXPECT_EQ(ids_of("?filial=1002"), (std::vector<std::string>{"t-a", "t-b"}));
  EXPECT_EQ(ids_of("?filial=1001"), (std::vector<std::string>{"t-a", "t-c"}));
  EXPECT_EQ(ids_of("?filial=1003&status=cancelada"), (std::vector<std::string>{"t-c"}));
  EXPECT_EQ(ids_of("?status=em_transito"), (std::vector<std::string>{"t-a"}));
  EXPECT_EQ(ids_of("?status=criada"), (std::vector<std::string>{"t-b"}));
  EXPECT_TRUE(ids_of("?status=recebida").empty());
  EXPECT_TRUE(ids_of("?filial=9999").empty());

  std::vector<std::string> paged;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto r = client_->Get("/v1/transferencias?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto v = r.json();
    for (const auto& item : v.at("itens").as_array()) paged.push_back(Str(item.at("id")));
    if (v.at("proximo_cursor").is_null()) break;
    cursor = Str(v.at("proximo_cursor"));
  }
  EXPECT_EQ(paged, (std::vector<std::string>{"t-a", "t-b", "t-c"}));

  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"status=xyz", "status"}, {"status=ativa", "status"}, {"filial=a%20b", "filial"},
           {"limit=0", "limit"}, {"limit=x", "limit"}, {"cursor=a", "cursor"}}) {
    auto r = client_->Get("/v1/transferencias?" + query);
    EXPECT_EQ(r.status, 400) << query << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_parameter") << query;
    EXPECT_EQ(ErrorFieldNames(r), (std::set<std::string>{field})) << query;
  }
}

}  // namespace
}  // namespace estoque::e2e
