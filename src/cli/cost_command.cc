#include "cli/cost_command.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "cli/http_client.h"
#include "cli/server_reply.h"
#include "load/base_url.h"

namespace estoque::cli {
namespace {

namespace json = boost::json;

constexpr std::string_view kMetricsTarget = "/metrics";

int Fail(std::ostream& err, int code, const std::string& message) {
  err << "estoque custo: " << message << "\n" << std::flush;
  return code;
}

Result<PriceTable> LoadPrices(const std::string& path) {
  if (path.empty()) return PriceTable{};
  std::ifstream file(path);
  if (!file) return Status::InvalidArgument("--precos " + path + ": cannot be read");
  std::stringstream text;
  text << file.rdbuf();
  Result<PriceTable> prices = ParsePriceTable(text.str());
  if (!prices.ok()) {
    return Status::InvalidArgument("--precos " + path + ": " + prices.status().message());
  }
  return prices;
}

// One GET /metrics, parsed; on failure the message to print in *failure.
Result<MetricsReading> ReadMetrics(BlockingHttpClient& client, const std::string& server,
                                   std::string* failure) {
  Result<HttpReply> reply = client.Send("GET", kMetricsTarget, "");
  if (!reply.ok()) {
    *failure = "cannot reach " + server + ": " + reply.status().message();
    return reply.status();
  }
  if (reply->status != 200) {
    *failure = DescribeReply(*reply, "GET /metrics needs a key of role admin or leitura");
    return Status::Unavailable(*failure);
  }
  Result<MetricsReading> reading = ParseMetrics(reply->body);
  if (!reading.ok()) *failure = "unexpected answer of GET /metrics: " + reading.status().message();
  return reading;
}

std::string Dollars(double dollars) { return fmt::format("$ {:.2f}", dollars); }

std::string Capacity(const ProvisionedCapacity& capacity) {
  return fmt::format("{:.1f}{}", capacity.kept, capacity.above_max ? " (máx.)" : "");
}

}  // namespace

std::string FormatCostTable(const CostEstimate& estimate, const PriceTable& prices,
                            const AutoScaling& scaling, bool has_dynamodb) {
  std::string text;
  auto out = std::back_inserter(text);
  fmt::format_to(out, "Tráfego DynamoDB observado em {:.1f} s: {:.2f} requisições/s, "
                      "{:.2f} unidades de leitura/s, {:.2f} unidades de escrita/s\n",
                 estimate.rates.seconds, estimate.rates.requests_per_second,
                 estimate.rates.read_units_per_second, estimate.rates.write_units_per_second);
  if (!has_dynamodb) {
    text += "(o servidor não mostrou séries DynamoDB: armazenamento embutido, ou DynamoDB ainda "
            "sem tráfego)\n";
  }
  fmt::format_to(out, "Custo mensal ({:.0f} h) a esse ritmo, preços {} de {}:\n", kHoursPerMonth,
                 prices.region, prices.date);
  fmt::format_to(out, "{:<34}{:>14}{:>14}{:>14}\n", "modo", "leitura", "escrita", "total");
  fmt::format_to(out, "{:<34}{:>14}{:>14}{:>14}\n", "sob demanda", Dollars(estimate.on_demand_read),
                 Dollars(estimate.on_demand_write), Dollars(estimate.on_demand_total()));
  fmt::format_to(out, "{:<34}{:>14}{:>14}{:>14}\n",
                 fmt::format("provisionado ({} RCU, {} WCU)", Capacity(estimate.rcu),
                             Capacity(estimate.wcu)),
                 Dollars(estimate.provisioned_read), Dollars(estimate.provisioned_write),
                 Dollars(estimate.provisioned_total()));
  fmt::format_to(out, "  auto scaling de {:g} a {:g} unidades, alvo de utilização {:g} %\n",
                 scaling.min_units, scaling.max_units, scaling.target_utilization * 100);
  if (estimate.rcu.above_max || estimate.wcu.above_max) {
    fmt::format_to(out, "  atenção: o ritmo observado pede {:.1f} RCU e {:.1f} WCU, acima do "
                        "máximo: o DynamoDB limitaria (throttling) as requisições\n",
                   estimate.rcu.needed, estimate.wcu.needed);
  }
  fmt::format_to(out, "Custo por milhão de unidades de escrita: sob demanda {}, provisionado {}\n",
                 fmt::format("$ {:.4f}", estimate.on_demand_per_million_writes),
                 estimate.provisioned_per_million_writes
                     ? fmt::format("$ {:.4f}", *estimate.provisioned_per_million_writes)
                     : std::string("- (nada escrito)"));
  return text;
}

std::string FormatCostJson(const CostEstimate& estimate, const PriceTable& prices,
                           const AutoScaling& scaling, bool has_dynamodb) {
  auto capacity = [](const ProvisionedCapacity& c) {
    return json::object{{"necessario", c.needed}, {"provisionado", c.kept},
                        {"acima_do_maximo", c.above_max}};
  };
  json::object document{
      {"janela_s", estimate.rates.seconds},
      {"dynamodb", has_dynamodb},
      {"precos", {{"data", prices.date},
                  {"regiao", prices.region},
                  {"sob_demanda_escrita_por_milhao", prices.on_demand_write_per_million},
                  {"sob_demanda_leitura_por_milhao", prices.on_demand_read_per_million},
                  {"provisionado_wcu_hora", prices.provisioned_wcu_hour},
                  {"provisionado_rcu_hora", prices.provisioned_rcu_hour}}},
      {"observado", {{"requisicoes_s", estimate.rates.requests_per_second},
                     {"leitura_unidades_s", estimate.rates.read_units_per_second},
                     {"escrita_unidades_s", estimate.rates.write_units_per_second}}},
      {"horas_mes", kHoursPerMonth},
      {"sob_demanda", {{"leitura", estimate.on_demand_read},
                       {"escrita", estimate.on_demand_write},
                       {"total", estimate.on_demand_total()}}},
      {"provisionado", {{"rcu", capacity(estimate.rcu)},
                        {"wcu", capacity(estimate.wcu)},
                        {"min", scaling.min_units},
                        {"max", scaling.max_units},
                        {"alvo_utilizacao", scaling.target_utilization},
                        {"leitura", estimate.provisioned_read},
                        {"escrita", estimate.provisioned_write},
                        {"total", estimate.provisioned_total()}}},
  };
  json::object per_million{{"sob_demanda", estimate.on_demand_per_million_writes}};
  if (estimate.provisioned_per_million_writes) {
    per_million["provisionado"] = *estimate.provisioned_per_million_writes;
  } else {
    per_million["provisionado"] = nullptr;
  }
  document["por_milhao_unidades_escrita"] = std::move(per_million);
  return json::serialize(document) + "\n";
}

int RunCostCommand(const CostOptions& options, std::ostream& out, std::ostream& err) {
  Result<load::BaseUrl> url = load::ParseBaseUrl(options.server);
  if (!url.ok()) return Fail(err, kCostExitUsage, "--server: " + url.status().message());
  if (options.api_key.empty()) {
    return Fail(err, kCostExitUsage,
                "--server needs an API key of role admin or leitura: --key KEY or the "
                "ESTOQUE_API_KEY variable");
  }
  if (!(options.window_seconds > 0)) return Fail(err, kCostExitUsage, "--janela: more than 0 s");
  if (Status valid = ValidateAutoScaling(options.scaling); !valid.ok()) {
    return Fail(err, kCostExitUsage, valid.message());
  }
  Result<PriceTable> prices = LoadPrices(options.prices_file);
  if (!prices.ok()) return Fail(err, kCostExitUsage, prices.status().message());

  HttpClientOptions client_options;
  client_options.url = std::move(*url);
  client_options.headers.emplace_back("x-api-key", options.api_key);
  client_options.timeout = std::chrono::seconds(30);
  BlockingHttpClient client(std::move(client_options));
  std::string failure;
  Result<MetricsReading> before = ReadMetrics(client, options.server, &failure);
  if (!before.ok()) return Fail(err, kCostExitError, failure);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.window_seconds));
  Result<MetricsReading> after = ReadMetrics(client, options.server, &failure);
  if (!after.ok()) return Fail(err, kCostExitError, failure);
  Result<ObservedRates> rates = RatesBetween(*before, *after);
  if (!rates.ok()) return Fail(err, kCostExitError, rates.status().message());

  const CostEstimate estimate = EstimateMonthlyCost(*rates, *prices, options.scaling);
  const bool has_dynamodb = after->has_dynamodb;
  out << (options.json ? FormatCostJson(estimate, *prices, options.scaling, has_dynamodb)
                       : FormatCostTable(estimate, *prices, options.scaling, has_dynamodb))
      << std::flush;
  return kCostExitOk;
}

}  // namespace estoque::cli
