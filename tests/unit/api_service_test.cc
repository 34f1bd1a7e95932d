// ApiService's route table and handlers, over an in-memory fake store and queue (the e2e tests
// drive the real binary with the real backends).
#include "api/api_service.h"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "api/position_json.h"
#include "common/limits.h"

namespace estoque::api {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

// The inventory operations these tests do not reach (the e2e tests cover them on the real store).
class PositionsOnlyInventory : public store::InventoryStore {
 public:
  Result<store::ApplyOutcome> ApplyBatch(const store::IngestBatch&) override { return No(); }
  Result<std::vector<store::MovementOutcome>> RecordMovements(std::vector<domain::Movement>) override {
    return No();
  }
  Result<store::StockAsOf> StockAt(std::string_view, std::string_view, int64_t) override {
    return No();
  }
  Result<store::LedgerPage> ListLedger(const store::LedgerQuery&) override { return No(); }
  Result<store::AlertPage> ListAlerts(std::optional<std::string_view>, std::optional<store::AlertKind>,
                                      std::optional<std::string_view>, std::size_t) override {
    return No();
  }
  Result<store::BranchSummary> Summary(std::string_view) override { return No(); }
  Result<store::StockState> SetMinStock(std::string_view, std::string_view,
                                        std::optional<int64_t>) override {
    return No();
  }
  Status RefreshAlerts(std::string_view) override { return No(); }
  Result<std::pair<domain::Transfer, bool>> CreateTransfer(domain::Transfer) override { return No(); }
  Result<domain::Transfer> ShipTransfer(std::string_view, int64_t) override { return No(); }
  Result<domain::Transfer> ReceiveTransfer(std::string_view, std::optional<std::vector<int64_t>>,
                                           int64_t) override {
    return No();
  }
  Result<domain::Transfer> CancelTransfer(std::string_view, int64_t) override { return No(); }
  Result<domain::Transfer> GetTransfer(std::string_view) override { return No(); }
  Result<store::TransferPage> ListTransfers(std::optional<std::string_view>,
                                            std::optional<domain::TransferStatus>,
                                            std::optional<std::string_view>, std::size_t) override {
    return No();
  }
  Result<std::pair<domain::Reservation, bool>> CreateReservation(domain::Reservation,
                                                                 int64_t) override {
    return No();
  }
  Result<domain::Reservation> ConfirmReservation(std::string_view, int64_t) override { return No(); }
  Result<domain::Reservation> ReleaseReservation(std::string_view, int64_t) override { return No(); }
  Result<domain::Reservation> GetReservation(std::string_view) override { return No(); }
  Result<store::ReservationPage> ListReservations(std::optional<std::string_view>,
                                                  std::optional<domain::ReservationStatus>,
                                                  std::optional<std::string_view>,
                                                  std::size_t) override {
    return No();
  }
  Result<std::size_t> ExpireReservations(int64_t) override { return No(); }

 private:
  static Status No() { return Status::Internal("not used by these tests"); }
};

// Positions in a std::map keyed (barcode, branch); resume keys are "barcode\0branch" (or just the
// barcode when listing one branch). A position reads as a stock state counted at its time.
class FakeStore : public PositionsOnlyInventory {
 public:
  void Put(domain::Position position) {
    std::lock_guard lock(mutex_);
    positions_[{position.barcode, position.branch}] = std::move(position);
  }
  void FailReadsWith(Status status) { read_error_ = std::move(status); }

  Result<domain::Position> Get(std::string_view barcode, std::string_view branch) override {
    std::lock_guard lock(mutex_);
    if (!read_error_.ok()) return read_error_;
    auto it = positions_.find({std::string(barcode), std::string(branch)});
    if (it == positions_.end()) return Status::NotFound("no position");
    return it->second;
  }

  static store::StockState AsState(const domain::Position& position) {
    store::StockState state;
    state.product_name = position.product_name;
    state.has_count = true;
    state.count_at_us = position.updated_at_us;
    state.count_quantity_milli = position.quantity_milli;
    state.on_hand_milli = position.quantity_milli;
    state.updated_at_us = position.updated_at_us;
    return state;
  }

  Result<store::StockState> GetStock(std::string_view barcode, std::string_view branch) override {
    Result<domain::Position> position = Get(barcode, branch);
    if (!position.ok()) return position.status();
    return AsState(*position);
  }

  Result<std::vector<std::pair<std::string, store::StockState>>> GetStockByBarcode(
      std::string_view barcode) override {
    Result<std::vector<domain::Position>> positions = ListByBarcode(barcode);
    if (!positions.ok()) return positions.status();
    std::vector<std::pair<std::string, store::StockState>> states;
    for (const domain::Position& position : *positions) {
      states.emplace_back(position.branch, AsState(position));
    }
    return states;
  }

  Result<std::vector<domain::Position>> ListByBarcode(std::string_view barcode) override {
    std::lock_guard lock(mutex_);
    if (!read_error_.ok()) return read_error_;
    std::vector<domain::Position> out;
    for (const auto& [key, position] : positions_) {
      if (key.first == barcode) out.push_back(position);
    }
    return out;
  }

  Result<store::PositionPage> List(std::optional<std::string_view> branch,
                                   std::optional<std::string_view> after,
                                   std::size_t limit) override {
    std::lock_guard lock(mutex_);
    EXPECT_GE(limit, 1u);
    EXPECT_LE(limit, limits::kPageLimitMax);
    last_list_limit = limit;
    if (!read_error_.ok()) return read_error_;
    if (after && after->starts_with("bad")) return Status::InvalidArgument("foreign cursor");
    store::PositionPage page;
    for (const auto& [key, position] : positions_) {
      if (branch && key.second != *branch) continue;
      const std::string resume_key =
          branch ? key.first : key.first + std::string(1, '\0') + key.second;
      if (after && resume_key <= *after) continue;
      if (page.items.size() == limit) {
        page.next_after = page.items.empty() ? "" : last_key_;
        return page;
      }
      page.items.push_back(position);
      last_key_ = resume_key;
    }
    return page;
  }

  Result<store::ApplyCounters> Counters() override {
    if (!read_error_.ok()) return read_error_;
    return store::ApplyCounters{3, 70, 5};
  }
  Result<store::ApplyOutcome> Apply(std::span<const domain::Position>,
                                    std::span<const uint64_t>) override {
    return Status::Internal("not used");
  }
  using PositionsOnlyInventory::ApplyBatch;
  bool ConsumesQueueMessages() const override { return false; }
  store::StorageCondition Storage() const override { return storage.load(); }

  std::size_t last_list_limit = 0;
  std::atomic<store::StorageCondition> storage{store::StorageCondition::kOk};

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, domain::Position> positions_;
  Status read_error_;
  std::string last_key_;
};

// Records messages; answers inline (default), with an error, or later from another thread.
class FakeQueue : public queue::MessageQueue {
 public:
  void Enqueue(queue::Message message, EnqueueCallback done) override {
    messages.push_back(std::move(message));
    if (before_answer) before_answer();
    if (!refuse_with.ok()) {
      done(refuse_with);
      return;
    }
    const uint64_t id = next_id++;
    if (answer_from_thread) {
      threads_.emplace_back([done = std::move(done), id] { done(id); });
      return;
    }
    done(id);
  }
  Result<std::vector<queue::Delivery>> Receive(std::size_t, std::chrono::milliseconds) override {
    return std::vector<queue::Delivery>{};
  }
  Status Acknowledge(std::span<const queue::Delivery>) override { return Status::Ok(); }
  queue::QueueStats Stats() const override { return queue::QueueStats{4, 4096, 250, 10, 6}; }
  void Close() override {}

  void JoinThreads() {
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }
  ~FakeQueue() override { JoinThreads(); }

  std::vector<queue::Message> messages;
  Status refuse_with;
  std::function<void()> before_answer;  // runs inside Enqueue, before it answers
  bool answer_from_thread = false;
  uint64_t next_id = 7;

 private:
  std::vector<std::thread> threads_;
};

// An empty catalog that refuses writes: these tests cover the position routes (the catalog's are
// covered by api_catalog_json_test.cc and, on the real binary, e2e_catalog_test.cc).
class EmptyCatalog : public catalog::Catalog {
 public:
  Result<catalog::Product> GetProduct(std::string_view) override { return Status::NotFound("none"); }
  Result<catalog::Product> PutProduct(catalog::Product) override { return Status::Internal("unused"); }
  Result<PutProductsOutcome> PutProducts(std::vector<catalog::Product>) override {
    return Status::Internal("unused");
  }
  Status DeleteProduct(std::string_view) override { return Status::NotFound("none"); }
  Result<catalog::ProductPage> SearchProducts(std::string_view, std::optional<std::string_view>,
                                              std::size_t) override {
    return catalog::ProductPage{};
  }
  Status RegisterMentioned(const std::vector<Mention>&) override { return Status::Ok(); }
  int64_t DefaultMinStock(std::string_view) override { return 0; }
  std::optional<domain::Unit> UnitOf(std::string_view) override { return std::nullopt; }
  std::string NameOf(std::string_view) override { return ""; }
  Result<catalog::Branch> GetBranch(std::string_view) override { return Status::NotFound("none"); }
  Result<catalog::Branch> PutBranch(catalog::Branch) override { return Status::Internal("unused"); }
  Result<std::vector<catalog::Branch>> ListBranches() override {
    return std::vector<catalog::Branch>{};
  }
  domain::TimeZone TimeZoneOf(std::string_view, const domain::TimeZone& fallback) override {
    return fallback;
  }
  bool AllowsNegativeStock(std::string_view) override { return false; }
};

domain::TimeZone Zone() { return domain::TimeZone::Locate("America/Sao_Paulo").value(); }

int64_t Micros(std::string_view rfc3339) {
  return domain::ParseTimestampMicros(rfc3339, Zone()).value();
}

domain::Position MakePosition(std::string barcode, std::string branch, int64_t quantity_milli,
                              std::string_view time = "2024-05-27T21:16:31-03:00",
                              std::string name = "Café") {
  return domain::Position{std::move(barcode), std::move(branch), std::move(name), quantity_milli,
                          Micros(time)};
}

constexpr std::string_view kSeedBody =
    R"([{"codigo_barra":"5140642011605","nome_produto":"Café","filial":"1001",)"
    R"("qtd_estoque":3011,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])";

class ApiServiceTest : public ::testing::Test {
 protected:
  ApiServiceTest() : service_(&store_, &queue_, &catalog_, ApiConfig{Zone(), false}) {}

  // Sends one request and returns the response (waiting for an asynchronous one).
  HttpResponse Call(http::verb method, std::string target, std::string body = "",
                    std::optional<std::string> content_type = std::nullopt,
                    unsigned version = 11) {
    HttpRequest request{method, target, version};
    if (content_type) request.set(http::field::content_type, *content_type);
    request.body() = std::move(body);
    request.prepare_payload();
    std::mutex mutex;
    std::optional<HttpResponse> response;
    int calls = 0;
    service_.Handle(std::move(request), [&](HttpResponse r) {
      std::lock_guard lock(mutex);
      ++calls;
      response = std::move(r);
    });
    queue_.JoinThreads();
    std::lock_guard lock(mutex);
    EXPECT_EQ(calls, 1);
    return response ? std::move(*response) : HttpResponse{};
  }
  HttpResponse Get(std::string target) { return Call(http::verb::get, std::move(target)); }
  HttpResponse Post(std::string target, std::string body,
                    std::optional<std::string> content_type = "application/json") {
    return Call(http::verb::post, std::move(target), std::move(body), std::move(content_type));
  }

  static json::value Body(const HttpResponse& response) { return json::parse(response.body()); }
  static std::string ErrorCode(const HttpResponse& response) {
    return json::value_to<std::string>(Body(response).at("error").at("code"));
  }
  static std::string FirstDetailField(const HttpResponse& response) {
    return json::value_to<std::string>(
        Body(response).at("error").at("details").at(0).at("field"));
  }

  FakeStore store_;
  FakeQueue queue_;
  EmptyCatalog catalog_;
  ApiService service_;
};

TEST_F(ApiServiceTest, Health) {
  const HttpResponse response = Get("/health");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), R"({"status":"ok","armazenamento":"ok"})");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_TRUE(response.keep_alive());
}

TEST_F(ApiServiceTest, IngestAcceptsAndQueues) {
  const HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::accepted);
  EXPECT_EQ(response.body(), R"({"message_id":"7","itens":1})");
  ASSERT_EQ(queue_.messages.size(), 1u);
  ASSERT_EQ(queue_.messages[0].items.size(), 1u);
  EXPECT_EQ(queue_.messages[0].items[0],
            MakePosition("5140642011605", "1001", 3'011'000, "2024-05-27T21:16:31-03:00"));
  EXPECT_GT(queue_.messages[0].enqueued_at_us, 0);
}

TEST_F(ApiServiceTest, IngestAnswersFromTheQueuesThread) {
  queue_.answer_from_thread = true;
  const HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::accepted);
  EXPECT_EQ(Body(response).at("message_id"), "7");
}

TEST_F(ApiServiceTest, IngestMediaType) {
  EXPECT_EQ(Post("/v1/posicoes", std::string(kSeedBody), std::nullopt).result(),
            http::status::accepted);
  EXPECT_EQ(Post("/v1/posicoes", std::string(kSeedBody), "Application/JSON; charset=utf-8").result(),
            http::status::accepted);
  const HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody), "text/plain");
  EXPECT_EQ(response.result(), http::status::unsupported_media_type);
  EXPECT_EQ(ErrorCode(response), "unsupported_media_type");
  EXPECT_EQ(queue_.messages.size(), 2u);
}

TEST_F(ApiServiceTest, IngestRejectsInvalidBodiesWithoutQueueing) {
  HttpResponse response = Post(
      "/v1/posicoes",
      R"([{"codigo_barra":"123","nome_produto":"X","filial":"1001","qtd_estoque":1,)"
      R"("data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"},{}])");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(ErrorCode(response), "invalid_items");
  const json::value body = Body(response);
  const json::array& details = body.at("error").at("details").as_array();
  EXPECT_EQ(details.size(), 6u);
  EXPECT_EQ(details[0].at("index"), 0);
  EXPECT_EQ(details[0].at("field"), "codigo_barra");
  EXPECT_EQ(details[1].at("index"), 1);

  EXPECT_EQ(ErrorCode(Post("/v1/posicoes", "[]")), "empty");
  EXPECT_EQ(ErrorCode(Post("/v1/posicoes", "{")), "invalid_json");
  EXPECT_TRUE(queue_.messages.empty());
}

TEST_F(ApiServiceTest, IngestQueueErrors) {
  queue_.refuse_with = Status::ResourceExhausted("full");
  HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(ErrorCode(response), "queue_full");
  EXPECT_EQ(response[http::field::retry_after], "1");

  queue_.refuse_with = Status::Unavailable("closed");
  response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(ErrorCode(response), "unavailable");
  EXPECT_EQ(response[http::field::retry_after], "1");
}

TEST_F(ApiServiceTest, FullDiskRefusesWritesWith507AndServesReads) {
  store_.Put(MakePosition("5140642011605", "1001", 1000));
  store_.storage = store::StorageCondition::kNoSpace;

  HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::insufficient_storage);
  EXPECT_EQ(ErrorCode(response), "insufficient_storage");
  EXPECT_NE(Body(response).at("error").at("message").as_string().find("disk is full"),
            std::string::npos);
  EXPECT_EQ(response[http::field::retry_after], "5");
  EXPECT_TRUE(queue_.messages.empty());  // refused before any work
  EXPECT_EQ(Post("/v1/vendas", "{}").result(), http::status::insufficient_storage);
  EXPECT_EQ(Call(http::verb::put, "/v1/produtos/5140642011605", "{}").result(),
            http::status::insufficient_storage);

  EXPECT_EQ(Get("/v1/posicoes/5140642011605/1001").result(), http::status::ok);
  EXPECT_EQ(Get("/v1/posicoes").result(), http::status::ok);
  EXPECT_EQ(Post("/v1/consulta",
                 R"({"codigo_barra":"5140642011605","filial":"1001","query_type":"query"})")
                .result(),
            http::status::ok);
  response = Get("/health");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), R"({"status":"degradado","armazenamento":"sem_espaco"})");
  EXPECT_EQ(Body(Get("/v1/fila")).at("armazenamento"), "sem_espaco");

  store_.storage = store::StorageCondition::kIoError;
  response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(ErrorCode(response), "storage_unavailable");
  EXPECT_EQ(response[http::field::retry_after], "5");
  EXPECT_EQ(Body(Get("/health")).at("armazenamento"), "erro_de_io");

  store_.storage = store::StorageCondition::kOk;
  EXPECT_EQ(Post("/v1/posicoes", std::string(kSeedBody)).result(), http::status::accepted);
  EXPECT_EQ(Body(Get("/health")).at("status"), "ok");
}

TEST_F(ApiServiceTest, WriteThatRacesTheDiskFillingUpGets507) {
  // The storage still accepted writes when the request arrived, and refused the queue's write.
  queue_.before_answer = [this] { store_.storage = store::StorageCondition::kNoSpace; };
  queue_.refuse_with = Status::Unavailable("enqueue: IO error: No space left on device");
  HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::insufficient_storage);
  EXPECT_EQ(ErrorCode(response), "insufficient_storage");
  EXPECT_EQ(queue_.messages.size(), 1u);
}

TEST_F(ApiServiceTest, ShutdownRefusesWritesButServesReads) {
  store_.Put(MakePosition("5140642011605", "1001", 1000));
  service_.BeginShutdown();
  service_.BeginShutdown();  // idempotent
  const HttpResponse response = Post("/v1/posicoes", std::string(kSeedBody));
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(ErrorCode(response), "shutting_down");
  EXPECT_EQ(response[http::field::retry_after], "1");
  EXPECT_TRUE(queue_.messages.empty());
  EXPECT_EQ(Get("/v1/posicoes/5140642011605/1001").result(), http::status::ok);
  // A bad body is still a 400: validation comes first.
  EXPECT_EQ(Post("/v1/posicoes", "[]").result(), http::status::bad_request);
}

TEST_F(ApiServiceTest, GetPosition) {
  const domain::Position position = MakePosition("0423746182527", "1001", 12'345);
  store_.Put(position);
  HttpResponse response = Get("/v1/posicoes/0423746182527/1001");
  EXPECT_EQ(response.result(), http::status::ok);
  // The core issue's position first (seed clients keep working), then the inventory fields.
  std::string seed = EncodePosition(position, Zone());
  seed.pop_back();
  EXPECT_EQ(response.body().find(seed + ","), 0u) << response.body();
  const json::value body = Body(response);
  EXPECT_EQ(body.at("qtd_estoque").as_double(), 12.345);
  EXPECT_EQ(body.at("em_estoque").as_double(), 12.345);
  EXPECT_EQ(body.at("disponivel").as_double(), 12.345);
  EXPECT_EQ(body.at("reservado").as_int64(), 0);
  EXPECT_TRUE(body.at("alerta").is_null());

  // Percent-encoded segments are decoded.
  EXPECT_EQ(Get("/v1/posicoes/0423746182527/10%30%31").result(), http::status::ok);

  response = Get("/v1/posicoes/0423746182527/1002");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(ErrorCode(response), "not_found");
}

TEST_F(ApiServiceTest, GetPositionValidatesParameters) {
  HttpResponse response = Get("/v1/posicoes/12ab/10%2001");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(ErrorCode(response), "invalid_parameter");
  const json::value body = Body(response);
  const json::array& details = body.at("error").at("details").as_array();
  ASSERT_EQ(details.size(), 2u);
  EXPECT_EQ(details[0].at("field"), "codigo_barra");
  EXPECT_EQ(details[1].at("field"), "filial");

  response = Get("/v1/posicoes/5140642011605/10%zz");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(FirstDetailField(response), "filial");
}

TEST_F(ApiServiceTest, StoreFailuresAreMapped) {
  store_.FailReadsWith(Status::Unavailable("disk"));
  HttpResponse response = Get("/v1/posicoes/5140642011605/1001");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response[http::field::retry_after], "1");
  store_.FailReadsWith(Status::Corruption("bad block 17"));
  response = Get("/v1/posicoes/5140642011605");
  EXPECT_EQ(response.result(), http::status::internal_server_error);
  EXPECT_EQ(ErrorCode(response), "internal");
  EXPECT_EQ(response.body().find("block"), std::string::npos);
  EXPECT_EQ(Get("/v1/posicoes").result(), http::status::internal_server_error);
  EXPECT_EQ(Get("/v1/fila").result(), http::status::internal_server_error);
}

TEST_F(ApiServiceTest, GetProduct) {
  store_.Put(MakePosition("5140642011605", "1002", 1'500, "2024-05-27T10:00:00-03:00", "Café"));
  store_.Put(MakePosition("5140642011605", "1001", 3'011'000, "2024-05-27T09:00:00-03:00", "Cafe"));
  store_.Put(MakePosition("5140642011605", "1003", -500, "2024-05-28T09:00:00-03:00", "Café 500g"));
  store_.Put(MakePosition("7891000100103", "1001", 1));
  const HttpResponse response = Get("/v1/posicoes/5140642011605");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body().find(R"({"codigo_barra":"5140642011605","nome_produto":"Café 500g",)"
                                 R"("filiais":3,"total_qtd_estoque":3012,"totais":{"em_estoque":3012,)"
                                 R"("reservado":0,"em_transito":0,"disponivel":3012},"itens":[)"),
            0u)
      << response.body();
  const json::value body = Body(response);
  const json::array& items = body.at("itens").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].at("filial"), "1001");
  EXPECT_EQ(items[2].at("filial"), "1003");

  EXPECT_EQ(ErrorCode(Get("/v1/posicoes/1234567890123")), "not_found");
  EXPECT_EQ(FirstDetailField(Get("/v1/posicoes/12x")), "codigo_barra");
}

TEST_F(ApiServiceTest, GetProductSumsBeyondInt64) {
  for (int branch = 0; branch < 10; ++branch) {
    store_.Put(MakePosition("5140642011605", std::to_string(1000 + branch),
                            limits::kQuantityAbsMilliMax));
  }
  for (int branch = 0; branch < 9230; ++branch) {  // 9230 * 10^15 > 2^63
    store_.Put(MakePosition("5140642011605", std::string("b").append(std::to_string(branch)),
                            limits::kQuantityAbsMilliMax));
  }
  const HttpResponse response = Get("/v1/posicoes/5140642011605");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_NE(response.body().find(R"("total_qtd_estoque":9240000000000000,)"), std::string::npos);
}

TEST_F(ApiServiceTest, ListPages) {
  for (const char* barcode : {"10000001", "10000002", "10000003"}) {
    for (const char* branch : {"1001", "1002"}) store_.Put(MakePosition(barcode, branch, 1000));
  }
  std::vector<std::string> seen;
  std::string target = "/v1/posicoes?limit=4";
  for (int page = 0; page < 10; ++page) {
    const HttpResponse response = Get(target);
    ASSERT_EQ(response.result(), http::status::ok) << response.body();
    const json::value body = Body(response);
    for (const auto& item : body.at("itens").as_array()) {
      seen.push_back(json::value_to<std::string>(item.at("codigo_barra")) + "/" +
                     json::value_to<std::string>(item.at("filial")));
    }
    if (body.at("proximo_cursor").is_null()) break;
    target = "/v1/posicoes?limit=4&cursor=" +
             json::value_to<std::string>(body.at("proximo_cursor"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"10000001/1001", "10000001/1002", "10000002/1001",
                                            "10000002/1002", "10000003/1001", "10000003/1002"}));
}

TEST_F(ApiServiceTest, ListFiltersByBranchAndDefaults) {
  for (const char* barcode : {"10000001", "10000002"}) {
    for (const char* branch : {"1001", "1002"}) store_.Put(MakePosition(barcode, branch, 1000));
  }
  HttpResponse response = Get("/v1/posicoes?filial=10%30%32&ignored=1");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(store_.last_list_limit, limits::kPageLimitDefault);
  const json::value body = Body(response);
  ASSERT_EQ(body.at("itens").as_array().size(), 2u);
  EXPECT_EQ(body.at("itens").at(0).at("filial"), "1002");
  EXPECT_TRUE(body.at("proximo_cursor").is_null());
  // An empty cursor means the first page.
  EXPECT_EQ(Get("/v1/posicoes?cursor=&limit=1000").result(), http::status::ok);
  EXPECT_EQ(store_.last_list_limit, 1000u);
}

TEST_F(ApiServiceTest, ListValidatesParameters) {
  for (const char* limit : {"0", "1001", "abc", "-1", "", "1.5", "99999999999999999999"}) {
    const HttpResponse response = Get(std::string("/v1/posicoes?limit=") + limit);
    EXPECT_EQ(response.result(), http::status::bad_request) << limit;
    EXPECT_EQ(ErrorCode(response), "invalid_parameter");
    EXPECT_EQ(FirstDetailField(response), "limit");
  }
  EXPECT_EQ(FirstDetailField(Get("/v1/posicoes?filial=a%20b")), "filial");
  EXPECT_EQ(FirstDetailField(Get("/v1/posicoes?filial=%zz")), "filial");
  EXPECT_EQ(FirstDetailField(Get("/v1/posicoes?cursor=not*base64")), "cursor");
  // A well-formed cursor the store cannot resume from.
  EXPECT_EQ(FirstDetailField(Get("/v1/posicoes?cursor=YmFkLWtleQ")), "cursor");
}

TEST_F(ApiServiceTest, ConsultaQuery) {
  store_.Put(MakePosition("5140642011605", "1001", 3'011'000, "2024-05-27T21:16:31.5-03:00"));
  HttpResponse response = Post(
      "/v1/consulta", R"({"codigo_barra":"5140642011605","filial":"1001","query_type":"query"})");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(),
            R"({"status_code":200,"Message":"SUCCESS","Item":{"nome_produto":"Café",)"
            R"("filial":"1001","data_atulizacao_posicao_estoque":"2024-05-27 21:16:31",)"
            R"("qtd_estoque":3011,"codigo_barra":"5140642011605"}})");

  response = Post("/v1/consulta",
                  R"({"codigo_barra":"5140642011605","filial":"9","query_type":"query"})");
  EXPECT_EQ(response.result(), http::status::not_found);
  const json::value body = Body(response);
  EXPECT_EQ(body.at("status_code"), 404);
  EXPECT_EQ(body.at("Message"), "NOT_FOUND");
  EXPECT_EQ(body.at("error").at("code"), "not_found");
  EXPECT_TRUE(body.at("error").at("details").as_array().empty());
}

TEST_F(ApiServiceTest, ConsultaScan) {
  for (const char* barcode : {"10000003", "10000001", "10000002"}) {
    store_.Put(MakePosition(barcode, "1001", 5000));
  }
  HttpResponse response = Post("/v1/consulta", R"({"query_type":"scan","quantidade_itens":2})");
  ASSERT_EQ(response.result(), http::status::ok);
  json::value body = Body(response);
  EXPECT_EQ(body.at("status_code"), 200);
  EXPECT_EQ(body.at("Message"), "SUCCESS");
  const json::array& items = body.at("Itens").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("codigo_barra"), "10000001");
  EXPECT_EQ(items[1].at("codigo_barra"), "10000002");
  EXPECT_EQ(items[0].as_object().size(), 5u);
  EXPECT_EQ(store_.last_list_limit, 2u);

  response = Post("/v1/consulta", R"({"query_type":"scan","quantidade_itens":1000})");
  EXPECT_EQ(Body(response).at("Itens").as_array().size(), 3u);
}

TEST_F(ApiServiceTest, ConsultaBadPayloads) {
  struct Case {
    std::string body;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"not json", "invalid_json", ""},
      {"[1]", "invalid_json", ""},
      {R"({"query_type":"query","codigo_barra":"5140642011605","filial":"1001"} x)", "invalid_json", ""},
      {R"({})", "invalid_parameter", "query_type"},
      {R"({"query_type":"delete"})", "invalid_parameter", "query_type"},
      {R"({"query_type":7})", "invalid_parameter", "query_type"},
      {R"({"query_type":"query","filial":"1001"})", "invalid_parameter", "codigo_barra"},
      {R"({"query_type":"query","codigo_barra":"5140642011605"})", "invalid_parameter", "filial"},
      {R"({"query_type":"query","codigo_barra":"51x","filial":"1001"})", "invalid_parameter",
       "codigo_barra"},
      {R"({"query_type":"scan"})", "invalid_parameter", "quantidade_itens"},
      {R"({"query_type":"scan","quantidade_itens":0})", "invalid_parameter", "quantidade_itens"},
      {R"({"query_type":"scan","quantidade_itens":1001})", "invalid_parameter", "quantidade_itens"},
      {R"({"query_type":"scan","quantidade_itens":2.5})", "invalid_parameter", "quantidade_itens"},
      {R"({"query_type":"scan","quantidade_itens":"5"})", "invalid_parameter", "quantidade_itens"},
      {R"({"query_type":"scan","quantidade_itens":5,"query_type":"scan"})", "invalid_parameter",
       "query_type"},
  };
  for (const Case& c : cases) {
    const HttpResponse response = Post("/v1/consulta", c.body);
    EXPECT_EQ(response.result(), http::status::bad_request) << c.body;
    const json::value body = Body(response);
    EXPECT_EQ(body.at("status_code"), 400) << c.body;
    EXPECT_EQ(body.at("Message"), "BAD_REQUEST") << c.body;
    EXPECT_EQ(body.at("error").at("code"), c.code.c_str()) << c.body;
    if (!c.field.empty()) {
      EXPECT_EQ(body.at("error").at("details").at(0).at("field"), c.field.c_str()) << c.body;
    }
  }
}

TEST_F(ApiServiceTest, QueueStatus) {
  const HttpResponse response = Get("/v1/fila");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(),
            R"({"profundidade":4,"idade_mais_antiga_ms":250,"aplicadas":70,)"
            R"("descartadas_mais_antigas":5,"mensagens_aplicadas":3,"bytes":4096,"dlq":0,)"
            R"("armazenamento":"ok"})");
}

// A service without a dead-letter queue says so on its routes (the embedded wiring has one:
// tests/unit/queue_dead_letter_test.cc, tests/e2e/e2e_dlq_test.cc).
TEST_F(ApiServiceTest, DeadLetterRoutesWithoutADeadLetterQueue) {
  HttpResponse response = Get("/v1/fila/dlq");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(ErrorCode(response), "dlq_off");
  response = Call(http::verb::delete_, "/v1/fila/dlq");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(ErrorCode(response), "dlq_off");
}

TEST_F(ApiServiceTest, UnknownRoutesAndMethods) {
  for (const char* target : {"/", "/v1", "/v1/posicoes/", "/v1/posicoes/1/2/3", "/v2/fila",
                             "/health/", "/v1//posicoes", "relative", "/v1/posicoes//1001"}) {
    const HttpResponse response = Get(target);
    EXPECT_EQ(response.result(), http::status::not_found) << target;
    EXPECT_EQ(ErrorCode(response), "route_not_found") << target;
  }
  HttpResponse response = Call(http::verb::delete_, "/v1/posicoes");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(ErrorCode(response), "method_not_allowed");
  EXPECT_EQ(response[http::field::allow], "POST, GET");
  response = Call(http::verb::post, "/v1/posicoes/5140642011605/1001");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "GET");
  EXPECT_EQ(Call(http::verb::get, "/v1/consulta")[http::field::allow], "POST");
}

// The HTTP parser lets bytes >= 0x80 through in a target; the 404 message must still be valid
// UTF-8, so JSON (fuzz/api_request_fuzz.cc found the raw bytes quoted in it).
TEST_F(ApiServiceTest, UnknownRouteMessageIsValidUtf8) {
  const HttpResponse response = Get("/v1/reservas\xff\xfepedido/liberacao");
  EXPECT_EQ(response.result(), http::status::not_found);
  boost::system::error_code error;
  const json::value body = json::parse(response.body(), error);
  ASSERT_FALSE(error) << response.body();
  EXPECT_EQ(json::value_to<std::string>(body.at("error").at("message")),
            "no such route: /v1/reservas%FF%FEpedido/liberacao");
}

TEST_F(ApiServiceTest, KeepAliveFollowsTheRequest) {
  EXPECT_TRUE(Call(http::verb::get, "/health", "", std::nullopt, 11).keep_alive());
  const HttpResponse response = Call(http::verb::get, "/health", "", std::nullopt, 10);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(response.version(), 10u);
}

}  // namespace
}  // namespace estoque::api
