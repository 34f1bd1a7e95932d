// GET /metrics in Prometheus' text exposition format (version 0.0.4): the server's uptime and,
// with the DynamoDB store, its requests and capacity units per DynamoDB operation:
//   estoque_uptime_seconds 12.5
//   estoque_dynamodb_requests_total{operation="TransactWriteItems"} 5
//   estoque_dynamodb_read_units_total{operation="BatchGetItem"} 364
//   estoque_dynamodb_write_units_total{operation="TransactWriteItems"} 2420
// The unit series are DynamoDB's read and write capacity units by its rules
// (store/dynamo/counting_client.h); `estoque custo` reads them (cli/cost_model.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/capacity_usage.h"

namespace estoque::api {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4";
inline constexpr std::string_view kUptimeMetric = "estoque_uptime_seconds";
inline constexpr std::string_view kDynamoRequestsMetric = "estoque_dynamodb_requests_total";
inline constexpr std::string_view kDynamoReadUnitsMetric = "estoque_dynamodb_read_units_total";
inline constexpr std::string_view kDynamoWriteUnitsMetric = "estoque_dynamodb_write_units_total";

// The exposition text; `usage` nullopt: no DynamoDB series at all (the embedded store).
std::string MetricsText(double uptime_seconds, const std::optional<store::CapacityUsage>& usage);

}  // namespace estoque::api
