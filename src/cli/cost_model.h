// The arithmetic of `estoque custo` (cli/cost_command.h), pure: the DynamoDB price table, the
// server's metrics as read from GET /metrics, and the monthly cost of an observed rate of read and
// write units in DynamoDB's two billing modes:
//   - on-demand: read units x the price per million read request units + write units x the price
//     per million write request units, over a month of 730 hours at the observed rate;
//   - provisioned with auto scaling: the capacity auto scaling would keep is the observed rate /
//     the target utilisation, clamped to [min, max] (the seed's 5 to 10 units at 70 %), for reads
//     (RCU) and writes (WCU) apart, billed per unit-hour for 730 hours. Simplified: one figure for
//     all tables and indexes together (DynamoDB scales each table and GSI on its own, each with
//     its own minimum), and the rate is the window's average (auto scaling follows peaks).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::cli {

inline constexpr double kHoursPerMonth = 730;
inline constexpr double kSecondsPerMonth = kHoursPerMonth * 3600;

// Prices in US dollars, from a dated table (config/precos_dynamodb.toml). The defaults are the
// same us-east-1 list prices as that file.
struct PriceTable {
  std::string date = "2024-11-01";                     // data: when the prices were taken
  std::string region = "us-east-1";                    // regiao
  double on_demand_write_per_million = 0.625;          // sob_demanda_escrita_por_milhao
  double on_demand_read_per_million = 0.125;           // sob_demanda_leitura_por_milhao
  double provisioned_wcu_hour = 0.00065;               // provisionado_wcu_hora
  double provisioned_rcu_hour = 0.00013;               // provisionado_rcu_hora
};

// A table of `key = value` lines (TOML: "#" comments, strings in double quotes, numbers), with
// exactly the keys named above, each once, prices >= 0. InvalidArgument naming the line and the
// key otherwise.
Result<PriceTable> ParsePriceTable(std::string_view text);

// Auto scaling of provisioned capacity (the seed's: 5 to 10 units at 70 %).
struct AutoScaling {
  double min_units = 5;
  double max_units = 10;
  double target_utilization = 0.70;  // (0, 1]
};
// InvalidArgument unless 1 <= min <= max and 0 < target <= 1.
Status ValidateAutoScaling(const AutoScaling& scaling);

// The totals of one GET /metrics reading.
struct MetricsReading {
  double uptime_seconds = 0;
  double requests = 0;     // Σ estoque_dynamodb_requests_total
  double read_units = 0;   // Σ estoque_dynamodb_read_units_total
  double write_units = 0;  // Σ estoque_dynamodb_write_units_total
  bool has_dynamodb = false;  // any estoque_dynamodb_* series at all
};
// Reads Prometheus text (api/metrics_text.h). InvalidArgument when estoque_uptime_seconds is
// missing or a sample of the series above is not a number.
Result<MetricsReading> ParseMetrics(std::string_view text);

// Per second between two readings of the same server. InvalidArgument when `after` is not later
// than `before` by uptime, or a counter went down (the server restarted in between).
struct ObservedRates {
  double seconds = 0;                 // the window, by the server's uptime
  double requests_per_second = 0;
  double read_units_per_second = 0;
  double write_units_per_second = 0;
};
Result<ObservedRates> RatesBetween(const MetricsReading& before, const MetricsReading& after);

struct ProvisionedCapacity {
  double needed = 0;  // observed rate / target utilisation
  double kept = 0;    // `needed` clamped to [min, max]: what auto scaling provisions
  bool above_max = false;  // the rate needs more than max: DynamoDB would throttle
};
// What auto scaling keeps for `units_per_second`.
ProvisionedCapacity Provision(double units_per_second, const AutoScaling& scaling);

struct CostEstimate {
  ObservedRates rates;
  double read_units_month = 0;   // at the observed rate for 730 h
  double write_units_month = 0;
  // On-demand, dollars a month.
  double on_demand_read = 0;
  double on_demand_write = 0;
  double on_demand_total() const { return on_demand_read + on_demand_write; }
  // Provisioned with auto scaling, dollars a month.
  ProvisionedCapacity rcu;
  ProvisionedCapacity wcu;
  double provisioned_read = 0;
  double provisioned_write = 0;
  double provisioned_total() const { return provisioned_read + provisioned_write; }
  // Dollars per million write units: on-demand, the price; provisioned, the write capacity's
  // monthly cost over the month's write units (nullopt when no unit was written).
  double on_demand_per_million_writes = 0;
  std::optional<double> provisioned_per_million_writes;
};
CostEstimate EstimateMonthlyCost(const ObservedRates& rates, const PriceTable& prices,
                                 const AutoScaling& scaling);

}  // namespace estoque::cli
