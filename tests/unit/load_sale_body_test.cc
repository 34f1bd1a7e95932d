// The load generator's sale bodies (estoque load --kind vendas), checked with the server's own
// decoder of POST /v1/vendas.
#include "load/sale_body_builder.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "api/inventory_json.h"
#include "api/sale_json.h"
#include "domain/sale.h"
#include "domain/timestamp.h"
#include "domain/unit.h"
#include "load/catalog.h"
#include "load/load_generator.h"

namespace estoque::load {
namespace {

domain::TimeZone SaoPaulo() { return *domain::TimeZone::Locate("America/Sao_Paulo"); }

// Decodes like the server does for products sold by the unit ("UN": whole quantities only).
domain::Sale Decode(const std::string& body) {
  boost::system::error_code error;
  boost::json::parse(body, error);
  EXPECT_FALSE(error) << "not JSON: " << error.message() << "\n" << body;
  api::InventoryDecodeContext context;
  context.zone_of = [](std::string_view) { return SaoPaulo(); };
  context.unit_of = [](std::string_view) {
    return std::optional<domain::Unit>(domain::Unit::kUnit);
  };
  context.now_us = 1;  // would show up as the event time if "data" were missing
  api::ApiResult<domain::Sale> decoded = api::DecodeSaleBody(body, context);
  if (!decoded.ok()) {
    std::string details;
    for (const auto& detail : decoded.error().details) {
      details += " " + detail.field + ": " + detail.reason;
    }
    ADD_FAILURE() << decoded.error().code << ": " << decoded.error().message << details << "\n"
                  << body;
    return {};
  }
  return std::move(decoded).value();
}

TEST(SaleBodyBuilderTest, BodiesDecodeWithTheServersDecoder) {
  const std::vector<Product> catalog = {{"0423746182527", "Escova de Dente"},
                                        {"5140642011605", "Café \"Especial\" \\ ½"},
                                        {"7891000315507", "Pão"}};
  const std::vector<std::string> prefixes = PrepareSaleLinePrefixes(catalog);
  const std::string id_prefix = SaleIdPrefixForRun(1716855391000000);
  SaleBodyBuilder builder(&prefixes, 3, TimeFormat::kRfc3339Micros, SaoPaulo(), 42, id_prefix);
  std::string body;
  const int64_t time_us = 1716855391999990;
  const SentItem last = builder.Build(35, time_us, 7, &body);
  const domain::Sale sale = Decode(body);
  EXPECT_EQ(sale.id, "load-1716855391000000-7");
  EXPECT_EQ(sale.id, builder.SaleId(7));
  EXPECT_TRUE(domain::IsValidId(sale.id));
  EXPECT_EQ(sale.branch, BodyBuilder::BranchName(last.branch));
  EXPECT_TRUE(sale.branch == "1001" || sale.branch == "1002" || sale.branch == "1003")
      << sale.branch;
  EXPECT_EQ(sale.event_at_us, time_us);
  EXPECT_EQ(last.time_us, time_us);
  EXPECT_EQ(sale.origin, "pdv");
  ASSERT_EQ(sale.lines.size(), 35u);
  for (const domain::SaleLine& line : sale.lines) {
    EXPECT_GE(line.quantity_milli, 1000);
    EXPECT_LE(line.quantity_milli, 5000);
    EXPECT_EQ(line.quantity_milli % 1000, 0);
    bool found = false;
    for (const Product& product : catalog) found = found || product.barcode == line.barcode;
    EXPECT_TRUE(found) << line.barcode;
  }
  EXPECT_EQ(catalog[last.product].barcode, sale.lines.back().barcode);
  EXPECT_NE(body.find("\"data\":\"2024-05-28T00:16:31.999990Z\""), std::string::npos) << body;
}

TEST(SaleBodyBuilderTest, CoversEveryQuantityBranchAndProduct) {
  const std::vector<Product> catalog = GenerateCatalog(4);
  const std::vector<std::string> prefixes = PrepareSaleLinePrefixes(catalog);
  SaleBodyBuilder builder(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 3, "p-");
  std::set<int64_t> quantities;
  std::set<std::string> branches, barcodes, ids;
  std::string body;
  for (uint64_t n = 0; n < 50; ++n) {
    builder.Build(10, 1716855391000000 + static_cast<int64_t>(n), n, &body);
    const domain::Sale sale = Decode(body);
    branches.insert(sale.branch);
    ids.insert(sale.id);
    for (const domain::SaleLine& line : sale.lines) {
      quantities.insert(line.quantity_milli);
      barcodes.insert(line.barcode);
    }
  }
  EXPECT_EQ(quantities, (std::set<int64_t>{1000, 2000, 3000, 4000, 5000}));
  EXPECT_EQ(branches, (std::set<std::string>{"1001", "1002"}));
  EXPECT_EQ(barcodes.size(), catalog.size());
  EXPECT_EQ(ids.size(), 50u);  // one venda_id per sale
}

TEST(SaleBodyBuilderTest, SeedFormatSendsLocalSecondsReadInTheBranchZone) {
  const std::vector<Product> catalog = GenerateCatalog(10);
  const std::vector<std::string> prefixes = PrepareSaleLinePrefixes(catalog);
  SaleBodyBuilder builder(&prefixes, 1, TimeFormat::kSeedLocal, SaoPaulo(), 7, "s-");
  std::string body;
  const SentItem last = builder.Build(5, 1716855391123456, 0, &body);
  EXPECT_NE(body.find("\"data\":\"2024-05-27 21:16:31\""), std::string::npos) << body;
  const domain::Sale sale = Decode(body);
  EXPECT_EQ(sale.event_at_us, 1716855391000000);
  EXPECT_EQ(last.time_us, 1716855391000000);
  EXPECT_EQ(sale.lines.size(), 5u);
}

TEST(SaleBodyBuilderTest, LongestIdsAndBatchesFit) {
  const std::vector<Product> catalog = GenerateCatalog(1000);
  const std::vector<std::string> prefixes = PrepareSaleLinePrefixes(catalog);
  const std::string id_prefix(kSaleIdPrefixCharsMax, 'x');
  SaleBodyBuilder builder(&prefixes, 100'000, TimeFormat::kRfc3339Micros, SaoPaulo(), 9, id_prefix);
  std::string body;
  builder.Build(1000, 1716855391000000, UINT64_MAX, &body);  // the API's most lines per sale
  const domain::Sale sale = Decode(body);
  EXPECT_EQ(sale.id, id_prefix + "18446744073709551615");
  EXPECT_EQ(sale.lines.size(), 1000u);
}

TEST(SaleBodyBuilderTest, ReusesTheStringAndIsDeterministicPerSeed) {
  const std::vector<Product> catalog = GenerateCatalog(1000);
  const std::vector<std::string> prefixes = PrepareSaleLinePrefixes(catalog);
  SaleBodyBuilder a(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 1, "r-");
  SaleBodyBuilder b(&prefixes, 2, TimeFormat::kRfc3339Micros, SaoPaulo(), 1, "r-");
  std::string body_a, body_b;
  a.Build(35, 1716855391000000, 1, &body_a);
  b.Build(35, 1716855391000000, 1, &body_b);
  EXPECT_EQ(body_a, body_b);
  const char* data_before = body_a.data();
  a.Build(35, 1716855392000000, 2, &body_a);  // same size class: no reallocation
  EXPECT_EQ(body_a.data(), data_before);
  EXPECT_EQ(Decode(body_a).lines.size(), 35u);
}

TEST(LoadKindTest, NamesRoundTrip) {
  for (LoadKind kind : {LoadKind::kPositions, LoadKind::kSales}) {
    EXPECT_EQ(ParseLoadKind(LoadKindName(kind)), kind);
  }
  EXPECT_EQ(LoadKindName(LoadKind::kSales), "vendas");
  EXPECT_FALSE(ParseLoadKind("venda").has_value());
  EXPECT_FALSE(ParseLoadKind("").has_value());
}

}  // namespace
}  // namespace estoque::load
