// End to end: the real binary over HTTP. Ingest then query, the seed's payloads and shapes, listing.
#include <set>

#include "e2e/support/fixture.h"

namespace estoque::e2e {
namespace {
namespace json = boost::json;

using PositionsTest = ServerTest;

TEST_F(PositionsTest, HealthIsOk) {
  auto r = client_->Get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json().at("status"), "ok");
}

TEST_F(PositionsTest, SeedMessageIsAcceptedThenReadable) {
  auto r = client_->Post("/v1/posicoes", Body({SeedItem("5140642011605", "1001", 3011, "2024-05-27 21:16:31")}));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_TRUE(r.json().at("message_id").is_string());
  EXPECT_EQ(r.json().at("itens"), 1);
  ASSERT_TRUE(WaitQuantity("5140642011605", "1001", 3011));

  auto got = client_->Get("/v1/posicoes/5140642011605/1001");
  ASSERT_EQ(got.status, 200);
  auto item = got.json().as_object();
  EXPECT_EQ(item.at("codigo_barra"), "5140642011605");
  EXPECT_EQ(item.at("filial"), "1001");
  EXPECT_EQ(item.at("nome_produto"), "Café");
  EXPECT_EQ(item.at("data_atulizacao_posicao_estoque"), "2024-05-27 21:16:31");
  // Zone-less input is read in America/Sao_Paulo (UTC-3 in 2024).
  EXPECT_EQ(item.at("data_atualizacao_posicao_estoque"), "2024-05-27T21:16:31-03:00");
}

TEST_F(PositionsTest, ItensObjectFormAndDecimalsAndCorrectTimeKey) {
  json::object item{{"codigo_barra", "0423746182527"}, {"nome_produto", "Queijo (kg)"}, {"filial", "loja-centro_2"},
                    {"data_atualizacao_posicao_estoque", "2024-05-27T10:00:00.250Z"}};
  std::string body = R"({"itens":[)" + json::serialize(item);
  body.insert(body.size() - 1, R"(,"qtd_estoque":12.345)");
  body += "]}";
  auto r = client_->Post("/v1/posicoes", body);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(Eventually([&] { return client_->Get("/v1/posicoes/0423746182527/loja-centro_2").status == 200; }));
  auto got = client_->Get("/v1/posicoes/0423746182527/loja-centro_2");
  // Exact decimal, and leading zero of the barcode kept.
  EXPECT_NE(got.body.find("\"qtd_estoque\":12.345"), std::string::npos) << got.body;
  EXPECT_EQ(got.json().at("codigo_barra"), "0423746182527");
  EXPECT_EQ(got.json().at("data_atualizacao_posicao_estoque"), "2024-05-27T07:00:00.250000-03:00");
}

TEST_F(PositionsTest, NewerWinsWhateverTheArrivalOrder) {
  // The newer position arrives first; the older one must be dropped and counted.
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78912345", "1001", 50, "2024-05-27 12:00:00")})).status, 202);
  ASSERT_TRUE(WaitQuantity("78912345", "1001", 50));
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78912345", "1001", 10, "2024-05-27 11:59:59")})).status, 202);
  ASSERT_TRUE(WaitDrained());
  EXPECT_TRUE(WaitQuantity("78912345", "1001", 50));
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(fila.at("aplicadas"), 1);
  EXPECT_EQ(fila.at("descartadas_mais_antigas"), 1);
  // Same message twice (at-least-once delivery): a no-op.
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78912345", "1001", 50, "2024-05-27 12:00:00")})).status, 202);
  ASSERT_TRUE(WaitDrained());
  EXPECT_TRUE(WaitQuantity("78912345", "1001", 50));
  // Within one message too, the newest item wins.
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78912345", "1001", 70, "2024-05-28 12:00:00"),
                                                SeedItem("78912345", "1001", 60, "2024-05-28 11:00:00")}))
                .status,
            202);
  EXPECT_TRUE(WaitQuantity("78912345", "1001", 70));
}

TEST_F(PositionsTest, ProductAcrossBranchesWithChainTotal) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("7891000315507", "1001", 10, "2024-05-27 10:00:00"),
                                                SeedItem("7891000315507", "1002", 5, "2024-05-27 10:00:00"),
                                                SeedItem("7891000315507", "1003", 1, "2024-05-27 10:00:00"),
                                                SeedItem("78910003", "1001", 999, "2024-05-27 10:00:00")}))
                .status,
            202);
  ASSERT_TRUE(WaitDrained());
  auto r = client_->Get("/v1/posicoes/7891000315507");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = r.json().as_object();
  EXPECT_EQ(v.at("total_qtd_estoque"), 16);
  EXPECT_EQ(v.at("filiais"), 3);
  ASSERT_EQ(v.at("itens").as_array().size(), 3u);
  EXPECT_EQ(v.at("itens").as_array()[0].at("filial"), "1001");
  EXPECT_EQ(client_->Get("/v1/posicoes/7891000315508").status, 404);
}

TEST_F(PositionsTest, SeedQueryAndScanShapes) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("5140642011605", "1001", 3011, "2024-05-27 21:16:31"),
                                                SeedItem("5140642011605", "1002", 7, "2024-05-27 21:16:31"),
                                                SeedItem("0423746182527", "1001", 8, "2024-05-27 21:16:31")}))
                .status,
            202);
  ASSERT_TRUE(WaitDrained());
  auto q = client_->Post("/v1/consulta", R"({"codigo_barra": "5140642011605", "filial": "1001", "query_type": "query"})");
  ASSERT_EQ(q.status, 200) << q.body;
  auto expected = json::parse(R"({"status_code": 200, "Message": "SUCCESS",
    "Item": {"nome_produto": "Café", "filial": "1001", "data_atulizacao_posicao_estoque": "2024-05-27 21:16:31",
             "qtd_estoque": 3011, "codigo_barra": "5140642011605"}})");
  EXPECT_EQ(q.json(), expected);

  auto s = client_->Post("/v1/consulta", R"({"query_type": "scan", "quantidade_itens": 2})");
  ASSERT_EQ(s.status, 200) << s.body;
  auto scan = s.json().as_object();
  EXPECT_EQ(scan.at("status_code"), 200);
  EXPECT_EQ(scan.at("Message"), "SUCCESS");
  ASSERT_EQ(scan.at("Itens").as_array().size(), 2u);
  for (const auto& item : scan.at("Itens").as_array()) {
    std::set<std::string> keys;
    for (const auto& kv : item.as_object()) keys.insert(std::string(kv.key()));
    EXPECT_EQ(keys, (std::set<std::string>{"nome_produto", "filial", "data_atulizacao_posicao_estoque",
                                           "qtd_estoque", "codigo_barra"}));
  }
  auto missing = client_->Post("/v1/consulta", R"({"codigo_barra": "5140642011605", "filial": "9999", "query_type": "query"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("error").at("code"), "not_found");
}

TEST_F(PositionsTest, PagingNeverSkipsOrRepeatsEvenWhileWriting) {
  // 3 branches x 40 products, written in a few messages.
  json::array items;
  for (int p = 0; p < 40; ++p) {
    for (const char* branch : {"1001", "1002", "1003"}) {
      items.push_back(SeedItem("789" + std::to_string(1000000000 + p), branch, p, "2024-05-27 10:00:00"));
    }
  }
  ASSERT_EQ(client_->Post("/v1/posicoes", json::serialize(items)).status, 202);
  ASSERT_TRUE(WaitDrained());

  std::set<std::string> seen;
  std::vector<std::string> order;
  std::string cursor;
  int pages = 0;
  for (;;) {
    std::string target = "/v1/posicoes?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = client_->Get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = r.json();
    for (const auto& item : page.at("itens").as_array()) {
      std::string key = std::string(item.at("codigo_barra").as_string()) + "/" + std::string(item.at("filial").as_string());
      EXPECT_TRUE(seen.insert(key).second) << "repeated " << key;
      order.push_back(key);
    }
    // Meanwhile, new keys land before and after the cursor.
    if (pages == 2) {
      ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78800000000", "1001", 1, "2024-05-27 10:00:00"),
                                                    SeedItem("79900000000", "1001", 1, "2024-05-27 10:00:00")}))
                    .status,
                202);
      ASSERT_TRUE(WaitDrained());
    }
    ++pages;
    const auto& next = page.at("proximo_cursor");
    if (next.is_null()) break;
    cursor = std::string(next.as_string());
    ASSERT_LT(pages, 100);
  }
  // Every original key exactly once, in key order; the key written behind the cursor is not seen,
  // the one ahead of it is.
  for (int p = 0; p < 40; ++p) {
    for (const char* branch : {"1001", "1002", "1003"}) {
      EXPECT_TRUE(seen.count("789" + std::to_string(1000000000 + p) + "/" + branch));
    }
  }
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(seen.count("78800000000/1001"), 0u);
  EXPECT_EQ(seen.count("79900000000/1001"), 1u);
}

TEST_F(PositionsTest, BranchListingReadsOnlyThatBranch) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("78912345", "1001", 1, "2024-05-27 10:00:00"),
                                                SeedItem("78912346", "1002", 2, "2024-05-27 10:00:00"),
                                                SeedItem("78912347", "1001", 3, "2024-05-27 10:00:00")}))
                .status,
            202);
  ASSERT_TRUE(WaitDrained());
  std::vector<std::string> barcodes;
  std::string cursor;
  for (int round = 0; round < 10; ++round) {
    auto r = client_->Get("/v1/posicoes?filial=1001&limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = r.json();
    for (const auto& item : page.at("itens").as_array()) {
      EXPECT_EQ(item.at("filial"), "1001");
      barcodes.emplace_back(item.at("codigo_barra").as_string());
    }
    if (page.at("proximo_cursor").is_null()) break;
    cursor = std::string(page.at("proximo_cursor").as_string());
  }
  EXPECT_EQ(barcodes, (std::vector<std::string>{"78912345", "78912347"}));
}

TEST_F(PositionsTest, QueueStatusShape) {
  auto r = client_->Get("/v1/fila");
  ASSERT_EQ(r.status, 200);
  auto v = r.json().as_object();
  for (const char* key : {"profundidade", "idade_mais_antiga_ms", "aplicadas", "descartadas_mais_antigas"}) {
    EXPECT_TRUE(v.contains(key)) << key;
  }
}

}  // namespace
}  // namespace estoque::e2e
