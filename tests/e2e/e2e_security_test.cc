// End to end: authentication, roles, throttling and branch scope against the real binary.
//   - the role x endpoint matrix: every route of the route table (api_service.cc kRoutes) called
//     by no key, a bad key, and a key of each role (pdv and one leitura scoped to 1001), each cell
//     asserted as 401, 403 or allowed (2xx, or a 4xx that is not 401/403). docs/SECURITY.md holds
//     the same table: keep the two in sync by hand (this test reads nothing from the doc);
//   - the same routes for keys whose bucket is empty: 429 wherever the role may call the route;
//   - 401 says nothing about what failed; Bearer works like x-api-key; revoked and rotated tokens
//     stop at once;
//   - a pdv key of 1001 naming 1002 anywhere (path, body, query, a record's branch) gets 403 and
//     nothing is written;
//   - every listing read by keys scoped to 1001 (one branch) and to 1001+1003 (several) holds
//     exactly the admin's rows of those branches, over every page;
//   - movements sent without "origem" are recorded under the key's id ("api" with --auth off).
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT

constexpr const char* kOwn = "1001";    // the scoped keys' branch
constexpr const char* kOther = "1002";  // never theirs
constexpr const char* kThird = "1003";  // the multi-branch leitura key's second branch
constexpr const char* kP = "78900201";
constexpr const char* kQ = "78900202";
constexpr const char* kR = "78900203";
constexpr const char* kS = "78900205";  // ScopedListingTest: only at 1002
// Well-formed, never issued.
constexpr const char* kUnknownToken = "estq_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

// The outcome class of one cell of the matrix.
enum class Outcome { kUnauthorized, kForbidden, kAllowed };
constexpr Outcome U = Outcome::kUnauthorized;  // 401
constexpr Outcome F = Outcome::kForbidden;     // 403
constexpr Outcome A = Outcome::kAllowed;       // 2xx, or a 4xx that is not 401/403

// The matrix's columns.
enum Column { kNoKey, kBadKey, kAdmin, kPdv1001, kLeituraAll, kLeitura1001, kIntegracao, kColumns };
const std::array<const char*, kColumns> kColumnNames = {
    "no key", "bad key", "admin", "pdv 1001", "leitura (all)", "leitura 1001", "integracao (all)"};

struct Row {
  std::string method;
  std::string path;
  std::string body;
  std::array<Outcome, kColumns> expected;
};

struct IssuedKey {
  std::string id;
  std::string token;
};

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kUnauthorized: return "401";
    case Outcome::kForbidden: return "403";
    case Outcome::kAllowed: return "allowed";
  }
  return "?";
}

bool Matches(Outcome expected, int status) {
  switch (expected) {
    case Outcome::kUnauthorized: return status == 401;
    case Outcome::kForbidden: return status == 403;
    case Outcome::kAllowed: return status >= 200 && status < 500 && status != 401 && status != 403;
  }
  return false;
}

class SecurityTest : public InventoryServerTest {
 protected:
  // POST /v1/admin/keys as the admin; asserts 201.
  IssuedKey CreateKey(const std::string& role, const std::vector<std::string>& branches,
                      const std::string& name, const std::string& limit_json = "") {
    json::array filiais;
    for (const std::string& branch : branches) filiais.push_back(json::value(branch));
    json::object body{{"role", role}, {"nome", name}};
    if (!branches.empty()) body["filiais"] = filiais;
    if (!limit_json.empty()) body["limite"] = json::parse(limit_json);
    auto r = client_->Post("/v1/admin/keys", Serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    const auto v = r.json();
    return {Str(v.at("id")), Str(v.at("key"))};
  }
  std::unique_ptr<HttpClient> ClientFor(const std::string& token) {
    return std::make_unique<HttpClient>(server_->port(), token);
  }
  HttpResult Call(HttpClient& client, const std::string& method, const std::string& path,
                  const std::string& body) {
    return client.Request(method, path, body);
  }
  void SellAndWait(const std::string& sale_id, const std::string& branch, const std::vector<Line>& lines) {
    Sell(sale_id, branch, lines, At(12));
    ASSERT_TRUE(WaitDrained());
  }
  // Every item of a GET listing, following proximo_cursor ("itens" of each page).
  std::vector<json::object> Walk(HttpClient& client, const std::string& target) {
    std::vector<json::object> items;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      const std::string sep = target.find('?') == std::string::npos ? "?" : "&";
      auto r = client.Get(target + (cursor.empty() ? "" : sep + "cursor=" + cursor));
      EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
      if (r.status != 200) return items;
      const auto v = r.json();
      for (const auto& item : v.at("itens").as_array()) items.push_back(item.as_object());
      if (!v.as_object().contains("proximo_cursor") || v.at("proximo_cursor").is_null()) return items;
      cursor = Str(v.at("proximo_cursor"));
    }
    ADD_FAILURE() << "paging did not end: " << target;
    return items;
  }
};

// ---- the role x endpoint matrix ------------------------------------------------------------

class MatrixTest : public SecurityTest {
 protected:
  void SetUp() override {
    SecurityTest::SetUp();
    if (HasFatalFailure()) return;
    clients_[kNoKey] = ClientFor("");
    clients_[kBadKey] = ClientFor(kUnknownToken);
    clients_[kAdmin] = ClientFor(kTestAdminKey);
    pdv_ = CreateKey("pdv", {kOwn}, "pdv 1001");
    clients_[kPdv1001] = ClientFor(pdv_.token);
    clients_[kLeituraAll] = ClientFor(CreateKey("leitura", {}, "leitura").token);
    clients_[kLeitura1001] = ClientFor(CreateKey("leitura", {kOwn}, "leitura 1001").token);
    clients_[kIntegracao] = ClientFor(CreateKey("integracao", {}, "erp").token);
    revoke_target_ = CreateKey("leitura", {}, "to revoke").id;
    rotate_target_ = CreateKey("leitura", {}, "to rotate").id;
    // Records the {id} routes act on: t-out 1001->1002 (shipped, cancelled by 1001), t-in
    // 1002->1001 shipped (received by 1001), r-m and r-l reservations at 1001.
    SeedCounts({SeedItem(kP, kOwn, 100, "2024-06-01 10:00:00"), SeedItem(kP, kOther, 100, "2024-06-01 10:00:00"),
                SeedItem(kR, kOwn, 5, "2024-06-01 10:00:00")});
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-out", kOwn, kOther, {{kP, 1}})).status, 201);
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-in", kOther, kOwn, {{kP, 1}})).status, 201);
    ASSERT_EQ(client_->Post("/v1/transferencias/t-in/envio", "{}").status, 200);
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-cancel", kOwn, kOther, {{kP, 1}})).status, 201);
    const std::string expires = FromNow(std::chrono::hours(1));
    ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-m", kOwn, {{kP, 1}}, expires)).status, 201);
    ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-l", kOwn, {{kP, 1}}, expires)).status, 201);
  }

  // Every route of kRoutes, in its order, with a concrete path and a valid body. Keep this table
  // and docs/SECURITY.md ("Role x endpoint") the same.
  std::vector<Row> Table() const {
    const std::string expires = FromNow(std::chrono::hours(1));
    const std::string p = kP;
    const std::string own = kOwn;
    return {
        // method, path, body:                          none bad admin pdv  l-all l-1001 integ
        {"GET", "/health", "", {A, A, A, A, A, A, A}},
        {"POST", "/v1/posicoes", Body({SeedItem(kP, kOwn, 90, "2024-06-01 11:00:00")}), {U, U, A, A, F, F, F}},
        {"GET", "/v1/posicoes", "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/posicoes/" + p, "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/posicoes/" + p + "/" + own, "", {U, U, A, A, A, A, A}},
        {"PUT", "/v1/posicoes/" + p + "/" + own + "/estoque_minimo", R"({"estoque_minimo":5})",
         {U, U, A, F, F, F, F}},
        {"POST", "/v1/vendas", SaleBody("v-m", kOwn, {{kP, 1}}, At(12)), {U, U, A, A, F, F, F}},
        {"POST", "/v1/vendas/" + own + "/v-m/cancelamento", DataBody(At(13)), {U, U, A, A, F, F, F}},
        {"POST", "/v1/movimentos", MovementsBody({Movement("mv-m", "recebimento", kOwn, kP, 1, At(12))}),
         {U, U, A, A, F, F, A}},
        {"GET", "/v1/movimentos", "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/transferencias", TransferBody("t-new", kOwn, kOther, {{kP, 1}}), {U, U, A, A, F, F, A}},
        {"GET", "/v1/transferencias", "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/transferencias/t-out", "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/transferencias/t-out/envio", "{}", {U, U, A, A, F, F, A}},
        {"POST", "/v1/transferencias/t-in/recebimento", "{}", {U, U, A, A, F, F, A}},
        {"POST", "/v1/transferencias/t-cancel/cancelamento", "{}", {U, U, A, A, F, F, A}},
        {"POST", "/v1/reservas", ReservationBody("r-new", kOwn, {{kP, 1}}, expires), {U, U, A, A, F, F, A}},
        {"GET", "/v1/reservas", "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/reservas/r-m", "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/reservas/r-m/confirmacao", "{}", {U, U, A, A, F, F, A}},
        {"POST", "/v1/reservas/r-l/liberacao", "{}", {U, U, A, A, F, F, A}},
        {"GET", "/v1/alertas", "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/filiais/" + own + "/resumo", "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/consulta", Serialize(json::object{{"query_type", "query"}, {"codigo_barra", kP}, {"filial", kOwn}}),
         {U, U, A, A, A, A, A}},
        {"GET", "/v1/fila", "", {U, U, A, A, A, A, A}},
        {"GET", "/v1/fila/dlq", "", {U, U, A, F, F, F, F}},
        {"POST", "/v1/fila/dlq/reprocessar", R"({"todas":true})", {U, U, A, F, F, F, F}},
        {"DELETE", "/v1/fila/dlq", R"({"todas":true})", {U, U, A, F, F, F, F}},
        {"GET", "/v1/produtos", "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/produtos/lote", R"([{"codigo_barra":"78900204","nome_produto":"Sal"}])", {U, U, A, F, F, F, F}},
        {"PUT", "/v1/produtos/" + p, R"({"nome_produto":"Café"})", {U, U, A, F, F, F, F}},
        {"GET", "/v1/produtos/" + p, "", {U, U, A, A, A, A, A}},
        {"DELETE", "/v1/produtos/" + std::string(kR), "", {U, U, A, F, F, F, F}},
        {"GET", "/v1/filiais", "", {U, U, A, A, A, A, A}},
        {"PUT", "/v1/filiais/" + own, R"({"nome":"Loja Centro"})", {U, U, A, F, F, F, F}},
        {"GET", "/v1/filiais/" + own, "", {U, U, A, A, A, A, A}},
        {"POST", "/v1/admin/keys", R"({"role":"leitura","nome":"matrix"})", {U, U, A, F, F, F, F}},
        {"GET", "/v1/admin/keys", "", {U, U, A, F, F, F, F}},
        {"GET", "/v1/admin/keys/" + pdv_.id, "", {U, U, A, F, F, F, F}},
        {"DELETE", "/v1/admin/keys/" + revoke_target_, "", {U, U, A, F, F, F, F}},
        {"POST", "/v1/admin/keys/" + rotate_target_ + "/rotate", "", {U, U, A, F, F, F, F}},
        {"GET", "/v1/admin/audit", "", {U, U, A, F, F, F, F}},
        {"GET", "/v1/admin/backup", "", {U, U, A, F, F, F, F}},
        {"GET", "/metrics", "", {U, U, A, F, A, A, F}},
    };
  }

  std::array<std::unique_ptr<HttpClient>, kColumns> clients_;
  IssuedKey pdv_;
  std::string revoke_target_;
  std::string rotate_target_;
};

TEST_F(MatrixTest, EveryRouteForEveryCaller) {
  const std::vector<Row> table = Table();
  ASSERT_EQ(table.size(), 44u);  // the routes of kRoutes
  for (const Row& row : table) {
    for (int column = 0; column < kColumns; ++column) {
      auto r = clients_[column]->Request(row.method, row.path, row.body);
      const Outcome expected = row.expected[column];
      EXPECT_TRUE(Matches(expected, r.status))
          << row.method << " " << row.path << " as " << kColumnNames[column] << ": expected "
          << OutcomeName(expected) << ", got " << r.status << " " << r.body;
      // The admin's call proves the row's path and body are valid: it must succeed.
      if (column == kAdmin) {
        EXPECT_TRUE(r.status >= 200 && r.status < 300) << row.method << " " << row.path << ": " << r.status << " " << r.body;
      }
      if (expected == Outcome::kUnauthorized && r.status == 401) {
        EXPECT_EQ(ErrorCode(r), "unauthorized");
      }
      if (expected == Outcome::kForbidden && r.status == 403) {
        EXPECT_EQ(ErrorCode(r), "forbidden");
        EXPECT_EQ(ErrorFieldNames(r), std::set<std::string>{"role"}) << r.body;
      }
    }
  }
}

// Keys whose bucket is empty: 429 (with Retry-After) wherever their role may call the route; the
// role's 403 comes first (a refused call takes no token), and /health needs no key at all.
TEST_F(MatrixTest, EmptyBucketsAre429OnEveryRouteTheRoleMayCall) {
  const std::vector<Row> table = Table();
  const std::map<Column, std::pair<std::string, std::vector<std::string>>> roles = {
      {kAdmin, {"admin", {}}},
      {kPdv1001, {"pdv", {kOwn}}},
      {kLeituraAll, {"leitura", {}}},
      {kIntegracao, {"integracao", {}}}};
  for (const auto& [column, role] : roles) {
    // One token, refilled every 1000 s: spent by the first call.
    auto client = ClientFor(CreateKey(role.first, role.second, "slow " + role.first,
                                      R"({"rps":0.001,"rajada":1})").token);
    ASSERT_EQ(client->Get("/v1/fila").status, 200);
    for (const Row& row : table) {
      auto r = client->Request(row.method, row.path, row.body);
      const Outcome expected = row.expected[column];
      const int want = row.path == "/health" ? 200 : expected == Outcome::kForbidden ? 403 : 429;
      EXPECT_EQ(r.status, want) << row.method << " " << row.path << " as " << role.first << ": " << r.body;
      if (want == 429 && r.status == 429) {
        EXPECT_EQ(ErrorCode(r), "rate_limited");
        ASSERT_TRUE(r.headers.contains("retry-after")) << row.path;
        EXPECT_GE(std::stoi(r.headers.at("retry-after")), 1);
      }
    }
  }
  // Other keys keep their own buckets.
  EXPECT_EQ(clients_[kAdmin]->Get("/v1/fila").status, 200);
  EXPECT_EQ(clients_[kPdv1001]->Get("/v1/fila").status, 200);
}

// ---- authentication ------------------------------------------------------------------------

using AuthenticationTest = SecurityTest;

TEST_F(AuthenticationTest, UnauthorizedSaysNothingAboutWhatFailed) {
  const IssuedKey revoked = CreateKey("leitura", {}, "revoked");
  ASSERT_EQ(client_->Request("DELETE", "/v1/admin/keys/" + revoked.id).status, 200);
  const IssuedKey rotated = CreateKey("leitura", {}, "rotated");
  auto rotation = client_->Post("/v1/admin/keys/" + rotated.id + "/rotate", "");
  ASSERT_EQ(rotation.status, 200) << rotation.body;
  const std::string new_token = Str(rotation.json().at("key"));
  EXPECT_TRUE(new_token.starts_with("estq_"));
  EXPECT_EQ(new_token.size(), 5u + 43u);

  std::vector<std::map<std::string, std::string>> refused = {
      {},                                           // no credentials
      {{"x-api-key", kUnknownToken}},               // unknown
      {{"x-api-key", "x"}},                         // malformed
      {{"x-api-key", revoked.token}},               // revoked
      {{"x-api-key", rotated.token}},               // rotated away
      {{"Authorization", "Basic " + rotated.token}},  // not Bearer
      {{"Authorization", "Bearer"}},
  };
  std::string first_body;
  auto anonymous = ClientFor("");
  for (const auto& headers : refused) {
    auto r = anonymous->Request("GET", "/v1/fila", "", headers);
    EXPECT_EQ(r.status, 401) << r.body;
    if (first_body.empty()) first_body = r.body;
    EXPECT_EQ(r.body, first_body);  // the same answer whatever was wrong
  }
  // An unknown route is 401 too before it is 404: the route table is not shown to strangers.
  EXPECT_EQ(anonymous->Get("/v1/nada").status, 401);
  EXPECT_EQ(client_->Get("/v1/nada").status, 404);

  // Bearer (any case) works like x-api-key, for the new token of the rotated key.
  EXPECT_EQ(anonymous->Request("GET", "/v1/fila", "", {{"Authorization", "Bearer " + new_token}}).status, 200);
  EXPECT_EQ(anonymous->Request("GET", "/v1/fila", "", {{"Authorization", "bearer " + new_token}}).status, 200);
  EXPECT_EQ(anonymous->Request("GET", "/v1/fila", "", {{"x-api-key", new_token}}).status, 200);
  EXPECT_EQ(anonymous->Get("/health").status, 200);
}

// ---- branch scope: a pdv key of 1001 naming 1002 -------------------------------------------

class ForeignBranchTest : public SecurityTest {
 protected:
  void SetUp() override {
    SecurityTest::SetUp();
    if (HasFatalFailure()) return;
    pdv_ = ClientFor(CreateKey("pdv", {kOwn}, "pdv 1001").token);
    SeedCounts({SeedItem(kP, kOwn, 50, "2024-06-01 10:00:00"), SeedItem(kP, kOther, 50, "2024-06-01 10:00:00"),
                SeedItem(kP, kThird, 50, "2024-06-01 10:00:00")});
    // Records of 1002 (and one 1002 -> 1001, one 1001 -> 1002 shipped).
    const std::string expires = FromNow(std::chrono::hours(1));
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-23", kOther, kThird, {{kP, 1}})).status, 201);
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-21", kOther, kOwn, {{kP, 1}})).status, 201);
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody("t-12", kOwn, kOther, {{kP, 1}})).status, 201);
    ASSERT_EQ(client_->Post("/v1/transferencias/t-12/envio", "{}").status, 200);
    ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-2", kOther, {{kP, 1}}, expires)).status, 201);
  }

  // What the admin sees of 1002: its ledger, stock, transfers, reservations, and the queue's totals.
  std::string Snapshot() {
    EXPECT_TRUE(WaitDrained());
    json::object all;
    json::array ledger;
    for (auto& entry : Ledger(*client_, "filial=" + std::string(kOther))) ledger.push_back(entry);
    all["ledger"] = ledger;
    all["stock"] = client_->Get("/v1/posicoes/" + std::string(kP) + "/" + kOther).json();
    all["transfers"] = client_->Get("/v1/transferencias?filial=1002").json();
    all["reservations"] = client_->Get("/v1/reservas?filial=1002").json();
    auto fila = client_->Get("/v1/fila").json();
    fila.as_object().erase("idade_mais_antiga_ms");
    all["fila"] = fila;
    return Serialize(all);
  }

  // Asserts 403 "forbidden" whose details name `field` (with `index` when given, -1 for none).
  void ExpectForbidden(const HttpResult& r, const std::string& what,
                       std::set<std::pair<int64_t, std::string>> fields) {
    EXPECT_EQ(r.status, 403) << what << ": " << r.body;
    if (r.status != 403) return;
    EXPECT_EQ(ErrorCode(r), "forbidden") << what;
    EXPECT_EQ(ErrorFields(r), fields) << what << ": " << r.body;
    const json::value body = r.json();
    for (const auto& d : body.at("error").at("details").as_array()) {
      EXPECT_EQ(d.at("reason"), "not one of this key's branches") << what;
    }
  }

  std::unique_ptr<HttpClient> pdv_;
};

TEST_F(ForeignBranchTest, EveryEndpointThatNamesABranchRefusesAndWritesNothing) {
  const std::string before = Snapshot();
  const std::string expires = FromNow(std::chrono::hours(1));
  const std::string p = kP;
  HttpClient& pdv = *pdv_;
  using Fields = std::set<std::pair<int64_t, std::string>>;

  // Bodies: a batch with one foreign item is refused whole, every foreign item listed.
  ExpectForbidden(pdv.Post("/v1/posicoes", Body({SeedItem(kP, kOwn, 1, "2024-06-02 10:00:00"),
                                                 SeedItem(kP, kOther, 1, "2024-06-02 10:00:00"),
                                                 SeedItem(kQ, kOther, 1, "2024-06-02 10:00:00")})),
                  "posicoes", Fields{{1, "filial"}, {2, "filial"}});
  ExpectForbidden(pdv.Post("/v1/vendas", SaleBody("v-x", kOther, {{kP, 1}}, At(12))), "vendas", Fields{{-1, "filial"}});
  ExpectForbidden(pdv.Post("/v1/movimentos", MovementsBody({Movement("m-a", "recebimento", kOwn, kP, 1, At(12)),
                                                            Movement("m-b", "recebimento", kOther, kP, 1, At(12))})),
                  "movimentos batch", Fields{{1, "filial"}});
  ExpectForbidden(pdv.Post("/v1/movimentos", Serialize(Movement("m-c", "recebimento", kOther, kP, 1, At(12)))),
                  "movimento", Fields{{-1, "filial"}});
  ExpectForbidden(pdv.Post("/v1/transferencias", TransferBody("t-x", kOther, kOwn, {{kP, 1}})), "transferencia from 1002",
                  Fields{{-1, "origem"}});
  ExpectForbidden(pdv.Post("/v1/reservas", ReservationBody("r-x", kOther, {{kP, 1}}, expires)), "reserva",
                  Fields{{-1, "filial"}});
  ExpectForbidden(pdv.Post("/v1/consulta", Serialize(json::object{{"query_type", "query"}, {"codigo_barra", kP},
                                                                   {"filial", kOther}})),
                  "consulta", Fields{{-1, "filial"}});
  EXPECT_EQ(pdv.Post("/v1/consulta", R"({"query_type":"query","codigo_barra":"78900201","filial":"1002"})")
                .json().at("Message"), "FORBIDDEN");

  // Records of an {id}: the side of the step must be the key's.
  ExpectForbidden(pdv.Post("/v1/transferencias/t-21/envio", "{}"), "envio by the destination", Fields{{-1, "origem"}});
  ExpectForbidden(pdv.Post("/v1/transferencias/t-21/cancelamento", "{}"), "cancelamento by the destination",
                  Fields{{-1, "origem"}});
  ExpectForbidden(pdv.Post("/v1/transferencias/t-12/recebimento", "{}"), "recebimento by the origin",
                  Fields{{-1, "destino"}});
  ExpectForbidden(pdv.Post("/v1/transferencias/t-23/envio", "{}"), "envio of another pair", Fields{{-1, "origem"}});
  ExpectForbidden(pdv.Get("/v1/transferencias/t-23"), "transfer of another pair", Fields{{-1, "origem"}});
  ExpectForbidden(pdv.Post("/v1/reservas/r-2/confirmacao", "{}"), "confirmacao", Fields{{-1, "filial"}});
  ExpectForbidden(pdv.Post("/v1/reservas/r-2/liberacao", "{}"), "liberacao", Fields{{-1, "filial"}});
  ExpectForbidden(pdv.Get("/v1/reservas/r-2"), "reserva by id", Fields{{-1, "filial"}});
  EXPECT_EQ(pdv.Post("/v1/reservas/nope/liberacao", "{}").status, 404);  // read first: 404 before 403

  // Paths ({filial} is checked before the handler).
  for (const std::string& path :
       std::vector<std::string>{"/v1/posicoes/" + p + "/1002", "/v1/filiais/1002/resumo", "/v1/filiais/1002"}) {
    ExpectForbidden(pdv.Get(path), path, Fields{{-1, "filial"}});
  }
  ExpectForbidden(pdv.Post("/v1/vendas/1002/v-1/cancelamento", DataBody(At(13))), "cancelamento de venda",
                  Fields{{-1, "filial"}});

  // Query filters.
  for (const std::string& path :
       std::vector<std::string>{"/v1/posicoes?filial=1002", "/v1/movimentos?filial=1002",
                                "/v1/movimentos?filial=1002&codigo_barra=" + p, "/v1/alertas?filial=1002",
                                "/v1/transferencias?filial=1002", "/v1/reservas?filial=1002"}) {
    ExpectForbidden(pdv.Get(path), path, Fields{{-1, "filial"}});
  }

  EXPECT_EQ(Snapshot(), before);  // nothing of 1002 changed, nothing was queued
  EXPECT_EQ(OnHand(kP, kOwn), 49);  // 50 - t-12; the refused batches' own items were not applied

  // The key's own side of the same records works.
  EXPECT_EQ(pdv.Get("/v1/transferencias/t-21").status, 200);
  EXPECT_EQ(pdv.Get("/v1/transferencias/t-12").status, 200);
  EXPECT_EQ(pdv.Post("/v1/transferencias", TransferBody("t-ok", kOwn, kOther, {{kP, 1}})).status, 201);
  EXPECT_EQ(pdv.Post("/v1/transferencias/t-12/cancelamento", "{}").status, 200);
}

TEST_F(ForeignBranchTest, ScopedIntegracaoAndLeituraKeysToo) {
  auto erp = ClientFor(CreateKey("integracao", {kOwn}, "erp 1001").token);
  using Fields = std::set<std::pair<int64_t, std::string>>;
  ExpectForbidden(erp->Post("/v1/transferencias", TransferBody("t-e", kOther, kOwn, {{kP, 1}})), "integracao transfer",
                  Fields{{-1, "origem"}});
  ExpectForbidden(erp->Post("/v1/movimentos", MovementsBody({Movement("m-e", "recebimento", kOther, kP, 1, At(12))})),
                  "integracao movements", Fields{{0, "filial"}});
  auto reader = ClientFor(CreateKey("leitura", {kOwn, kThird}, "leitura 1001+1003").token);
  ExpectForbidden(reader->Get("/v1/posicoes?filial=1002"), "leitura list", Fields{{-1, "filial"}});
  EXPECT_EQ(reader->Get("/v1/posicoes?filial=1003").status, 200);
  EXPECT_EQ(reader->Get("/v1/transferencias/t-23").status, 200);  // 1002 -> 1003: its destination
}

// ---- scoped listings -----------------------------------------------------------------------

class ScopedListingTest : public SecurityTest {
 protected:
  void SetUp() override {
    SecurityTest::SetUp();
    if (HasFatalFailure()) return;
    const std::vector<std::string> branches = {kOwn, kOther, kThird};
    for (const std::string& branch : branches) {
      ASSERT_EQ(Put("/v1/filiais/" + branch, R"({"nome":"Loja )" + branch + R"("})").status, 201);
    }
    SeedCounts({SeedItem(kP, kOwn, 20, "2024-06-01 10:00:00"), SeedItem(kQ, kOwn, 20, "2024-06-01 10:00:00"),
                SeedItem(kR, kOwn, 20, "2024-06-01 10:00:00"), SeedItem(kP, kOther, 20, "2024-06-01 10:00:00"),
                SeedItem(kQ, kOther, 20, "2024-06-01 10:00:00"), SeedItem(kR, kOther, 20, "2024-06-01 10:00:00"),
                SeedItem(kP, kThird, 20, "2024-06-01 10:00:00"), SeedItem(kQ, kThird, 20, "2024-06-01 10:00:00"),
                SeedItem(kS, kOther, 20, "2024-06-01 10:00:00")});
    const std::string expires = FromNow(std::chrono::hours(1));
    int n = 0;
    for (const std::string& branch : branches) {
      ++n;
      Sell("v-" + branch, branch, {{kP, 1}, {kQ, 2}}, At(11, n));
      ASSERT_EQ(client_->Post("/v1/movimentos", MovementsBody({Movement("m-" + branch, "recebimento", branch, kR, 3,
                                                                        At(11, 10 + n))})).status,
                201);
      ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-" + branch, branch, {{kP, 1}}, expires)).status, 201);
      // Below the reorder point: one estoque_baixo alert per branch.
      ASSERT_EQ(Put("/v1/posicoes/" + std::string(kQ) + "/" + branch + "/estoque_minimo", R"({"estoque_minimo":100})").status,
                200);
    }
    ASSERT_TRUE(WaitDrained());
    for (const auto& [id, source, destination] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"t-a", kOwn, kOther}, {"t-b", kOther, kThird}, {"t-c", kThird, kOwn}, {"t-d", kOther, kThird},
             {"t-e", kThird, kOther}}) {
      ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody(id, source, destination, {{kR, 1}})).status, 201);
      ASSERT_EQ(client_->Post("/v1/transferencias/" + id + "/envio", "{}").status, 200);
    }
  }
};

// Every listing of a scoped key holds exactly the admin's rows of the key's branches, in the same
// order, over every page; for a key of one branch (the store's branch index) and of two (filtered
// pages).
TEST_F(ScopedListingTest, ListingsHoldOnlyAndAllTheKeysRows) {
  struct Scope {
    std::string name;
    std::unique_ptr<HttpClient> client;
    std::set<std::string> branches;
  };
  std::vector<Scope> scopes;
  scopes.push_back({"pdv 1001", ClientFor(CreateKey("pdv", {kOwn}, "pdv 1001").token), {kOwn}});
  scopes.push_back({"leitura 1001+1003", ClientFor(CreateKey("leitura", {kOwn, kThird}, "l13").token), {kOwn, kThird}});

  using Visible = std::function<bool(const std::set<std::string>&, const json::object&)>;
  const Visible by_filial = [](const std::set<std::string>& scope, const json::object& row) {
    return scope.contains(Str(row.at("filial")));
  };
  const Visible by_either_side = [](const std::set<std::string>& scope, const json::object& row) {
    return scope.contains(Str(row.at("origem"))) || scope.contains(Str(row.at("destino")));
  };
  const std::string p = kP;
  const std::vector<std::pair<std::string, Visible>> listings = {
      {"/v1/posicoes?limit=2", by_filial},
      {"/v1/movimentos?limit=3", by_filial},
      {"/v1/movimentos?limit=1&codigo_barra=" + p, by_filial},
      {"/v1/movimentos?limit=2&desde=2024-06-01T11:00:00-03:00", by_filial},
      {"/v1/alertas?limit=1", by_filial},
      {"/v1/alertas?limit=1&tipo=estoque_baixo", by_filial},
      {"/v1/transferencias?limit=1", by_either_side},
      {"/v1/transferencias?limit=2&status=em_transito", by_either_side},
      {"/v1/reservas?limit=1", by_filial},
      {"/v1/filiais", [](const std::set<std::string>& scope, const json::object& row) {
         return scope.contains(Str(row.at("filial")));
       }},
  };
  for (const auto& [target, visible] : listings) {
    const std::vector<json::object> all = Walk(*client_, target);
    std::set<std::string> branches_seen;
    for (const auto& row : all) {
      branches_seen.insert(row.contains("filial") ? Str(row.at("filial")) : Str(row.at("origem")));
    }
    EXPECT_EQ(branches_seen.size(), 3u) << "the admin sees every branch of " << target;
    for (const Scope& scope : scopes) {
      std::vector<std::string> expected;
      for (const auto& row : all) {
        if (visible(scope.branches, row)) expected.push_back(Serialize(row));
      }
      std::vector<std::string> got;
      for (const auto& row : Walk(*scope.client, target)) {
        EXPECT_TRUE(visible(scope.branches, row)) << scope.name << " " << target << ": " << Serialize(row);
        got.push_back(Serialize(row));
      }
      EXPECT_FALSE(expected.empty()) << target;
      EXPECT_EQ(got, expected) << scope.name << " " << target;
    }
  }

  // One product's stock: the key's branches only, and totals over them.
  for (const Scope& scope : scopes) {
    auto r = scope.client->Get("/v1/posicoes/" + p);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto v = r.json();
    int64_t on_hand = 0;
    for (const auto& item : v.at("itens").as_array()) {
      EXPECT_TRUE(scope.branches.contains(Str(item.at("filial")))) << scope.name << ": " << r.body;
      on_hand += Int(item.at("em_estoque"));
    }
    EXPECT_EQ(v.at("itens").as_array().size(), scope.branches.size()) << r.body;
    EXPECT_EQ(Int(v.at("filiais")), static_cast<int64_t>(scope.branches.size()));
    EXPECT_EQ(Int(v.at("totais").at("em_estoque")), on_hand);
    EXPECT_EQ(Int(v.at("total_qtd_estoque")), on_hand);
    // A product only another branch has is 404, as if nobody had it.
    EXPECT_EQ(scope.client->Get("/v1/posicoes/" + std::string(kS)).status, 404) << scope.name;
  }
  EXPECT_EQ(client_->Get("/v1/posicoes/" + std::string(kS)).status, 200);
  auto admin_total = client_->Get("/v1/posicoes/" + p).json();
  EXPECT_EQ(Int(admin_total.at("filiais")), 3);

  // The seed's scan: the key's positions only (admin: every branch).
  const std::string scan = R"({"query_type":"scan","quantidade_itens":1000})";
  auto admin_scan = client_->Post("/v1/consulta", scan);
  ASSERT_EQ(admin_scan.status, 200) << admin_scan.body;
  const auto admin_items = admin_scan.json().at("Itens").as_array();
  std::set<std::string> scanned_branches;
  for (const auto& item : admin_items) scanned_branches.insert(Str(item.at("filial")));
  EXPECT_EQ(scanned_branches, (std::set<std::string>{kOwn, kOther, kThird}));
  for (const Scope& scope : scopes) {
    auto r = scope.client->Post("/v1/consulta", scan);
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<std::string> expected, got;
    for (const auto& item : admin_items) {
      if (scope.branches.contains(Str(item.at("filial")))) expected.push_back(Serialize(item));
    }
    const json::value scanned = r.json();
    for (const auto& item : scanned.at("Itens").as_array()) got.push_back(Serialize(item));
    EXPECT_EQ(got, expected) << scope.name;
  }
}

// ---- the ledger says which key made each movement ------------------------------------------

TEST_F(SecurityTest, MovementsWithoutOrigemAreRecordedUnderTheKeysId) {
  const IssuedKey pdv = CreateKey("pdv", {kOwn}, "pdv 1001");
  auto client = ClientFor(pdv.token);
  auto r = client->Post("/v1/movimentos",
                        MovementsBody({Movement("m-1", "recebimento", kOwn, kP, 5, At(10)),
                                       [] {
                                         json::object m = Movement("m-2", "recebimento", kOwn, kP, 1, At(11));
                                         m["origem"] = "erp";
                                         return m;
                                       }()}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("movimentos").at(0).at("origem"), json::value(pdv.id));
  EXPECT_EQ(r.json().at("movimentos").at(1).at("origem"), "erp");
  std::set<std::string> origins;
  for (const auto& entry : LedgerOf(kP, kOwn)) origins.insert(Str(entry.at("origem")));
  EXPECT_EQ(origins, (std::set<std::string>{pdv.id, "erp"}));
  // The same id from the same key is a repeat; from another key it is another movement.
  EXPECT_EQ(client->Post("/v1/movimentos", MovementsBody({Movement("m-1", "recebimento", kOwn, kP, 5, At(10))})).status,
            200);
  EXPECT_EQ(client_->Post("/v1/movimentos", MovementsBody({Movement("m-1", "recebimento", kOwn, kP, 5, At(10))})).status,
            201);
  EXPECT_EQ(OnHand(kP, kOwn), 11);
}

// ---- throttling by role, and --auth off ----------------------------------------------------

class RoleLimitTest : public SecurityTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--rate-limit-roles", "leitura=0.001:2"}; }
};

TEST_F(RoleLimitTest, ARolesLimitAppliesToEachOfItsKeys) {
  auto first = ClientFor(CreateKey("leitura", {}, "l1").token);
  auto second = ClientFor(CreateKey("leitura", {}, "l2").token);
  auto fast = ClientFor(CreateKey("leitura", {}, "l3", R"({"rps":1000,"rajada":1000})").token);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(first->Get("/v1/fila").status, 200);
  auto refused = first->Get("/v1/fila");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "rate_limited");
  EXPECT_TRUE(refused.headers.contains("retry-after"));
  EXPECT_EQ(second->Get("/v1/fila").status, 200);  // a bucket per key
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fast->Get("/v1/fila").status, 200);  // its own limite wins
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client_->Get("/v1/fila").status, 200);  // admin: the default
}

class AuthOffTest : public SecurityTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--auth", "off"}; }
};

TEST_F(AuthOffTest, NoKeyNeededAndMovementsAreFromApi) {
  auto anonymous = ClientFor("");
  EXPECT_EQ(anonymous->Get("/v1/fila").status, 200);
  auto r = anonymous->Post("/v1/movimentos", MovementsBody({Movement("m-1", "recebimento", kOther, kP, 5, At(10))}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("movimentos").at(0).at("origem"), "api");
  EXPECT_EQ(Walk(*anonymous, "/v1/movimentos").size(), 1u);
}

}  // namespace
}  // namespace estoque::e2e
