#include "cli/cost_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

namespace estoque::cli {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<double> ParseNumber(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// A value up to a "#" comment that is not inside quotes.
std::string_view ValueText(std::string_view rest) {
  bool quoted = false;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '"') quoted = !quoted;
    if (rest[i] == '#' && !quoted) return Trim(rest.substr(0, i));
  }
  return Trim(rest);
}

}  // namespace

Result<PriceTable> ParsePriceTable(std::string_view text) {
  PriceTable table;
  const std::map<std::string_view, double PriceTable::*> numbers = {
      {"sob_demanda_escrita_por_milhao", &PriceTable::on_demand_write_per_million},
      {"sob_demanda_leitura_por_milhao", &PriceTable::on_demand_read_per_million},
      {"provisionado_wcu_hora", &PriceTable::provisioned_wcu_hour},
      {"provisionado_rcu_hora", &PriceTable::provisioned_rcu_hour}};
  const std::map<std::string_view, std::string PriceTable::*> strings = {
      {"data", &PriceTable::date}, {"regiao", &PriceTable::region}};
  std::set<std::string, std::less<>> seen;
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number);
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Status::InvalidArgument(where + ": expected key = value");
    }
    const std::string_view key = Trim(line.substr(0, equals));
    const std::string_view value = ValueText(line.substr(equals + 1));
    if (!seen.insert(std::string(key)).second) {
      return Status::InvalidArgument(where + ": " + std::string(key) + " given twice");
    }
    if (auto field = strings.find(key); field != strings.end()) {
      if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        return Status::InvalidArgument(where + ": " + std::string(key) + " must be a quoted string");
      }
      table.*(field->second) = std::string(value.substr(1, value.size() - 2));
    } else if (auto number = numbers.find(key); number != numbers.end()) {
      const std::optional<double> parsed = ParseNumber(value);
      if (!parsed || *parsed < 0) {
        return Status::InvalidArgument(where + ": " + std::string(key) +
                                       " must be a number >= 0 (US dollars)");
      }
      table.*(number->second) = *parsed;
    } else {
      return Status::InvalidArgument(where + ": unknown key " + std::string(key));
    }
  }
  for (const auto& [key, field] : strings) {
    if (!seen.contains(key)) return Status::InvalidArgument("missing key " + std::string(key));
  }
  for (const auto& [key, field] : numbers) {
    if (!seen.contains(key)) return Status::InvalidArgument("missing key " + std::string(key));
  }
  return table;
}

Status ValidateAutoScaling(const AutoScaling& scaling) {
  if (!(scaling.min_units >= 1)) return Status::InvalidArgument("min: at least 1 unit");
  if (!(scaling.max_units >= scaling.min_units)) {
    return Status::InvalidArgument("max: at least min");
  }
  if (!(scaling.target_utilization > 0 && scaling.target_utilization <= 1)) {
    return Status::InvalidArgument("target utilisation: above 0 % and at most 100 %");
  }
  return Status::Ok();
}

Result<MetricsReading> ParseMetrics(std::string_view text) {
  MetricsReading reading;
  bool has_uptime = false;
  const std::map<std::string_view, double MetricsReading::*> sums = {
      {"estoque_dynamodb_requests_total", &MetricsReading::requests},
      {"estoque_dynamodb_read_units_total", &MetricsReading::read_units},
      {"estoque_dynamodb_write_units_total", &MetricsReading::write_units}};
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    // name[{labels}] value
    const std::size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, name_end);
    const std::size_t value_start = line.rfind(' ');
    const std::string_view value_text = line.substr(value_start + 1);
    if (name == "estoque_uptime_seconds") {
      const std::optional<double> value = ParseNumber(value_text);
      if (!value) return Status::InvalidArgument("estoque_uptime_seconds is not a number");
      reading.uptime_seconds = *value;
      has_uptime = true;
    } else if (auto sum = sums.find(name); sum != sums.end()) {
      const std::optional<double> value = ParseNumber(value_text);
      if (!value) return Status::InvalidArgument(std::string(name) + ": a sample is not a number");
      reading.*(sum->second) += *value;
      reading.has_dynamodb = true;
    }
  }
  if (!has_uptime) {
    return Status::InvalidArgument("no estoque_uptime_seconds: not the metrics of an estoque server");
  }
  return reading;
}

Result<ObservedRates> RatesBetween(const MetricsReading& before, const MetricsReading& after) {
  const double seconds = after.uptime_seconds - before.uptime_seconds;
  if (!(seconds > 0) || after.requests < before.requests ||
      after.read_units < before.read_units || after.write_units < before.write_units) {
    return Status::InvalidArgument(
        "the second reading is not later than the first (did the server restart?)");
  }
  ObservedRates rates;
  rates.seconds = seconds;
  rates.requests_per_second = (after.requests - before.requests) / seconds;
  rates.read_units_per_second = (after.read_units - before.read_units) / seconds;
  rates.write_units_per_second = (after.write_units - before.write_units) / seconds;
  return rates;
}

ProvisionedCapacity Provision(double units_per_second, const AutoScaling& scaling) {
  ProvisionedCapacity capacity;
  capacity.needed = units_per_second / scaling.target_utilization;
  capacity.kept = std::clamp(capacity.needed, scaling.min_units, scaling.max_units);
  capacity.above_max = capacity.needed > scaling.max_units;
  return capacity;
}

CostEstimate EstimateMonthlyCost(const ObservedRates& rates, const PriceTable& prices,
                                 const AutoScaling& scaling) {
  CostEstimate estimate;
  estimate.rates = rates;
  estimate.read_units_month = rates.read_units_per_second * kSecondsPerMonth;
  estimate.write_units_month = rates.write_units_per_second * kSecondsPerMonth;
  estimate.on_demand_read = estimate.read_units_month / 1e6 * prices.on_demand_read_per_million;
  estimate.on_demand_write = estimate.write_units_month / 1e6 * prices.on_demand_write_per_million;
  estimate.rcu = Provision(rates.read_units_per_second, scaling);
  estimate.wcu = Provision(rates.write_units_per_second, scaling);
  estimate.provisioned_read = estimate.rcu.kept * prices.provisioned_rcu_hour * kHoursPerMonth;
  estimate.provisioned_write = estimate.wcu.kept * prices.provisioned_wcu_hour * kHoursPerMonth;
  estimate.on_demand_per_million_writes = prices.on_demand_write_per_million;
  if (estimate.write_units_month > 0) {
    estimate.provisioned_per_million_writes =
        estimate.provisioned_write / (estimate.write_units_month / 1e6);
  }
  return estimate;
}

}  // namespace estoque::cli
