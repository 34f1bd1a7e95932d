// ParseJsonTree (api/json_tree.h): the whole-body parser of the inventory decoders.
#include "api/json_tree.h"

#include <string>

#include <gtest/gtest.h>

#include "api/inventory_json.h"
#include "common/limits.h"

namespace estoque::api {
namespace {

TEST(JsonTree, ObjectsAndArraysKeepOrderNumbersAndDuplicates) {
  ApiResult<JsonNode> tree = ParseJsonTree(R"( {"b":[1.50,-2e3,true,null],"a":"\u00e9","b":{}} )");
  ASSERT_TRUE(tree.ok()) << RenderApiError(tree.error());
  const JsonNode& root = tree.value();
  ASSERT_EQ(root.kind, JsonNode::Kind::kObject);
  ASSERT_EQ(root.members.size(), 3u);
  EXPECT_EQ(root.members[0].key, "b");
  EXPECT_EQ(root.members[1].value.text, "\xc3\xa9");
  EXPECT_EQ(root.duplicate_keys, std::vector<std::string>{"b"});
  const JsonNode& list = root.members[0].value;
  ASSERT_EQ(list.items.size(), 4u);
  EXPECT_EQ(list.items[0].text, "1.50");  // the exact text
  EXPECT_EQ(list.items[1].text, "-2e3");
  EXPECT_TRUE(list.items[2].boolean);
  EXPECT_EQ(list.items[3].kind, JsonNode::Kind::kNull);
  EXPECT_EQ(root.Find("b"), &root.members[0].value);  // the first of a repeated key
}

// Regression (found by fuzz/inventory_json_fuzz.cc): a document that is one scalar is valid JSON,
// and was refused as "not valid JSON" with simdjson's advice to its programmer as the message.
TEST(JsonTree, ScalarDocumentsAreValues) {
  struct Case {
    const char* body;
    JsonNode::Kind kind;
    const char* text;
  };
  for (const Case& c : {Case{R"("filial")", JsonNode::Kind::kString, "filial"},
                        Case{R"( "a\"b" )", JsonNode::Kind::kString, "a\"b"},
                        Case{"12.50 ", JsonNode::Kind::kNumber, "12.50"},
                        Case{"-0", JsonNode::Kind::kNumber, "-0"},
                        Case{"true", JsonNode::Kind::kBool, ""},
                        Case{"null\n", JsonNode::Kind::kNull, ""}}) {
    ApiResult<JsonNode> tree = ParseJsonTree(c.body);
    ASSERT_TRUE(tree.ok()) << c.body << ": " << RenderApiError(tree.error());
    EXPECT_EQ(tree.value().kind, c.kind) << c.body;
    EXPECT_EQ(tree.value().text, c.text) << c.body;
  }
  EXPECT_FALSE(ParseJsonTree("false").value().boolean);
  for (const char* bad : {"\"a\" x", "1 2", "01", "tru", "nul", "\"\\x\"", "1.", "", "false1",
                          "true x", "null 0", "nullx"}) {
    ApiResult<JsonNode> tree = ParseJsonTree(bad);
    ASSERT_FALSE(tree.ok()) << bad;
    EXPECT_EQ(tree.error().code, "invalid_json") << bad;
  }
}

TEST(JsonTree, ScalarBodyOfAnObjectEndpointSaysSo) {
  InventoryDecodeContext context;
  context.zone_of = [](std::string_view) { return *domain::TimeZone::Locate("UTC"); };
  context.unit_of = [](std::string_view) { return std::nullopt; };
  ApiResult<domain::Transfer> transfer = DecodeTransferBody(R"("transferencia")", context);
  ASSERT_FALSE(transfer.ok());
  EXPECT_EQ(transfer.error().code, "invalid_json");
  EXPECT_EQ(transfer.error().message, "request body must be a JSON object (a transfer)");
}

// Containers nested `depth` deep around a scalar: [[...[0]...]].
std::string Nested(std::size_t depth) {
  return std::string(depth, '[') + "0" + std::string(depth, ']');
}

// Only containers count towards the depth limit, as in json::ValidateValue (the streaming
// decoders), so every decoder refuses the same bodies.
TEST(JsonTree, DepthLimitCountsContainers) {
  EXPECT_TRUE(ParseJsonTree(Nested(limits::kJsonDepthMax)).ok());
  ApiResult<JsonNode> deeper = ParseJsonTree(Nested(limits::kJsonDepthMax + 1));
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.error().code, "invalid_json");
}

}  // namespace
}  // namespace estoque::api
