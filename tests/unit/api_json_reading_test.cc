// The shared reading helpers of the request decoders (api/json_reading.h), through the decoders
// that use them: a body is valid JSON throughout or refused.
#include "api/json_reading.h"

#include <string>

#include <gtest/gtest.h>

#include "api/catalog_json.h"
#include "api/json_tree.h"
#include "api/position_json.h"

namespace estoque::api {
namespace {

// Regression (found by fuzz/inventory_json_fuzz.cc): ReadString peeked at a string without
// consuming it, and On-Demand skips an unread value with a heuristic that takes a string followed
// by ':' for a key, so `"a":"b":{}}` passed as a member, and an extra '}' was swallowed: the broken
// bodies below were accepted (201 for a movement, 202 for a position).
TEST(JsonReading, AStringFollowedByAColonIsInvalidJson) {
  const std::string position =
      R"([{"codigo_barra":"5140642011605","nome_produto":"X":{}},"filial":"1001",)"
      R"("qtd_estoque":1,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])";
  const domain::TimeZone zone = *domain::TimeZone::Locate("UTC");
  ApiResult<std::vector<domain::Position>> positions =
      DecodePositionsBody(position, PositionDecodeOptions{zone});
  ASSERT_FALSE(positions.ok());
  EXPECT_EQ(positions.error().code, "invalid_json");

  ApiResult<catalog::Product> product =
      DecodeProductBody(R"({"nome_produto":"Queijo":{}},"unidade":"KG"})", "7891000315507", false);
  ASSERT_FALSE(product.ok());
  EXPECT_EQ(product.error().code, "invalid_json");

  for (const char* tree : {R"({"ab":"{c":{}},"a":[]})", R"({"x":{"ab":"c":{}}},"a":1})",
                           R"([{"ab":"c":[]}]])"}) {
    ApiResult<JsonNode> parsed = ParseJsonTree(tree);
    ASSERT_FALSE(parsed.ok()) << tree;
    EXPECT_EQ(parsed.error().code, "invalid_json") << tree;
  }
}

TEST(JsonReading, StringsWithAndWithoutEscapesReadTheSame) {
  ApiResult<JsonNode> parsed = ParseJsonTree(R"({"a":"plain","b":"esc\"aped","c":"\u00e9"})");
  ASSERT_TRUE(parsed.ok()) << RenderApiError(parsed.error());
  EXPECT_EQ(parsed.value().members[0].value.text, "plain");
  EXPECT_EQ(parsed.value().members[1].value.text, "esc\"aped");
  EXPECT_EQ(parsed.value().members[2].value.text, "\xc3\xa9");
}

}  // namespace
}  // namespace estoque::api
