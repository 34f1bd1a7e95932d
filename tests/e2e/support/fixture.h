// Shared helpers of the end-to-end suites: a started server per test and small JSON builders.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "e2e/support/http_client.h"
#include "e2e/support/server_process.h"

namespace estoque::e2e {

// One seed-format item (the PDV's queue message element).
inline boost::json::object SeedItem(const std::string& barcode, const std::string& branch, int64_t quantity,
                                    const std::string& time, const std::string& name = "Café") {
  return {{"codigo_barra", barcode}, {"nome_produto", name}, {"filial", branch},
          {"qtd_estoque", quantity}, {"data_atulizacao_posicao_estoque", time}};
}

inline std::string Body(std::initializer_list<boost::json::object> items) {
  boost::json::array array;
  for (const auto& item : items) array.push_back(item);
  return boost::json::serialize(array);
}

// Polls `done` every 2 ms until it is true or `timeout` passes; returns its last value.
inline bool Eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

// A server on a fresh data directory, started before each test and stopped after.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/data", ServerArgs());
    ASSERT_TRUE(server_->Start()) << server_->last_error();
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void TearDown() override {
    if (server_ && server_->running()) {
      EXPECT_EQ(server_->Terminate(), 0) << server_->output();
    }
  }
  virtual std::vector<std::string> ServerArgs() { return {}; }

  // Restarts the server on the same data (after Terminate or Kill) and reconnects.
  void Restart() {
    ASSERT_TRUE(server_->Start()) << server_->last_error();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  // True once GET /v1/posicoes/{barcode}/{branch} has qtd_estoque == expected.
  bool WaitQuantity(const std::string& barcode, const std::string& branch, int64_t expected) {
    return Eventually([&] {
      auto r = client_->Get("/v1/posicoes/" + barcode + "/" + branch);
      if (r.status != 200) return false;
      auto v = r.json();
      return v.is_object() && v.as_object().contains("qtd_estoque") &&
             v.at("qtd_estoque").is_int64() && v.at("qtd_estoque").as_int64() == expected;
    });
  }

  // True once the queue is empty.
  bool WaitDrained() {
    return Eventually([&] {
      auto r = client_->Get("/v1/fila");
      return r.status == 200 && r.json().at("profundidade").to_number<int64_t>() == 0;
    });
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace estoque::e2e
