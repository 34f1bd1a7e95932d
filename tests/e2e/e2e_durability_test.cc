// End to end: restarts, crashes (kill -9) and graceful shutdown never lose an acknowledged write.
#include <fstream>

#include "common/limits.h"
#include "e2e/support/fixture.h"

namespace estoque::e2e {
namespace {
namespace json = boost::json;

using DurabilityTest = ServerTest;

std::string Barcode(int i) { return std::to_string(78900000000LL + i); }

TEST_F(DurabilityTest, GracefulRestartKeepsData) {
  ASSERT_EQ(client_->Post("/v1/posicoes", Body({SeedItem("5140642011605", "1001", 3011, "2024-05-27 21:16:31")})).status, 202);
  ASSERT_TRUE(WaitQuantity("5140642011605", "1001", 3011));
  ASSERT_EQ(server_->Terminate(), 0) << server_->output();
  Restart();
  EXPECT_TRUE(WaitQuantity("5140642011605", "1001", 3011));
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(fila.at("aplicadas"), 1);  // counters survive too, and nothing was applied twice
}

TEST_F(DurabilityTest, SigtermFinishesInFlightWritesAndExitsZero) {
  // Many writes in flight from a second client thread while SIGTERM arrives: each either got 202
  // (then it is applied after restart) or an error / closed connection (then it may be absent).
  std::atomic<int> accepted_upto{-1};
  std::thread writer([&] {
    HttpClient c(server_->port());
    for (int i = 0; i < 100000; ++i) {
      auto r = c.Post("/v1/posicoes", Body({SeedItem(Barcode(i), "1001", i + 1, "2024-05-27 21:16:31")}));
      if (r.status != 202) break;
      accepted_upto = i;
    }
  });
  ASSERT_TRUE(Eventually([&] { return accepted_upto.load() >= 50; }));
  EXPECT_EQ(server_->Terminate(), 0) << server_->output();
  writer.join();
  Restart();
  ASSERT_TRUE(WaitDrained());
  for (int i = 0; i <= accepted_upto.load(); ++i) {
    ASSERT_EQ(client_->Get("/v1/posicoes/" + Barcode(i) + "/1001").status, 200) << i;
  }
}

TEST_F(DurabilityTest, KillNineRightAfter202LosesNothing) {
  // Pipeline many acknowledged messages, then SIGKILL the moment the last 202 arrives: messages
  // still in the queue must survive and be applied after restart, each exactly once.
  const int kMessages = 300;
  const int kItemsPerMessage = 35;
  for (int m = 0; m < kMessages; ++m) {
    json::array items;
    for (int i = 0; i < kItemsPerMessage; ++i) {
      items.push_back(SeedItem(Barcode(m * kItemsPerMessage + i), "1001", m + 1, "2024-05-27 21:16:31"));
    }
    auto r = client_->Post("/v1/posicoes", json::serialize(items));
    ASSERT_EQ(r.status, 202) << r.body;
  }
  server_->Kill();
  Restart();
  ASSERT_TRUE(WaitDrained());
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(fila.at("aplicadas").to_number<int64_t>(), kMessages * kItemsPerMessage);  // exactly once
  // A message applied just before the kill whose deletion from the queue's database was not yet
  // written is delivered again: its items are then not newer than what is stored and count as
  // dropped, never as applied twice. At most the batch the worker had in hand.
  const int64_t dropped = fila.at("descartadas_mais_antigas").to_number<int64_t>();
  EXPECT_LE(dropped, static_cast<int64_t>(limits::kApplyBatchMessagesDefault) * kItemsPerMessage);
  EXPECT_EQ(dropped % kItemsPerMessage, 0);
  for (int m = 0; m < kMessages; m += 7) {
    auto r = client_->Get("/v1/posicoes/" + Barcode(m * kItemsPerMessage) + "/1001");
    ASSERT_EQ(r.status, 200) << m;
    EXPECT_EQ(r.json().at("qtd_estoque"), m + 1);
  }
}

TEST_F(DurabilityTest, RepeatedCrashesAcrossWritesStayExactlyOnce) {
  int64_t acknowledged_items = 0;
  for (int round = 0; round < 5; ++round) {
    for (int m = 0; m < 40; ++m) {
      json::array items;
      for (int i = 0; i < 10; ++i) {
        const int key = (round * 40 + m) * 10 + i;
        items.push_back(SeedItem(Barcode(key), "1002", key, "2024-05-27 21:16:31"));
      }
      ASSERT_EQ(client_->Post("/v1/posicoes", json::serialize(items)).status, 202);
      acknowledged_items += 10;
    }
    server_->Kill();
    Restart();
  }
  ASSERT_TRUE(WaitDrained());
  auto fila = client_->Get("/v1/fila").json();
  EXPECT_EQ(fila.at("aplicadas").to_number<int64_t>(), acknowledged_items);
  int64_t listed = 0;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = client_->Get("/v1/posicoes?filial=1002&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor)).json();
    listed += static_cast<int64_t>(page.at("itens").as_array().size());
    if (page.at("proximo_cursor").is_null()) break;
    cursor = std::string(page.at("proximo_cursor").as_string());
  }
  EXPECT_EQ(listed, acknowledged_items);
}

class ConfigTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(ConfigTest, ConfigFileEnvironmentAndFlagsInThatPrecedence) {
  const std::string config = dir_.path() + "/estoque.toml";
  std::ofstream(config) << "timezone = \"UTC\"\nrequire-check-digit = true\n";
  // File says UTC; the environment overrides it with Tokyo.
  ServerProcess server(dir_.path() + "/data", {"--config", config}, {{"ESTOQUE_TIMEZONE", "Asia/Tokyo"}});
  ASSERT_TRUE(server.Start()) << server.last_error();
  HttpClient client(server.port());
  // require-check-digit from the file: 5140642011605 has a bad check digit, 7891000315507 a good one.
  EXPECT_EQ(client.Post("/v1/posicoes", Body({SeedItem("5140642011605", "1001", 1, "2024-05-27 12:00:00")})).status, 400);
  ASSERT_EQ(client.Post("/v1/posicoes", Body({SeedItem("7891000315507", "1001", 1, "2024-05-27 12:00:00")})).status, 202);
  ASSERT_TRUE(Eventually([&] { return client.Get("/v1/posicoes/7891000315507/1001").status == 200; }));
  EXPECT_EQ(client.Get("/v1/posicoes/7891000315507/1001").json().at("data_atualizacao_posicao_estoque"),
            "2024-05-27T12:00:00+09:00");
  EXPECT_EQ(server.Terminate(), 0);

  // A flag beats both.
  ServerProcess flagged(dir_.path() + "/data", {"--config", config, "--timezone", "UTC"},
                        {{"ESTOQUE_TIMEZONE", "Asia/Tokyo"}});
  ASSERT_TRUE(flagged.Start()) << flagged.last_error();
  HttpClient c2(flagged.port());
  EXPECT_EQ(c2.Get("/v1/posicoes/7891000315507/1001").json().at("data_atualizacao_posicao_estoque"),
            "2024-05-27T03:00:00+00:00");
  EXPECT_EQ(flagged.Terminate(), 0);
}

TEST_F(ConfigTest, BadConfigurationFailsToStartWithAReason) {
  ServerProcess server(dir_.path() + "/data", {"--timezone", "Mars/Olympus"});
  EXPECT_FALSE(server.Start());
  EXPECT_NE(server.last_error().find("timezone"), std::string::npos) << server.last_error();
}

}  // namespace
}  // namespace estoque::e2e
