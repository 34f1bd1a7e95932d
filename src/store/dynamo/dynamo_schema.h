// The tables of the DynamoDB inventory store (docs/DYNAMODB.md), their names under the configured
// prefix, and their creation on first start.
#pragma once

#include <cstdint>
#include <string>

#include "aws/dynamodb_tables.h"
#include "common/result.h"
#include "store/dynamo/counting_client.h"

namespace estoque::store::dynamo {

struct DynamoStoreOptions {
  std::string table_prefix = "estoque_";
  aws::dynamodb::BillingMode billing_mode = aws::dynamodb::BillingMode::kPayPerRequest;
  // PROVISIONED only: per table and per index (the seed's 5 RCU / 5 WCU).
  aws::dynamodb::ProvisionedThroughput throughput;
  bool create_tables = true;  // CreateTable when missing, then wait until ACTIVE
  // How long a movement id record is kept (TTL attribute expira_em): longer than an SQS message
  // can live (14 days), so no redelivery outlives its id.
  int64_t movement_id_ttl_seconds = 15 * 24 * 3600;
  // Attempts of a write whose version or existence condition failed because another writer got
  // there first (each attempt reads again); then Unavailable ("busy, retry").
  int write_attempts_max = 60;
};

struct TableNames {
  std::string positions;       // posicoes
  std::string ledger;          // movimentos
  std::string ids;             // ids
  std::string stats;           // estatisticas
  std::string transfers;       // transferencias
  std::string reservations;    // reservas
};
TableNames TableNamesFor(const std::string& prefix);

// Index names.
inline constexpr const char* kPositionsByBranch = "por_filial";  // filial, codigo_barra (ALL)
inline constexpr const char* kPositionsAlerts = "alertas";       // alerta_filial, codigo_barra (KEYS)
inline constexpr const char* kPositionsList = "lista";           // lista_shard, chave (ALL)
inline constexpr const char* kLedgerByBranch = "por_filial";     // filial, fsk (ALL)
inline constexpr const char* kLedgerByProduct = "por_produto";   // codigo_barra, psk (ALL)
inline constexpr const char* kReservationsExpiring = "expirando";  // filial_ativa, expira_em_us (KEYS)

// The specs of every table in `options`' billing mode.
std::vector<aws::dynamodb::TableSpec> TableSpecs(const TableNames& names,
                                                 const DynamoStoreOptions& options);

// Creates the missing tables, waits until every table is ACTIVE and turns TTL on for ids.
Status EnsureTables(aws::dynamodb::DynamoDbClient& client, const TableNames& names,
                    const DynamoStoreOptions& options);

}  // namespace estoque::store::dynamo
