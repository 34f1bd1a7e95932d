#include "api/metrics_text.h"

#include <fmt/format.h>

namespace estoque::api {
namespace {

void Header(std::string& text, std::string_view name, std::string_view type,
            std::string_view help) {
  fmt::format_to(std::back_inserter(text), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// One counter family with a sample per operation. Operation names are DynamoDB's API names
// (letters only), so they need no escaping in a label value.
template <typename Value>
void Family(std::string& text, std::string_view name, std::string_view help,
            const store::CapacityUsage& usage, Value value) {
  Header(text, name, "counter", help);
  for (const auto& [operation, counts] : usage) {
    fmt::format_to(std::back_inserter(text), "{}{{operation=\"{}\"}} {}\n", name, operation,
                   value(counts));
  }
}

}  // namespace

std::string MetricsText(double uptime_seconds, const std::optional<store::CapacityUsage>& usage) {
  std::string text;
  Header(text, kUptimeMetric, "gauge", "Seconds since this estoque server started.");
  fmt::format_to(std::back_inserter(text), "{} {:.3f}\n", kUptimeMetric, uptime_seconds);
  if (!usage) return text;
  Family(text, kDynamoRequestsMetric,
         "DynamoDB requests the inventory store sent, per operation.", *usage,
         [](const store::OperationUsage& u) { return u.requests; });
  Family(text, kDynamoReadUnitsMetric,
         "DynamoDB read capacity units (read request units) of those requests, by DynamoDB's "
         "rules.",
         *usage, [](const store::OperationUsage& u) { return u.read_units; });
  Family(text, kDynamoWriteUnitsMetric,
         "DynamoDB write capacity units (write request units) of those requests, by DynamoDB's "
         "rules (transactions double, one more write per global secondary index).",
         *usage, [](const store::OperationUsage& u) { return u.write_units; });
  return text;
}

}  // namespace estoque::api
