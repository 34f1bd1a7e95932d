// The API's JSON codec on its hot paths: decoding the seed's 35-item message (POST /v1/posicoes)
// and a sale of 35 lines (POST /v1/vendas), and encoding one position (GET
// /v1/posicoes/{codigo_barra}/{filial}).
#include <string>

#include <benchmark/benchmark.h>

#include "api/sale_json.h"
#include "api/sale_json.h"
#include "api/position_json.h"

namespace estoque::api {
namespace {

domain::TimeZone Zone() { return domain::TimeZone::Locate("America/Sao_Paulo").value(); }

// 35 items as the seed's load-test app sends them (seed time format), or with RFC 3339 times.
std::string Body35(bool seed_time_format) {
  std::string body = "[";
  for (int i = 0; i < 35; ++i) {
    if (i) body += ", ";
    body += R"({"codigo_barra": "51406420116)" + std::to_string(10 + i) +
            R"(", "nome_produto": "Café Torrado e Moído 500g", "filial": ")" +
            (i % 2 ? "1001" : "1002") + R"(", "qtd_estoque": )" + std::to_string(1 + i * 281);
    body += seed_time_format
                ? R"(, "data_atulizacao_posicao_estoque": "2024-05-27 21:16:31"})"
                : R"(, "data_atualizacao_posicao_estoque": "2024-05-27T21:16:31.123456-03:00"})";
  }
  return body + "]";
}

void BM_DecodeBody35(benchmark::State& state) {
  const std::string body = Body35(state.range(0) == 0);
  const PositionDecodeOptions options{Zone(), false};
  for (auto _ : state) {
    auto decoded = DecodePositionsBody(body, options);
    if (!decoded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * 35);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeBody35)->Arg(0)->Arg(1)->ArgName("rfc3339");

// POST /v1/vendas with 35 lines (the same work per item as the seed's message).
void BM_DecodeSale35(benchmark::State& state) {
  std::string body = R"({"venda_id": "load-1716855391000000-123456", "filial": "1001", "itens": [)";
  for (int i = 0; i < 35; ++i) {
    if (i) body += ", ";
    body += R"({"codigo_barra": "51406420116)" + std::to_string(10 + i) + R"(", "quantidade": )" +
            std::to_string(1 + i % 5) + "}";
  }
  body += R"(], "data": "2024-05-27T21:16:31.123456-03:00"})";
  InventoryDecodeContext context;
  const domain::TimeZone zone = Zone();
  context.zone_of = [zone](std::string_view) { return zone; };
  context.unit_of = [](std::string_view) { return std::optional<domain::Unit>(); };
  for (auto _ : state) {
    auto decoded = DecodeSaleBody(body, context);
    if (!decoded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * 35);
}
BENCHMARK(BM_DecodeSale35);

void BM_EncodePosition(benchmark::State& state) {
  const domain::TimeZone zone = Zone();
  const domain::Position position{"5140642011605", "1001", "Café Torrado e Moído 500g", 3'011'000,
                                  1'716'855'391'000'000};
  for (auto _ : state) {
    std::string out = EncodePosition(position, zone);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_EncodePosition);

void BM_EncodeSeedItem(benchmark::State& state) {
  const domain::TimeZone zone = Zone();
  const domain::Position position{"5140642011605", "1001", "Café Torrado e Moído 500g", 12'345,
                                  1'716'855'391'000'000};
  for (auto _ : state) {
    std::string out;
    JsonWriter writer(&out);
    WriteSeedItem(writer, position, zone);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_EncodeSeedItem);

}  // namespace
}  // namespace estoque::api
