// `estoque custo`: the monthly DynamoDB cost of a running server's observed traffic. Reads
// GET /metrics of the server (--server URL, a key of role admin or leitura: --key or
// ESTOQUE_API_KEY) twice, --janela seconds apart, and prices the read and write units spent in
// between (their rate, by the server's uptime) in on-demand and in provisioned mode with auto
// scaling (cli/cost_model.h), from a dated price table (--precos FILE; default the built-in
// us-east-1 table, the same as config/precos_dynamodb.toml). A readable table, or --json.
#pragma once

#include <ostream>
#include <string>

#include "cli/cost_model.h"

namespace estoque::cli {

struct CostOptions {
  std::string server;       // base URL of a running server
  std::string api_key;      // the caller fills in ESTOQUE_API_KEY
  double window_seconds = 60;  // --janela: between the two readings
  std::string prices_file;  // --precos; empty: the built-in PriceTable
  AutoScaling scaling;      // --min, --max, --alvo (percent on the command line)
  bool json = false;
};

inline constexpr int kCostExitOk = 0;
inline constexpr int kCostExitError = 1;  // the server could not be read (message on `err`)
inline constexpr int kCostExitUsage = 2;  // bad options or price table

int RunCostCommand(const CostOptions& options, std::ostream& out, std::ostream& err);

// The readable table and the JSON document of an estimate (for tests).
std::string FormatCostTable(const CostEstimate& estimate, const PriceTable& prices,
                            const AutoScaling& scaling, bool has_dynamodb);
std::string FormatCostJson(const CostEstimate& estimate, const PriceTable& prices,
                           const AutoScaling& scaling, bool has_dynamodb);

}  // namespace estoque::cli
