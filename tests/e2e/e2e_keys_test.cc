// End to end: API keys against the real binary. The bootstrap admin key, key management over
// HTTP (create, list, revoke on an open connection, rotate, 403 for non-admins), `estoque keys`
// in both modes, throttling (429 + Retry-After), the audit log, and a mix of abusive requests
// beside good clients with the server's memory watched.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "e2e/support/command.h"
#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using inventory::At;
using inventory::ErrorCode;
using inventory::ErrorFieldNames;
using inventory::Movement;
using inventory::Serialize;

// ---- helpers --------------------------------------------------------------------------------

const std::regex kTokenPattern("estq_[A-Za-z0-9_-]{43}");
const std::regex kIdPattern("k_[0-9a-f]{16}");

// Every distinct generated token in `text`.
std::set<std::string> TokensIn(const std::string& text) {
  std::set<std::string> tokens;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kTokenPattern); it != std::sregex_iterator(); ++it) {
    tokens.insert(it->str());
  }
  return tokens;
}

std::string FirstMatch(const std::string& text, const std::regex& pattern) {
  std::smatch match;
  return std::regex_search(text, match, pattern) ? match.str() : "";
}

std::string Text(const json::value& value) { return value.is_string() ? std::string(value.as_string()) : ""; }

// A copy of the "itens" array of a listing (empty if there is none). A copy, so that it can be
// iterated: r.json() is a temporary.
json::array Items(const HttpResult& r) {
  const json::value v = r.json();
  if (!v.is_object() || !v.as_object().contains("itens") || !v.at("itens").is_array()) return {};
  return v.at("itens").as_array();
}

// POST /v1/admin/keys; the answer (token included) or an empty object and a test failure.
json::object CreateKey(HttpClient& admin, const json::object& body) {
  auto r = admin.Post("/v1/admin/keys", Serialize(body));
  EXPECT_EQ(r.status, 201) << Serialize(body) << " -> " << r.body;
  if (r.status != 201 || !r.json().is_object()) return {};
  return r.json().as_object();
}

json::object PdvKey(const std::string& name, std::initializer_list<const char*> branches) {
  json::array list;
  for (const char* branch : branches) list.emplace_back(branch);
  return {{"role", "pdv"}, {"nome", name}, {"filiais", std::move(list)}};
}

// The id of the key named "bootstrap admin".
std::string BootstrapAdminId(HttpClient& admin) {
  auto r = admin.Get("/v1/admin/keys");
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return "";
  for (const auto& item : Items(r)) {
    if (item.at("nome") == "bootstrap admin") return Text(item.at("id"));
  }
  ADD_FAILURE() << "no bootstrap admin key: " << r.body;
  return "";
}

// One HTTP/1.1 connection that is never silently replaced: a request after the server closed it
// fails (status 0) instead of reconnecting, so a test can tell "same connection" for sure.
class KeepAliveConnection {
 public:
  explicit KeepAliveConnection(uint16_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    open_ = !ec;
  }

  HttpResult Send(const std::string& method, const std::string& target, const std::string& api_key) {
    namespace http = boost::beast::http;
    if (!open_) return {0, {}, "connection is closed"};
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set("x-api-key", api_key);
    req.keep_alive(true);
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    if (ec) {
      open_ = false;
      return {0, {}, "write: " + ec.message()};
    }
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) {
      open_ = false;
      return {0, {}, "read: " + ec.message()};
    }
    if (!res.keep_alive()) open_ = false;
    return {static_cast<int>(res.result_int()), {}, res.body()};
  }
  bool open() const { return open_; }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  bool open_ = false;
};

// A raw exchange: bytes written as given on a fresh connection (optionally half-closed after),
// then everything read until the response is complete, the server closes, or `timeout`.
struct RawReply {
  int status = 0;  // 0: no response (closed, reset or timed out)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;
  json::value json() const {
    boost::system::error_code ec;
    json::value value = json::parse(body, ec);  // also rejects invalid UTF-8
    return ec ? json::value() : value;
  }
};

int Connect(uint16_t port, std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

RawReply SendRaw(uint16_t port, const std::string& bytes, bool half_close = false,
                 std::chrono::milliseconds timeout = 10s) {
  RawReply reply;
  const int fd = Connect(port, timeout);
  if (fd < 0) {
    reply.error = "connect failed";
    return reply;
  }
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413, 431) before reading everything
    sent += static_cast<std::size_t>(n);
  }
  if (half_close) shutdown(fd, SHUT_WR);
  std::string data;
  char chunk[16384];
  std::size_t header_end = std::string::npos;
  std::size_t content_length = std::string::npos;
  while (true) {
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      if (n < 0) reply.error = "recv: " + std::string(strerror(errno));
      break;
    }
    data.append(chunk, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::istringstream lines(data.substr(0, header_end));
        std::string line;
        std::getline(lines, line);
        if (line.rfind("HTTP/1.", 0) == 0 && line.size() >= 12) reply.status = std::stoi(line.substr(9, 3));
        while (std::getline(lines, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const auto colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          reply.headers[name] = value;
        }
        if (reply.headers.count("content-length")) content_length = std::stoul(reply.headers["content-length"]);
      }
    }
    if (header_end != std::string::npos && content_length != std::string::npos &&
        data.size() >= header_end + 4 + content_length) {
      break;
    }
  }
  close(fd);
  if (header_end != std::string::npos) reply.body = data.substr(header_end + 4);
  return reply;
}

// An HTTP/1.1 request as bytes (Connection: close), with the key and body given.
std::string RawRequest(const std::string& method, const std::string& target, const std::string& api_key,
                       const std::string& body = "", const std::string& content_type = "application/json",
                       const std::string& extra_headers = "") {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!api_key.empty()) request += "x-api-key: " + api_key + "\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += extra_headers + "\r\n" + body;
  return request;
}

// The server's resident memory in KiB (VmRSS), or -1.
long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string Position(const std::string& barcode, const std::string& branch, int64_t quantity) {
  return Body({SeedItem(barcode, branch, quantity, "2024-06-01 10:00:00")});
}

// ---- bootstrap --------------------------------------------------------------------------------

TEST(KeysBootstrapTest, AFreshServerPrintsAnAdminKeyOnceThatWorks) {
  TempDir dir;
  // An empty ESTOQUE_BOOTSTRAP_ADMIN_KEY is "not set": the server generates the key.
  ServerProcess server(dir.path() + "/data", {}, {{"ESTOQUE_BOOTSTRAP_ADMIN_KEY", ""}});
  ASSERT_TRUE(server.Start()) << server.last_error();
  const std::set<std::string> tokens = TokensIn(server.output());
  ASSERT_EQ(tokens.size(), 1u) << server.output();
  const std::string token = *tokens.begin();
  EXPECT_NE(server.output().find("shown only this once"), std::string::npos) << server.output();

  HttpClient admin(server.port(), token);
  auto keys = admin.Get("/v1/admin/keys");
  ASSERT_EQ(keys.status, 200) << keys.body;
  const json::array items = Items(keys);
  ASSERT_EQ(items.size(), 1u) << keys.body;
  EXPECT_EQ(items[0].at("role"), "admin");
  EXPECT_EQ(items[0].at("nome"), "bootstrap admin");
  EXPECT_FALSE(items[0].as_object().contains("key"));
  EXPECT_EQ(keys.body.find(token), std::string::npos);
  EXPECT_EQ(HttpClient(server.port()).Get("/v1/admin/keys").status, 401);  // the test key is not set
  HttpClient anonymous(server.port(), "");
  EXPECT_EQ(anonymous.Get("/health").status, 200);
  EXPECT_EQ(anonymous.Get("/v1/fila").status, 401);

  const std::size_t printed = server.output().size();
  ASSERT_EQ(server.Terminate(), 0);
  ASSERT_TRUE(server.Start()) << server.last_error();
  const std::string second_start = server.output().substr(printed);
  EXPECT_EQ(second_start.find("estq_"), std::string::npos) << second_start;
  HttpClient again(server.port(), token);
  auto after = again.Get("/v1/admin/keys");
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.json().at("itens").as_array().size(), 1u);
  EXPECT_EQ(server.Terminate(), 0);
}

TEST(KeysBootstrapTest, TheEnvironmentVariableIsTheAdminKey) {
  TempDir dir;
  ServerProcess server(dir.path() + "/data");  // ESTOQUE_BOOTSTRAP_ADMIN_KEY=kTestAdminKey
  ASSERT_TRUE(server.Start()) << server.last_error();
  EXPECT_EQ(server.output().find("estq_"), std::string::npos) << "nothing printed: " << server.output();
  HttpClient admin(server.port(), kTestAdminKey);
  auto keys = admin.Get("/v1/admin/keys");
  ASSERT_EQ(keys.status, 200) << keys.body;
  ASSERT_EQ(keys.json().at("itens").as_array().size(), 1u);
  EXPECT_EQ(keys.json().at("itens").at(0).at("role"), "admin");
  EXPECT_EQ(server.Terminate(), 0);

  // A token too short to be a key is refused at start, naming the variable.
  TempDir other;
  ServerProcess refused(other.path() + "/data", {}, {{"ESTOQUE_BOOTSTRAP_ADMIN_KEY", "short"}});
  EXPECT_FALSE(refused.Start(10s));
  EXPECT_NE(refused.last_error().find("ESTOQUE_BOOTSTRAP_ADMIN_KEY"), std::string::npos) << refused.last_error();
}

// ---- key management over HTTP -----------------------------------------------------------------

using KeysApiTest = ServerTest;

TEST_F(KeysApiTest, CreateShowsTheTokenOnceAndNothingElseEverDoes) {
  json::object body = PdvKey("PDV 1001 caixa 1", {"1002", "1001"});
  body["limite"] = json::object{{"rps", 50}, {"rajada", 100}};
  auto r = client_->Post("/v1/admin/keys", Serialize(body));
  ASSERT_EQ(r.status, 201) << r.body;
  const json::object created = r.json().as_object();
  const std::string token = Text(created.at("key"));
  const std::string id = Text(created.at("id"));
  EXPECT_TRUE(std::regex_match(token, kTokenPattern)) << token;
  EXPECT_TRUE(std::regex_match(id, kIdPattern)) << id;
  EXPECT_EQ(created.at("role"), "pdv");
  EXPECT_EQ(created.at("filiais"), (json::array{"1001", "1002"}));
  EXPECT_EQ(created.at("nome"), "PDV 1001 caixa 1");
  EXPECT_EQ(created.at("ativa"), true);
  EXPECT_EQ(created.at("limite").at("rps").to_number<double>(), 50);
  EXPECT_EQ(created.at("limite").at("rajada").to_number<double>(), 100);
  EXPECT_FALSE(Text(created.at("criada_por")).empty());  // the admin key's id

  auto one = client_->Get("/v1/admin/keys/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_FALSE(one.json().as_object().contains("key"));
  EXPECT_EQ(Text(one.json().at("id")), id);
  auto list = client_->Get("/v1/admin/keys");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json().at("itens").as_array().size(), 2u);
  for (const auto& item : Items(list)) EXPECT_FALSE(item.as_object().contains("key"));
  for (const auto& text : {one.body, list.body}) EXPECT_EQ(text.find(token), std::string::npos);
  EXPECT_EQ(client_->Get("/v1/admin/keys/k_0000000000000000").status, 404);

  // The key works within its scope.
  HttpClient pdv(server_->port(), token);
  EXPECT_EQ(pdv.Post("/v1/posicoes", Position("78900001", "1001", 5)).status, 202);
  EXPECT_EQ(pdv.Post("/v1/posicoes", Position("78900001", "1003", 5)).status, 403);
}

TEST_F(KeysApiTest, ValidationErrorsAre400NamingTheField) {
  struct Case {
    std::string body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"role":"pdv","nome":"x"})", "filiais"},
      {R"({"role":"pdv","nome":"x","filiais":[]})", "filiais"},
      {R"({"role":"admin","nome":"x","filiais":["1001"]})", "filiais"},
      {R"({"role":"pdv","nome":"x","filiais":["10 01"]})", "filiais"},
      {R"({"role":"pdv","nome":"x","filiais":[1001]})", "filiais"},
      {R"({"role":"leitura","nome":""})", "nome"},
      {R"({"role":"leitura","nome":")" + std::string(201, 'n') + R"("})", "nome"},
      {R"({"role":"leitura","nome":"a\u0000b"})", "nome"},
      {R"({"role":"leitura"})", "nome"},
      {R"({"nome":"x"})", "role"},
      {R"({"role":"root","nome":"x"})", "role"},
      {R"({"role":"leitura","nome":"x","limite":{"rps":0,"rajada":5}})", "limite.rps"},
      {R"({"role":"leitura","nome":"x","limite":{"rps":5}})", "limite.rajada"},
      {R"({"role":"leitura","nome":"x","limite":{"rps":"5","rajada":5}})", "limite.rps"},
      {R"({"role":"leitura","nome":"x","limite":{"rps":5,"rajada":0.5}})", "limite"},
      {R"({"role":"leitura","nome":"x","limite":7})", "limite"},
      {R"({"role":"leitura","nome":"x","token":"estq_mine"})", "token"},
  };
  for (const Case& c : cases) {
    auto r = client_->Post("/v1/admin/keys", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(ErrorCode(r), "invalid_fields") << c.body;
    EXPECT_TRUE(ErrorFieldNames(r).count(c.field)) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(ErrorCode(client_->Post("/v1/admin/keys", R"({"role":)")), "invalid_json");
  EXPECT_EQ(client_->Request("POST", "/v1/admin/keys", "{}", {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(client_->Get("/v1/admin/keys").json().at("itens").as_array().size(), 1u);  // none created
}

TEST_F(KeysApiTest, RevocationStopsTheVeryNextRequestOnAnOpenConnection) {
  const json::object created = CreateKey(*client_, PdvKey("PDV revoked", {"1001"}));
  const std::string token = Text(created.at("key"));
  KeepAliveConnection connection(server_->port());
  ASSERT_TRUE(connection.open());
  for (int i = 0; i < 3; ++i) {
    auto r = connection.Send("GET", "/v1/posicoes?filial=1001&limit=1", token);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(connection.open());
  auto revoked = client_->Request("DELETE", "/v1/admin/keys/" + Text(created.at("id")));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.json().at("ativa"), false);
  EXPECT_FALSE(revoked.json().at("revogada_em").is_null());
  auto after = connection.Send("GET", "/v1/posicoes?filial=1001&limit=1", token);
  EXPECT_EQ(after.status, 401) << after.body;  // same connection: no reconnect in between
  EXPECT_EQ(ErrorCode(HttpResult{after.status, {}, after.body}), "unauthorized");
  // Revoking again is fine; the key stays listed as inactive; rotating it is a conflict.
  EXPECT_EQ(client_->Request("DELETE", "/v1/admin/keys/" + Text(created.at("id"))).status, 200);
  EXPECT_EQ(client_->Get("/v1/admin/keys/" + Text(created.at("id"))).json().at("ativa"), false);
  EXPECT_EQ(client_->Post("/v1/admin/keys/" + Text(created.at("id")) + "/rotate", "").status, 409);
  EXPECT_EQ(client_->Request("DELETE", "/v1/admin/keys/k_0000000000000000").status, 404);
}

TEST_F(KeysApiTest, RotationReplacesTheTokenAndKeepsIdRoleAndScope) {
  const json::object created = CreateKey(*client_, PdvKey("PDV rotating", {"1001", "1002"}));
  const std::string id = Text(created.at("id"));
  const std::string old_token = Text(created.at("key"));
  KeepAliveConnection connection(server_->port());
  ASSERT_EQ(connection.Send("GET", "/v1/posicoes?filial=1002&limit=1", old_token).status, 200);

  auto rotated = client_->Post("/v1/admin/keys/" + id + "/rotate", "");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_token = Text(rotated.json().at("key"));
  EXPECT_TRUE(std::regex_match(new_token, kTokenPattern));
  EXPECT_NE(new_token, old_token);
  EXPECT_EQ(Text(rotated.json().at("id")), id);
  EXPECT_EQ(rotated.json().at("role"), "pdv");
  EXPECT_EQ(rotated.json().at("filiais"), created.at("filiais"));
  EXPECT_EQ(rotated.json().at("criada_em"), created.at("criada_em"));
  EXPECT_FALSE(rotated.json().at("rotacionada_em").is_null());

  EXPECT_EQ(connection.Send("GET", "/v1/posicoes?filial=1002&limit=1", old_token).status, 401);
  HttpClient fresh(server_->port(), new_token);
  EXPECT_EQ(fresh.Get("/v1/posicoes?filial=1002&limit=1").status, 200);
  EXPECT_EQ(fresh.Post("/v1/posicoes", Position("78900002", "1001", 1)).status, 202);
  EXPECT_EQ(fresh.Post("/v1/posicoes", Position("78900002", "1003", 1)).status, 403);  // same scope
  EXPECT_EQ(fresh.Get("/v1/admin/keys").status, 403);                                   // same role
  auto listed = client_->Get("/v1/admin/keys/" + id);
  EXPECT_EQ(listed.json().at("ativa"), true);
  EXPECT_EQ(listed.body.find(new_token), std::string::npos);
  EXPECT_EQ(client_->Post("/v1/admin/keys/k_0000000000000000/rotate", "").status, 404);
}

TEST_F(KeysApiTest, OnlyAdminKeysReachTheAdminRoutes) {
  const std::string admin_id = BootstrapAdminId(*client_);
  std::vector<std::string> tokens;
  tokens.push_back(Text(CreateKey(*client_, PdvKey("pdv", {"1001"})).at("key")));
  tokens.push_back(Text(CreateKey(*client_, {{"role", "leitura"}, {"nome", "bi"}}).at("key")));
  tokens.push_back(Text(CreateKey(*client_, {{"role", "integracao"}, {"nome", "erp"}}).at("key")));
  for (const std::string& token : tokens) {
    HttpClient caller(server_->port(), token);
    for (const auto& [method, target, body] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"GET", "/v1/admin/keys", ""},
             {"POST", "/v1/admin/keys", R"({"role":"admin","nome":"me"})"},
             {"GET", "/v1/admin/keys/" + admin_id, ""},
             {"DELETE", "/v1/admin/keys/" + admin_id, ""},
             {"POST", "/v1/admin/keys/" + admin_id + "/rotate", ""},
             {"GET", "/v1/admin/audit", ""}}) {
      auto r = caller.Request(method, target, body);
      EXPECT_EQ(r.status, 403) << method << " " << target << " -> " << r.body;
      EXPECT_EQ(ErrorCode(r), "forbidden");
    }
    EXPECT_EQ(caller.Get("/v1/fila").status, 200);  // but the key itself works
  }
  HttpClient nobody(server_->port(), "");
  EXPECT_EQ(nobody.Get("/v1/admin/keys").status, 401);
  HttpClient wrong(server_->port(), "estq_not-a-real-key-00000000000000000000000000");
  EXPECT_EQ(wrong.Get("/v1/admin/audit").status, 401);
  // Nothing changed: the admin key is still active and has its token.
  EXPECT_EQ(client_->Get("/v1/admin/keys/" + admin_id).json().at("ativa"), true);
  EXPECT_EQ(client_->Get("/v1/admin/keys").json().at("itens").as_array().size(), 4u);
}

// ---- estoque keys -----------------------------------------------------------------------------

using KeysCliTest = ServerTest;

TEST_F(KeysCliTest, ManagesTheKeysOfARunningServer) {
  const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
  auto created = RunEstoque({"keys", "create", "--server", url, "--role", "pdv", "--filial", "1001", "--filial",
                             "1002", "--nome", "PDV 1001", "--rps", "50", "--rajada", "100"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string token = FirstMatch(created.out, kTokenPattern);
  const std::string id = FirstMatch(created.out, kIdPattern);
  ASSERT_FALSE(token.empty()) << created.out;
  ASSERT_FALSE(id.empty()) << created.out;
  EXPECT_NE(created.out.find("ONLY NOW"), std::string::npos) << created.out;
  HttpClient pdv(server_->port(), token);
  EXPECT_EQ(pdv.Post("/v1/posicoes", Position("78900003", "1002", 1)).status, 202);
  auto key = client_->Get("/v1/admin/keys/" + id).json();
  EXPECT_EQ(key.at("filiais"), (json::array{"1001", "1002"}));
  EXPECT_EQ(key.at("limite").at("rajada").to_number<double>(), 100);

  auto list = RunEstoque({"keys", "list", "--server", url});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("CREATED"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(id), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("1001,1002"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("PDV 1001"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("bootstrap admin"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("estq_"), std::string::npos) << "list never shows tokens: " << list.out;

  auto rotated = RunEstoque({"keys", "rotate", id, "--server", url});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string new_token = FirstMatch(rotated.out, kTokenPattern);
  ASSERT_FALSE(new_token.empty()) << rotated.out;
  EXPECT_NE(new_token, token);
  EXPECT_EQ(pdv.Get("/v1/fila").status, 401);
  HttpClient rotated_pdv(server_->port(), new_token);
  EXPECT_EQ(rotated_pdv.Get("/v1/fila").status, 200);

  auto revoked = RunEstoque({"keys", "revoke", id, "--server", url});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(rotated_pdv.Get("/v1/fila").status, 401);
  auto after = RunEstoque({"keys", "list", "--server", url});
  std::string row;
  std::istringstream lines(after.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(id) != std::string::npos) row = line;
  }
  EXPECT_NE(row.find(" no "), std::string::npos) << after.out;

  // Failures: exit 1 with the reason on stderr.
  auto invalid = RunEstoque({"keys", "create", "--server", url, "--role", "pdv", "--nome", "no branch"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("filiais"), std::string::npos) << invalid.err;
  auto unknown = RunEstoque({"keys", "revoke", "k_0000000000000000", "--server", url});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("404"), std::string::npos) << unknown.err;
  auto bad_key = RunEstoque({"keys", "list", "--server", url, "--key", "estq_not-a-real-key-000000000000000000000000000"});
  EXPECT_EQ(bad_key.exit_code, 1);
  EXPECT_NE(bad_key.err.find("401"), std::string::npos) << bad_key.err;
  auto not_admin = RunEstoque({"keys", "list", "--server", url, "--key", new_token});
  EXPECT_EQ(not_admin.exit_code, 1);  // revoked by now
  auto unreachable = RunEstoque({"keys", "list", "--server", "http://127.0.0.1:1"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_FALSE(unreachable.err.empty());

  // Usage errors: exit 2.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"keys"},
           {"keys", "bogus"},
           {"keys", "create", "--server", url, "--nome", "no role"},
           {"keys", "create", "--server", url, "--role", "superuser", "--nome", "x"},
           {"keys", "create", "--server", url, "--role", "leitura", "--nome", "x", "--rps", "5"},
           {"keys", "revoke", "--server", url},
           {"keys", "list", "--server", url, "--data", "/tmp"},
           {"keys", "list", "--server", "https://127.0.0.1:1"}}) {
    auto r = RunEstoque(args);
    EXPECT_EQ(r.exit_code, 2) << args.size() << " " << args.back() << ": " << r.err;
  }
}

TEST_F(KeysCliTest, ManagesTheDataDirectoryOfAStoppedServer) {
  const std::string data = server_->data_dir();
  // While the server runs, the directory is locked: a clear message points to --server.
  auto locked = RunEstoque({"keys", "list", "--data", data});
  EXPECT_EQ(locked.exit_code, 1);
  EXPECT_NE(locked.err.find("--server"), std::string::npos) << locked.err;
  EXPECT_NE(locked.err.find("running server"), std::string::npos) << locked.err;

  ASSERT_EQ(server_->Terminate(), 0);
  auto created = RunEstoque({"keys", "create", "--data", data, "--role", "leitura", "--filial", "1001",
                             "--nome", "BI offline"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string token = FirstMatch(created.out, kTokenPattern);
  const std::string id = FirstMatch(created.out, kIdPattern);
  ASSERT_FALSE(token.empty()) << created.out;
  auto list = RunEstoque({"keys", "list", "--data", data});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("BI offline"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("bootstrap admin"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("estq_"), std::string::npos) << list.out;
  auto invalid = RunEstoque({"keys", "create", "--data", data, "--role", "admin", "--filial", "1001", "--nome", "x"});
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("filiais"), std::string::npos) << invalid.err;
  auto missing = RunEstoque({"keys", "list", "--data", data + "-typo"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no estoque data directory"), std::string::npos) << missing.err;

  Restart();
  HttpClient reader(server_->port(), token);
  EXPECT_EQ(reader.Get("/v1/posicoes?filial=1001&limit=1").status, 200);
  EXPECT_EQ(reader.Get("/v1/posicoes?filial=1002&limit=1").status, 403);
  auto key = client_->Get("/v1/admin/keys/" + id);
  ASSERT_EQ(key.status, 200) << key.body;
  EXPECT_EQ(key.json().at("role"), "leitura");
  // The offline creation is in the audit log.
  EXPECT_TRUE(Eventually([&] {
    auto audit = client_->Get("/v1/admin/audit?limit=1000");
    for (const auto& entry : Items(audit)) {
      if (entry.at("nome") == "estoque keys --data" && entry.at("caminho") == "/v1/admin/keys") return true;
    }
    return false;
  }));
}

// ---- throttling -------------------------------------------------------------------------------

class KeysThrottleTest : public ServerTest {
 protected:
  // Default 5/s with a burst of 5; leitura keys 1/s, burst 2. (The admin key, which sets the test
  // up, is left room.)
  std::vector<std::string> ServerArgs() override {
    return {"--rate-limit-rps", "5", "--rate-limit-burst", "5", "--rate-limit-roles", "admin=1000:1000,leitura=1:2"};
  }

  struct Burst {
    int passed = 0;
    double elapsed_s = 0;
    HttpResult refusal;
    std::chrono::steady_clock::time_point refused_at;
  };
  // Requests until the first 429 (at most 60).
  static Burst RunBurst(HttpClient& client) {
    Burst burst;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 60; ++i) {
      HttpResult r = client.Get("/v1/fila");
      if (r.status == 200) {
        ++burst.passed;
        continue;
      }
      EXPECT_EQ(r.status, 429) << r.body;
      burst.refusal = r;
      burst.refused_at = std::chrono::steady_clock::now();
      break;
    }
    burst.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return burst;
  }
  // The burst passed (plus what refilled meanwhile), then a 429 with its Retry-After and error.
  static int CheckBurst(const Burst& burst, int size, double per_second, const char* what) {
    EXPECT_GE(burst.passed, size) << what;
    EXPECT_LE(burst.passed, size + static_cast<int>(std::floor(burst.elapsed_s * per_second)) + 1) << what;
    EXPECT_EQ(burst.refusal.status, 429) << what;
    EXPECT_EQ(ErrorCode(burst.refusal), "rate_limited") << what;
    const auto header = burst.refusal.headers.find("retry-after");
    EXPECT_NE(header, burst.refusal.headers.end()) << what;
    if (header == burst.refusal.headers.end()) return 1;
    EXPECT_TRUE(std::regex_match(header->second, std::regex("[0-9]+"))) << header->second;
    const int seconds = std::atoi(header->second.c_str());
    EXPECT_GE(seconds, 1) << what;
    EXPECT_LE(seconds, static_cast<int>(std::ceil(1 / per_second))) << what;
    return std::max(seconds, 1);
  }
};

TEST_F(KeysThrottleTest, BurstThen429WithRetryAfterPerKey) {
  // a: the default limit; b: its own limit (1/s, burst 3); c: its role's (leitura 1/s, burst 2).
  const json::object a = CreateKey(*client_, {{"role", "integracao"}, {"nome", "default limit"}});
  json::object b_body = PdvKey("own limit", {"1001"});
  b_body["limite"] = json::object{{"rps", 1}, {"rajada", 3}};
  const json::object b = CreateKey(*client_, b_body);
  const json::object c = CreateKey(*client_, {{"role", "leitura"}, {"nome", "role limit"}});
  HttpClient ca(server_->port(), Text(a.at("key")));
  HttpClient cb(server_->port(), Text(b.at("key")));
  HttpClient cc(server_->port(), Text(c.at("key")));

  const Burst burst_a = RunBurst(ca);
  const int wait_a = CheckBurst(burst_a, 5, 5, "default");
  // Another key is unaffected while a is refused (and has its own limit).
  const Burst burst_b = RunBurst(cb);
  CheckBurst(burst_b, 3, 1, "per-key limite");
  const Burst burst_c = RunBurst(cc);
  CheckBurst(burst_c, 2, 1, "per-role");
  EXPECT_EQ(client_->Get("/v1/fila").status, 200);  // the admin key too

  // After the advertised wait, a passes again.
  std::this_thread::sleep_until(burst_a.refused_at + std::chrono::seconds(wait_a));
  EXPECT_EQ(ca.Get("/v1/fila").status, 200);
  // And the 429s were not audited as writes, nor did they reach a handler: the queue is untouched.
  EXPECT_EQ(client_->Get("/v1/fila").json().at("profundidade").to_number<int64_t>(), 0);
}

// ---- audit ------------------------------------------------------------------------------------

using KeysAuditTest = ServerTest;

TEST_F(KeysAuditTest, WritesOfTwoKeysAreAuditedNewestFirst) {
  const std::string admin_id = BootstrapAdminId(*client_);
  const json::object pdv_key = CreateKey(*client_, PdvKey("PDV audit", {"1001"}));
  const std::string pdv_id = Text(pdv_key.at("id"));
  HttpClient pdv(server_->port(), Text(pdv_key.at("key")));
  ASSERT_EQ(pdv.Post("/v1/posicoes", Position("78900011", "1001", 10)).status, 202);
  ASSERT_EQ(pdv.Post("/v1/posicoes", "[{").status, 400);
  ASSERT_TRUE(WaitDrained());
  auto movement = client_->Post("/v1/movimentos", Serialize(Movement("aud-1", "recebimento", "1001", "78900011", 5, At(11))));
  ASSERT_EQ(movement.status, 201) << movement.body;
  ASSERT_EQ(client_->Request("DELETE", "/v1/admin/keys/" + pdv_id).status, 200);
  EXPECT_EQ(pdv.Get("/v1/fila").status, 401);  // not audited: no route reached

  struct Expected {
    std::string key, method, path;
    int64_t status;
  };
  const std::vector<Expected> expected = {
      {admin_id, "DELETE", "/v1/admin/keys/" + pdv_id, 200},
      {admin_id, "POST", "/v1/movimentos", 201},
      {pdv_id, "POST", "/v1/posicoes", 400},
      {pdv_id, "POST", "/v1/posicoes", 202},
      {admin_id, "POST", "/v1/admin/keys", 201},
  };
  std::vector<json::object> writes;  // the non-GET entries, newest first
  std::vector<json::object> all;
  ASSERT_TRUE(Eventually([&] {
    auto r = client_->Get("/v1/admin/audit?limit=1000");
    if (r.status != 200) return false;
    writes.clear();
    all.clear();
    for (const auto& item : Items(r)) {
      all.push_back(item.as_object());
      if (item.at("metodo") != "GET") writes.push_back(item.as_object());
    }
    return writes.size() >= expected.size();
  })) << writes.size();
  ASSERT_EQ(writes.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(Text(writes[i].at("chave")), expected[i].key) << i;
    EXPECT_EQ(Text(writes[i].at("metodo")), expected[i].method) << i;
    EXPECT_EQ(Text(writes[i].at("caminho")), expected[i].path) << i;
    EXPECT_EQ(writes[i].at("status").to_number<int64_t>(), expected[i].status) << i;
    EXPECT_EQ(Text(writes[i].at("nome")), expected[i].key == pdv_id ? "PDV audit" : "bootstrap admin");
  }
  for (std::size_t i = 1; i < all.size(); ++i) {  // newest first
    EXPECT_GE(*inventory::ParseRfc3339(Text(all[i - 1].at("em"))), *inventory::ParseRfc3339(Text(all[i].at("em"))));
  }
  // Admin reads are audited too (key listings, the audit itself).
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const json::object& e) { return e.at("caminho") == "/v1/admin/keys"; }));

  auto by_pdv = client_->Get("/v1/admin/audit?chave=" + pdv_id);
  ASSERT_EQ(by_pdv.status, 200);
  const json::array pdv_items = Items(by_pdv);
  ASSERT_EQ(pdv_items.size(), 2u) << by_pdv.body;
  EXPECT_EQ(pdv_items[0].at("status").to_number<int64_t>(), 400);
  EXPECT_EQ(pdv_items[1].at("status").to_number<int64_t>(), 202);
  auto by_admin = client_->Get("/v1/admin/audit?chave=" + admin_id + "&limit=1000");
  for (const auto& item : Items(by_admin)) EXPECT_EQ(Text(item.at("chave")), admin_id);

  // Paging with the cursor: newest first, nothing repeated.
  std::vector<std::string> paged;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto r = client_->Get("/v1/admin/audit?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    for (const auto& item : Items(r)) paged.push_back(Serialize(item));
    if (r.json().at("proximo_cursor").is_null()) break;
    cursor = Text(r.json().at("proximo_cursor"));
  }
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size());
  EXPECT_GE(paged.size(), all.size());
  EXPECT_EQ(client_->Get("/v1/admin/audit?cursor=AAAA").status, 400);  // not a cursor of this log
  EXPECT_EQ(client_->Get("/v1/admin/audit?desde=ontem").status, 400);

  // A request path with raw non-UTF-8 bytes is audited without breaking the listing's JSON.
  auto raw = SendRaw(server_->port(), RawRequest("DELETE", "/v1/admin/keys/k_\xff\xfe", kTestAdminKey, "", ""));
  EXPECT_EQ(raw.status, 404);
  EXPECT_TRUE(raw.json().is_object()) << raw.body;
  EXPECT_TRUE(Eventually([&] {
    // (Each poll is itself audited: read enough entries not to lose the one sought.)
    auto r = client_->Get("/v1/admin/audit?limit=1000");
    EXPECT_TRUE(r.json().is_object()) << "invalid JSON: " << r.body;
    if (!r.json().is_object()) return true;
    for (const auto& item : Items(r)) {
      if (item.at("caminho") == "/v1/admin/keys/k_%FF%FE") return true;
    }
    return false;
  }));

  // A pdv key may not read the audit log.
  HttpClient other_pdv(server_->port(), Text(CreateKey(*client_, PdvKey("PDV 2", {"1001"})).at("key")));
  EXPECT_EQ(other_pdv.Get("/v1/admin/audit").status, 403);
}

// ---- abuse ------------------------------------------------------------------------------------

using KeysAbuseTest = ServerTest;

// 200 bad requests (oversized, truncated, slow, malformed JSON, wrong types, invalid UTF-8, huge
// numbers, deep nesting, bad keys, bad HTTP) while good clients write and read: every bad one gets
// its 4xx, every good one succeeds, and the server's memory stays bounded.
//
// "Slow" requests: the server's request timeout (30 s) has no option to shorten it, so the test
// cannot wait for the server to close them; it holds them open through the whole run instead
// (they must neither be answered nor disturb anyone) and closes them itself.
TEST_F(KeysAbuseTest, BadRequestsAmongGoodOnes) {
  const uint16_t port = server_->port();
  std::vector<std::string> good_tokens;
  for (const char* branch : {"1001", "1002"}) {
    good_tokens.push_back(Text(CreateKey(*client_, PdvKey(std::string("good ") + branch, {branch})).at("key")));
  }
  std::atomic<bool> done{false};
  std::atomic<int> good_ok{0};
  std::mutex failures_mutex;
  std::vector<std::string> good_failures;
  std::vector<std::thread> good_clients;
  for (int t = 0; t < 2; ++t) {
    good_clients.emplace_back([&, t] {
      HttpClient client(port, good_tokens[t]);
      const std::string branch = t == 0 ? "1001" : "1002";
      for (int i = 0; !done.load() || i < 60; ++i) {
        auto post = client.Post("/v1/posicoes", Position(std::to_string(78910000 + i % 50), branch, i));
        auto get = client.Get("/v1/posicoes?filial=" + branch + "&limit=5");
        if (post.status == 202 && get.status == 200) {
          good_ok.fetch_add(2);
        } else {
          std::lock_guard lock(failures_mutex);
          if (good_failures.size() < 10) {
            good_failures.push_back(std::to_string(post.status) + " " + post.body + " / " + std::to_string(get.status));
          }
        }
      }
    });
  }
  // Warm-up: the good clients run for a while before the baseline is taken.
  ASSERT_TRUE(Eventually([&] { return good_ok.load() >= 100; }, 20s));
  const long baseline_kib = RssKib(server_->pid());
  ASSERT_GT(baseline_kib, 0);

  // Slow ones: a partial request each, held open for the whole run.
  constexpr int kSlow = 5;
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = Connect(port, 10s);
    ASSERT_GE(fd, 0);
    const std::string partial = "POST /v1/posicoes HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: " +
                                std::string(kTestAdminKey) + "\r\nContent-Length: 200\r\n\r\n[{\"codigo";
    ASSERT_EQ(send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
    slow.push_back(fd);
  }

  const std::string key = kTestAdminKey;
  const std::string good_item = Position("78912345", "1001", 1);
  std::string deep(100'000, '[');
  deep += std::string(100'000, ']');
  std::string huge_digits(400, '9');
  struct Bad {
    std::string name;
    std::string bytes;
    std::set<int> expected;
    bool half_close = false;
  };
  const std::vector<Bad> kinds = {
      {"declared oversized body",
       "POST /v1/posicoes HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-api-key: " + key +
           "\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n[{}",
       {413}},
      {"oversized body", RawRequest("POST", "/v1/posicoes", key, "[" + std::string(1024 * 1024 + 10, ' ') + "]"), {413}},
      {"truncated JSON", RawRequest("POST", "/v1/posicoes", key, good_item.substr(0, good_item.size() / 2)), {400}},
      {"truncated body (connection half-closed)",
       "POST /v1/posicoes HTTP/1.1\r\nHost: x\r\nx-api-key: " + key +
           "\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + good_item,
       {0, 400}, true},
      {"malformed JSON", RawRequest("POST", "/v1/posicoes", key, R"([{"codigo_barra": 78912345,,}])"), {400}},
      {"not JSON", RawRequest("POST", "/v1/movimentos", key, "hello"), {400}},
      {"wrong types", RawRequest("POST", "/v1/posicoes", key,
                                 R"([{"codigo_barra":78912345,"nome_produto":["x"],"filial":1001,"qtd_estoque":"10",)"
                                 R"("data_atulizacao_posicao_estoque":20240527}])"),
       {400}},
      {"invalid UTF-8 in the body",
       RawRequest("POST", "/v1/posicoes", key,
                  "[{\"codigo_barra\":\"78912345\",\"nome_produto\":\"caf\xc3\x28\",\"filial\":\"1001\","
                  "\"qtd_estoque\":1,\"data_atulizacao_posicao_estoque\":\"2024-05-27 21:16:31\"}]"),
       {400}},
      {"invalid UTF-8 in the path", RawRequest("GET", "/v1/posicoes/\xff\xfe/1001", key, "", ""), {400}},
      {"huge number", RawRequest("POST", "/v1/posicoes", key,
                                 R"([{"codigo_barra":"78912345","nome_produto":"x","filial":"1001","qtd_estoque":)" +
                                     huge_digits + R"(,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])"),
       {400}},
      {"huge exponent", RawRequest("POST", "/v1/posicoes", key,
                                   R"([{"codigo_barra":"78912345","nome_produto":"x","filial":"1001","qtd_estoque":1e999,)"
                                   R"("data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])"),
       {400}},
      {"deep nesting", RawRequest("POST", "/v1/posicoes", key, deep), {400}},
      {"deep nesting (key)", RawRequest("POST", "/v1/admin/keys", key, deep.substr(0, 5000) + deep.substr(195'000)), {400}},
      {"no key", RawRequest("POST", "/v1/posicoes", "", good_item), {401}},
      {"unknown key", RawRequest("POST", "/v1/posicoes", "estq_unknown-key-00000000000000000000000000000", good_item), {401}},
      {"huge key", RawRequest("GET", "/v1/fila", std::string(8000, 'k')), {401}},
      {"wrong media type", RawRequest("POST", "/v1/posicoes", key, "a=b", "application/x-www-form-urlencoded"), {415}},
      {"header too large", RawRequest("GET", "/v1/fila", key, "", "", "X-Big: " + std::string(20 * 1024, 'a') + "\r\n"), {431}},
      {"garbage request line", "GARBAGE\r\n\r\n", {400}},
      {"bad chunked encoding", "POST /v1/posicoes HTTP/1.1\r\nHost: x\r\nx-api-key: " + key +
                                   "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
       {400}},
  };

  long max_kib = baseline_kib;
  int bad_checked = 0;
  for (int i = 0; bad_checked < 200 - kSlow; ++i) {
    const Bad& bad = kinds[i % kinds.size()];
    RawReply reply = SendRaw(port, bad.bytes, bad.half_close);
    ++bad_checked;
    EXPECT_TRUE(bad.expected.count(reply.status)) << bad.name << ": got " << reply.status << " " << reply.body << " "
                                                  << reply.error;
    if (reply.status != 0) {
      // Every answer is the one JSON error shape (valid UTF-8 included).
      const json::value body = reply.json();
      EXPECT_TRUE(body.is_object() && body.as_object().contains("error")) << bad.name << ": " << reply.body;
    }
    max_kib = std::max(max_kib, RssKib(server_->pid()));
  }

  // The slow ones were neither answered nor closed (the request timeout is 30 s).
  for (int fd : slow) {
    char byte;
    const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
    EXPECT_TRUE(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) << "slow connection got " << n;
    close(fd);
  }
  done.store(true);
  for (auto& thread : good_clients) thread.join();
  max_kib = std::max(max_kib, RssKib(server_->pid()));

  EXPECT_EQ(bad_checked + kSlow, 200);
  EXPECT_TRUE(good_failures.empty()) << good_failures.size() << " failed, first: " << good_failures.front();
  EXPECT_GE(good_ok.load(), 240);
  EXPECT_LT(max_kib, 2 * baseline_kib + 64 * 1024) << "baseline " << baseline_kib << " KiB";
  EXPECT_EQ(client_->Get("/health").status, 200);
  ASSERT_TRUE(WaitDrained());
  // Nothing bad was queued: only the good clients' positions exist (two branches).
  auto positions = client_->Get("/v1/posicoes?limit=1000");
  ASSERT_EQ(positions.status, 200);
  for (const auto& item : Items(positions)) {
    const std::string branch = Text(item.at("filial"));
    EXPECT_TRUE(branch == "1001" || branch == "1002") << Serialize(item);
    EXPECT_NE(Text(item.at("codigo_barra")), "78912345");
  }
}

}  // namespace
}  // namespace estoque::e2e
