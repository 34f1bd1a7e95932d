// `estoque custo`'s arithmetic (cli/cost_model.h) on hand-computed cases, the price table file
// and the metrics text it reads.
#include "cli/cost_model.h"

#include <fstream>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "api/metrics_text.h"
#include "cli/cost_command.h"

namespace estoque::cli {
namespace {

constexpr double kEps = 1e-9;

TEST(CostModel, OnDemandIsUnitsTimesThePricePerMillion) {
  // 100 write units/s and 400 read units/s for 730 h: 262.8 M and 1051.2 M units.
  const ObservedRates rates{60, 10, 400, 100};
  const CostEstimate estimate = EstimateMonthlyCost(rates, PriceTable{}, AutoScaling{});
  EXPECT_NEAR(estimate.write_units_month, 262.8e6, 1e-3);
  EXPECT_NEAR(estimate.read_units_month, 1051.2e6, 1e-3);
  EXPECT_NEAR(estimate.on_demand_write, 262.8 * 0.625, 1e-6);  // $164.25
  EXPECT_NEAR(estimate.on_demand_read, 1051.2 * 0.125, 1e-6);  // $131.40
  EXPECT_NEAR(estimate.on_demand_total(), 295.65, 1e-6);
  EXPECT_NEAR(estimate.on_demand_per_million_writes, 0.625, kEps);
}

TEST(CostModel, ProvisionedIsTheRateOverTheTargetClampedToMinAndMax) {
  const AutoScaling seed;  // 5 to 10 at 70 %
  // 2.8 units/s / 0.7 = 4 -> the minimum, 5.
  ProvisionedCapacity low = Provision(2.8, seed);
  EXPECT_NEAR(low.needed, 4, kEps);
  EXPECT_EQ(low.kept, 5);
  EXPECT_FALSE(low.above_max);
  // 5.6 / 0.7 = 8: inside.
  ProvisionedCapacity inside = Provision(5.6, seed);
  EXPECT_NEAR(inside.kept, 8, kEps);
  EXPECT_FALSE(inside.above_max);
  // 14 / 0.7 = 20 -> the maximum, 10, and DynamoDB would throttle.
  ProvisionedCapacity high = Provision(14, seed);
  EXPECT_NEAR(high.needed, 20, kEps);
  EXPECT_EQ(high.kept, 10);
  EXPECT_TRUE(high.above_max);
  // No traffic still pays the minimum.
  EXPECT_EQ(Provision(0, seed).kept, 5);
}

TEST(CostModel, ProvisionedDollarsAreUnitHoursTimesThePrice) {
  // Reads 2.8/s -> 5 RCU; writes 5.6/s -> 8 WCU. 730 h.
  const ObservedRates rates{60, 1, 2.8, 5.6};
  const CostEstimate estimate = EstimateMonthlyCost(rates, PriceTable{}, AutoScaling{});
  EXPECT_NEAR(estimate.provisioned_read, 5 * 0.00013 * 730, 1e-9);   // $0.4745
  EXPECT_NEAR(estimate.provisioned_write, 8 * 0.00065 * 730, 1e-9);  // $3.796
  EXPECT_NEAR(estimate.provisioned_total(), 0.4745 + 3.796, 1e-9);
  // 5.6 WCU/s for a month is 14.7168 M write units: $3.796 / 14.7168 per million.
  ASSERT_TRUE(estimate.provisioned_per_million_writes.has_value());
  EXPECT_NEAR(*estimate.provisioned_per_million_writes, 3.796 / 14.7168, 1e-9);
  // Nothing written: no figure per million.
  EXPECT_FALSE(EstimateMonthlyCost({60, 0, 0, 0}, PriceTable{}, AutoScaling{})
                   .provisioned_per_million_writes.has_value());
}

TEST(CostModel, OtherAutoScalingSettings) {
  const AutoScaling wide{1, 1000, 0.5};
  const CostEstimate estimate = EstimateMonthlyCost({60, 1, 30, 100}, PriceTable{}, wide);
  EXPECT_NEAR(estimate.rcu.kept, 60, kEps);
  EXPECT_NEAR(estimate.wcu.kept, 200, kEps);
  EXPECT_TRUE(ValidateAutoScaling(wide).ok());
  EXPECT_FALSE(ValidateAutoScaling({0, 10, 0.7}).ok());
  EXPECT_FALSE(ValidateAutoScaling({5, 4, 0.7}).ok());
  EXPECT_FALSE(ValidateAutoScaling({5, 10, 0}).ok());
  EXPECT_FALSE(ValidateAutoScaling({5, 10, 1.5}).ok());
}

TEST(CostModel, TheConfigFileIsTheBuiltInTable) {
  std::ifstream file(std::string(ESTOQUE_SOURCE_DIR) + "/config/precos_dynamodb.toml");
  ASSERT_TRUE(file) << "config/precos_dynamodb.toml";
  std::stringstream text;
  text << file.rdbuf();
  Result<PriceTable> parsed = ParsePriceTable(text.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const PriceTable built_in;
  EXPECT_EQ(parsed->date, built_in.date);
  EXPECT_EQ(parsed->region, built_in.region);
  EXPECT_EQ(parsed->on_demand_write_per_million, built_in.on_demand_write_per_million);
  EXPECT_EQ(parsed->on_demand_read_per_million, built_in.on_demand_read_per_million);
  EXPECT_EQ(parsed->provisioned_wcu_hour, built_in.provisioned_wcu_hour);
  EXPECT_EQ(parsed->provisioned_rcu_hour, built_in.provisioned_rcu_hour);
}

TEST(CostModel, PriceTableErrorsNameLineAndKey) {
  const std::string good =
      "data = \"2025-01-01\"  # a comment\nregiao = \"sa-east-1\"\n"
      "sob_demanda_escrita_por_milhao = 0.9375\nsob_demanda_leitura_por_milhao = 0.1875\n"
      "provisionado_wcu_hora = 0.000975\nprovisionado_rcu_hora = 0.000195\n";
  Result<PriceTable> parsed = ParsePriceTable(good);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->region, "sa-east-1");
  EXPECT_EQ(parsed->on_demand_write_per_million, 0.9375);
  auto error_of = [](const std::string& text) { return ParsePriceTable(text).status().message(); };
  EXPECT_NE(error_of(good + "extra = 1\n").find("line 7: unknown key extra"), std::string::npos);
  EXPECT_NE(error_of(good + "data = \"x\"\n").find("data given twice"), std::string::npos);
  EXPECT_NE(error_of("data = 2024\n").find("line 1: data must be a quoted string"),
            std::string::npos);
  std::string negative = good;
  negative.replace(negative.find("0.000975"), 8, "-1");
  EXPECT_NE(error_of(negative).find("provisionado_wcu_hora must be a number"), std::string::npos);
  EXPECT_NE(error_of("data = \"2024-11-01\"\n").find("missing key"), std::string::npos);
}

TEST(CostModel, MetricsAreReadFromTheServersText) {
  store::CapacityUsage usage;
  usage["TransactWriteItems"] = {5, 0, 2420};
  usage["BatchGetItem"] = {5, 364, 0};
  usage["Query"] = {2, 0.5, 0};
  Result<MetricsReading> reading = ParseMetrics(api::MetricsText(12.5, usage));
  ASSERT_TRUE(reading.ok()) << reading.status().ToString();
  EXPECT_EQ(reading->uptime_seconds, 12.5);
  EXPECT_EQ(reading->requests, 12);
  EXPECT_EQ(reading->read_units, 364.5);
  EXPECT_EQ(reading->write_units, 2420);
  EXPECT_TRUE(reading->has_dynamodb);

  Result<MetricsReading> embedded = ParseMetrics(api::MetricsText(3, std::nullopt));
  ASSERT_TRUE(embedded.ok());
  EXPECT_FALSE(embedded->has_dynamodb);
  EXPECT_EQ(embedded->write_units, 0);
  EXPECT_FALSE(ParseMetrics("# nothing\n").ok());
  EXPECT_FALSE(ParseMetrics("estoque_uptime_seconds x\n").ok());
}

TEST(CostModel, RatesAreTheDifferenceOverTheServersUptime) {
  const MetricsReading before{10, 100, 400, 1000, true};
  const MetricsReading after{20, 150, 500, 3000, true};
  Result<ObservedRates> rates = RatesBetween(before, after);
  ASSERT_TRUE(rates.ok());
  EXPECT_EQ(rates->seconds, 10);
  EXPECT_EQ(rates->requests_per_second, 5);
  EXPECT_EQ(rates->read_units_per_second, 10);
  EXPECT_EQ(rates->write_units_per_second, 200);
  // A restart in between: uptime or counters went down.
  EXPECT_FALSE(RatesBetween(after, before).ok());
  EXPECT_FALSE(RatesBetween(before, {30, 50, 500, 3000, true}).ok());
}

TEST(CostModel, TableAndJsonShowBothModes) {
  const CostEstimate estimate = EstimateMonthlyCost({60, 1, 2.8, 5.6}, PriceTable{}, AutoScaling{});
  const std::string table = FormatCostTable(estimate, PriceTable{}, AutoScaling{}, true);
  EXPECT_NE(table.find("sob demanda"), std::string::npos) << table;
  EXPECT_NE(table.find("provisionado (5.0 RCU, 8.0 WCU)"), std::string::npos) << table;
  EXPECT_NE(table.find("$ 4.27"), std::string::npos) << table;  // 0.4745 + 3.796
  EXPECT_NE(table.find("Custo por milhão de unidades de escrita"), std::string::npos) << table;
  const auto document =
      boost::json::parse(FormatCostJson(estimate, PriceTable{}, AutoScaling{}, true)).as_object();
  EXPECT_NEAR(document.at("provisionado").at("total").to_number<double>(), 4.2705, 1e-9);
  EXPECT_NEAR(document.at("sob_demanda").at("escrita").to_number<double>(), 14.7168 * 0.625, 1e-9);
  EXPECT_EQ(document.at("precos").at("data").as_string(), "2024-11-01");
}

}  // namespace
}  // namespace estoque::cli
