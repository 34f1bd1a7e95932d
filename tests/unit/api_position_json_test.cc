// The POST /v1/posicoes decoder and the position encoder (api/position_json.h).
#include "api/position_json.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/limits.h"
#include "domain/quantity.h"

namespace estoque::api {
namespace {

domain::TimeZone Zone(std::string_view name = "America/Sao_Paulo") {
  return domain::TimeZone::Locate(name).value();
}

int64_t Micros(std::string_view rfc3339) {
  return domain::ParseTimestampMicros(rfc3339, Zone("UTC")).value();
}

ApiResult<std::vector<domain::Position>> Decode(std::string_view body, bool check_digit = false) {
  return DecodePositionsBody(body, PositionDecodeOptions{Zone(), check_digit});
}

std::string Item(std::string_view quantity = "3011",
                 std::string_view barcode = R"("5140642011605")",
                 std::string_view extra = "") {
  return std::string(R"({"codigo_barra":)") + std::string(barcode) +
         R"(,"nome_produto":"Café","filial":"1001","qtd_estoque":)" + std::string(quantity) +
         R"(,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31")" + std::string(extra) + "}";
}

// The error of a decode that must fail.
ApiError ErrorOf(std::string_view body, bool check_digit = false) {
  auto result = Decode(body, check_digit);
  EXPECT_FALSE(result.ok()) << body;
  if (result.ok()) return {};
  EXPECT_EQ(result.error().http_status, boost::beast::http::status::bad_request);
  return result.error();
}

ErrorDetail Detail(std::size_t index, std::string field, std::string reason) {
  return ErrorDetail{index, std::move(field), std::move(reason)};
}

TEST(PositionJsonDecode, SeedMessage) {
  auto result = Decode("[" + Item() + "]");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  ASSERT_EQ(result.value().size(), 1u);
  const domain::Position& position = result.value()[0];
  EXPECT_EQ(position.barcode, "5140642011605");
  EXPECT_EQ(position.product_name, "Café");
  EXPECT_EQ(position.branch, "1001");
  EXPECT_EQ(position.quantity_milli, 3'011'000);
  // Zone-less seed time is São Paulo local time (UTC-3 in May 2024).
  EXPECT_EQ(position.updated_at_us, Micros("2024-05-28T00:16:31Z"));
}

TEST(PositionJsonDecode, KeepsLeadingZerosAndOrder) {
  auto result = Decode("[" + Item("1", R"("0423746182527")") + "," + Item("2") + "]");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.value().size(), 2u);
  EXPECT_EQ(result.value()[0].barcode, "0423746182527");
  EXPECT_EQ(result.value()[1].quantity_milli, 2000);
}

TEST(PositionJsonDecode, QuantityIsTakenFromTheExactNumberText) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"12.345", 12'345}, {"3011", 3'011'000}, {"-0.5", -500},   {"0", 0},
      {"1.2e3", 1'200'000}, {"12.3450", 12'345}, {"1E-3", 1}, {"0.1", 100},
      {"999999999999.999", 999'999'999'999'999}, {"1000000000000", 1'000'000'000'000'000}};
  for (const auto& [text, milli] : cases) {
    auto result = Decode("[" + Item(text) + "]");
    ASSERT_TRUE(result.ok()) << text << ": " << RenderApiError(result.error());
    EXPECT_EQ(result.value()[0].quantity_milli, milli) << text;
  }
}

TEST(PositionJsonDecode, BadQuantitiesAreItemErrorsNotJsonErrors) {
  for (const std::string text : {"1.2345", "1e400", "123456789012345678901234567890",
                                 "1000000000000.001", "-1e13"}) {
    const ApiError error = ErrorOf("[" + Item(text) + "]");
    EXPECT_EQ(error.code, "invalid_items") << text;
    ASSERT_EQ(error.details.size(), 1u) << text;
    EXPECT_EQ(error.details[0].index, 0u);
    EXPECT_EQ(error.details[0].field, "qtd_estoque");
    EXPECT_FALSE(error.details[0].reason.empty());
  }
}

TEST(PositionJsonDecode, MalformedNumbersAreInvalidJson) {
  for (const std::string text : {"01", "-", "1.", ".5", "1e", "12abc", "+1"}) {
    EXPECT_EQ(ErrorOf("[" + Item(text) + "]").code, "invalid_json") << text;
  }
}

TEST(PositionJsonDecode, WrongTypes) {
  const ApiError error = ErrorOf(
      R"([{"codigo_barra":5140642011605,"nome_produto":null,"filial":["1001"],)"
      R"("qtd_estoque":"3011","data_atulizacao_posicao_estoque":{"x":1}}])");
  EXPECT_EQ(error.code, "invalid_items");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{
                               Detail(0, "codigo_barra", "must be a string"),
                               Detail(0, "nome_produto", "must be a string"),
                               Detail(0, "filial", "must be a string"),
                               Detail(0, "qtd_estoque", "must be a number"),
                               Detail(0, "data_atulizacao_posicao_estoque", "must be a string"),
                           }));
}

TEST(PositionJsonDecode, MissingFieldsAreRequired) {
  const ApiError error = ErrorOf("[{}]");
  EXPECT_EQ(error.code, "invalid_items");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{
                               Detail(0, "codigo_barra", "required"),
                               Detail(0, "nome_produto", "required"),
                               Detail(0, "filial", "required"),
                               Detail(0, "qtd_estoque", "required"),
                               Detail(0, "data_atulizacao_posicao_estoque", "required"),
                           }));
}

TEST(PositionJsonDecode, DomainRulesGiveTheDomainsReason) {
  const ApiError error = ErrorOf(
      R"([{"codigo_barra":"12a4","nome_produto":"","filial":"10 01","qtd_estoque":1,)"
      R"("data_atulizacao_posicao_estoque":"2024-02-30 10:00:00"}])");
  ASSERT_EQ(error.details.size(), 4u);
  EXPECT_EQ(error.details[0].field, "codigo_barra");
  EXPECT_EQ(error.details[1].field, "nome_produto");
  EXPECT_EQ(error.details[2].field, "filial");
  EXPECT_EQ(error.details[3].field, "data_atulizacao_posicao_estoque");
  for (const auto& detail : error.details) EXPECT_FALSE(detail.reason.empty());
}

TEST(PositionJsonDecode, CheckDigitIsOptIn) {
  // 5140642011605 has no valid GTIN check digit; 4006381333931 has.
  EXPECT_TRUE(Decode("[" + Item() + "]", /*check_digit=*/false).ok());
  const ApiError error = ErrorOf("[" + Item() + "]", /*check_digit=*/true);
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].field, "codigo_barra");
  EXPECT_TRUE(Decode("[" + Item("1", R"("4006381333931")") + "]", true).ok());
}

TEST(PositionJsonDecode, EitherTimeKeyAndBothWhenTheyAgree) {
  const std::string correct_key =
      R"([{"codigo_barra":"5140642011605","nome_produto":"X","filial":"1","qtd_estoque":1,)"
      R"("data_atualizacao_posicao_estoque":"2024-05-28T00:16:31.5Z"}])";
  auto result = Decode(correct_key);
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(result.value()[0].updated_at_us, Micros("2024-05-28T00:16:31.5Z"));

  const std::string both_agree = Item(
      "1", R"("5140642011605")", R"(,"data_atualizacao_posicao_estoque":"2024-05-27T21:16:31-03:00")");
  EXPECT_TRUE(Decode("[" + both_agree + "]").ok());

  // A time without fractional seconds agrees with any instant within that second, and the more
  // precise one is kept.
  const std::string seed_truncated = Item(
      "1", R"("5140642011605")", R"(,"data_atualizacao_posicao_estoque":"2024-05-27T21:16:31.25-03:00")");
  result = Decode("[" + seed_truncated + "]");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(result.value()[0].updated_at_us, Micros("2024-05-28T00:16:31.25Z"));

  const std::string both_differ = Item(
      "1", R"("5140642011605")", R"(,"data_atualizacao_posicao_estoque":"2024-05-27T21:16:32-03:00")");
  const ApiError error = ErrorOf("[" + both_differ + "]");
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].field, "data_atualizacao_posicao_estoque");  // the second one
}

TEST(PositionJsonDecode, UnknownFieldsAreIgnoredButMustBeValidJson) {
  auto result = Decode("[" + Item("1", R"("5140642011605")",
                                  R"(,"extra":{"a":[1,2.5e10,true,false,null,"x"]},"z":"")") +
                       "]");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(ErrorOf("[" + Item("1", R"("5140642011605")", R"(,"extra":tru)") + "]").code,
            "invalid_json");
  EXPECT_EQ(ErrorOf("[" + Item("1", R"("5140642011605")", R"(,"extra":[1,2,])") + "]").code,
            "invalid_json");
  EXPECT_EQ(ErrorOf("[" + Item("1", R"("5140642011605")", R"(,"extra":nul)") + "]").code,
            "invalid_json");
}

TEST(PositionJsonDecode, DuplicateKeysAreErrors) {
  const ApiError error =
      ErrorOf("[" + Item("1", R"("5140642011605")", R"(,"filial":"1002","x":1,"x":2)") + "]");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{Detail(0, "filial", "duplicate key"),
                                                     Detail(0, "x", "duplicate key")}));
}

TEST(PositionJsonDecode, EscapedStringsAreUnescaped) {
  auto result = Decode(
      R"([{"codigo_barra":"5140642011605","nome_produto":"Caf\u00e9 \"forte\"","filial":"1001",)"
      R"("qtd_estoque":1,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(result.value()[0].product_name, "Café \"forte\"");
}

TEST(PositionJsonDecode, EscapedKeysAreUnescaped) {
  auto result = Decode(
      R"([{"codigo\u005fbarra":"5140642011605","nome_produto":"A\/B","filial":"1001",)"
      R"("qtd_estoque":1,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31"}])");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(result.value()[0].barcode, "5140642011605");
  EXPECT_EQ(result.value()[0].product_name, "A/B");
  // A bad escape in a key or a value is invalid JSON.
  EXPECT_EQ(ErrorOf(R"([{"a\x":1}])").code, "invalid_json");
  EXPECT_EQ(ErrorOf(R"([{"nome_produto":"\x"}])").code, "invalid_json");
}

TEST(PositionJsonDecode, EveryBadItemIsListed) {
  const std::string body = "[" + Item() + "," + R"({"codigo_barra":"1"})" + "," + Item() + "," +
                           "42" + "]";
  const ApiError error = ErrorOf(body);
  EXPECT_EQ(error.code, "invalid_items");
  std::vector<std::size_t> indexes;
  for (const auto& detail : error.details) indexes.push_back(*detail.index);
  EXPECT_EQ(indexes, (std::vector<std::size_t>{1, 1, 1, 1, 1, 3}));
  EXPECT_EQ(error.details.back(), Detail(3, "", "must be an object"));
}

TEST(PositionJsonDecode, DetailsAreCapped) {
  std::string body = "[";
  for (std::size_t i = 0; i < limits::kItemsPerMessageMax; ++i) {
    body += (i ? "," : "");
    body += R"({"nome_produto":"x"})";  // 4 problems each
  }
  body += "]";
  const ApiError error = ErrorOf(body);
  EXPECT_EQ(error.code, "invalid_items");
  EXPECT_EQ(error.details.size(), kErrorDetailsMax);
  EXPECT_NE(error.message.find("4000"), std::string::npos) << error.message;
}

TEST(PositionJsonDecode, ItemsObjectForm) {
  auto result = Decode(R"({"origem":"pdv-7","itens":[)" + Item() + "," + Item("2") + "]}");
  ASSERT_TRUE(result.ok()) << RenderApiError(result.error());
  EXPECT_EQ(result.value().size(), 2u);

  ApiError error = ErrorOf(R"({"outro":[]})");
  EXPECT_EQ(error.code, "invalid_items");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{{std::nullopt, "itens", "required"}}));
  error = ErrorOf(R"({"itens":5})");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{{std::nullopt, "itens", "must be an array"}}));
  error = ErrorOf(R"({"itens":[)" + Item() + R"(],"itens":[]})");
  EXPECT_EQ(error.details, (std::vector<ErrorDetail>{{std::nullopt, "itens", "duplicate key"}}));
  EXPECT_EQ(ErrorOf(R"({"itens":[]})").code, "empty");
}

TEST(PositionJsonDecode, EmptyAndTooMany) {
  EXPECT_EQ(ErrorOf("[]").code, "empty");
  EXPECT_EQ(ErrorOf(" [ ] ").code, "empty");

  std::string body = "[";
  for (std::size_t i = 0; i < limits::kItemsPerMessageMax; ++i) body += (i ? "," : "") + Item();
  auto result = Decode(body + "]");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().size(), limits::kItemsPerMessageMax);
  // Item 1,001 stops parsing: what follows it is not even read.
  EXPECT_EQ(ErrorOf(body + "," + Item() + R"(,{"a":tru}])").code, "too_many_items");
  EXPECT_EQ(ErrorOf(R"({"itens":)" + body + "," + Item() + "]}").code, "too_many_items");
}

TEST(PositionJsonDecode, NotJson) {
  for (const std::string& body : std::vector<std::string>
       {"", "   ", "not json", "[", "[" + Item(), "[" + Item() + "]]", "[" + Item() + "] x",
        "[" + Item() + ",]", R"([{"codigo_barra" "1"}])", "5", R"("text")", "null", "true"}) {
    const ApiError error = ErrorOf(body);
    EXPECT_EQ(error.code, "invalid_json") << body;
    EXPECT_FALSE(error.message.empty());
  }
}

TEST(PositionJsonDecode, InvalidUtf8IsInvalidJson) {
  std::string body = "[" + Item() + "]";
  body.replace(body.find("Café"), 5, "Caf\xC3\x28");
  EXPECT_EQ(ErrorOf(body).code, "invalid_json");
  EXPECT_EQ(ErrorOf("[\"\xFF\"]").code, "invalid_json");
  // A lone surrogate escape is not a valid string either.
  EXPECT_EQ(ErrorOf(R"([{"codigo_barra":"\uD800"}])").code, "invalid_json");
}

TEST(PositionJsonDecode, NestingDepthIsBounded) {
  auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  // Root array (1) > item (2) > "extra" value (3...): 30 more levels reach depth 32.
  EXPECT_TRUE(Decode("[" + Item("1", R"("5140642011605")", R"(,"extra":)" + nested(30)) + "]").ok());
  EXPECT_EQ(ErrorOf("[" + Item("1", R"("5140642011605")", R"(,"extra":)" + nested(31)) + "]").code,
            "invalid_json");
  EXPECT_EQ(ErrorOf(nested(100000)).code, "invalid_json");
}

// Robustness: mutated bodies never crash the decoder (run under the sanitizers) and always get a
// definite answer.
TEST(PositionJsonDecode, MutatedBodiesGetADefiniteAnswer) {
  const std::string original = R"({"itens":[)" + Item("12.5") + "," +
                               Item("1", R"("0423746182527")", R"(,"x":{"y":[1,"a\"b",null]})") + "]}";
  std::mt19937 random(20240527);
  const std::string alphabet = "{}[]\":,\\ 0123456789.eE-+truefalsn\x01\xc3\xa9\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string body = original;
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % body.size();
      switch (random() % 3) {
        case 0: body[at] = alphabet[random() % alphabet.size()]; break;
        case 1: body.erase(at, 1 + random() % 3); break;
        default: body.insert(at, 1, alphabet[random() % alphabet.size()]); break;
      }
      if (body.empty()) body = "[";
    }
    auto result = Decode(body);
    if (!result.ok()) {
      EXPECT_FALSE(result.error().code.empty());
      EXPECT_FALSE(result.error().message.empty());
    } else {
      EXPECT_FALSE(result.value().empty());
    }
  }
}

TEST(PositionJsonEncode, ApiShape) {
  domain::Position position{"0423746182527", "1001", "Café \"forte\"\n", 12'345,
                            Micros("2024-05-28T00:16:31Z")};
  EXPECT_EQ(EncodePosition(position, Zone()),
            R"({"codigo_barra":"0423746182527","filial":"1001","nome_produto":"Café \"forte\"\n",)"
            R"("qtd_estoque":12.345,"data_atulizacao_posicao_estoque":"2024-05-27 21:16:31",)"
            R"("data_atualizacao_posicao_estoque":"2024-05-27T21:16:31-03:00"})");
  position.quantity_milli = 3'011'000;
  EXPECT_NE(EncodePosition(position, Zone()).find(R"("qtd_estoque":3011,)"), std::string::npos);
}

TEST(PositionJsonEncode, SeedShape) {
  const domain::Position position{"5140642011605", "1001", "Café", 3'011'000,
                                  Micros("2024-05-28T00:16:31Z")};
  std::string out;
  JsonWriter writer(&out);
  WriteSeedItem(writer, position, Zone());
  EXPECT_EQ(out, R"({"nome_produto":"Café","filial":"1001",)"
                 R"("data_atulizacao_posicao_estoque":"2024-05-27 21:16:31","qtd_estoque":3011,)"
                 R"("codigo_barra":"5140642011605"})");
}

TEST(PositionJsonEncode, RoundTrip) {
  // Sub-second times too: the seed key drops them, the RFC 3339 key keeps them.
  for (const int64_t time_us :
       {Micros("2024-01-02T03:04:05.000006Z"), Micros("2024-01-02T03:04:05Z")}) {
    const domain::Position position{"5140642011605", "B-7", "Leite \\ \"integral\" 1L", -1'500,
                                    time_us};
    auto decoded = Decode("[" + EncodePosition(position, Zone()) + "]");
    ASSERT_TRUE(decoded.ok()) << RenderApiError(decoded.error());
    EXPECT_EQ(decoded.value()[0], position);
  }
}

// Regression (found by fuzz/position_json_fuzz.cc): in a DST fold a local time names two
// instants. The seed key of our answer for the later one is the same text as for the earlier one,
// and the answer must still decode to what it encodes.
TEST(PositionJsonEncode, RoundTripInADstFold) {
  // São Paulo left DST at 2019-02-17 00:00 -02:00: 2019-02-16 23:30 happened at -02:00 and -03:00.
  for (const int64_t time_us :
       {Micros("2019-02-16T23:30:00-02:00"), Micros("2019-02-16T23:30:00-03:00"),
        Micros("2019-02-16T23:30:00.75-03:00")}) {
    const domain::Position position{"5140642011605", "1001", "Café", 1'000, time_us};
    const std::string encoded = EncodePosition(position, Zone());
    auto decoded = Decode("[" + encoded + "]");
    ASSERT_TRUE(decoded.ok()) << encoded << " " << RenderApiError(decoded.error());
    EXPECT_EQ(decoded.value()[0], position) << encoded;
  }
  // Two offsets still name two instants.
  const std::string both_offsets = std::string(R"([{"codigo_barra":"5140642011605",)") +
      R"("nome_produto":"X","filial":"1","qtd_estoque":1,)" +
      R"("data_atulizacao_posicao_estoque":"2019-02-16T23:30:00-02:00",)" +
      R"("data_atualizacao_posicao_estoque":"2019-02-16T23:30:00-03:00"}])";
  const ApiError error = ErrorOf(both_offsets);
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].field, "data_atualizacao_posicao_estoque");
}

TEST(PositionJsonEncode, ControlCharactersAreEscaped) {
  std::string out;
  JsonWriter writer(&out);
  writer.String(std::string("a\x01\x1f\x7f\b\f\r\t", 8));
  EXPECT_EQ(out, "\"a\\u0001\\u001f\x7f\\b\\f\\r\\t\"");
}

TEST(PositionJsonEncode, TotalsFormatLikeQuantities) {
  for (const int64_t milli : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{10}, int64_t{-500},
                              int64_t{12'345}, int64_t{3'011'000}, int64_t{100'100},
                              limits::kQuantityAbsMilliMax, -limits::kQuantityAbsMilliMax}) {
    EXPECT_EQ(FormatQuantityMilliTotal(milli), domain::FormatQuantityMilli(milli)) << milli;
  }
  const __int128 huge = static_cast<__int128>(INT64_MAX) * 10 + 120;  // beyond int64
  EXPECT_EQ(FormatQuantityMilliTotal(huge), "92233720368547758.19");
  EXPECT_EQ(FormatQuantityMilliTotal(-huge), "-92233720368547758.19");
  EXPECT_EQ(FormatQuantityMilliTotal(static_cast<__int128>(INT64_MAX) * 1000), "9223372036854775807");
}

}  // namespace
}  // namespace estoque::api
