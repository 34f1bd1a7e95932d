// End to end: online backup and restore with the real binary. `estoque backup` copies a running
// server's data while it keeps serving; `estoque restore` rebuilds a data directory from the copy;
// a server started on it must answer exactly what the original answered at backup time: every
// position, every movement of the ledger, every API key (and the catalog, transfers, reservations,
// alerts, branch summaries and counters). A backup taken while writers keep writing must be a
// consistent cut: every write acknowledged before it is in it, nothing is in it that the original
// does not have, and every quantity is what its ledger sums to. While a backup is being streamed
// (held open by a slow reader) the server keeps taking writes and reads, a second backup gets
// 409, and the copy holds nothing written after its checkpoint. And the refusals: non-admin keys,
// a non-empty target, a damaged backup, a data directory in use.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "backup/backup_stream.h"
#include "backup/backup_writer.h"
#include "e2e/support/command.h"
#include "e2e/support/inventory_support.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT
namespace fs = std::filesystem;

constexpr const char* kA = "4001";
constexpr const char* kB = "4002";

std::string Barcode(int n) { return std::to_string(7894000000000ll + n); }

// Every item of a GET listing ("itens"), following proximo_cursor.
json::array Walk(HttpClient& client, const std::string& target) {
  json::array items;
  std::string cursor;
  for (int page = 0; page < 10000; ++page) {
    const std::string sep = target.find('?') == std::string::npos ? "?" : "&";
    auto r = client.Get(target + (cursor.empty() ? "" : sep + "cursor=" + cursor));
    EXPECT_EQ(r.status, 200) << target << " -> " << r.body;
    if (r.status != 200) return items;
    const auto v = r.json();
    for (const auto& item : v.at("itens").as_array()) items.push_back(item);
    if (!v.as_object().contains("proximo_cursor") || v.at("proximo_cursor").is_null()) return items;
    cursor = Str(v.at("proximo_cursor"));
  }
  ADD_FAILURE() << "paging did not end: " << target;
  return items;
}

// Everything a server answers about its data, to compare two servers.
struct Picture {
  std::map<std::string, json::value> stocks;  // "codigo_barra/filial" -> GET /v1/posicoes/{cb}/{f}
  std::vector<json::object> ledger;           // GET /v1/movimentos, every entry
  json::array keys, transfers, reservations, products, branches, alerts;
  std::map<std::string, json::value> summaries;  // filial -> GET /v1/filiais/{f}/resumo, but its age
  json::value counters;                          // GET /v1/fila without its live fields
};

Picture TakePicture(HttpClient& client) {
  Picture picture;
  for (const auto& item : Walk(client, "/v1/posicoes?limit=1000")) {
    const std::string key = Str(item.at("codigo_barra")) + "/" + Str(item.at("filial"));
    auto r = client.Get("/v1/posicoes/" + key);
    EXPECT_EQ(r.status, 200) << key << " -> " << r.body;
    picture.stocks[key] = r.json();
  }
  picture.ledger = Ledger(client, "");
  picture.keys = Walk(client, "/v1/admin/keys");
  picture.transfers = Walk(client, "/v1/transferencias?limit=1000");
  picture.reservations = Walk(client, "/v1/reservas?limit=1000");
  picture.products = Walk(client, "/v1/produtos?limit=1000");
  picture.branches = Walk(client, "/v1/filiais");
  picture.alerts = Walk(client, "/v1/alertas?limit=1000");
  for (const auto& branch : picture.branches) {
    const std::string id = Str(branch.at("filial"));
    json::object summary = client.Get("/v1/filiais/" + id + "/resumo").json().as_object();
    summary.erase("segundos_desde_ultimo_envio");  // relative to now
    picture.summaries[id] = std::move(summary);
  }
  json::object fila = client.Get("/v1/fila").json().as_object();
  picture.counters = json::object{{"aplicadas", fila.at("aplicadas")},
                                  {"descartadas_mais_antigas", fila.at("descartadas_mais_antigas")},
                                  {"mensagens_aplicadas", fila.at("mensagens_aplicadas")},
                                  {"profundidade", fila.at("profundidade")}};
  return picture;
}

void ExpectSamePicture(const Picture& original, const Picture& restored) {
  EXPECT_EQ(restored.stocks.size(), original.stocks.size());
  for (const auto& [key, stock] : original.stocks) {
    auto found = restored.stocks.find(key);
    ASSERT_NE(found, restored.stocks.end()) << "position " << key << " is missing";
    EXPECT_EQ(found->second, stock) << key;
  }
  ASSERT_EQ(restored.ledger.size(), original.ledger.size());
  for (std::size_t i = 0; i < original.ledger.size(); ++i) {
    EXPECT_EQ(restored.ledger[i], original.ledger[i]) << "ledger entry " << i;
  }
  EXPECT_EQ(restored.keys, original.keys);
  EXPECT_EQ(restored.transfers, original.transfers);
  EXPECT_EQ(restored.reservations, original.reservations);
  EXPECT_EQ(restored.products, original.products);
  EXPECT_EQ(restored.branches, original.branches);
  EXPECT_EQ(restored.alerts, original.alerts);
  EXPECT_EQ(restored.summaries, original.summaries);
  EXPECT_EQ(restored.counters, original.counters);
}

struct Key {
  std::string id;
  std::string token;
};

class BackupTest : public InventoryServerTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--rate-limit-rps", "0"}; }

  Key CreateKey(const std::string& role, const std::vector<std::string>& branches, const std::string& name) {
    json::object body{{"role", role}, {"nome", name}};
    if (!branches.empty()) {
      json::array list;
      for (const auto& branch : branches) list.emplace_back(branch);
      body["filiais"] = std::move(list);
    }
    auto r = client_->Post("/v1/admin/keys", Serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    return {Str(r.json().at("id")), Str(r.json().at("key"))};
  }

  // `estoque backup --server <this server> --to <dir>` (admin key from ESTOQUE_API_KEY).
  CommandResult BackupTo(const std::string& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"backup", "--server", server_->url(), "--to", dir};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunEstoque(args);
  }

  // Stops the original server, restores `backup` into a new data directory and starts a server on
  // it; client_ then talks to the restored server.
  void RestoreAndStart(const std::string& backup) {
    ASSERT_EQ(server_->Terminate(), 0) << server_->output();
    const auto started = std::chrono::steady_clock::now();
    auto restored = RunEstoque({"restore", "--from", backup, "--data", restored_dir_});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    std::cout << "[ backup ] restore took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
              << " ms: " << restored.out.substr(0, restored.out.find('\n')) << "\n";
    EXPECT_NE(restored.out.find("Restored " + restored_dir_), std::string::npos) << restored.out;
    restored_server_ = std::make_unique<ServerProcess>(restored_dir_, ServerArgs());
    ASSERT_TRUE(restored_server_->Start()) << restored_server_->last_error();
    client_ = std::make_unique<HttpClient>(restored_server_->port());
    ASSERT_TRUE(WaitDrained());
  }

  void TearDown() override {
    InventoryServerTest::TearDown();
    if (restored_server_ && restored_server_->running()) {
      EXPECT_EQ(restored_server_->Terminate(), 0) << restored_server_->output();
    }
  }

  std::string backup_dir_ = dir_.path() + "/backup";
  std::string restored_dir_ = dir_.path() + "/restored";
  std::unique_ptr<ServerProcess> restored_server_;
};

// ---- the exact copy ------------------------------------------------------------------------

TEST_F(BackupTest, RestoredServerAnswersExactlyWhatTheOriginalDidAtBackupTime) {
  // Catalog, counts, sales (one cancelled), movements, transfers in three states, reservations,
  // a reorder point, keys (one revoked, one rotated).
  ASSERT_EQ(Put("/v1/filiais/" + std::string(kA), R"({"nome":"Loja Centro","fuso":"America/Sao_Paulo"})").status, 201);
  ASSERT_EQ(Put("/v1/produtos/" + Barcode(1), R"({"nome_produto":"Café 500g","estoque_minimo":5})").status, 201);
  std::vector<json::object> counts;
  for (int p = 0; p < 20; ++p) {
    counts.push_back(SeedItem(Barcode(p), kA, 50 + p, "2024-06-01 08:00:00", "Produto " + std::to_string(p)));
    counts.push_back(SeedItem(Barcode(p), kB, 30 + p, "2024-06-01 08:00:00", "Produto " + std::to_string(p)));
  }
  json::array count_items(counts.begin(), counts.end());
  ASSERT_EQ(client_->Post("/v1/posicoes", Serialize(count_items)).status, 202);
  ASSERT_TRUE(WaitDrained());
  for (int s = 0; s < 30; ++s) {
    Sell("v-" + std::to_string(s), s % 2 ? kA : kB, {{Barcode(s % 20), 1 + s % 3}, {Barcode((s + 7) % 20), 2}}, At(9, s));
  }
  ASSERT_EQ(client_->Post("/v1/vendas/" + std::string(kA) + "/v-1/cancelamento", DataBody(At(10))).status, 202);
  auto moved = client_->Post("/v1/movimentos",
                             MovementsBody({Movement("m-1", "recebimento", kA, Barcode(2), 40, At(11)),
                                            Movement("m-2", "ajuste", kB, Barcode(3), 2, At(11), "quebra"),
                                            Movement("m-3", "contagem", kA, Barcode(4), 17, At(11, 30))}));
  ASSERT_EQ(moved.status, 201) << moved.body;
  for (const char* id : {"t-received", "t-shipped", "t-created"}) {
    ASSERT_EQ(client_->Post("/v1/transferencias", TransferBody(id, kA, kB, {{Barcode(5), 3}, {Barcode(6), 1}})).status, 201);
  }
  ASSERT_EQ(client_->Post("/v1/transferencias/t-received/envio", "{}").status, 200);
  ASSERT_EQ(client_->Post("/v1/transferencias/t-received/recebimento", "{}").status, 200);
  ASSERT_EQ(client_->Post("/v1/transferencias/t-shipped/envio", "{}").status, 200);
  const std::string expires = FromNow(std::chrono::hours(2));
  ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-active", kA, {{Barcode(7), 2}}, expires)).status, 201);
  ASSERT_EQ(client_->Post("/v1/reservas", ReservationBody("r-confirmed", kA, {{Barcode(8), 1}}, expires)).status, 201);
  ASSERT_EQ(client_->Post("/v1/reservas/r-confirmed/confirmacao", "{}").status, 200);
  ASSERT_EQ(Put("/v1/posicoes/" + Barcode(9) + "/" + kB + "/estoque_minimo", R"({"estoque_minimo":100})").status, 200);
  const Key pdv = CreateKey("pdv", {kA}, "PDV 4001");
  const Key reader = CreateKey("leitura", {}, "BI");
  const Key revoked = CreateKey("integracao", {}, "ERP antigo");
  const Key rotated = CreateKey("leitura", {kB}, "painel");
  ASSERT_EQ(client_->Request("DELETE", "/v1/admin/keys/" + revoked.id).status, 200);
  auto rotation = client_->Post("/v1/admin/keys/" + rotated.id + "/rotate", "");
  ASSERT_EQ(rotation.status, 200);
  const std::string rotated_token = Str(rotation.json().at("key"));
  ASSERT_TRUE(WaitDrained());

  const Picture original = TakePicture(*client_);
  ASSERT_EQ(original.stocks.size(), 40u);
  ASSERT_GT(original.ledger.size(), 100u);
  ASSERT_EQ(original.keys.size(), 5u);  // the test admin key and four more

  auto backup = BackupTo(backup_dir_);
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("every file checked against its SHA-256"), std::string::npos) << backup.out;
  EXPECT_TRUE(fs::exists(backup_dir_ + "/manifest.json"));
  // The backup is audited (the entry is written once the response has ended, so it may come just
  // after the command exits; every page is searched, since the polls are audited too and newer),
  // and its checkpoint is gone from the data directory.
  std::string audit_body;
  EXPECT_TRUE(Eventually([&] {
    std::string path = "/v1/admin/audit?limit=1000";
    for (int page_number = 0; page_number < 100; ++page_number) {
      auto audit = client_->Get(path);
      audit_body = audit.body;
      if (audit.status != 200) return false;
      const json::value page = audit.json();
      for (const auto& entry : page.at("itens").as_array()) {
        if (entry.at("caminho") == "/v1/admin/backup" && entry.at("metodo") == "GET" &&
            Int(entry.at("status")) == 200) {
          return true;
        }
      }
      const json::value& cursor = page.at("proximo_cursor");
      if (cursor.is_null()) return false;
      path = "/v1/admin/audit?limit=1000&cursor=" + Str(cursor);
    }
    return false;
  })) << audit_body;
  EXPECT_TRUE(Eventually([&] { return !fs::exists(server_->data_dir() + "/backup-checkpoint"); }));

  RestoreAndStart(backup_dir_);
  ExpectSamePicture(original, TakePicture(*client_));

  // The keys work as before: tokens, revocation, rotation, scope.
  EXPECT_EQ(HttpClient(restored_server_->port(), pdv.token).Get("/v1/posicoes/" + Barcode(1) + "/" + kA).status, 200);
  EXPECT_EQ(HttpClient(restored_server_->port(), pdv.token).Get("/v1/posicoes/" + Barcode(1) + "/" + kB).status, 403);
  EXPECT_EQ(HttpClient(restored_server_->port(), reader.token).Get("/v1/fila").status, 200);
  EXPECT_EQ(HttpClient(restored_server_->port(), revoked.token).Get("/v1/fila").status, 401);
  EXPECT_EQ(HttpClient(restored_server_->port(), rotated.token).Get("/v1/fila").status, 401);
  EXPECT_EQ(HttpClient(restored_server_->port(), rotated_token).Get("/v1/fila").status, 200);
  // And it takes writes: a sale repeated from before the backup is still recognised.
  Sell("v-2", kB, {{Barcode(2), 1}}, At(9, 2));
  Sell("v-new", kB, {{Barcode(2), 1}}, At(12));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand(Barcode(2), kB), Int(original.stocks.at(Barcode(2) + "/" + kB).at("em_estoque")) - 1);
}

// ---- a backup while writers write ----------------------------------------------------------

TEST_F(BackupTest, BackupTakenWhileWritersWriteIsAConsistentCut) {
  constexpr int kWriters = 3;
  constexpr int kProducts = 8;
  std::vector<json::object> counts;
  for (int p = 0; p < kProducts; ++p) {
    for (const char* branch : {kA, kB}) counts.push_back(SeedItem(Barcode(p), branch, 1000, "2024-06-01 08:00:00"));
  }
  json::array count_items(counts.begin(), counts.end());
  ASSERT_EQ(client_->Post("/v1/posicoes", Serialize(count_items)).status, 202);
  ASSERT_TRUE(WaitDrained());

  // What each writer had acknowledged, in order: "m:<filial>/<id>" for movements (201: fsync'ed),
  // "v:<filial>/<venda_id>" for sales (202: durable in the queue), "t:<id>" for shipped transfers.
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      HttpClient client(server_->port());
      std::mt19937 rng(static_cast<uint32_t>(w + 11));
      for (int i = 0; !stop.load(); ++i) {
        const std::string suffix = std::to_string(w) + "-" + std::to_string(i);
        const std::string branch = rng() % 2 ? kA : kB;
        const std::string product = Barcode(static_cast<int>(rng() % kProducts));
        std::string done;
        switch (i % 3) {
          case 0: {
            auto r = client.Post("/v1/movimentos",
                                 MovementsBody({Movement("m" + suffix, "recebimento", branch, product, 1 + i % 5,
                                                         At(9 + w, i / 60 % 60, i % 60))}));
            if (r.status == 201) done = "m:" + branch + "/m" + suffix;
            break;
          }
          case 1: {
            auto r = client.Post("/v1/vendas", SaleBody("v" + suffix, branch, {{product, 1}}, At(9 + w, i / 60 % 60, i % 60)));
            if (r.status == 202) done = "v:" + branch + "/v" + suffix;
            break;
          }
          case 2: {
            const std::string other = branch == kA ? kB : kA;
            auto created = client.Post("/v1/transferencias", TransferBody("t" + suffix, branch, other, {{product, 1}}));
            auto shipped = client.Post("/v1/transferencias/t" + suffix + "/envio", "{}");
            if (created.status == 201 && shipped.status == 200) done = "t:t" + suffix;
            break;
          }
        }
        if (done.empty()) {
          failures.fetch_add(1);
          continue;
        }
        std::lock_guard lock(mutex);
        acknowledged.push_back(done);
      }
    });
  }
  auto acknowledged_count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  ASSERT_TRUE(Eventually([&] { return acknowledged_count() >= 150; }, std::chrono::seconds(60)));
  std::vector<std::string> before_backup;
  {
    std::lock_guard lock(mutex);
    before_backup = acknowledged;
  }
  auto backup = BackupTo(backup_dir_);
  const std::size_t at_end_of_backup = acknowledged_count();
  // A little more writing after the backup, then stop.
  Eventually([&] { return acknowledged_count() >= at_end_of_backup + 30; }, std::chrono::seconds(30));
  stop = true;
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(WaitDrained());
  const std::vector<json::object> original_ledger = Ledger(*client_, "");
  std::set<std::string> original_entries;
  for (const auto& entry : original_ledger) original_entries.insert(EntryKey(entry));

  RestoreAndStart(backup_dir_);
  // Every quantity is what its ledger sums to, by the counting rule.
  int positions = 0;
  for (const auto& item : Walk(*client_, "/v1/posicoes?limit=1000")) {
    const std::string barcode = Str(item.at("codigo_barra"));
    const std::string branch = Str(item.at("filial"));
    EXPECT_EQ(OnHand(barcode, branch), OnHandByRule(LedgerOf(barcode, branch))) << barcode << "/" << branch;
    ++positions;
  }
  EXPECT_EQ(positions, 2 * kProducts);
  // Nothing the original does not have; everything acknowledged before the backup began.
  const std::vector<json::object> restored_ledger = Ledger(*client_, "");
  std::set<std::string> restored_entries;
  for (const auto& entry : restored_ledger) {
    restored_entries.insert(EntryKey(entry));
    EXPECT_TRUE(original_entries.contains(EntryKey(entry))) << "not in the original: " << EntryKey(entry);
  }
  EXPECT_LE(restored_ledger.size(), original_ledger.size());
  std::set<std::string> transfers;
  for (const auto& transfer : Walk(*client_, "/v1/transferencias?limit=1000")) {
    transfers.insert(Str(transfer.at("id")) + "/" + Str(transfer.at("status")));
  }
  for (const std::string& done : before_backup) {
    const std::string kind = done.substr(0, 2);
    const std::string rest = done.substr(2);
    if (kind == "m:") {
      const std::string branch = rest.substr(0, rest.find('/'));
      const std::string id = rest.substr(rest.find('/') + 1);
      bool found = false;
      for (const auto& entry : restored_ledger) found |= Str(entry.at("filial")) == branch && Str(entry.at("id")) == id;
      EXPECT_TRUE(found) << "movement acknowledged before the backup is missing: " << rest;
    } else if (kind == "v:") {
      const std::string branch = rest.substr(0, rest.find('/'));
      const std::string sale = rest.substr(rest.find('/') + 1);
      bool found = false;
      for (const auto& entry : restored_ledger) {
        found |= Str(entry.at("filial")) == branch && Str(entry.at("id")) == sale + "#1";
      }
      EXPECT_TRUE(found) << "sale acknowledged before the backup is missing: " << rest;
    } else {
      EXPECT_TRUE(transfers.contains(rest + "/em_transito")) << "shipped transfer missing: " << rest;
    }
  }
  std::cout << "[ backup ] " << before_backup.size() << " writes acknowledged before the backup began, "
            << at_end_of_backup << " when it ended; the copy holds " << restored_ledger.size() << " of the "
            << original_ledger.size() << " ledger entries the original ended with\n";
}

// ---- a backup held open: the server keeps serving ------------------------------------------

// Reads GET /v1/admin/backup on its own connection with a small receive buffer, as slowly as the
// test wants: the header first, the body later.
class SlowBackupReader {
 public:
  SlowBackupReader(uint16_t port, const std::string& key) : socket_(io_) {
    namespace net = boost::asio;
    namespace http = boost::beast::http;
    socket_.open(net::ip::tcp::v4());
    socket_.set_option(net::socket_base::receive_buffer_size(16 * 1024));
    socket_.connect({net::ip::make_address("127.0.0.1"), port});
    timeval timeout{60, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    http::request<http::empty_body> request{http::verb::get, "/v1/admin/backup", 11};
    request.set(http::field::host, "127.0.0.1");
    request.set("x-api-key", key);
    http::write(socket_, request);
    parser_.body_limit(boost::none);
    boost::beast::error_code error;
    http::read_header(socket_, buffer_, parser_, error);
    EXPECT_FALSE(error) << error.message();
  }

  unsigned status() const { return parser_.get().result_int(); }

  // Reads the rest of the body into `sink`; false on a transport error.
  bool ReadBody(const std::function<Status(std::string_view)>& sink) {
    namespace http = boost::beast::http;
    std::vector<char> chunk(64 * 1024);
    while (!parser_.is_done()) {
      parser_.get().body().data = chunk.data();
      parser_.get().body().size = chunk.size();
      boost::beast::error_code error;
      http::read_some(socket_, buffer_, parser_, error);
      if (error == http::error::need_buffer) error = {};
      if (error) {
        ADD_FAILURE() << error.message();
        return false;
      }
      const Status fed = sink(std::string_view(chunk.data(), chunk.size() - parser_.get().body().size));
      if (!fed.ok()) {
        ADD_FAILURE() << fed.ToString();
        return false;
      }
    }
    return true;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response_parser<boost::beast::http::buffer_body> parser_;
};

TEST_F(BackupTest, WhileABackupIsStreamedTheServerKeepsServingAndASecondOneGets409) {
  // About 28 MB of data that does not compress (random 200-character names), far more than the
  // sockets can buffer: the first backup stays in the middle of its stream while its reader waits.
  constexpr int kRequests = 24;
  std::mt19937 rng(5);
  constexpr const char kLetters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int request = 0; request < kRequests; ++request) {
    json::array items;
    for (int i = 0; i < 1000; ++i) {
      std::string name(200, ' ');
      for (char& c : name) c = kLetters[rng() % 62];
      items.push_back(SeedItem(Barcode(request * 1000 + i), kA, i, "2024-06-01 08:00:00", name));
    }
    ASSERT_EQ(client_->Post("/v1/posicoes", Serialize(items)).status, 202);
  }
  ASSERT_TRUE(WaitDrained());
  auto before = client_->Post("/v1/movimentos", MovementsBody({Movement("before", "recebimento", kB, Barcode(1), 5, At(10))}));
  ASSERT_EQ(before.status, 201) << before.body;

  SlowBackupReader slow(server_->port(), kTestAdminKey);
  ASSERT_EQ(slow.status(), 200u);
  // The checkpoint was taken before the header came. While its stream is held open:
  const auto started = std::chrono::steady_clock::now();
  auto second = client_->Get("/v1/admin/backup");
  ASSERT_EQ(second.status, 409) << "the first backup must still be streaming (make the data larger?)";
  EXPECT_EQ(ErrorCode(second), "backup_in_progress");
  auto cli = BackupTo(backup_dir_ + "-second");
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.err.find("HTTP 409"), std::string::npos) << cli.err;
  EXPECT_FALSE(fs::exists(backup_dir_ + "-second"));
  auto during = client_->Post("/v1/movimentos", MovementsBody({Movement("during", "recebimento", kB, Barcode(1), 7, At(11))}));
  EXPECT_EQ(during.status, 201) << during.body;
  Sell("v-during", kA, {{Barcode(2), 1}}, At(11));
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(OnHand(Barcode(1), kB), 12);
  const auto served_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(served_ms, 10'000) << "writes and reads must not wait for the backup";

  // Now the slow reader takes the whole stream.
  fs::create_directories(backup_dir_);
  backup::BackupDirWriter writer(backup_dir_);
  backup::BackupStreamDecoder decoder(&writer);
  ASSERT_TRUE(slow.ReadBody([&](std::string_view bytes) { return decoder.Feed(bytes); }));
  ASSERT_TRUE(decoder.Finish().ok()) << decoder.Finish().ToString();
  EXPECT_GT(decoder.bytes_read(), 20u << 20);
  std::cout << "[ backup ] " << (decoder.bytes_read() >> 20) << " MiB streamed; writes and reads answered in "
            << served_ms << " ms while it was held open\n";
  // The next backup is allowed again; the CLI takes this larger one in many pieces.
  EXPECT_TRUE(Eventually([&] { return !fs::exists(server_->data_dir() + "/backup-checkpoint"); }));
  auto whole = BackupTo(backup_dir_ + "-cli");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  std::cout << "[ backup ] " << whole.out.substr(0, whole.out.find('\n')) << "\n";

  RestoreAndStart(backup_dir_);
  EXPECT_EQ(OnHand(Barcode(1), kB), 5);  // "before" is in the copy, "during" is not
  EXPECT_EQ(OnHand(Barcode(2), kA), 2);  // the count of item 2, without the sale made during it
  EXPECT_EQ(Walk(*client_, "/v1/posicoes?limit=1000").size(), kRequests * 1000u + 1u);
}

// ---- refusals ------------------------------------------------------------------------------

TEST_F(BackupTest, RefusalsAreClearAndLeaveNothingBehind) {
  SeedCounts({SeedItem(Barcode(1), kA, 10, "2024-06-01 08:00:00")});
  // Only admin keys may take a backup.
  const Key reader = CreateKey("leitura", {}, "BI");
  auto forbidden = HttpClient(server_->port(), reader.token).Get("/v1/admin/backup");
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(ErrorCode(forbidden), "forbidden");
  auto cli_forbidden = BackupTo(backup_dir_, {"--key", reader.token});
  EXPECT_EQ(cli_forbidden.exit_code, 1);
  EXPECT_NE(cli_forbidden.err.find("HTTP 403"), std::string::npos) << cli_forbidden.err;
  EXPECT_NE(cli_forbidden.err.find("backups need an admin key"), std::string::npos) << cli_forbidden.err;
  EXPECT_FALSE(fs::exists(backup_dir_));
  EXPECT_EQ(BackupTo(backup_dir_, {"--key", "estq_not-a-real-key-000000000000000000000000000"}).exit_code, 1);
  auto unreachable = RunEstoque({"backup", "--server", "http://127.0.0.1:1", "--to", backup_dir_});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("cannot reach"), std::string::npos) << unreachable.err;
  EXPECT_EQ(RunEstoque({"backup", "--server", server_->url()}).exit_code, 2);  // --to missing

  // The backup directory must be new or empty.
  fs::create_directories(backup_dir_);
  std::ofstream(backup_dir_ + "/notes.txt") << "mine";
  auto not_empty = BackupTo(backup_dir_);
  EXPECT_EQ(not_empty.exit_code, 1);
  EXPECT_NE(not_empty.err.find("is not empty"), std::string::npos) << not_empty.err;
  EXPECT_EQ(fs::remove_all(backup_dir_), 2u);  // only what the test put there

  ASSERT_EQ(BackupTo(backup_dir_).exit_code, 0);
  // Restore refuses a data directory in use, or not empty.
  auto in_use = RunEstoque({"restore", "--from", backup_dir_, "--data", server_->data_dir()});
  EXPECT_EQ(in_use.exit_code, 1);
  EXPECT_NE(in_use.err.find("in use by a running server"), std::string::npos) << in_use.err;
  fs::create_directories(restored_dir_);
  std::ofstream(restored_dir_ + "/old") << "x";
  auto occupied = RunEstoque({"restore", "--from", backup_dir_, "--data", restored_dir_});
  EXPECT_EQ(occupied.exit_code, 1);
  EXPECT_NE(occupied.err.find("is not empty"), std::string::npos) << occupied.err;
  fs::remove_all(restored_dir_);

  // A damaged backup file: restore names it and creates nothing.
  std::string largest;
  uintmax_t largest_size = 0;
  for (const auto& entry : fs::directory_iterator(backup_dir_)) {
    if (entry.file_size() > largest_size && entry.path().filename() != "manifest.json") {
      largest_size = entry.file_size();
      largest = entry.path().filename().string();
    }
  }
  {
    std::fstream file(backup_dir_ + "/" + largest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(largest_size / 2));
    const char original = static_cast<char>(file.get());
    file.seekp(static_cast<std::streamoff>(largest_size / 2));
    file.put(static_cast<char>(original ^ 1));
  }
  auto damaged = RunEstoque({"restore", "--from", backup_dir_, "--data", restored_dir_});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find(largest), std::string::npos) << damaged.err;
  EXPECT_NE(damaged.err.find("SHA-256"), std::string::npos) << damaged.err;
  EXPECT_FALSE(fs::exists(restored_dir_));
  EXPECT_FALSE(fs::exists(restored_dir_ + ".restoring"));

  // Not a backup at all.
  auto not_backup = RunEstoque({"restore", "--from", dir_.path(), "--data", restored_dir_});
  EXPECT_EQ(not_backup.exit_code, 1);
  EXPECT_NE(not_backup.err.find("no manifest.json"), std::string::npos) << not_backup.err;
  EXPECT_EQ(RunEstoque({"restore", "--from", backup_dir_}).exit_code, 2);  // --data missing
}

}  // namespace
}  // namespace estoque::e2e
