// The load generator's pieces that need no server: bodies (checked with the server's own decoder),
// pacing, the URL, and the answers it reads.
#include "load/body_builder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/position_json.h"
#include "common/clock.h"
#include "domain/timestamp.h"
#include "load/base_url.h"
#include "load/catalog.h"
#include "load/json_text.h"
#include "load/pacer.h"
#include "load/response_json.h"

namespace estoque::load {
namespace {

domain::TimeZone SaoPaulo() { return *domain::TimeZone::Locate("America/Sao_Paulo"); }

std::vector<domain::Position> Decode(const std::string& body) {
  api::PositionDecodeOptions options{SaoPaulo(), /*require_gtin_check_digit=*/false};
  api::ApiResult<std::vector<domain::Position>> decoded = api::DecodePositionsBody(body, options);
  if (!decoded.ok()) {
    ADD_FAILURE() << decoded.error().code << ": " << decoded.error().message << "\n" << body;
    return {};
  }
  return std::move(decoded).value();
}

TEST(JsonTextTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString(&out, "Café \"Pilão\" \\ \n\t\x01\x1f/");
  EXPECT_EQ(out, "\"Café \\\"Pilão\\\" \\\\ \\n\\t\\u0001\\u001f/\"");
  out.clear();
  AppendUint(&out, 0);
  AppendUint(&out, 18446744073709551615ull);
  EXPECT_EQ(out, "018446744073709551615");
}

TEST(BodyBuilderTest, Rfc3339BodiesDecodeWithTheServersDecoder) {
  const std::vector<Product> catalog = {{"0423746182527", "Escova de Dente"},
                                        {"5140642011605", "Café \"Especial\" \\ ½"},
                                        {"7891000315507", "Pão"}};
  const std::vector<std::string> prefixes = PrepareItemPrefixes(catalog);
  BodyBuilder builder(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 42);
  std::string body;
  const int64_t first_us = 1716855391999990;  // crosses a second boundary within the batch
  const SentItem last = builder.Build(35, first_us, &body);
  const std::vector<domain::Position> positions = Decode(body);
  ASSERT_EQ(positions.size(), 35u);
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const domain::Position& p = positions[i];
    EXPECT_EQ(p.updated_at_us, first_us + static_cast<int64_t>(i));
    EXPECT_TRUE(p.branch == "1001" || p.branch == "1002") << p.branch;
    EXPECT_GE(p.quantity_milli, 1000);
    EXPECT_LE(p.quantity_milli, 10'000'000);
    EXPECT_EQ(p.quantity_milli % 1000, 0);
    bool found = false;
    for (const Product& product : catalog) {
      found = found || (product.barcode == p.barcode && product.name == p.product_name);
    }
    EXPECT_TRUE(found) << p.barcode << " " << p.product_name;
  }
  EXPECT_EQ(catalog[last.product].barcode, positions.back().barcode);
  EXPECT_EQ(BodyBuilder::BranchName(last.branch), positions.back().branch);
  EXPECT_EQ(last.time_us, positions.back().updated_at_us);
  EXPECT_NE(body.find("\"data_atualizacao_posicao_estoque\":\"2024-05-28T00:16:31.999990Z\""),
            std::string::npos);
  EXPECT_NE(body.find("\"2024-05-28T00:16:32.000024Z\""), std::string::npos);
}

TEST(BodyBuilderTest, SeedFormatUsesTheMisspeltKeyAndLocalSeconds) {
  const std::vector<Product> catalog = GenerateCatalog(10);
  const std::vector<std::string> prefixes = PrepareItemPrefixes(catalog);
  BodyBuilder builder(&prefixes, 3, TimeFormat::kSeedLocal, SaoPaulo(), 7);
  std::string body;
  const SentItem last = builder.Build(5, 1716855391123456, &body);
  EXPECT_NE(body.find("\"data_atulizacao_posicao_estoque\":\"2024-05-27 21:16:31\""), std::string::npos)
      << body;
  EXPECT_EQ(body.find("data_atualizacao"), std::string::npos);
  const std::vector<domain::Position> positions = Decode(body);
  ASSERT_EQ(positions.size(), 5u);
  for (const domain::Position& p : positions) EXPECT_EQ(p.updated_at_us, 1716855391000000);
  EXPECT_EQ(last.time_us, 1716855391000000);
}

TEST(BodyBuilderTest, ReusesTheStringAndIsDeterministicPerSeed) {
  const std::vector<Product> catalog = GenerateCatalog(1000);
  const std::vector<std::string> prefixes = PrepareItemPrefixes(catalog);
  BodyBuilder a(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 1);
  BodyBuilder b(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 1);
  std::string body_a, body_b;
  a.Build(35, 1716855391000000, &body_a);
  b.Build(35, 1716855391000000, &body_b);
  EXPECT_EQ(body_a, body_b);
  const char* data_before = body_a.data();
  a.Build(35, 1716855392000000, &body_a);  // same size class: no reallocation
  EXPECT_EQ(body_a.data(), data_before);
  EXPECT_EQ(Decode(body_a).size(), 35u);
}

TEST(EventClockTest, ReservationsAreStrictlyIncreasingAndNotBehindTheWallClock) {
  EventClock clock;
  int64_t previous_last = 0;
  for (int i = 0; i < 10000; ++i) {
    const int64_t before = NowUnixMicros();
    const int64_t first = clock.Reserve(35);
    EXPECT_GE(first, before);
    EXPECT_GT(first, previous_last);
    previous_last = first + 34;
  }
}

TEST(PacerTest, SpacesSlotsByTheRate) {
  Pacer pacer(1000);  // 1000 items/s: 35 items every 35 ms
  const int64_t now = 1'000'000'000;
  const int64_t first = pacer.Reserve(35, now);
  EXPECT_EQ(first, now - Pacer::kBurstMicrosMax);  // a short burst is allowed at start
  EXPECT_EQ(pacer.Reserve(35, now), first + 35'000);
  EXPECT_EQ(pacer.Reserve(35, now), first + 70'000);
  // After a long idle period the backlog is not banked.
  const int64_t later = now + 10'000'000;
  EXPECT_EQ(pacer.Reserve(35, later), later - Pacer::kBurstMicrosMax);
}

TEST(PacerTest, ZeroRateNeverWaitsAndHighRatesKeepPrecision) {
  Pacer unpaced(0);
  EXPECT_EQ(unpaced.Reserve(35, 123), 123);
  Pacer fast(3'000'000);  // 35 items = 11.666 µs
  const int64_t start = fast.Reserve(35, 0);
  int64_t slot = start;
  for (int i = 0; i < 3000; ++i) slot = fast.Reserve(35, 0);
  EXPECT_NEAR(static_cast<double>(slot - start), 3000 * 35 / 3.0, 2);
}

TEST(BaseUrlTest, ParsesHostPortAndPrefix) {
  Result<BaseUrl> url = ParseBaseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->host_header, "127.0.0.1:8080");
  EXPECT_EQ(url->path_prefix, "");
  url = ParseBaseUrl("http://estoque.local/api/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "estoque.local");
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->path_prefix, "/api");
  url = ParseBaseUrl("http://[::1]:9000/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");
  EXPECT_EQ(url->host_header, "[::1]:9000");
  for (const char* bad : {"", "https://x", "127.0.0.1:8080", "http://", "http://:80", "http://x:",
                          "http://x:0", "http://x:65536", "http://x:8a", "http://x/?q=1",
                          "http://[::1", "http://[::1]x"}) {
    EXPECT_FALSE(ParseBaseUrl(bad).ok()) << bad;
  }
}

TEST(ResponseJsonTest, ReadsAcceptedItemsAndPositionTime) {
  Result<uint64_t> items = ParseAcceptedItems(R"({"message_id":"42","itens":35})");
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(*items, 35u);
  EXPECT_FALSE(ParseAcceptedItems(R"({"message_id":"42"})").ok());
  EXPECT_FALSE(ParseAcceptedItems(R"({"itens":"35"})").ok());
  EXPECT_FALSE(ParseAcceptedItems("not json").ok());
  EXPECT_FALSE(ParseAcceptedItems("[35]").ok());

  Result<int64_t> time = ParsePositionTimeMicros(
      R"({"codigo_barra":"5140642011605","filial":"1001","nome_produto":"Café","qtd_estoque":3011,)"
      R"("data_atulizacao_posicao_estoque":"2024-05-27 21:16:31",)"
      R"("data_atualizacao_posicao_estoque":"2024-05-27T21:16:31.000042-03:00"})");
  ASSERT_TRUE(time.ok()) << time.status().ToString();
  EXPECT_EQ(*time, 1716855391000042);
  EXPECT_FALSE(ParsePositionTimeMicros(R"({"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"})").ok());
  EXPECT_FALSE(ParsePositionTimeMicros(R"({"data_atualizacao_posicao_estoque":"yesterday"})").ok());
}

}  // namespace
}  // namespace estoque::load
