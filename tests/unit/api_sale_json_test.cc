// DecodeSaleBody (api/sale_json.h): the streaming decoder of POST /v1/vendas bodies. Every
// problem of a body is reported at once, in the documented order, with the field and the line.
#include "api/sale_json.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/limits.h"
#include "domain/timestamp.h"
#include "domain/unit.h"

namespace estoque::api {
namespace {

constexpr int64_t kNowUs = 1'716'855'391'000'000;  // 2024-05-28T00:16:31Z

InventoryDecodeContext Context() {
  InventoryDecodeContext context;
  // Branch "1001" is in São Paulo (UTC-3); every other branch in UTC.
  context.zone_of = [](std::string_view branch) {
    return *domain::TimeZone::Locate(branch == "1001" ? "America/Sao_Paulo" : "UTC");
  };
  // Barcodes ending in 3 are sold by the kilogram, in 1 by the unit; others are unknown.
  context.unit_of = [](std::string_view barcode) -> std::optional<domain::Unit> {
    if (barcode.ends_with('3')) return domain::Unit::kKilogram;
    if (barcode.ends_with('1')) return domain::Unit::kUnit;
    return std::nullopt;
  };
  context.now_us = kNowUs;
  return context;
}

std::vector<ErrorDetail> DetailsOf(std::string_view body) {
  ApiResult<domain::Sale> sale = DecodeSaleBody(body, Context());
  if (sale.ok()) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  EXPECT_EQ(sale.error().code, "invalid_fields") << body;
  EXPECT_EQ(sale.error().http_status, boost::beast::http::status::bad_request);
  return sale.error().details;
}

ErrorDetail Root(std::string field, std::string reason) {
  return ErrorDetail{std::nullopt, std::move(field), std::move(reason)};
}
ErrorDetail Line(std::size_t index, std::string field, std::string reason) {
  return ErrorDetail{index, std::move(field), std::move(reason)};
}

TEST(SaleJson, DecodesLinesInBodyOrderWithTheTimeInTheBranchZone) {
  ApiResult<domain::Sale> sale = DecodeSaleBody(
      R"( {"itens": [{"quantidade": 2, "codigo_barra": "78900021"},
                     {"codigo_barra": "78900033", "quantidade": 1.250, "preco": [1, {"a": null}]},
                     {"codigo_barra": "78900021", "quantidade": 1e0}],
           "filial": "1001", "data": "2024-05-27 21:16:31", "venda_id": "pdv-3:17.a_b",
           "operador": {"id": 7}} )",
      Context());
  ASSERT_TRUE(sale.ok()) << RenderApiError(sale.error());
  EXPECT_EQ(sale.value().id, "pdv-3:17.a_b");
  EXPECT_EQ(sale.value().branch, "1001");
  EXPECT_EQ(sale.value().origin, "pdv");
  EXPECT_EQ(sale.value().event_at_us, kNowUs);  // 21:16:31 in São Paulo
  const std::vector<domain::SaleLine> lines = {
      {"78900021", 2'000}, {"78900033", 1'250}, {"78900021", 1'000}};
  EXPECT_EQ(sale.value().lines, lines);  // a repeated barcode is a line of its own
}

TEST(SaleJson, WithoutDataTheSaleHappenedNowAndEscapedTextIsRead) {
  ApiResult<domain::Sale> sale = DecodeSaleBody(
      R"({"venda\u005fid": "v\u002D1", "filial": "M2", "data": null,
          "itens": [{"codigo_barra": "7890002\u0032", "quantidade": 3}]})",
      Context());
  ASSERT_TRUE(sale.ok()) << RenderApiError(sale.error());
  EXPECT_EQ(sale.value().id, "v-1");
  EXPECT_EQ(sale.value().event_at_us, kNowUs);
  ASSERT_EQ(sale.value().lines.size(), 1u);
  EXPECT_EQ(sale.value().lines[0].barcode, "78900022");
}

TEST(SaleJson, MissingAndNullMembersAreRequired) {
  EXPECT_EQ(DetailsOf("{}"), (std::vector<ErrorDetail>{Root("venda_id", "required"),
                                                       Root("filial", "required"),
                                                       Root("itens", "required")}));
  EXPECT_EQ(DetailsOf(R"({"venda_id": null, "filial": null, "itens": null, "data": null})"),
            (std::vector<ErrorDetail>{Root("venda_id", "required"), Root("filial", "required"),
                                      Root("itens", "required")}));
  EXPECT_EQ(DetailsOf(R"({"venda_id": "v", "filial": "1001", "itens": [{}, {"codigo_barra": null,
                          "quantidade": null}]})"),
            (std::vector<ErrorDetail>{Line(0, "codigo_barra", "required"),
                                      Line(0, "quantidade", "required"),
                                      Line(1, "codigo_barra", "required"),
                                      Line(1, "quantidade", "required")}));
}

TEST(SaleJson, WrongTypesAreNamed) {
  EXPECT_EQ(DetailsOf(R"({"venda_id": 1, "filial": ["1001"], "itens": {}, "data": 20240527})"),
            (std::vector<ErrorDetail>{Root("venda_id", "must be a string"),
                                      Root("filial", "must be a string"),
                                      Root("itens", "must be an array")}));
  EXPECT_EQ(DetailsOf(R"({"venda_id": "v", "filial": "1001", "data": true,
                          "itens": [3, {"codigo_barra": 78900021, "quantidade": "3"}, null]})"),
            (std::vector<ErrorDetail>{Line(0, "", "must be an object"),
                                      Line(1, "codigo_barra", "must be a string"),
                                      Line(1, "quantidade", "must be a number"),
                                      Line(2, "", "must be an object"),
                                      Root("data", "must be a string")}));
}

TEST(SaleJson, ValuesAreCheckedByTheDomain) {
  const std::vector<ErrorDetail> details = DetailsOf(
      R"({"venda_id": "v 1", "filial": "1001", "data": "2024-02-30T10:00:00Z",
          "itens": [{"codigo_barra": "12", "quantidade": 1},
                    {"codigo_barra": "78900021", "quantidade": 0},
                    {"codigo_barra": "78900021", "quantidade": -1},
                    {"codigo_barra": "78900021", "quantidade": 1.5},
                    {"codigo_barra": "78900033", "quantidade": 1.2345},
                    {"codigo_barra": "78900022", "quantidade": 1.005},
                    {"codigo_barra": "1x", "quantidade": 1.5}]})");
  ASSERT_EQ(details.size(), 8u);
  EXPECT_EQ(details[0].field, "venda_id");
  EXPECT_EQ(details[0].reason, "must be 1 to 64 characters of A-Z a-z 0-9 _ - . :");
  EXPECT_EQ(details[1].index, 0u);
  EXPECT_EQ(details[1].field, "codigo_barra");
  EXPECT_EQ(details[2], Line(1, "quantidade", "must be positive"));
  EXPECT_EQ(details[3], Line(2, "quantidade", "must be positive"));
  EXPECT_EQ(details[4].index, 3u);  // UN: whole numbers only
  EXPECT_EQ(details[4].field, "quantidade");
  EXPECT_EQ(details[5].index, 4u);  // KG: at most 3 decimals
  EXPECT_EQ(details[5].field, "quantidade");
  EXPECT_EQ(details[6].index, 6u);  // an invalid barcode, and no unit to check 1.5 against
  EXPECT_EQ(details[6].field, "codigo_barra");
  EXPECT_EQ(details[7].field, "data");
  EXPECT_FALSE(details[7].index.has_value());
}

TEST(SaleJson, DataIsOnlyReadForAValidBranch) {
  EXPECT_EQ(DetailsOf(R"({"venda_id": "v", "filial": "a b", "data": "ontem",
                          "itens": [{"codigo_barra": "78900021", "quantidade": 1}]})")
                .size(),
            1u);
}

TEST(SaleJson, RepeatedKeysComeFirstAndTheFirstValueCounts) {
  EXPECT_EQ(DetailsOf(R"({"venda_id": "v", "x": 1, "venda_id": "w", "x": 2, "venda_id": 3,
                          "filial": null, "filial": "1001",
                          "itens": [{"codigo_barra": "78900021", "quantidade": 1, "y": 0,
                                     "quantidade": 2, "y": 1}]})"),
            (std::vector<ErrorDetail>{Root("venda_id", "duplicate key"), Root("x", "duplicate key"),
                                      Root("venda_id", "duplicate key"),
                                      Root("filial", "duplicate key"),
                                      Root("filial", "required"),
                                      Line(0, "quantidade", "duplicate key"),
                                      Line(0, "y", "duplicate key")}));
}

std::string SaleWithLines(std::size_t count) {
  std::string body = R"({"venda_id": "v", "filial": "1001", "itens": [)";
  for (std::size_t i = 0; i < count; ++i) {
    body += i ? "," : "";
    body += R"({"codigo_barra": "78900021", "quantidade": 1})";
  }
  return body + "]}";
}

TEST(SaleJson, EmptyAndOverlongLineListsAreRefusedWhole) {
  EXPECT_EQ(DetailsOf(SaleWithLines(0)),
            (std::vector<ErrorDetail>{Root("itens", "must not be empty")}));
  ApiResult<domain::Sale> most = DecodeSaleBody(SaleWithLines(limits::kItemsPerMessageMax), Context());
  ASSERT_TRUE(most.ok());
  EXPECT_EQ(most.value().lines.size(), limits::kItemsPerMessageMax);
  std::string over = SaleWithLines(limits::kItemsPerMessageMax + 1);
  over.insert(over.rfind(']'), R"(,{"codigo_barra": 1})");  // not listed: the list is refused
  EXPECT_EQ(DetailsOf(over),
            (std::vector<ErrorDetail>{Root(
                "itens", "at most " + std::to_string(limits::kItemsPerMessageMax) + " items")}));
}

TEST(SaleJson, BrokenJsonAnywhereIsInvalidJson) {
  const std::string deep =
      std::string(limits::kJsonDepthMax, '[') + std::string(limits::kJsonDepthMax, ']');
  for (const std::string& body :
       {std::string("{"), std::string("not json"), std::string(R"({"venda_id":"v"} x)"),
        std::string(R"({"venda_id":"v","filial":"1001","itens":[{"codigo_barra":"1","q":01}]})"),
        std::string(R"({"venda_id":"v","nota":{"a":"b":{}},"itens":[]})"),
        std::string(R"({"venda_id":"v","itens":[{"quantidade":1.}]})"),
        std::string(R"({"venda_id":"v","itens":[{"x":tru}]})"),
        R"({"venda_id":"v","itens":[{"x":)" + deep + "}]}",
        R"({"venda_id":"v","x":)" + deep + "}"}) {
    ApiResult<domain::Sale> sale = DecodeSaleBody(body, Context());
    ASSERT_FALSE(sale.ok()) << body;
    EXPECT_EQ(sale.error().code, "invalid_json") << body;
  }
}

TEST(SaleJson, ContainersUpToTheDepthLimitAreAccepted) {
  // The root is depth 1, so a member's value may nest kJsonDepthMax - 1 containers.
  const std::size_t depth = limits::kJsonDepthMax - 1;
  const std::string body = R"({"venda_id":"v","filial":"1001","x":)" + std::string(depth, '[') +
                           std::string(depth, ']') +
                           R"(,"itens":[{"codigo_barra":"78900021","quantidade":1}]})";
  EXPECT_TRUE(DecodeSaleBody(body, Context()).ok());
}

TEST(SaleJson, ANonObjectBodySaysSo) {
  for (const char* body : {R"("venda")", "[]", "12", "null"}) {
    ApiResult<domain::Sale> sale = DecodeSaleBody(body, Context());
    ASSERT_FALSE(sale.ok()) << body;
    EXPECT_EQ(sale.error().code, "invalid_json") << body;
    EXPECT_EQ(sale.error().message, "request body must be a JSON object (a sale)") << body;
  }
  ApiResult<domain::Sale> broken = DecodeSaleBody("[1,", Context());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message, "request body must be a JSON object (a sale)");
}

}  // namespace
}  // namespace estoque::api
