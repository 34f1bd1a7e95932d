#include "store/dynamo/dynamo_items.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include "store/ledger_codec.h"

namespace estoque::store::dynamo {
namespace json = boost::json;
namespace {

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const json::object* Attribute(const Item& item, std::string_view name) {
  const json::value* value = item.if_contains(name);
  return value == nullptr ? nullptr : value->if_object();
}

void PutIfNotEmpty(Item& item, std::string_view name, std::string_view text) {
  if (!text.empty()) item[name] = S(text);
}

std::string_view SaleStatusText(SaleRecordItem::Status status) {
  switch (status) {
    case SaleRecordItem::Status::kApplied: return "aplicada";
    case SaleRecordItem::Status::kCancelled: return "cancelada";
    case SaleRecordItem::Status::kCancelPending: return "cancelamento_pendente";
  }
  return "";
}

// A list attribute of maps {cb: S, q: N[, r: N]}.
json::value EncodeLines(const std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>>& lines,
                        bool with_received) {
  json::array list;
  for (const auto& [barcode, quantities] : lines) {
    json::object line{{"cb", S(barcode)}, {"q", N(quantities.first)}};
    if (with_received) line["r"] = N(quantities.second);
    list.push_back(json::object{{"M", std::move(line)}});
  }
  return json::object{{"L", std::move(list)}};
}

// Calls `each(barcode, quantity, received)` for each line of the list attribute `name`.
estoque::Status DecodeLines(const Item& item, std::string_view name,
                            const std::function<void(std::string, int64_t, int64_t)>& each) {
  const json::object* attribute = Attribute(item, name);
  if (attribute == nullptr) return Status::Ok();
  const json::value* list = attribute->if_contains("L");
  if (list == nullptr || !list->is_array()) return Status::Corruption("malformed lines");
  for (const json::value& entry : list->as_array()) {
    const json::value* map = entry.is_object() ? entry.as_object().if_contains("M") : nullptr;
    if (map == nullptr || !map->is_object()) return Status::Corruption("malformed line");
    const Item& line = map->as_object();
    std::optional<std::string> barcode = GetS(line, "cb");
    if (!barcode) return Status::Corruption("line without barcode");
    each(std::move(*barcode), GetN(line, "q"), GetN(line, "r"));
  }
  return Status::Ok();
}

}  // namespace

json::value S(std::string_view text) { return json::object{{"S", text}}; }
json::value N(int64_t number) { return json::object{{"N", std::to_string(number)}}; }

std::optional<std::string> GetS(const Item& item, std::string_view name) {
  const json::object* attribute = Attribute(item, name);
  if (attribute == nullptr) return std::nullopt;
  const json::value* text = attribute->if_contains("S");
  if (text == nullptr || !text->is_string()) return std::nullopt;
  return std::string(text->as_string());
}

int64_t GetN(const Item& item, std::string_view name, int64_t fallback) {
  const json::object* attribute = Attribute(item, name);
  if (attribute == nullptr) return fallback;
  const json::value* number = attribute->if_contains("N");
  if (number == nullptr || !number->is_string()) return fallback;
  return ParseInt(number->as_string()).value_or(fallback);
}

std::string T16(int64_t us) {
  char buffer[24];
  constexpr int64_t kMax = 9'999'999'999'999'999;  // 16 digits: string order stays time order
  std::snprintf(buffer, sizeof buffer, "%016lld",
                static_cast<long long>(std::clamp<int64_t>(us, 0, kMax)));
  return buffer;
}

int ListShardOf(std::string_view barcode) {
  uint32_t hash = 2166136261u;  // FNV-1a: stable across builds and nodes
  for (unsigned char c : barcode) hash = (hash ^ c) * 16777619u;
  return static_cast<int>(hash % kListShards);
}

std::string ListKey(std::string_view barcode, std::string_view branch) {
  std::string key(barcode);
  key.push_back('#');
  key.append(branch);
  return key;
}

Item StateKey(std::string_view barcode, std::string_view branch) {
  return Item{{"codigo_barra", S(barcode)}, {"filial", S(branch)}};
}

std::string AlertPartition(std::string_view branch, AlertKind kind) {
  std::string partition(branch);
  partition.push_back('#');
  partition.append(AlertKindName(kind));
  return partition;
}

Item EncodeState(std::string_view barcode, std::string_view branch, const StockState& state,
                 int64_t version) {
  Item item = StateKey(barcode, branch);
  item["em_estoque_milli"] = N(state.on_hand_milli);
  item["reservado_milli"] = N(state.reserved_milli);
  item["em_transito_milli"] = N(state.in_transit_milli);
  item["disponivel_milli"] = N(state.available_milli());
  if (state.min_stock_milli) item["estoque_minimo_milli"] = N(*state.min_stock_milli);
  if (state.has_count) {
    item["count_at_us"] = N(state.count_at_us);
    item["count_quantidade_milli"] = N(state.count_quantity_milli);
    const std::size_t separator = state.count_identity.find('\0');
    item["count_origem"] = S(std::string_view(state.count_identity).substr(0, separator));
    item["count_id"] = S(separator == std::string::npos
                             ? std::string_view()
                             : std::string_view(state.count_identity).substr(separator + 1));
  }
  item["last_movement_at_us"] = N(state.last_movement_at_us);
  item["updated_at_us"] = N(state.updated_at_us);
  PutIfNotEmpty(item, "nome_produto", state.product_name);
  if (state.alert != AlertKind::kNone) {
    item["alerta"] = S(AlertKindName(state.alert));
    item["alerta_filial"] = S(AlertPartition(branch, state.alert));
    item["alerta_desde_us"] = N(state.alert_since_us);
  }
  item["lista_shard"] = N(ListShardOf(barcode));
  item["chave"] = S(ListKey(barcode, branch));
  item["v"] = N(version);
  return item;
}

Status DecodeState(const Item& item, StockState* state, int64_t* version) {
  *state = StockState{};
  state->on_hand_milli = GetN(item, "em_estoque_milli");
  state->reserved_milli = GetN(item, "reservado_milli");
  state->in_transit_milli = GetN(item, "em_transito_milli");
  if (item.contains("estoque_minimo_milli")) {
    state->min_stock_milli = GetN(item, "estoque_minimo_milli");
  }
  if (item.contains("count_at_us")) {
    state->has_count = true;
    state->count_at_us = GetN(item, "count_at_us");
    state->count_quantity_milli = GetN(item, "count_quantidade_milli");
    state->count_identity = MovementIdentity(GetS(item, "count_origem").value_or(""),
                                             GetS(item, "count_id").value_or(""));
  }
  state->last_movement_at_us = GetN(item, "last_movement_at_us");
  state->updated_at_us = GetN(item, "updated_at_us");
  state->product_name = GetS(item, "nome_produto").value_or("");
  if (std::optional<std::string> alert = GetS(item, "alerta")) {
    std::optional<AlertKind> kind = ParseAlertKind(*alert);
    if (!kind) return Status::Corruption("unknown alert " + *alert);
    state->alert = *kind;
    state->alert_since_us = GetN(item, "alerta_desde_us");
  }
  *version = GetN(item, "v");
  return Status::Ok();
}

std::string LedgerPartition(std::string_view barcode, std::string_view branch) {
  return ListKey(barcode, branch);
}

std::string LedgerSortKey(const domain::Movement& movement) {
  const std::string separator(1, kSortSeparator);
  return T16(movement.event_at_us) + separator + movement.origin + separator + movement.id;
}

std::string LedgerBranchSortKey(const domain::Movement& movement) {
  return LedgerSortKey(movement) + kSortSeparator + movement.barcode;
}

std::string LedgerProductSortKey(const domain::Movement& movement) {
  const std::string separator(1, kSortSeparator);
  return T16(movement.event_at_us) + separator + movement.branch + separator + movement.origin +
         separator + movement.id;
}

Item LedgerItemKey(const domain::Movement& movement) {
  return Item{{"pb", S(LedgerPartition(movement.barcode, movement.branch))},
              {"sk", S(LedgerSortKey(movement))}};
}

Item EncodeMovement(const domain::Movement& movement) {
  Item item = LedgerItemKey(movement);
  item["fsk"] = S(LedgerBranchSortKey(movement));
  item["psk"] = S(LedgerProductSortKey(movement));
  item["filial"] = S(movement.branch);
  item["codigo_barra"] = S(movement.barcode);
  item["tipo"] = S(domain::MovementKindName(movement.kind));
  PutIfNotEmpty(item, "motivo", domain::AdjustReasonName(movement.reason));
  item["quantidade_milli"] = N(movement.quantity_milli);
  item["data_us"] = N(movement.event_at_us);
  item["registrado_em_us"] = N(movement.recorded_at_us);
  item["origem"] = S(movement.origin);
  item["id"] = S(movement.id);
  PutIfNotEmpty(item, "referencia", movement.reference);
  PutIfNotEmpty(item, "nome_produto", movement.product_name);
  return item;
}

Status DecodeMovement(const Item& item, domain::Movement* movement) {
  *movement = domain::Movement{};
  std::optional<std::string> kind = GetS(item, "tipo");
  std::optional<domain::MovementKind> parsed = kind ? domain::ParseMovementKind(*kind) : std::nullopt;
  if (!parsed) return Status::Corruption("ledger item without a valid tipo");
  movement->kind = *parsed;
  if (std::optional<std::string> reason = GetS(item, "motivo")) {
    std::optional<domain::AdjustReason> r = domain::ParseAdjustReason(*reason);
    if (!r) return Status::Corruption("ledger item with an unknown motivo");
    movement->reason = *r;
  }
  movement->branch = GetS(item, "filial").value_or("");
  movement->barcode = GetS(item, "codigo_barra").value_or("");
  movement->quantity_milli = GetN(item, "quantidade_milli");
  movement->event_at_us = GetN(item, "data_us");
  movement->recorded_at_us = GetN(item, "registrado_em_us");
  movement->origin = GetS(item, "origem").value_or("");
  movement->id = GetS(item, "id").value_or("");
  movement->reference = GetS(item, "referencia").value_or("");
  movement->product_name = GetS(item, "nome_produto").value_or("");
  return Status::Ok();
}

std::string MovementIdItemKey(std::string_view branch, std::string_view origin,
                              std::string_view id) {
  std::string key = "mov#";
  key.append(branch).append("#").append(origin).append("#").append(id);
  return key;
}

std::string SaleItemKey(std::string_view branch, std::string_view sale_id) {
  std::string key = "venda#";
  key.append(branch).append("#").append(sale_id);
  return key;
}

Item EncodeMovementId(const domain::Movement& movement, int64_t now_us, int64_t ttl_seconds) {
  Item item{{"k", S(MovementIdItemKey(movement.branch, movement.origin, movement.id))}};
  item["pb"] = S(LedgerPartition(movement.barcode, movement.branch));
  item["sk"] = S(LedgerSortKey(movement));
  item["expira_em"] = N(now_us / 1'000'000 + ttl_seconds);
  return item;
}

std::string_view SaleStatusName(SaleRecordItem::Status status) { return SaleStatusText(status); }

Item EncodeSaleRecord(std::string_view branch, std::string_view sale_id,
                      const SaleRecordItem& record) {
  Item item{{"k", S(SaleItemKey(branch, sale_id))}};
  item["st"] = S(SaleStatusText(record.status));
  item["data_us"] = N(record.event_at_us);
  PutIfNotEmpty(item, "origem", record.origin);
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> lines;
  for (const domain::SaleLine& line : record.lines) {
    lines.push_back({line.barcode, {line.quantity_milli, 0}});
  }
  if (!lines.empty()) item["linhas"] = EncodeLines(lines, false);
  if (record.status != SaleRecordItem::Status::kApplied) {
    item["cancel_at_us"] = N(record.cancel_at_us);
    PutIfNotEmpty(item, "cancel_origem", record.cancel_origin);
  }
  return item;
}

Status DecodeSaleRecord(const Item& item, SaleRecordItem* record) {
  *record = SaleRecordItem{};
  std::optional<std::string> status = GetS(item, "st");
  if (status == "aplicada") {
    record->status = SaleRecordItem::Status::kApplied;
  } else if (status == "cancelada") {
    record->status = SaleRecordItem::Status::kCancelled;
  } else if (status == "cancelamento_pendente") {
    record->status = SaleRecordItem::Status::kCancelPending;
  } else {
    return Status::Corruption("sale record without a valid st");
  }
  record->event_at_us = GetN(item, "data_us");
  record->origin = GetS(item, "origem").value_or("");
  record->cancel_at_us = GetN(item, "cancel_at_us");
  record->cancel_origin = GetS(item, "cancel_origem").value_or("");
  return DecodeLines(item, "linhas", [&](std::string barcode, int64_t quantity, int64_t) {
    record->lines.push_back({std::move(barcode), quantity});
  });
}

Item EncodeTransfer(const domain::Transfer& transfer) {
  Item item{{"id", S(transfer.id)}};
  item["origem"] = S(transfer.source);
  item["destino"] = S(transfer.destination);
  item["status"] = S(domain::TransferStatusName(transfer.status));
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> lines;
  for (const domain::TransferLine& line : transfer.lines) {
    lines.push_back({line.barcode, {line.quantity_milli, line.received_milli}});
  }
  item["linhas"] = EncodeLines(lines, true);
  item["criada_em_us"] = N(transfer.created_at_us);
  item["enviada_em_us"] = N(transfer.shipped_at_us);
  item["recebida_em_us"] = N(transfer.received_at_us);
  item["cancelada_em_us"] = N(transfer.cancelled_at_us);
  PutIfNotEmpty(item, "criada_por", transfer.created_by);
  return item;
}

Status DecodeTransfer(const Item& item, domain::Transfer* transfer) {
  *transfer = domain::Transfer{};
  transfer->id = GetS(item, "id").value_or("");
  transfer->source = GetS(item, "origem").value_or("");
  transfer->destination = GetS(item, "destino").value_or("");
  std::optional<domain::TransferStatus> status =
      domain::ParseTransferStatus(GetS(item, "status").value_or(""));
  if (!status) return Status::Corruption("transfer without a valid status");
  transfer->status = *status;
  transfer->created_at_us = GetN(item, "criada_em_us");
  transfer->shipped_at_us = GetN(item, "enviada_em_us");
  transfer->received_at_us = GetN(item, "recebida_em_us");
  transfer->cancelled_at_us = GetN(item, "cancelada_em_us");
  transfer->created_by = GetS(item, "criada_por").value_or("");
  return DecodeLines(item, "linhas", [&](std::string barcode, int64_t quantity, int64_t received) {
    transfer->lines.push_back({std::move(barcode), quantity, received});
  });
}

Item EncodeReservation(const domain::Reservation& reservation) {
  Item item{{"id", S(reservation.id)}};
  item["filial"] = S(reservation.branch);
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> lines;
  for (const domain::ReservationLine& line : reservation.lines) {
    lines.push_back({line.barcode, {line.quantity_milli, 0}});
  }
  item["linhas"] = EncodeLines(lines, false);
  item["expira_em_us"] = N(reservation.expires_at_us);
  item["status"] = S(domain::ReservationStatusName(reservation.status));
  item["criada_em_us"] = N(reservation.created_at_us);
  item["resolvida_em_us"] = N(reservation.resolved_at_us);
  PutIfNotEmpty(item, "criada_por", reservation.created_by);
  if (reservation.status == domain::ReservationStatus::kActive) {
    item["filial_ativa"] = S(reservation.branch);
  }
  return item;
}

Status DecodeReservation(const Item& item, domain::Reservation* reservation) {
  *reservation = domain::Reservation{};
  reservation->id = GetS(item, "id").value_or("");
  reservation->branch = GetS(item, "filial").value_or("");
  std::optional<domain::ReservationStatus> status =
      domain::ParseReservationStatus(GetS(item, "status").value_or(""));
  if (!status) return Status::Corruption("reservation without a valid status");
  reservation->status = *status;
  reservation->expires_at_us = GetN(item, "expira_em_us");
  reservation->created_at_us = GetN(item, "criada_em_us");
  reservation->resolved_at_us = GetN(item, "resolvida_em_us");
  reservation->created_by = GetS(item, "criada_por").value_or("");
  return DecodeLines(item, "linhas", [&](std::string barcode, int64_t quantity, int64_t) {
    reservation->lines.push_back({std::move(barcode), quantity});
  });
}

}  // namespace estoque::store::dynamo
