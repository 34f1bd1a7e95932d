// What a store backend spends at its database, per operation, since the server started: requests
// and the read and write capacity units they cost (by DynamoDB's rules for the DynamoDB store:
// store/dynamo/counting_client.h). GET /metrics exposes it; `estoque custo` prices it. The
// embedded store spends none and has no source.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace estoque::store {

struct OperationUsage {
  uint64_t requests = 0;
  double read_units = 0;   // RCU (provisioned) = read request units (on-demand)
  double write_units = 0;  // WCU = write request units
};

// Operation ("TransactWriteItems") -> its usage so far (monotonic counters).
using CapacityUsage = std::map<std::string, OperationUsage>;

// A snapshot of the usage so far; thread-safe. Empty std::function: no database to count.
using CapacityUsageSource = std::function<CapacityUsage()>;

}  // namespace estoque::store
