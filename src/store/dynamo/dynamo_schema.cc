#include "store/dynamo/dynamo_schema.h"

#include <chrono>

namespace estoque::store::dynamo {
namespace ddb = aws::dynamodb;
namespace {

ddb::KeySchema Key(std::string partition, ddb::AttributeType partition_type,
                   std::optional<std::pair<std::string, ddb::AttributeType>> sort = std::nullopt) {
  ddb::KeySchema key;
  key.partition = ddb::KeyAttribute{std::move(partition), partition_type};
  if (sort) key.sort = ddb::KeyAttribute{sort->first, sort->second};
  return key;
}

ddb::GlobalSecondaryIndex Index(std::string name, ddb::KeySchema key, ddb::ProjectionType projection,
                                const DynamoStoreOptions& options) {
  ddb::GlobalSecondaryIndex index;
  index.name = std::move(name);
  index.key = std::move(key);
  index.projection = projection;
  index.throughput = options.throughput;
  return index;
}

constexpr ddb::AttributeType kS = ddb::AttributeType::kString;
constexpr ddb::AttributeType kN = ddb::AttributeType::kNumber;

}  // namespace

TableNames TableNamesFor(const std::string& prefix) {
  return TableNames{prefix + "posicoes",       prefix + "movimentos", prefix + "ids",
                    prefix + "estatisticas",   prefix + "transferencias",
                    prefix + "reservas"};
}

std::vector<ddb::TableSpec> TableSpecs(const TableNames& names, const DynamoStoreOptions& options) {
  std::vector<ddb::TableSpec> specs;
  auto add = [&](std::string name, ddb::KeySchema key) -> ddb::TableSpec& {
    ddb::TableSpec& spec = specs.emplace_back();
    spec.name = std::move(name);
    spec.key = std::move(key);
    spec.billing_mode = options.billing_mode;
    spec.throughput = options.throughput;
    return spec;
  };
  ddb::TableSpec& positions = add(names.positions, Key("codigo_barra", kS, {{"filial", kS}}));
  positions.indexes.push_back(Index(kPositionsByBranch, Key("filial", kS, {{"codigo_barra", kS}}),
                                    ddb::ProjectionType::kAll, options));
  positions.indexes.push_back(Index(kPositionsAlerts,
                                    Key("alerta_filial", kS, {{"codigo_barra", kS}}),
                                    ddb::ProjectionType::kKeysOnly, options));
  positions.indexes.push_back(Index(kPositionsList, Key("lista_shard", kN, {{"chave", kS}}),
                                    ddb::ProjectionType::kAll, options));
  ddb::TableSpec& ledger = add(names.ledger, Key("pb", kS, {{"sk", kS}}));
  ledger.indexes.push_back(Index(kLedgerByBranch, Key("filial", kS, {{"fsk", kS}}),
                                 ddb::ProjectionType::kAll, options));
  ledger.indexes.push_back(Index(kLedgerByProduct, Key("codigo_barra", kS, {{"psk", kS}}),
                                 ddb::ProjectionType::kAll, options));
  add(names.ids, Key("k", kS));
  add(names.stats, Key("filial", kS));
  add(names.transfers, Key("id", kS));
  ddb::TableSpec& reservations = add(names.reservations, Key("id", kS));
  reservations.indexes.push_back(Index(kReservationsExpiring,
                                       Key("filial_ativa", kS, {{"expira_em_us", kN}}),
                                       ddb::ProjectionType::kKeysOnly, options));
  return specs;
}

Status EnsureTables(ddb::DynamoDbClient& client, const TableNames& names,
                    const DynamoStoreOptions& options) {
  const std::vector<ddb::TableSpec> specs = TableSpecs(names, options);
  for (const ddb::TableSpec& spec : specs) {
    aws::AwsResult<boost::json::object> created = ddb::CreateTableIfMissing(client, spec);
    if (!created.ok()) return created.status();
  }
  for (const ddb::TableSpec& spec : specs) {
    aws::AwsResult<boost::json::object> active =
        ddb::WaitUntilTableActive(client, spec.name, std::chrono::milliseconds(200), 600);
    if (!active.ok()) return active.status();
  }
  aws::AwsResult<aws::Done> ttl = ddb::EnableTimeToLive(client, names.ids, "expira_em");
  if (!ttl.ok()) return ttl.status();
  return Status::Ok();
}

}  // namespace estoque::store::dynamo
