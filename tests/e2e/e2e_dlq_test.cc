// End to end: poison messages and the dead-letter queue, against the real binary.
//   - a message left in the queue of an earlier version (in the data directory's own database) is
//     moved into the queue's database at start and applied;
//   - a server is stopped, and two poison messages are written into its queue the way a damaged
//     disk could leave them (straight into RocksDB, with the next queue ids): one whose bytes do
//     not decode, and one that decodes but whose apply fails (it names a product-branch whose
//     stored stock value was made unreadable);
//   - after a restart both end in GET /v1/fila/dlq after --dlq-max-attempts, with the reason and a
//     summary of the decodable one, while the server keeps applying everything else;
//   - only admin keys may list, replay (they fail again and come back) or drop them; unknown ids
//     and malformed bodies are refused with nothing done; every call is in the audit log.
#include <string>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "e2e/support/inventory_support.h"
#include "queue/message_codec.h"
#include "queue/queue_rows.h"
#include "store/rocksdb_engine.h"
#include "support/test_engine.h"

namespace estoque::e2e {
namespace {

using namespace estoque::e2e::inventory;  // NOLINT

constexpr const char* kBranch = "1001";
constexpr const char* kDamagedBarcode = "78900301";  // its stock value is made unreadable
constexpr const char* kGoodBarcode = "78900302";
const std::string kUndecodable("\x02junk", 5);  // version 2, then truncated

using test_support::OpenTestEngine;

// Stops nothing: REQUIRES the server is not running on `data_dir`. Writes the two poison messages
// into the queue's database with the next two queue ids (advancing queue.next_id like the queue
// does) and damages the stock value the second one needs. Returns their ids.
std::pair<uint64_t, uint64_t> InjectPoison(const std::string& data_dir) {
  std::unique_ptr<store::RocksEngine> queue_db =
      OpenTestEngine(queue::QueueDatabaseDir(data_dir), store::EngineLayout::kQueue);
  std::unique_ptr<store::RocksEngine> store_db = OpenTestEngine(data_dir, store::EngineLayout::kStore);
  if (queue_db == nullptr || store_db == nullptr) return {0, 0};
  std::string next;
  EXPECT_TRUE(queue_db->db()->Get(rocksdb::ReadOptions(), queue_db->meta(), "queue.next_id", &next).ok());
  const uint64_t first = store::DecodeQueueKey(next);

  queue::Message message;
  message.enqueued_at_us = 1'717'236'000'000'000;  // 2024-06-01T10:00:00Z
  domain::Position item;
  item.barcode = kDamagedBarcode;
  item.branch = kBranch;
  item.product_name = "Café";
  item.quantity_milli = 5000;
  item.updated_at_us = 1'717'236'000'000'000;
  message.items.push_back(item);

  rocksdb::WriteOptions sync;
  sync.sync = true;
  rocksdb::WriteBatch damage;
  damage.Put(store_db->positions(), store::PositionKey(kDamagedBarcode, kBranch), "\x09unknown version");
  EXPECT_TRUE(store_db->db()->Write(sync, &damage).ok());
  rocksdb::WriteBatch batch;
  batch.Put(queue_db->queue(), store::QueueKey(first), kUndecodable);
  batch.Put(queue_db->queue(), store::QueueKey(first + 1), queue::EncodeMessage(message));
  batch.Put(queue_db->meta(), "queue.next_id", store::QueueKey(first + 2));
  EXPECT_TRUE(queue_db->db()->Write(sync, &batch).ok());
  return {first, first + 1};
}

// Stops nothing: REQUIRES the server is not running on `data_dir`. Leaves one accepted, unapplied
// message of `quantity` units of kGoodBarcode where an earlier version kept its queue: in the data
// directory's own database, with its queue.next_id there.
void LeaveMessageInTheOldQueue(const std::string& data_dir, int64_t quantity) {
  std::unique_ptr<store::RocksEngine> store_db = OpenTestEngine(data_dir, store::EngineLayout::kStore);
  if (store_db == nullptr) return;
  queue::Message message;
  message.enqueued_at_us = 1'717'236'000'000'000;
  domain::Position item;
  item.barcode = kGoodBarcode;
  item.branch = kBranch;
  item.product_name = "Café";
  item.quantity_milli = quantity * 1000;
  item.updated_at_us = 1'717'300'000'000'000;  // newer than every position the tests send
  message.items.push_back(item);
  rocksdb::WriteBatch batch;
  batch.Put(store_db->queue(), store::QueueKey(1000), queue::EncodeMessage(message));
  batch.Put(store_db->meta(), "queue.next_id", store::QueueKey(1001));
  rocksdb::WriteOptions sync;
  sync.sync = true;
  EXPECT_TRUE(store_db->db()->Write(sync, &batch).ok());
}

std::size_t Occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class DeadLetterTest : public InventoryServerTest {
 protected:
  std::vector<std::string> ServerArgs() override { return {"--dlq-max-attempts", "3"}; }

  std::string CreateKey(const std::string& role) {
    json::object body{{"role", role}, {"nome", role + " dlq"}};
    if (role == "pdv") body["filiais"] = json::array{kBranch};
    auto r = client_->Post("/v1/admin/keys", Serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? Str(r.json().at("key")) : "";
  }

  json::value ListDlq(const std::string& query = "") {
    auto r = client_->Get("/v1/fila/dlq" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  int64_t DlqTotal() { return Int(ListDlq().at("total")); }
  int64_t FilaDlq() { return Int(client_->Get("/v1/fila").json().at("dlq")); }
};

// A data directory of an earlier version, whose queue still held a message: the server moves it
// into the queue's own database at start and applies it; the old place is left empty.
TEST_F(DeadLetterTest, AMessageLeftInTheQueueOfAnEarlierVersionIsMovedAndApplied) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem(kGoodBarcode, kBranch, 7, "2024-06-01 09:00:00")})).status, 202);
  ASSERT_TRUE(WaitQuantity(kGoodBarcode, kBranch, 7));
  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  LeaveMessageInTheOldQueue(server_->data_dir(), 11);
  Restart();
  ASSERT_TRUE(WaitQuantity(kGoodBarcode, kBranch, 11)) << server_->output();
  ASSERT_TRUE(WaitDrained());
  EXPECT_NE(server_->output().find("moved 1 queued messages"), std::string::npos) << server_->output();
  // New messages get ids after the moved one's.
  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  std::unique_ptr<store::RocksEngine> queue_db =
      OpenTestEngine(queue::QueueDatabaseDir(server_->data_dir()), store::EngineLayout::kQueue);
  ASSERT_NE(queue_db, nullptr);
  std::string next;
  ASSERT_TRUE(queue_db->db()->Get(rocksdb::ReadOptions(), queue_db->meta(), "queue.next_id", &next).ok());
  EXPECT_GE(store::DecodeQueueKey(next), 1001u);
  queue_db.reset();
  std::unique_ptr<store::RocksEngine> store_db = OpenTestEngine(server_->data_dir(), store::EngineLayout::kStore);
  ASSERT_NE(store_db, nullptr);
  std::unique_ptr<rocksdb::Iterator> old_rows(store_db->db()->NewIterator(rocksdb::ReadOptions(), store_db->queue()));
  old_rows->SeekToFirst();
  EXPECT_FALSE(old_rows->Valid());
}

TEST_F(DeadLetterTest, PoisonMessagesAreDeadLetteredListedReplayedDroppedAndAudited) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem(kGoodBarcode, kBranch, 7, "2024-06-01 09:00:00")})).status, 202);
  ASSERT_TRUE(WaitQuantity(kGoodBarcode, kBranch, 7));
  const std::string pdv = CreateKey("pdv");
  const std::string leitura = CreateKey("leitura");
  EXPECT_EQ(FilaDlq(), 0);

  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  const auto [undecodable, failing] = InjectPoison(server_->data_dir());
  ASSERT_GT(undecodable, 0u);
  Restart();

  // Both end in the dead-letter queue after their 3 attempts; the queue drains.
  ASSERT_TRUE(Eventually([&] { return DlqTotal() == 2; }, std::chrono::seconds(20))) << server_->output();
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(FilaDlq(), 2);
  json::value listed = ListDlq();
  ASSERT_EQ(listed.at("itens").as_array().size(), 2u) << listed;
  EXPECT_TRUE(listed.at("proximo_cursor").is_null());
  const json::object first = listed.at("itens").at(0).as_object();
  EXPECT_EQ(Str(first.at("id")), std::to_string(undecodable));
  EXPECT_NE(Str(first.at("motivo")).find("does not decode"), std::string::npos) << first;
  EXPECT_EQ(Int(first.at("tentativas")), 3);
  EXPECT_TRUE(first.at("enfileirada_em").is_null());
  EXPECT_TRUE(ParseRfc3339(Str(first.at("primeira_falha_em"))).has_value()) << first;
  EXPECT_TRUE(ParseRfc3339(Str(first.at("ultima_falha_em"))).has_value()) << first;
  EXPECT_TRUE(ParseRfc3339(Str(first.at("movida_em"))).has_value()) << first;
  EXPECT_EQ(Int(first.at("bytes")), 5);
  EXPECT_TRUE(first.at("mensagem").is_null());
  const json::object second = listed.at("itens").at(1).as_object();
  EXPECT_EQ(Str(second.at("id")), std::to_string(failing));
  EXPECT_EQ(Str(second.at("motivo")).rfind("corruption:", 0), 0u) << second;
  EXPECT_EQ(Int(second.at("tentativas")), 3);
  EXPECT_EQ(Str(second.at("enfileirada_em")), "2024-06-01T07:00:00-03:00");
  EXPECT_EQ(second.at("mensagem"),
            json::parse(R"({"itens":1,"vendas":0,"cancelamentos":0,"filiais":["1001"]})"));

  // Pages: one at a time, in id order.
  json::value page = ListDlq("?limit=1");
  ASSERT_EQ(page.at("itens").as_array().size(), 1u);
  ASSERT_TRUE(page.at("proximo_cursor").is_string());
  page = ListDlq("?limit=1&cursor=" + Str(page.at("proximo_cursor")));
  ASSERT_EQ(page.at("itens").as_array().size(), 1u);
  EXPECT_EQ(Str(page.at("itens").at(0).at("id")), std::to_string(failing));
  EXPECT_TRUE(page.at("proximo_cursor").is_null());
  EXPECT_EQ(client_->Get("/v1/fila/dlq?cursor=AAAA").status, 400);

  // Everything else keeps flowing.
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem(kGoodBarcode, kBranch, 9, "2024-06-01 11:00:00")})).status, 202);
  EXPECT_TRUE(WaitQuantity(kGoodBarcode, kBranch, 9));

  // Admin only.
  for (const std::string& token : {pdv, leitura}) {
    HttpClient other(server_->port(), token);
    EXPECT_EQ(other.Get("/v1/fila/dlq").status, 403);
    EXPECT_EQ(other.Post("/v1/fila/dlq/reprocessar", R"({"todas":true})").status, 403);
    EXPECT_EQ(other.Request("DELETE", "/v1/fila/dlq", R"({"todas":true})").status, 403);
    EXPECT_EQ(Int(other.Get("/v1/fila").json().at("dlq")), 2);  // the depth is no secret
  }
  EXPECT_EQ(DlqTotal(), 2);

  // Malformed selections and unknown ids: refused, nothing done.
  for (const char* body : {"", "[]", "{}", R"({"ids":[]})", R"({"todas":false})", R"({"ids":["x"]})",
                           R"({"ids":[1],"todas":true})", R"({"ids":[1,1]})", R"({"id":[1]})"}) {
    auto r = client_->Post("/v1/fila/dlq/reprocessar", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  auto unknown = client_->Post("/v1/fila/dlq/reprocessar",
                               Serialize(json::object{{"ids", json::array{std::to_string(failing), "999999"}}}));
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(ErrorCode(unknown), "not_found");
  EXPECT_EQ(ErrorFields(unknown), (std::set<std::pair<int64_t, std::string>>{{1, "ids"}}));
  auto unknown_drop = client_->Request("DELETE", "/v1/fila/dlq", R"({"ids":[999999]})");
  EXPECT_EQ(unknown_drop.status, 404) << unknown_drop.body;
  EXPECT_EQ(DlqTotal(), 2);

  // Dead letters survive a restart and are not retried by it.
  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  Restart();
  ASSERT_TRUE(WaitDrained());
  EXPECT_EQ(DlqTotal(), 2);

  // Replayed while its cause is still there: it fails again and comes back (the log, kept across
  // restarts, then tells of its second move).
  auto replayed = client_->Post("/v1/fila/dlq/reprocessar",
                                Serialize(json::object{{"ids", json::array{failing}}}));
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_EQ(replayed.json(), json::parse("{\"reprocessadas\":[\"" + std::to_string(failing) +
                                         "\"],\"restantes\":1}"));
  const std::string moved_again = "message " + std::to_string(failing) + " moved to the dead-letter queue";
  ASSERT_TRUE(Eventually([&] { return Occurrences(server_->output(), moved_again) == 2 && DlqTotal() == 2; },
                         std::chrono::seconds(20)))
      << server_->output();
  EXPECT_EQ(Int(ListDlq().at("itens").at(1).at("tentativas")), 3);

  // Dropped: one by id, then the rest.
  auto dropped = client_->Request("DELETE", "/v1/fila/dlq",
                                  Serialize(json::object{{"ids", json::array{std::to_string(undecodable)}}}));
  ASSERT_EQ(dropped.status, 200) << dropped.body;
  EXPECT_EQ(dropped.json(), json::parse("{\"removidas\":[\"" + std::to_string(undecodable) +
                                        "\"],\"restantes\":1}"));
  dropped = client_->Request("DELETE", "/v1/fila/dlq", R"({"todas":true})");
  ASSERT_EQ(dropped.status, 200) << dropped.body;
  EXPECT_EQ(dropped.json(), json::parse("{\"removidas\":[\"" + std::to_string(failing) +
                                        "\"],\"restantes\":0}"));
  EXPECT_TRUE(ListDlq().at("itens").as_array().empty());
  EXPECT_EQ(FilaDlq(), 0);

  // Every admin call on the dead letters is in the audit log, with its answer.
  std::set<std::string> audited;
  ASSERT_TRUE(Eventually([&] {
    audited.clear();
    auto r = client_->Get("/v1/admin/audit?limit=1000");
    if (r.status != 200) return false;
    const json::value page = r.json();  // named: a temporary would die before the loop body
    for (const auto& entry : page.at("itens").as_array()) {
      audited.insert(Str(entry.at("metodo")) + " " + Str(entry.at("caminho")) + " " +
                     std::to_string(Int(entry.at("status"))));
    }
    return audited.contains("DELETE /v1/fila/dlq 200") && audited.contains("DELETE /v1/fila/dlq 404") &&
           audited.contains("POST /v1/fila/dlq/reprocessar 200") &&
           audited.contains("POST /v1/fila/dlq/reprocessar 404") &&
           audited.contains("POST /v1/fila/dlq/reprocessar 400") && audited.contains("GET /v1/fila/dlq 200") &&
           audited.contains("GET /v1/fila/dlq 400");
  })) << [&] {
    std::string all;
    for (const std::string& line : audited) all += line + "\n";
    return all;
  }();
}

}  // namespace
}  // namespace estoque::e2e
