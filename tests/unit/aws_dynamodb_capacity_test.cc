// DynamoDB's item size and capacity unit rules (aws/dynamodb_capacity.h), checked against the
// worked examples of AWS's developer guide ("DynamoDB item sizes and formats", "DynamoDB read
// and write operations", the pricing pages' RCU/WCU examples) and hand-computed items.
#include "aws/dynamodb_capacity.h"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "aws/dynamodb_attributes.h"

namespace estoque::aws::dynamodb {
namespace {

namespace json = boost::json;

Item ParseItem(const char* text) { return json::parse(text).as_object(); }

TEST(DynamoDbItemSize, StringsAreUtf8BytesOfNameAndValue) {
  EXPECT_EQ(ItemSizeBytes(ParseItem(R"({"nome": {"S": "Arroz"}})")), 4u + 5u);
  // "ã" is 2 bytes of UTF-8, "€" 3.
  EXPECT_EQ(ItemSizeBytes(ParseItem(R"({"pão": {"S": "€1"}})")), 4u + 4u);
  EXPECT_EQ(ItemSizeBytes(ParseItem(R"({"s": {"S": ""}})")), 1u);
}

TEST(DynamoDbItemSize, NumbersAreOneBytePerTwoSignificantDigitsPlusOne) {
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "7"})")), 2u);      // 1 digit
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "12"})")), 2u);     // 2 digits
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "123"})")), 3u);    // 3 digits
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "-123"})")), 3u);   // the sign is free
  // Leading and trailing zeros are trimmed: 12000 and 0.0012 are 2 significant digits.
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "12000"})")), 2u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "0.0012"})")), 2u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "12.34"})")), 3u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "1.5E+3"})")), 2u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "0"})")), 1u);
  // A microsecond timestamp: 16 significant digits -> 9 bytes.
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"N": "1732600000123456"})")), 9u);
  // 38 digits, DynamoDB's most: 20 bytes.
  EXPECT_EQ(AttributeValueSizeBytes(
                json::parse(R"({"N": "12345678901234567890123456789012345678"})")), 20u);
}

TEST(DynamoDbItemSize, BinaryCountsRawBytesNotBase64) {
  const std::string raw(100, '\x7f');
  EXPECT_EQ(AttributeValueSizeBytes(BinaryValue(raw)), 100u);
  EXPECT_EQ(AttributeValueSizeBytes(BinaryValue("a")), 1u);   // "YQ=="
  EXPECT_EQ(AttributeValueSizeBytes(BinaryValue("ab")), 2u);  // "YWI="
  EXPECT_EQ(AttributeValueSizeBytes(BinaryValue("")), 0u);
}

TEST(DynamoDbItemSize, BooleanAndNullAreOneByte) {
  EXPECT_EQ(ItemSizeBytes(ParseItem(R"({"ativa": {"BOOL": true}, "x": {"NULL": true}})")),
            5u + 1u + 1u + 1u);
}

TEST(DynamoDbItemSize, ListsAndMapsAreThreeBytesPlusOnePerElement) {
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"L": []})")), 3u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"M": {}})")), 3u);
  // ["ab", 12]: 3 + (2 + 1) + (2 + 1).
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"L": [{"S": "ab"}, {"N": "12"}]})")), 9u);
  // {"q": 12, "nome": "ab"}: 3 + (1 + 2 + 1) + (4 + 2 + 1).
  EXPECT_EQ(AttributeValueSizeBytes(
                json::parse(R"({"M": {"q": {"N": "12"}, "nome": {"S": "ab"}}})")), 14u);
  // Nested: {"m": {"l": ["a"]}}: outer 3 + ("l" 1 + inner list (3 + 1 + 1) + 1).
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"M": {"l": {"L": [{"S": "a"}]}}})")), 10u);
}

TEST(DynamoDbItemSize, SetsAreTheSumOfTheirMembers) {
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"SS": ["ab", "cde"]})")), 5u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"NS": ["1", "123"]})")), 2u + 3u);
  EXPECT_EQ(AttributeValueSizeBytes(json::parse(R"({"BS": ["YQ==", "YWI="]})")), 3u);
}

TEST(DynamoDbCapacityUnits, WritesAreOneUnitPerKilobyteRoundedUp) {
  EXPECT_EQ(WriteUnits(0), 1);  // a delete of nothing, an empty item: the minimum
  EXPECT_EQ(WriteUnits(1), 1);
  EXPECT_EQ(WriteUnits(1024), 1);
  EXPECT_EQ(WriteUnits(1025), 2);
  // The pricing page: "a standard write request of a 3 KB item would require three WCUs, and a
  // transactional write request of a 3 KB item would require six WCUs".
  EXPECT_EQ(WriteUnits(3 * 1024), 3);
  EXPECT_EQ(WriteUnits(3 * 1024) * kTransactionFactor, 6);
  // Hand-computed: 500 bytes is 1 WCU, 3.5 KB rounds up to 4.
  EXPECT_EQ(WriteUnits(500), 1);
  EXPECT_EQ(WriteUnits(3584), 4);
}

TEST(DynamoDbCapacityUnits, ReadsAreOneUnitPerFourKilobytesHalvedWhenEventual) {
  // read-write-operations: "reading a 3,500-byte item consumes the same throughput as reading a
  // 4 KB item"; an 8 KB item needs 2 units strongly consistent, 1 eventually consistent, 4
  // transactional; a 10 KB item is rounded up to 12 KB.
  EXPECT_EQ(ReadUnits(3500, true), 1);
  EXPECT_EQ(ReadUnits(4096, true), 1);
  EXPECT_EQ(ReadUnits(8 * 1024, true), 2);
  EXPECT_EQ(ReadUnits(8 * 1024, false), 1);
  EXPECT_EQ(ReadUnits(8 * 1024, true) * kTransactionFactor, 4);
  EXPECT_EQ(ReadUnits(10 * 1024, true), 3);
  EXPECT_EQ(ReadUnits(100, false), 0.5);
  EXPECT_EQ(ReadUnits(0, true), 1);  // an item not found still costs the minimum
  // BatchGetItem of 1.5 KB and 6.5 KB items: each rounded up on its own, 4 KB + 8 KB = 3 units,
  // not ReadUnits(8 KB) = 2.
  EXPECT_EQ(ReadUnits(1536, true) + ReadUnits(6656, true), 3);
  EXPECT_EQ(ReadUnits(1536 + 6656, true), 2);
}

TableSpec PositionsLikeTable() {
  TableSpec spec;
  spec.name = "t_posicoes";
  spec.key.partition = {"codigo_barra", AttributeType::kString};
  spec.key.sort = KeyAttribute{"filial", AttributeType::kString};
  GlobalSecondaryIndex by_branch;
  by_branch.name = "por_filial";
  by_branch.key.partition = {"filial", AttributeType::kString};
  by_branch.key.sort = KeyAttribute{"codigo_barra", AttributeType::kString};
  GlobalSecondaryIndex alerts;  // sparse: only items with alerta_filial
  alerts.name = "alertas";
  alerts.key.partition = {"alerta_filial", AttributeType::kString};
  alerts.key.sort = KeyAttribute{"codigo_barra", AttributeType::kString};
  spec.indexes = {by_branch, alerts};
  return spec;
}

TEST(DynamoDbCapacityUnits, IndexKeysOfTableSpecs) {
  TableSpec plain;
  plain.name = "t_ids";
  plain.key.partition = {"k", AttributeType::kString};
  const TableIndexKeys keys = IndexKeysOf({PositionsLikeTable(), plain});
  ASSERT_EQ(keys.size(), 1u);  // tables without indexes are left out
  const IndexKeys expected = {{"filial", "codigo_barra"}, {"alerta_filial", "codigo_barra"}};
  EXPECT_EQ(keys.at("t_posicoes"), expected);
}

TEST(DynamoDbCapacityUnits, APutIsWrittenAgainIntoEachIndexItHasTheKeysOf) {
  const IndexKeys indexes = IndexKeysOf({PositionsLikeTable()}).at("t_posicoes");
  Item item = ParseItem(R"({"codigo_barra": {"S": "7891000100103"}, "filial": {"S": "1001"},
                            "em_estoque_milli": {"N": "12000"}})");
  EXPECT_EQ(IndexesWritten(item, indexes), 1);  // por_filial only
  EXPECT_EQ(PutWriteUnits(item, indexes), 2);
  item["alerta_filial"] = StringValue("1001#estoque_baixo");
  EXPECT_EQ(IndexesWritten(item, indexes), 2);
  EXPECT_EQ(PutWriteUnits(item, indexes), 3);
  EXPECT_EQ(PutWriteUnits(item, {}), 1);
  // A 1.5 KB item: 2 units per copy.
  item["nome_produto"] = StringValue(std::string(1500, 'a'));
  EXPECT_EQ(PutWriteUnits(item, indexes), 6);
}

}  // namespace
}  // namespace estoque::aws::dynamodb
