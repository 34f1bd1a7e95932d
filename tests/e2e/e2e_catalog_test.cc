// End to end: the catalog endpoints (/v1/produtos, /v1/filiais) and `estoque import produtos`,
// on the real binary. Every success shape, every 400/404/415, persistence across a restart.
#include <fstream>
#include <set>

#include "e2e/support/command.h"
#include "e2e/support/fixture.h"

namespace estoque::e2e {
namespace {
namespace json = boost::json;

using CatalogTest = ServerTest;

const std::map<std::string, std::string> kJson = {{"Content-Type", "application/json"}};

std::string ErrorCode(const HttpResult& r) {
  auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error object: " + r.body + ">";
  EXPECT_TRUE(v.at("error").as_object().contains("details")) << r.body;
  return std::string(v.at("error").at("code").as_string());
}

// The field of the first detail of an error response.
std::string FirstField(const HttpResult& r) {
  auto v = r.json();
  if (!v.is_object() || !v.as_object().contains("error")) return "<no error object: " + r.body + ">";
  const auto& details = v.at("error").at("details").as_array();
  if (details.empty()) return "<no details: " + r.body + ">";
  return std::string(details.at(0).at("field").as_string());
}

class CatalogApiTest : public CatalogTest {
 protected:
  HttpResult Put(const std::string& target, const std::string& body,
                 const std::map<std::string, std::string>& headers = kJson) {
    return client_->Request("PUT", target, body, headers);
  }
  HttpResult Delete(const std::string& target) { return client_->Request("DELETE", target, "", {}); }

  // Every codigo_barra of GET /v1/produtos?q=..., following the cursors with `limit`.
  std::vector<std::string> Search(const std::string& query_string, int limit, int* pages = nullptr) {
    std::vector<std::string> barcodes;
    std::string target = "/v1/produtos?" + query_string + "&limit=" + std::to_string(limit);
    int count = 0;
    for (int page = 0; page < 1000; ++page) {
      auto r = client_->Get(target);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      ++count;
      const json::object body = r.json().as_object();
      for (const auto& item : body.at("itens").as_array()) {
        barcodes.emplace_back(item.at("codigo_barra").as_string());
      }
      if (!body.contains("proximo_cursor")) break;
      target = "/v1/produtos?" + query_string + "&limit=" + std::to_string(limit) +
               "&cursor=" + std::string(body.at("proximo_cursor").as_string());
    }
    if (pages) *pages = count;
    return barcodes;
  }
};

TEST_F(CatalogApiTest, PutCreatesThenReplacesProduct) {
  auto created = Put("/v1/produtos/0423746182527",
                     R"({"nome_produto":"Queijo Minas","unidade":"KG","categoria":"Frios",)"
                     R"("estoque_minimo":12.345,"ativo":false})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json::object product = created.json().as_object();
  EXPECT_EQ(product.at("codigo_barra"), "0423746182527");
  EXPECT_EQ(product.at("nome_produto"), "Queijo Minas");
  EXPECT_EQ(product.at("unidade"), "KG");
  EXPECT_EQ(product.at("categoria"), "Frios");
  EXPECT_NE(created.body.find("\"estoque_minimo\":12.345,"), std::string::npos) << created.body;
  EXPECT_EQ(product.at("ativo"), false);
  const std::string created_at(product.at("criado_em").as_string());
  ASSERT_GE(created_at.size(), 25u);
  EXPECT_EQ(created_at.substr(created_at.size() - 6), "-03:00")
      << created_at;  // RFC 3339 in the server's zone (America/Sao_Paulo)
  EXPECT_EQ(product.at("atualizado_em"), product.at("criado_em"));

  auto replaced = Put("/v1/produtos/0423746182527", R"({"nome_produto":"Queijo Minas Frescal"})");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.json().at("nome_produto"), "Queijo Minas Frescal");
  EXPECT_EQ(replaced.json().at("unidade"), "UN");  // a PUT replaces the whole record
  EXPECT_EQ(replaced.json().at("estoque_minimo"), 0);
  EXPECT_EQ(replaced.json().at("ativo"), true);
  EXPECT_EQ(replaced.json().at("criado_em").as_string(), created_at);

  auto got = client_->Get("/v1/produtos/0423746182527");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, replaced.body);
}

TEST_F(CatalogApiTest, GetAndDeleteProduct) {
  auto missing = client_->Get("/v1/produtos/7891000315507");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
  EXPECT_EQ(Delete("/v1/produtos/7891000315507").status, 404);

  ASSERT_EQ(Put("/v1/produtos/7891000315507", R"({"nome_produto":"Café"})").status, 201);
  auto deleted = Delete("/v1/produtos/7891000315507");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_EQ(client_->Get("/v1/produtos/7891000315507").status, 404);
  auto again = Delete("/v1/produtos/7891000315507");
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(ErrorCode(again), "not_found");
}

TEST_F(CatalogApiTest, ProductErrors) {
  auto bad_path = Put("/v1/produtos/12ab", R"({"nome_produto":"X"})");
  EXPECT_EQ(bad_path.status, 400);
  EXPECT_EQ(ErrorCode(bad_path), "invalid_parameter");
  EXPECT_EQ(FirstField(bad_path), "codigo_barra");
  EXPECT_EQ(FirstField(client_->Get("/v1/produtos/1234567")), "codigo_barra");
  EXPECT_EQ(FirstField(Delete("/v1/produtos/123456789012345")), "codigo_barra");

  auto no_name = Put("/v1/produtos/7891000315507", R"({"unidade":"UN"})");
  EXPECT_EQ(no_name.status, 400);
  EXPECT_EQ(ErrorCode(no_name), "invalid_fields");
  EXPECT_EQ(FirstField(no_name), "nome_produto");

  const std::vector<std::pair<std::string, std::string>> bad_fields = {
      {R"({"nome_produto":""})", "nome_produto"},
      {R"({"nome_produto":"X","unidade":"CX"})", "unidade"},
      {R"({"nome_produto":"X","estoque_minimo":1.5})", "estoque_minimo"},  // UN: whole numbers
      {R"({"nome_produto":"X","estoque_minimo":-1})", "estoque_minimo"},
      {R"({"nome_produto":"X","estoque_minimo":"1"})", "estoque_minimo"},
      {R"({"nome_produto":"X","ativo":"sim"})", "ativo"},
      {R"({"nome_produto":"X","categoria":7})", "categoria"},
      {R"({"nome_produto":"X","codigo_barra":"7891000100103"})", "codigo_barra"},
      {R"({"nome_produto":"X","nome_produto":"Y"})", "nome_produto"},
  };
  for (const auto& [body, field] : bad_fields) {
    auto r = Put("/v1/produtos/7891000315507", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << body;
    EXPECT_EQ(FirstField(r), field) << body << " -> " << r.body;
  }
  EXPECT_EQ(ErrorCode(Put("/v1/produtos/7891000315507", "{")), "invalid_json");
  EXPECT_EQ(ErrorCode(Put("/v1/produtos/7891000315507", "")), "invalid_json");
  EXPECT_EQ(ErrorCode(Put("/v1/produtos/7891000315507", "[]")), "invalid_json");

  auto wrong_type = Put("/v1/produtos/7891000315507", R"({"nome_produto":"X"})",
                        {{"Content-Type", "text/csv"}});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(ErrorCode(wrong_type), "unsupported_media_type");
  // Without a Content-Type the body is taken as JSON, as for POST /v1/posicoes.
  EXPECT_EQ(Put("/v1/produtos/7891000315507", R"({"nome_produto":"X"})", {}).status, 201);
  // Nothing of the failed requests was written.
  EXPECT_EQ(client_->Get("/v1/produtos/7891000315507").json().at("nome_produto"), "X");

  auto post = client_->Post("/v1/produtos/7891000315507", "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(ErrorCode(post), "method_not_allowed");
}

TEST_F(CatalogApiTest, SearchIgnoresCaseAndAccentsAndPages) {
  ASSERT_EQ(Put("/v1/produtos/10000003", R"({"nome_produto":"Café Torrado"})").status, 201);
  ASSERT_EQ(Put("/v1/produtos/10000001", R"({"nome_produto":"CAFÉ SOLÚVEL"})").status, 201);
  ASSERT_EQ(Put("/v1/produtos/10000002", R"({"nome_produto":"Açúcar Cristal"})").status, 201);
  ASSERT_EQ(Put("/v1/produtos/10000004", R"({"nome_produto":"Leite com café"})").status, 201);

  EXPECT_EQ(Search("q=cafe", 10), (std::vector<std::string>{"10000001", "10000003", "10000004"}));
  EXPECT_EQ(Search("q=ACUCAR", 10), std::vector<std::string>{"10000002"});
  EXPECT_EQ(Search("q=a%C3%A7%C3%BAcar", 10), std::vector<std::string>{"10000002"});  // açúcar
  EXPECT_EQ(Search("q=caf%C3%A9+torrado", 10), std::vector<std::string>{"10000003"});
  EXPECT_TRUE(Search("q=chocolate", 10).empty());
  int pages = 0;
  EXPECT_EQ(Search("q=", 1, &pages),
            (std::vector<std::string>{"10000001", "10000002", "10000003", "10000004"}));
  EXPECT_EQ(pages, 4);  // the last page has no proximo_cursor
  EXPECT_EQ(Search("q=cafe", 2, &pages).size(), 3u);
  EXPECT_EQ(pages, 2);

  auto all = client_->Get("/v1/produtos");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.json().at("itens").as_array().size(), 4u);
  EXPECT_FALSE(all.json().as_object().contains("proximo_cursor"));
  EXPECT_EQ(all.json().at("itens").at(0).at("nome_produto"), "CAFÉ SOLÚVEL");
}

TEST_F(CatalogApiTest, SearchParameterErrors) {
  for (const char* target : {"/v1/produtos?limit=0", "/v1/produtos?limit=1001",
                             "/v1/produtos?limit=abc", "/v1/produtos?limit="}) {
    auto r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(FirstField(r), "limit") << target;
  }
  for (const char* target : {"/v1/produtos?cursor=%%", "/v1/produtos?cursor=!!!",
                             "/v1/produtos?cursor=YWJj"}) {  // "abc": not a barcode
    auto r = client_->Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(FirstField(r), "cursor") << target;
  }
  auto long_query = client_->Get("/v1/produtos?q=" + std::string(201, 'a'));
  EXPECT_EQ(long_query.status, 400);
  EXPECT_EQ(FirstField(long_query), "q");
  EXPECT_EQ(FirstField(client_->Get("/v1/produtos?q=%ff")), "q");  // not UTF-8
  EXPECT_EQ(FirstField(client_->Get("/v1/produtos?q=%zz")), "q");
}

TEST_F(CatalogApiTest, BatchCreatesAndUpdatesAtomically) {
  ASSERT_EQ(Put("/v1/produtos/10000001", R"({"nome_produto":"Arroz"})").status, 201);
  auto r = client_->Post("/v1/produtos/lote",
                         R"([{"codigo_barra":"10000001","nome_produto":"Arroz 5kg"},)"
                         R"({"codigo_barra":"10000002","nome_produto":"Feijão","categoria":"Grãos"},)"
                         R"({"codigo_barra":"10000003","nome_produto":"Sal","unidade":"KG","estoque_minimo":0.5}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"criados":2,"atualizados":1})");
  EXPECT_EQ(client_->Get("/v1/produtos/10000001").json().at("nome_produto"), "Arroz 5kg");
  EXPECT_EQ(client_->Get("/v1/produtos/10000002").json().at("categoria"), "Grãos");
  EXPECT_EQ(client_->Get("/v1/produtos/10000003").json().at("estoque_minimo").as_double(), 0.5);

  // One bad item: 400 listing it by index, and nothing of the batch written.
  auto bad = client_->Post("/v1/produtos/lote",
                           R"([{"codigo_barra":"10000004","nome_produto":"Bom"},)"
                           R"({"codigo_barra":"10000005"},)"
                           R"({"codigo_barra":"10000004","nome_produto":"Repetido"}])");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_items");
  const json::array details = bad.json().at("error").at("details").as_array();
  ASSERT_EQ(details.size(), 2u) << bad.body;
  EXPECT_EQ(details[0].at("index"), 1);
  EXPECT_EQ(details[0].at("field"), "nome_produto");
  EXPECT_EQ(details[0].at("reason"), "required");
  EXPECT_EQ(details[1].at("index"), 2);
  EXPECT_EQ(details[1].at("field"), "codigo_barra");
  EXPECT_EQ(client_->Get("/v1/produtos/10000004").status, 404);
}

TEST_F(CatalogApiTest, BatchShapeErrors) {
  EXPECT_EQ(ErrorCode(client_->Post("/v1/produtos/lote", "[]")), "empty");
  EXPECT_EQ(ErrorCode(client_->Post("/v1/produtos/lote", "{}")), "invalid_json");
  EXPECT_EQ(ErrorCode(client_->Post("/v1/produtos/lote", "[{")), "invalid_json");
  json::array many;
  for (int i = 0; i < 1001; ++i) {
    many.push_back(json::object{{"codigo_barra", std::to_string(10000000 + i)}, {"nome_produto", "X"}});
  }
  auto too_many = client_->Post("/v1/produtos/lote", json::serialize(many));
  EXPECT_EQ(too_many.status, 400);
  EXPECT_EQ(ErrorCode(too_many), "too_many_items");
  auto wrong_type = client_->Request("POST", "/v1/produtos/lote", "[]", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(ErrorCode(wrong_type), "unsupported_media_type");
  EXPECT_EQ(client_->Get("/v1/produtos/lote").status, 400);  // "lote" is not a barcode
  EXPECT_EQ(client_->Get("/v1/produtos").json().at("itens").as_array().size(), 0u);
}

TEST_F(CatalogApiTest, Branches) {
  auto created = Put("/v1/filiais/1001",
                     R"({"nome":"Loja Centro","cidade":"São Paulo","uf":"SP",)"
                     R"("fuso":"America/Sao_Paulo","permite_estoque_negativo":true})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json::object branch = created.json().as_object();
  EXPECT_EQ(branch.at("filial"), "1001");
  EXPECT_EQ(branch.at("nome"), "Loja Centro");
  EXPECT_EQ(branch.at("cidade"), "São Paulo");
  EXPECT_EQ(branch.at("uf"), "SP");
  EXPECT_EQ(branch.at("fuso"), "America/Sao_Paulo");
  EXPECT_EQ(branch.at("ativo"), true);
  EXPECT_EQ(branch.at("permite_estoque_negativo"), true);
  EXPECT_TRUE(branch.contains("criado_em") && branch.contains("atualizado_em"));

  auto replaced = Put("/v1/filiais/1001", R"json({"nome":"Loja Centro (reformada)","ativo":false})json");
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(replaced.json().at("uf"), "");
  EXPECT_EQ(replaced.json().at("ativo"), false);
  EXPECT_EQ(replaced.json().at("criado_em"), branch.at("criado_em"));
  ASSERT_EQ(Put("/v1/filiais/0900", "{}").status, 201);

  auto got = client_->Get("/v1/filiais/1001");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, replaced.body);
  auto missing = client_->Get("/v1/filiais/2002");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");

  auto list = client_->Get("/v1/filiais");
  ASSERT_EQ(list.status, 200);
  const json::array items = list.json().at("itens").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("filial"), "0900");
  EXPECT_EQ(items[1].at("filial"), "1001");
}

TEST_F(CatalogApiTest, BranchErrors) {
  auto bad_path = Put("/v1/filiais/loja%20centro", "{}");
  EXPECT_EQ(bad_path.status, 400);
  EXPECT_EQ(ErrorCode(bad_path), "invalid_parameter");
  EXPECT_EQ(FirstField(bad_path), "filial");
  EXPECT_EQ(FirstField(client_->Get("/v1/filiais/a.b")), "filial");
  const std::vector<std::pair<std::string, std::string>> bad_fields = {
      {R"({"uf":"sp"})", "uf"},
      {R"({"uf":"SPX"})", "uf"},
      {R"({"fuso":"America/Atlantis"})", "fuso"},
      {R"({"nome":7})", "nome"},
      {R"({"cidade":")" + std::string(101, 'c') + R"("})", "cidade"},
      {R"({"ativo":"true"})", "ativo"},
      {R"({"permite_estoque_negativo":1})", "permite_estoque_negativo"},
      {R"({"filial":"1002"})", "filial"},
  };
  for (const auto& [body, field] : bad_fields) {
    auto r = Put("/v1/filiais/1001", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << body;
    EXPECT_EQ(FirstField(r), field) << body << " -> " << r.body;
  }
  EXPECT_EQ(ErrorCode(Put("/v1/filiais/1001", "nope")), "invalid_json");
  auto wrong_type = Put("/v1/filiais/1001", "{}", {{"Content-Type", "application/xml"}});
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_EQ(ErrorCode(wrong_type), "unsupported_media_type");
  EXPECT_EQ(client_->Get("/v1/filiais/1001").status, 404);
}

TEST_F(CatalogApiTest, CatalogSurvivesRestart) {
  ASSERT_EQ(Put("/v1/produtos/10000001", R"({"nome_produto":"Pão de Queijo","unidade":"KG"})").status, 201);
  ASSERT_EQ(Put("/v1/filiais/1001", R"({"fuso":"America/Manaus"})").status, 201);
  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  Restart();
  auto product = client_->Get("/v1/produtos/10000001");
  ASSERT_EQ(product.status, 200);
  EXPECT_EQ(product.json().at("unidade"), "KG");
  EXPECT_EQ(Search("q=pao", 10), std::vector<std::string>{"10000001"});
  EXPECT_EQ(client_->Get("/v1/filiais/1001").json().at("fuso"), "America/Manaus");
}

// ---- estoque import produtos

class ImportTest : public CatalogApiTest {
 protected:
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::string WriteFile(const std::string& name, const std::string& contents) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
};

TEST_F(ImportTest, SeedCatalogJsonImportsThenSearches) {
  const std::string seed = ESTOQUE_SHARED_DATA "/produtos_supermercado.json";
  CommandResult result = RunEstoque({"import", "produtos", seed, "--server", Url(), "--batch", "300"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("imported 1000 products from " + seed + ": 1000 created, 0 updated in 4 request(s)"),
            std::string::npos)
      << result.out;
  // stderr is not a terminal here: a plain progress line per 10 %, ending at 100 %.
  EXPECT_NE(result.err.find("1000/1000 products (100%)\n"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find('\r'), std::string::npos);

  int pages = 0;
  std::vector<std::string> all = Search("q=", 1000, &pages);
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 1000u);
  auto first = client_->Get("/v1/produtos/7730777337407");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.json().at("nome_produto"), "Pimentão");
  EXPECT_EQ(first.json().at("unidade"), "UN");
  // Found by a folded query.
  const std::vector<std::string> found = Search("q=PIMENTAO", 1000);
  EXPECT_NE(std::find(found.begin(), found.end(), "7730777337407"), found.end());

  // Importing again replaces every product.
  result = RunEstoque({"import", "produtos", seed, "--server", Url()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("0 created, 1000 updated in 10 request(s)"), std::string::npos) << result.out;
}

TEST_F(ImportTest, CsvImportsThenSearches) {
  const std::string path = WriteFile(
      "produtos.csv",
      "codigo_barra;nome_produto;unidade;categoria;estoque_minimo;ativo\r\n"
      "7891000315507;\"Café Torrado; 500g\";UN;Mercearia;10;sim\r\n"
      "0423746182527;Queijo Minas;KG;Frios;2,5;true\r\n"
      "7891000100103;Açúcar Refinado;;;;\r\n");
  CommandResult result = RunEstoque({"import", "produtos", path, "--server", Url()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("imported 3 products"), std::string::npos) << result.out;

  auto cheese = client_->Get("/v1/produtos/0423746182527");
  ASSERT_EQ(cheese.status, 200);
  EXPECT_EQ(cheese.json().at("unidade"), "KG");
  EXPECT_EQ(cheese.json().at("estoque_minimo").as_double(), 2.5);
  EXPECT_EQ(cheese.json().at("categoria"), "Frios");
  EXPECT_EQ(client_->Get("/v1/produtos/7891000315507").json().at("nome_produto"), "Café Torrado; 500g");
  EXPECT_EQ(Search("q=acucar", 10), std::vector<std::string>{"7891000100103"});
  EXPECT_EQ(Search("q=CAFE", 10), std::vector<std::string>{"7891000315507"});
}

TEST_F(ImportTest, InvalidRowFailsNamingTheLineAndSendsNothing) {
  const std::string path = WriteFile("produtos.csv",
                                     "codigo_barra,nome_produto\n"
                                     "7891000315507,Café\n"
                                     "12345,Curto\n");
  CommandResult result = RunEstoque({"import", "produtos", path, "--server", Url()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("line 3: codigo_barra: must be 8 to 14 digits"), std::string::npos)
      << result.err;
  EXPECT_EQ(client_->Get("/v1/produtos/7891000315507").status, 404);

  const std::string json_path = WriteFile("produtos.json", R"([{"codigo_barra":"7891000315507"}])");
  result = RunEstoque({"import", "produtos", json_path, "--server", Url()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("index 0: nome_produto: required"), std::string::npos) << result.err;

  result = RunEstoque({"import", "produtos", dir_.path() + "/missing.json", "--server", Url()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("cannot open"), std::string::npos) << result.err;
}

TEST_F(ImportTest, UnreachableServerAndBadOptionsFail) {
  const std::string path = WriteFile("produtos.csv", "codigo_barra,nome_produto\n7891000315507,Café\n");
  ASSERT_EQ(server_->Terminate(), 0);
  CommandResult result = RunEstoque({"import", "produtos", path, "--server", Url()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("estoque import: sending line 2 to http://127.0.0.1:"),
            std::string::npos)
      << result.err;
  result = RunEstoque({"import", "produtos", path, "--server", "https://example.com"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("must start with http://"), std::string::npos) << result.err;
  result = RunEstoque({"import", "produtos", path, "--batch", "0"});
  EXPECT_NE(result.exit_code, 0);
}

// The server may be stricter than the file check (the GTIN check digit): its 400 is mapped back
// to the file's line.
class StrictImportTest : public ImportTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--require-check-digit", "true"}; }
};

TEST_F(StrictImportTest, ServerRejectionNamesTheLine) {
  const std::string path = WriteFile("produtos.csv",
                                     "codigo_barra,nome_produto\n"
                                     "7891000315507,Café\n"
                                     "7891000315508,Check digit errado\n");
  CommandResult result = RunEstoque({"import", "produtos", path, "--server", Url()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("HTTP 400"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("line 3: codigo_barra: invalid GTIN check digit"), std::string::npos)
      << result.err;
  EXPECT_EQ(client_->Get("/v1/produtos/7891000315507").status, 404);  // the batch is atomic
}

}  // namespace
}  // namespace estoque::e2e
