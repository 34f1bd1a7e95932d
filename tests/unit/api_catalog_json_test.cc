// The catalog's JSON codec (api/catalog_json.h): bodies of PUT /v1/produtos/{..},
// POST /v1/produtos/lote, PUT /v1/filiais/{..}, and the product and branch encoders.
#include "api/catalog_json.h"

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/limits.h"

namespace estoque::api {
namespace {

constexpr std::string_view kBarcode = "5140642011605";

ApiError ProductError(std::string_view body, bool check_digit = false) {
  auto result = DecodeProductBody(body, kBarcode, check_digit);
  EXPECT_FALSE(result.ok()) << body;
  if (result.ok()) return {};
  EXPECT_EQ(result.error().http_status, boost::beast::http::status::bad_request);
  return result.error();
}

std::vector<std::string> Fields(const ApiError& error) {
  std::vector<std::string> fields;
  for (const ErrorDetail& detail : error.details) fields.push_back(detail.field);
  return fields;
}

TEST(ProductBody, DefaultsAndAllFields) {
  auto minimal = DecodeProductBody(R"({"nome_produto":"Café"})", kBarcode, false);
  ASSERT_TRUE(minimal.ok()) << RenderApiError(minimal.error());
  EXPECT_EQ(minimal.value().barcode, kBarcode);
  EXPECT_EQ(minimal.value().name, "Café");
  EXPECT_EQ(minimal.value().unit, domain::Unit::kUnit);
  EXPECT_EQ(minimal.value().category, "");
  EXPECT_EQ(minimal.value().min_stock_milli, 0);
  EXPECT_TRUE(minimal.value().active);

  auto full = DecodeProductBody(
      R"({"codigo_barra":"5140642011605","nome_produto":"Queijo","unidade":"KG",)"
      R"("categoria":"Frios","estoque_minimo":12.345,"ativo":false,"extra":[1,{"a":null}]})",
      kBarcode, false);
  ASSERT_TRUE(full.ok()) << RenderApiError(full.error());
  EXPECT_EQ(full.value().unit, domain::Unit::kKilogram);
  EXPECT_EQ(full.value().category, "Frios");
  EXPECT_EQ(full.value().min_stock_milli, 12'345);  // exact, from the number's text
  EXPECT_FALSE(full.value().active);
}

TEST(ProductBody, EveryProblemIsNamed) {
  ApiError error = ProductError(
      R"({"unidade":"CX","categoria":7,"estoque_minimo":"3","ativo":"sim"})");
  EXPECT_EQ(error.code, "invalid_fields");
  EXPECT_EQ(Fields(error), (std::vector<std::string>{"nome_produto", "unidade", "categoria",
                                                     "estoque_minimo", "ativo"}));
  EXPECT_EQ(error.details[0].reason, "required");
  EXPECT_EQ(error.details[1].reason, "must be one of UN, KG, L, M");
  EXPECT_EQ(error.details[2].reason, "must be a string");
  EXPECT_EQ(error.details[3].reason, "must be a number");
  EXPECT_EQ(error.details[4].reason, "must be a boolean");
  EXPECT_FALSE(error.details[0].index.has_value());
  EXPECT_EQ(error.message, "invalid field 'nome_produto': required");
}

TEST(ProductBody, DomainRules) {
  EXPECT_EQ(ProductError(R"({"nome_produto":""})").details.at(0).field, "nome_produto");
  ApiError error = ProductError(R"({"nome_produto":"Parafuso","estoque_minimo":1.5})");
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].field, "estoque_minimo");
  EXPECT_EQ(error.details[0].reason, "must be a whole number for unit UN");
  EXPECT_TRUE(DecodeProductBody(R"({"nome_produto":"Queijo","unidade":"KG","estoque_minimo":1.5})",
                                kBarcode, false)
                  .ok());
  EXPECT_EQ(ProductError(R"({"nome_produto":"X","estoque_minimo":-1})").details.at(0).reason,
            "must not be negative");
  EXPECT_EQ(ProductError(R"({"nome_produto":"X","estoque_minimo":0.0001})").details.at(0).field,
            "estoque_minimo");
  EXPECT_EQ(ProductError(R"({"nome_produto":"X","estoque_minimo":1e13})").details.at(0).field,
            "estoque_minimo");
  const std::string long_category(limits::kCategoryCodePointsMax + 1, 'c');
  EXPECT_EQ(ProductError(R"({"nome_produto":"X","categoria":")" + long_category + "\"}")
                .details.at(0)
                .field,
            "categoria");
  // An invalid unit does not also blame estoque_minimo for the default unit.
  EXPECT_EQ(Fields(ProductError(R"({"nome_produto":"X","unidade":"kg","estoque_minimo":1.5})")),
            std::vector<std::string>{"unidade"});
}

TEST(ProductBody, BarcodeInTheBodyMustMatchThePath) {
  EXPECT_TRUE(DecodeProductBody(R"({"codigo_barra":"5140642011605","nome_produto":"X"})", kBarcode,
                                false)
                  .ok());
  ApiError error = ProductError(R"({"codigo_barra":"7891000315507","nome_produto":"X"})");
  EXPECT_EQ(error.details.at(0).field, "codigo_barra");
  EXPECT_EQ(error.details.at(0).reason, "must match the path");
}

TEST(ProductBody, DuplicateKeysAndBrokenJson) {
  ApiError error = ProductError(R"({"nome_produto":"A","nome_produto":"B"})");
  EXPECT_EQ(error.details.at(0).reason, "duplicate key");
  EXPECT_EQ(ProductError("[]").code, "invalid_json");
  EXPECT_EQ(ProductError("{").code, "invalid_json");
  EXPECT_EQ(ProductError(R"({"nome_produto":"A"} x)").code, "invalid_json");
  EXPECT_EQ(ProductError(R"({"nome_produto":"A","x":[01]})").code, "invalid_json");
  EXPECT_EQ(ProductError("").code, "invalid_json");
}

TEST(ProductBatchBody, DecodesInOrder) {
  auto result = DecodeProductBatchBody(
      R"([{"codigo_barra":"0423746182527","nome_produto":"A"},)"
      R"({"codigo_barra":"7891000315507","nome_produto":"B","unidade":"L","estoque_minimo":2.5}])",
      false);
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  ASSERT_EQ(result.value().size(), 2u);
  EXPECT_EQ(result.value()[0].barcode, "0423746182527");
  EXPECT_EQ(result.value()[1].unit, domain::Unit::kLiter);
  EXPECT_EQ(result.value()[1].min_stock_milli, 2'500);
}

TEST(ProductBatchBody, ListsEveryBadItem) {
  auto result = DecodeProductBatchBody(
      R"([{"codigo_barra":"7891000315507","nome_produto":"A"},)"
      R"({"nome_produto":"B"},)"
      R"(7,)"
      R"({"codigo_barra":"7891000315507","nome_produto":"C"},)"
      R"({"codigo_barra":"7891000315508","nome_produto":"D"}])",
      /*require_gtin_check_digit=*/true);
  ASSERT_FALSE(result.ok());
  const ApiError& error = result.error();
  EXPECT_EQ(error.code, "invalid_items");
  ASSERT_EQ(error.details.size(), 4u);
  EXPECT_EQ(error.details[0], (ErrorDetail{1, "codigo_barra", "required"}));
  EXPECT_EQ(error.details[1], (ErrorDetail{2, "", "must be an object"}));
  EXPECT_EQ(error.details[2], (ErrorDetail{3, "codigo_barra", "duplicate of item 0"}));
  EXPECT_EQ(error.details[3].index, 4u);
  EXPECT_EQ(error.details[3].reason, "invalid GTIN check digit");
}

TEST(ProductBatchBody, ShapeAndBounds) {
  EXPECT_EQ(DecodeProductBatchBody("[]", false).error().code, "empty");
  EXPECT_EQ(DecodeProductBatchBody(R"({"itens":[]})", false).error().code, "invalid_json");
  std::string body = "[";
  for (std::size_t i = 0; i <= limits::kCatalogBatchItemsMax; ++i) {
    if (i > 0) body += ',';
    body += R"({"codigo_barra":")" + std::to_string(10000000 + i) + R"(","nome_produto":"X"})";
  }
  body += ']';
  EXPECT_EQ(DecodeProductBatchBody(body, false).error().code, "too_many_items");
}

TEST(BranchBody, DefaultsFieldsAndProblems) {
  auto empty = DecodeBranchBody("{}", "1001");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value().branch, "1001");
  EXPECT_TRUE(empty.value().active);
  EXPECT_FALSE(empty.value().allow_negative_stock);

  auto full = DecodeBranchBody(
      R"({"filial":"1001","nome":"Centro","cidade":"São Paulo","uf":"SP",)"
      R"("fuso":"America/Sao_Paulo","ativo":false,"permite_estoque_negativo":true})",
      "1001");
  ASSERT_TRUE(full.ok()) << RenderApiError(full.error());
  EXPECT_EQ(full.value().city, "São Paulo");
  EXPECT_EQ(full.value().time_zone, "America/Sao_Paulo");
  EXPECT_FALSE(full.value().active);
  EXPECT_TRUE(full.value().allow_negative_stock);

  auto bad = DecodeBranchBody(
      R"({"filial":"1002","uf":"sp","fuso":"America/Atlantis","ativo":1,"nome":null})", "1001");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_fields");
  EXPECT_EQ(Fields(bad.error()),
            (std::vector<std::string>{"filial", "nome", "ativo", "uf", "fuso"}));
}

TEST(CatalogEncode, ProductAndBranch) {
  const auto zone = domain::TimeZone::Locate("America/Sao_Paulo").value();
  catalog::Product product;
  product.barcode = "0423746182527";
  product.name = "Queijo \"Minas\"";
  product.unit = domain::Unit::kKilogram;
  product.min_stock_milli = 2'500;
  product.created_at_us = 1'716'844'591'000'000;
  product.updated_at_us = 1'716'844'591'250'000;
  std::string out;
  JsonWriter writer(&out);
  WriteProduct(writer, product, zone);
  EXPECT_EQ(out,
            R"({"codigo_barra":"0423746182527","nome_produto":"Queijo \"Minas\"","unidade":"KG",)"
            R"("categoria":"","estoque_minimo":2.5,"ativo":true,)"
            R"("criado_em":"2024-05-27T18:16:31-03:00",)"
            R"("atualizado_em":"2024-05-27T18:16:31.250000-03:00"})");

  catalog::Branch branch;
  branch.branch = "1001";
  branch.state = "SP";
  std::string branch_out;
  JsonWriter branch_writer(&branch_out);
  WriteBranch(branch_writer, branch, zone);
  const boost::json::value parsed = boost::json::parse(branch_out);
  EXPECT_EQ(parsed.at("filial"), "1001");
  EXPECT_EQ(parsed.at("uf"), "SP");
  EXPECT_EQ(parsed.at("fuso"), "");
  EXPECT_EQ(parsed.at("permite_estoque_negativo"), false);
  EXPECT_EQ(parsed.at("criado_em"), "1969-12-31T21:00:00-03:00");
}

}  // namespace
}  // namespace estoque::api
