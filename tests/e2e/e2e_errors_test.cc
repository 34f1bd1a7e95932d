// End to end: every error case gets its status and the one JSON error shape, and nothing is queued.
#include "e2e/support/fixture.h"

namespace estoque::e2e {
namespace {
namespace json = boost::json;

using ErrorsTest = ServerTest;

// Asserts the standard error shape and returns error.code.
std::string ErrorCode(const HttpResult& r) {
  auto v = r.json();
  EXPECT_TRUE(v.is_object()) << r.body;
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error object: " + r.body + ">";
  const auto& e = v.at("error").as_object();
  EXPECT_TRUE(e.contains("code") && e.at("code").is_string()) << r.body;
  EXPECT_TRUE(e.contains("message") && e.at("message").is_string()) << r.body;
  EXPECT_TRUE(e.contains("details") && e.at("details").is_array()) << r.body;
  return std::string(e.at("code").as_string());
}

int64_t Depth(HttpClient& client) {
  auto fila = client.Get("/v1/fila").json();
  return fila.at("profundidade").to_number<int64_t>() + fila.at("aplicadas").to_number<int64_t>() +
         fila.at("descartadas_mais_antigas").to_number<int64_t>();
}

TEST_F(ErrorsTest, EveryBadItemIsListedAndNothingIsQueued) {
  json::array items;
  items.push_back(SeedItem("5140642011605", "1001", 1, "2024-05-27 21:16:31"));   // 0 good
  items.push_back(SeedItem("1234567", "1001", 1, "2024-05-27 21:16:31"));         // 1 short barcode
  items.push_back(SeedItem("5140642011605", "10 01", 1, "2024-05-27 21:16:31"));  // 2 bad branch
  items.push_back(SeedItem("5140642011605", "1001", 1, "2024-02-30 10:00:00"));   // 3 impossible date
  json::object no_name = SeedItem("5140642011605", "1001", 1, "2024-05-27 21:16:31");
  no_name.erase("nome_produto");
  items.push_back(no_name);                                                        // 4 missing name
  json::object string_qty = SeedItem("5140642011605", "1001", 1, "2024-05-27 21:16:31");
  string_qty["qtd_estoque"] = "10";
  items.push_back(string_qty);                                                     // 5 wrong type
  auto r = client_->Post("/v1/posicoes", json::serialize(items));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorCode(r), "invalid_items");
  std::set<std::pair<int64_t, std::string>> listed;
  const auto response = r.json();
  for (const auto& d : response.at("error").at("details").as_array()) {
    listed.insert({d.at("index").as_int64(), std::string(d.at("field").as_string())});
    EXPECT_FALSE(d.at("reason").as_string().empty());
  }
  std::set<std::pair<int64_t, std::string>> expected = {
      {1, "codigo_barra"}, {2, "filial"}, {3, "data_atulizacao_posicao_estoque"}, {4, "nome_produto"}, {5, "qtd_estoque"}};
  EXPECT_EQ(listed, expected) << r.body;
  EXPECT_EQ(Depth(*client_), 0);
  EXPECT_EQ(client_->Get("/v1/posicoes/5140642011605/1001").status, 404);
}

TEST_F(ErrorsTest, QuantityRules) {
  for (const char* qty : {"1.0001", "1e13", "1000000000000.001", "-1000000000001", "99999999999999999999999"}) {
    std::string body = std::string(R"([{"codigo_barra":"78912345","nome_produto":"X","filial":"1","qtd_estoque":)") + qty +
                       R"(,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])";
    auto r = client_->Post("/v1/posicoes", body);
    EXPECT_EQ(r.status, 400) << qty << " " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_items");
  }
  std::string ok = R"([{"codigo_barra":"78912345","nome_produto":"X","filial":"1","qtd_estoque":-1000000000000,)"
                   R"("data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])";
  EXPECT_EQ(client_->Post("/v1/posicoes", ok).status, 202);
}

TEST_F(ErrorsTest, BodyShapeErrors) {
  EXPECT_EQ(ErrorCode(client_->Post("/v1/posicoes", "[{")), "invalid_json");
  EXPECT_EQ(client_->Post("/v1/posicoes", "not json").status, 400);
  EXPECT_EQ(client_->Post("/v1/posicoes", "[]").status, 400);
  EXPECT_EQ(client_->Post("/v1/posicoes", R"({"outra":1})").status, 400);
  EXPECT_EQ(client_->Post("/v1/posicoes", "[1,2]").status, 400);
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_EQ(client_->Post("/v1/posicoes", deep).status, 400);
  std::string bad_utf8 = "[{\"codigo_barra\":\"78912345\",\"nome_produto\":\"\xC3\x28\",\"filial\":\"1\",\"qtd_estoque\":1,"
                         "\"data_atulizacao_posicao_estoque\":\"2024-05-27 21:16:31\"}]";
  EXPECT_EQ(client_->Post("/v1/posicoes", bad_utf8).status, 400);
  auto media = client_->Request("POST", "/v1/posicoes", "a=b", {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(ErrorCode(media), "unsupported_media_type");
  EXPECT_EQ(Depth(*client_), 0);
}

TEST_F(ErrorsTest, TooManyItemsAndTooLargeBody) {
  json::array items;
  for (int i = 0; i < 1001; ++i) items.push_back(SeedItem("78912345", "1001", i, "2024-05-27 21:16:31"));
  auto many = client_->Post("/v1/posicoes", json::serialize(items));
  EXPECT_EQ(many.status, 400);
  EXPECT_EQ(ErrorCode(many), "too_many_items");
  std::string huge = "[" + std::string(1024 * 1024 + 10, ' ') + "]";
  auto large = client_->Post("/v1/posicoes", huge);
  EXPECT_EQ(large.status, 413);
  EXPECT_EQ(ErrorCode(large), "payload_too_large");
  EXPECT_EQ(client_->Get("/health").status, 200);  // the server is fine
  EXPECT_EQ(Depth(*client_), 0);
}

TEST_F(ErrorsTest, QueryErrors) {
  EXPECT_EQ(ErrorCode(client_->Get("/v1/posicoes/5140642011605/1001")), "not_found");
  EXPECT_EQ(client_->Get("/v1/posicoes/5140642011605/1001").status, 404);
  EXPECT_EQ(client_->Get("/v1/posicoes/abc/1001").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes/5140642011605/bad%20branch").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes/5140642011605").status, 404);
  EXPECT_EQ(client_->Get("/v1/posicoes?limit=0").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes?limit=1001").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes?limit=abc").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes?cursor=%%%").status, 400);
  EXPECT_EQ(client_->Get("/v1/posicoes?filial=a%20b").status, 400);
  auto route = client_->Get("/v2/nada");
  EXPECT_EQ(route.status, 404);
  EXPECT_EQ(ErrorCode(route), "route_not_found");
  auto method = client_->Request("DELETE", "/v1/posicoes");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(ErrorCode(method), "method_not_allowed");
  EXPECT_FALSE(method.headers["allow"].empty());
}

TEST_F(ErrorsTest, SeedQueryErrors) {
  for (const char* body : {"nope", R"({"query_type":"delete"})", R"({"query_type":"query","filial":"1001"})",
                           R"({"query_type":"query","codigo_barra":"12","filial":"1001"})",
                           R"({"query_type":"scan"})", R"({"query_type":"scan","quantidade_itens":0})",
                           R"({"query_type":"scan","quantidade_itens":"5"})",
                           R"({"query_type":"scan","quantidade_itens":100000})"}) {
    auto r = client_->Post("/v1/consulta", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    ErrorCode(r);
  }
}

TEST_F(ErrorsTest, MalformedHttpDoesNotHurtTheServer) {
  auto r = client_->Raw("GARBAGE\r\n\r\n");
  EXPECT_TRUE(r.status == 400 || r.status == 0);
  std::string big_header = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
  auto h = client_->Raw(big_header);
  EXPECT_TRUE(h.status == 431 || h.status == 400 || h.status == 0) << h.status;
  EXPECT_EQ(client_->Get("/health").status, 200);
}

}  // namespace
}  // namespace estoque::e2e
