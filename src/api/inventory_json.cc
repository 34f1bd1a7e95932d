#include "api/inventory_json.h"

#include <array>
#include <set>

#include "api/json_tree.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/quantity.h"

namespace estoque::api {
namespace {

namespace http = boost::beast::http;

// Movement origins estoque derives movements under; clients may not use them as their origem.
constexpr std::array<std::string_view, 5> kDerivedOrigins = {"posicao", "venda", "cancelamento",
                                                             "transferencia", "reserva"};

ApiError NotAnObject(std::string_view what) {
  return MakeApiError(http::status::bad_request, "invalid_json",
                      "request body must be a JSON object (" + std::string(what) + ")");
}

// A validated id member (venda_id, id, ...).
std::optional<std::string> ReadId(FieldReader& reader, std::string_view name) {
  std::optional<std::string> id = reader.String(name, true);
  if (id.has_value() && !domain::IsValidId(*id)) {
    reader.Fail(name, std::string(domain::kInvalidIdReason));
    return std::nullopt;
  }
  return id;
}

std::optional<std::string> ReadBranch(FieldReader& reader, std::string_view name) {
  std::optional<std::string> branch = reader.String(name, true);
  if (!branch.has_value()) return std::nullopt;
  const Status valid = domain::ValidateBranch(*branch);
  if (!valid.ok()) {
    reader.Fail(name, valid.message());
    return std::nullopt;
  }
  return branch;
}

std::optional<std::string> ReadBarcode(FieldReader& reader, const InventoryDecodeContext& context) {
  std::optional<std::string> barcode = reader.String("codigo_barra", true);
  if (!barcode.has_value()) return std::nullopt;
  const Status valid = domain::ValidateBarcode(*barcode, context.require_gtin_check_digit);
  if (!valid.ok()) {
    reader.Fail("codigo_barra", valid.message());
    return std::nullopt;
  }
  return barcode;
}

// A quantity valid for the product's unit.
std::optional<int64_t> ReadLineQuantity(FieldReader& reader, const InventoryDecodeContext& context,
                                        const std::optional<std::string>& barcode, bool positive) {
  std::optional<int64_t> quantity = reader.Quantity("quantidade", true);
  if (!quantity.has_value()) return std::nullopt;
  if (positive && *quantity <= 0) {
    reader.Fail("quantidade", "must be positive");
    return std::nullopt;
  }
  if (barcode.has_value()) {
    if (std::optional<domain::Unit> unit = context.unit_of(*barcode)) {
      const Status valid = domain::ValidateQuantityForUnit(*quantity, *unit);
      if (!valid.ok()) {
        reader.Fail("quantidade", valid.message());
        return std::nullopt;
      }
    }
  }
  return quantity;
}

struct Line {
  std::string barcode;
  int64_t quantity_milli = 0;
};

// "itens": 1..kItemsPerMessageMax objects {codigo_barra, quantidade > 0} with distinct barcodes
// (transfers and reservations; sales, which may repeat a barcode, have their own decoder).
std::vector<Line> ReadLines(FieldReader& reader, const InventoryDecodeContext& context,
                            std::vector<ErrorDetail>* details) {
  std::vector<Line> lines;
  const JsonNode* items = reader.Array("itens", true);
  if (items == nullptr) return lines;
  if (items->items.empty()) {
    reader.Fail("itens", "must not be empty");
    return lines;
  }
  if (items->items.size() > limits::kItemsPerMessageMax) {
    reader.Fail("itens", "at most " + std::to_string(limits::kItemsPerMessageMax) + " items");
    return lines;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < items->items.size(); ++i) {
    const JsonNode& item = items->items[i];
    FieldReader line_reader(item, details, i);
    if (item.kind != JsonNode::Kind::kObject) {
      line_reader.Fail("", "must be an object");
      continue;
    }
    line_reader.CheckDuplicates();
    std::optional<std::string> barcode = ReadBarcode(line_reader, context);
    std::optional<int64_t> quantity = ReadLineQuantity(line_reader, context, barcode, true);
    if (barcode.has_value() && !seen.insert(*barcode).second) {
      line_reader.Fail("codigo_barra", "repeated: list each product once");
      continue;
    }
    if (barcode.has_value() && quantity.has_value()) lines.push_back({*barcode, *quantity});
  }
  return lines;
}

ApiResult<JsonNode> ParseObject(std::string_view body, std::string_view what) {
  ApiResult<JsonNode> root = ParseJsonTree(body);
  if (!root.ok()) return root;
  if (root.value().kind != JsonNode::Kind::kObject) return NotAnObject(what);
  return root;
}

}  // namespace

ApiResult<int64_t> DecodeEventTimeBody(std::string_view body, const domain::TimeZone& zone,
                                       int64_t now_us) {
  bool blank = true;
  for (char c : body) blank = blank && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  if (blank) return now_us;
  ApiResult<JsonNode> root = ParseObject(body, "with an optional \"data\"");
  if (!root.ok()) return std::move(root).error();
  std::vector<ErrorDetail> details;
  FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  std::optional<int64_t> at = reader.Time("data", false, zone);
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  return at.value_or(now_us);
}

ApiResult<std::vector<domain::Movement>> DecodeMovementsBody(
    std::string_view body, const InventoryDecodeContext& context) {
  ApiResult<JsonNode> root = ParseJsonTree(body);
  if (!root.ok()) return std::move(root).error();
  const JsonNode& node = root.value();
  std::vector<const JsonNode*> objects;
  const bool is_array = node.kind == JsonNode::Kind::kArray;
  if (is_array) {
    if (node.items.empty()) {
      return MakeApiError(http::status::bad_request, "empty", "the request has no movements");
    }
    if (node.items.size() > limits::kItemsPerMessageMax) {
      return MakeApiError(http::status::bad_request, "too_many_items",
                          "at most " + std::to_string(limits::kItemsPerMessageMax) +
                              " movements per request");
    }
    for (const JsonNode& item : node.items) objects.push_back(&item);
  } else if (node.kind == JsonNode::Kind::kObject) {
    objects.push_back(&node);
  } else {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a movement object or an array of them");
  }
  std::vector<ErrorDetail> details;
  std::vector<domain::Movement> movements;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const JsonNode& object = *objects[i];
    FieldReader reader(object, &details, is_array ? std::optional<std::size_t>(i) : std::nullopt);
    if (object.kind != JsonNode::Kind::kObject) {
      reader.Fail("", "must be an object");
      continue;
    }
    reader.CheckDuplicates();
    domain::Movement movement;
    std::optional<std::string> id = ReadId(reader, "id");
    std::optional<std::string> kind_text = reader.String("tipo", true);
    std::optional<domain::MovementKind> kind;
    if (kind_text.has_value()) {
      kind = domain::ParseMovementKind(*kind_text);
      if (!kind.has_value()) {
        reader.Fail("tipo",
                    "must be one of venda, cancelamento_venda, devolucao, recebimento, ajuste, "
                    "transferencia_saida, transferencia_entrada, contagem");
      }
    }
    domain::AdjustReason reason = domain::AdjustReason::kNone;
    if (std::optional<std::string> reason_text = reader.String("motivo", false)) {
      std::optional<domain::AdjustReason> parsed = domain::ParseAdjustReason(*reason_text);
      if (!parsed.has_value()) {
        reader.Fail("motivo", "must be one of perda, quebra, vencimento, furto, correcao");
      } else {
        reason = *parsed;
      }
    }
    std::optional<std::string> branch = ReadBranch(reader, "filial");
    std::optional<std::string> barcode = ReadBarcode(reader, context);
    std::optional<int64_t> quantity = ReadLineQuantity(reader, context, barcode, false);
    std::optional<int64_t> at;
    if (branch.has_value()) at = reader.Time("data", false, context.zone_of(*branch));
    std::optional<std::string> origin = reader.String("origem", false);
    if (origin.has_value()) {
      if (!domain::IsValidId(*origin)) {
        reader.Fail("origem", std::string(domain::kInvalidIdReason));
        origin.reset();
      } else {
        for (std::string_view derived : kDerivedOrigins) {
          if (*origin == derived) {
            reader.Fail("origem", "is reserved for movements estoque derives itself");
            origin.reset();
            break;
          }
        }
      }
    }
    std::optional<std::string> reference = reader.String("referencia", false);
    if (reference.has_value() && reference->size() > domain::kIdCharsMax) {
      reader.Fail("referencia", "at most 64 bytes");
    }
    if (kind.has_value() && quantity.has_value()) {
      Result<int64_t> effect = domain::SignedEffect(*kind, reason, *quantity);
      if (!effect.ok()) {
        const bool about_reason = effect.status().message().find("motivo") != std::string::npos;
        reader.Fail(about_reason ? "motivo" : "quantidade", effect.status().message());
      } else {
        movement.quantity_milli = *effect;
      }
    }
    if (!id || !kind || !branch || !barcode || !quantity) continue;
    movement.id = std::move(*id);
    movement.kind = *kind;
    movement.reason = reason;
    movement.branch = std::move(*branch);
    movement.barcode = std::move(*barcode);
    movement.event_at_us = at.value_or(-1);  // the store records it at its record time
    movement.origin = origin.value_or(context.default_origin);
    movement.reference = reference.value_or("");
    movements.push_back(std::move(movement));
  }
  if (!details.empty()) {
    return FieldsError(is_array ? "invalid_items" : "invalid_fields", std::move(details));
  }
  return movements;
}

ApiResult<domain::Transfer> DecodeTransferBody(std::string_view body,
                                               const InventoryDecodeContext& context) {
  ApiResult<JsonNode> root = ParseObject(body, "a transfer");
  if (!root.ok()) return std::move(root).error();
  std::vector<ErrorDetail> details;
  FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  std::optional<std::string> id = ReadId(reader, "id");
  std::optional<std::string> source = ReadBranch(reader, "origem");
  std::optional<std::string> destination = ReadBranch(reader, "destino");
  if (source.has_value() && destination.has_value() && *source == *destination) {
    reader.Fail("destino", "must differ from origem");
  }
  std::vector<Line> lines = ReadLines(reader, context, &details);
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  domain::Transfer transfer;
  transfer.id = std::move(*id);
  transfer.source = std::move(*source);
  transfer.destination = std::move(*destination);
  for (Line& line : lines) {
    transfer.lines.push_back({std::move(line.barcode), line.quantity_milli, 0});
  }
  transfer.created_by = "api";
  return transfer;
}

ApiResult<ReceiveRequest> DecodeReceiveBody(std::string_view body, const domain::Transfer& transfer,
                                            const InventoryDecodeContext& context) {
  ReceiveRequest request;
  request.at_us = context.now_us;
  bool blank = true;
  for (char c : body) blank = blank && (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  if (blank) return request;
  ApiResult<JsonNode> root = ParseObject(body, "with optional \"itens\" and \"data\"");
  if (!root.ok()) return std::move(root).error();
  std::vector<ErrorDetail> details;
  FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  std::optional<int64_t> at = reader.Time("data", false, context.zone_of(transfer.destination));
  if (const JsonNode* items = reader.Array("itens", false)) {
    std::vector<int64_t> received;
    for (const domain::TransferLine& line : transfer.lines) received.push_back(line.quantity_milli);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < items->items.size(); ++i) {
      const JsonNode& item = items->items[i];
      FieldReader line_reader(item, &details, i);
      if (item.kind != JsonNode::Kind::kObject) {
        line_reader.Fail("", "must be an object");
        continue;
      }
      line_reader.CheckDuplicates();
      std::optional<std::string> barcode = ReadBarcode(line_reader, context);
      std::optional<int64_t> quantity = ReadLineQuantity(line_reader, context, barcode, false);
      if (!barcode.has_value() || !quantity.has_value()) continue;
      if (!seen.insert(*barcode).second) {
        line_reader.Fail("codigo_barra", "repeated: list each product once");
        continue;
      }
      std::size_t found = transfer.lines.size();
      for (std::size_t j = 0; j < transfer.lines.size(); ++j) {
        if (transfer.lines[j].barcode == *barcode) found = j;
      }
      if (found == transfer.lines.size()) {
        line_reader.Fail("codigo_barra", "is not in this transfer");
        continue;
      }
      if (*quantity < 0 || *quantity > transfer.lines[found].quantity_milli) {
        line_reader.Fail("quantidade", "must be between 0 and the quantity shipped (" +
                                           domain::FormatQuantityMilli(
                                               transfer.lines[found].quantity_milli) +
                                           ")");
        continue;
      }
      received[found] = *quantity;
    }
    request.received = std::move(received);
  }
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  request.at_us = at.value_or(context.now_us);
  return request;
}

ApiResult<domain::Reservation> DecodeReservationBody(std::string_view body,
                                                     const InventoryDecodeContext& context) {
  ApiResult<JsonNode> root = ParseObject(body, "a reservation");
  if (!root.ok()) return std::move(root).error();
  std::vector<ErrorDetail> details;
  FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  std::optional<std::string> id = ReadId(reader, "id");
  std::optional<std::string> branch = ReadBranch(reader, "filial");
  std::vector<Line> lines = ReadLines(reader, context, &details);
  std::optional<int64_t> expires;
  if (branch.has_value()) {
    expires = reader.Time("expira_em", true, context.zone_of(*branch));
    if (expires.has_value() && *expires <= context.now_us) {
      reader.Fail("expira_em", "must be in the future");
    }
  }
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  domain::Reservation reservation;
  reservation.id = std::move(*id);
  reservation.branch = std::move(*branch);
  reservation.expires_at_us = *expires;
  for (Line& line : lines) reservation.lines.push_back({std::move(line.barcode), line.quantity_milli});
  reservation.created_by = "api";
  return reservation;
}

ApiResult<std::optional<int64_t>> DecodeMinStockBody(std::string_view body,
                                                     std::optional<domain::Unit> unit) {
  ApiResult<JsonNode> root = ParseObject(body, "{\"estoque_minimo\": number or null}");
  if (!root.ok()) return std::move(root).error();
  std::vector<ErrorDetail> details;
  FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  if (root.value().Find("estoque_minimo") == nullptr) reader.Fail("estoque_minimo", "required");
  std::optional<int64_t> min_stock;
  if (!reader.IsNull("estoque_minimo")) {
    min_stock = reader.Quantity("estoque_minimo", false);
    if (min_stock.has_value() && *min_stock < 0) reader.Fail("estoque_minimo", "must not be negative");
    if (min_stock.has_value() && unit.has_value()) {
      const Status valid = domain::ValidateQuantityForUnit(*min_stock, *unit);
      if (!valid.ok()) reader.Fail("estoque_minimo", valid.message());
    }
  }
  if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
  return min_stock;
}

void WriteOptionalTime(JsonWriter& writer, int64_t at_us, const domain::TimeZone& zone) {
  if (at_us <= 0) {
    writer.Null();
  } else {
    writer.String(domain::FormatRfc3339(at_us, zone));
  }
}

void WriteMovement(JsonWriter& writer, const domain::Movement& movement,
                   const domain::TimeZone& zone, std::optional<bool> duplicate) {
  writer.BeginObject();
  writer.Key("id");
  writer.String(movement.id);
  writer.Key("tipo");
  writer.String(domain::MovementKindName(movement.kind));
  if (movement.reason != domain::AdjustReason::kNone) {
    writer.Key("motivo");
    writer.String(domain::AdjustReasonName(movement.reason));
  }
  writer.Key("filial");
  writer.String(movement.branch);
  writer.Key("codigo_barra");
  writer.String(movement.barcode);
  writer.Key("quantidade");
  writer.RawNumber(domain::FormatQuantityMilli(movement.quantity_milli));
  writer.Key("data");
  writer.String(domain::FormatRfc3339(movement.event_at_us, zone));
  writer.Key("origem");
  writer.String(movement.origin);
  writer.Key("registrado_em");
  writer.String(domain::FormatRfc3339(movement.recorded_at_us, zone));
  if (!movement.reference.empty()) {
    writer.Key("referencia");
    writer.String(movement.reference);
  }
  if (duplicate.has_value()) {
    writer.Key("duplicado");
    writer.Bool(*duplicate);
  }
  writer.EndObject();
}

namespace {
void WriteLines(JsonWriter& writer, const std::vector<domain::TransferLine>& lines, bool received) {
  writer.Key("itens");
  writer.BeginArray();
  for (const domain::TransferLine& line : lines) {
    writer.BeginObject();
    writer.Key("codigo_barra");
    writer.String(line.barcode);
    writer.Key("quantidade");
    writer.RawNumber(domain::FormatQuantityMilli(line.quantity_milli));
    if (received) {
      writer.Key("quantidade_recebida");
      writer.RawNumber(domain::FormatQuantityMilli(line.received_milli));
    }
    writer.EndObject();
  }
  writer.EndArray();
}
}  // namespace

void WriteTransfer(JsonWriter& writer, const domain::Transfer& transfer,
                   const domain::TimeZone& zone) {
  writer.BeginObject();
  writer.Key("id");
  writer.String(transfer.id);
  writer.Key("origem");
  writer.String(transfer.source);
  writer.Key("destino");
  writer.String(transfer.destination);
  writer.Key("status");
  writer.String(domain::TransferStatusName(transfer.status));
  WriteLines(writer, transfer.lines, transfer.status == domain::TransferStatus::kReceived);
  writer.Key("criada_em");
  WriteOptionalTime(writer, transfer.created_at_us, zone);
  writer.Key("enviada_em");
  WriteOptionalTime(writer, transfer.shipped_at_us, zone);
  writer.Key("recebida_em");
  WriteOptionalTime(writer, transfer.received_at_us, zone);
  writer.Key("cancelada_em");
  WriteOptionalTime(writer, transfer.cancelled_at_us, zone);
  writer.EndObject();
}

void WriteReservation(JsonWriter& writer, const domain::Reservation& reservation,
                      const domain::TimeZone& zone) {
  writer.BeginObject();
  writer.Key("id");
  writer.String(reservation.id);
  writer.Key("filial");
  writer.String(reservation.branch);
  writer.Key("status");
  writer.String(domain::ReservationStatusName(reservation.status));
  writer.Key("itens");
  writer.BeginArray();
  for (const domain::ReservationLine& line : reservation.lines) {
    writer.BeginObject();
    writer.Key("codigo_barra");
    writer.String(line.barcode);
    writer.Key("quantidade");
    writer.RawNumber(domain::FormatQuantityMilli(line.quantity_milli));
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("expira_em");
  writer.String(domain::FormatRfc3339(reservation.expires_at_us, zone));
  writer.Key("criada_em");
  WriteOptionalTime(writer, reservation.created_at_us, zone);
  writer.Key("encerrada_em");
  WriteOptionalTime(writer, reservation.resolved_at_us, zone);
  writer.EndObject();
}

void WriteStockFields(JsonWriter& writer, const store::StockState& state, int64_t min_stock_milli,
                      const domain::TimeZone& zone) {
  writer.Key("em_estoque");
  writer.RawNumber(domain::FormatQuantityMilli(state.on_hand_milli));
  writer.Key("reservado");
  writer.RawNumber(domain::FormatQuantityMilli(state.reserved_milli));
  writer.Key("em_transito");
  writer.RawNumber(domain::FormatQuantityMilli(state.in_transit_milli));
  writer.Key("disponivel");
  writer.RawNumber(domain::FormatQuantityMilli(state.available_milli()));
  writer.Key("estoque_minimo");
  writer.RawNumber(domain::FormatQuantityMilli(min_stock_milli));
  writer.Key("ultima_contagem");
  if (state.has_count) {
    writer.String(domain::FormatRfc3339(state.count_at_us, zone));
  } else {
    writer.Null();
  }
  writer.Key("ultimo_movimento");
  WriteOptionalTime(writer, state.last_movement_at_us, zone);
  writer.Key("alerta");
  if (state.alert == store::AlertKind::kNone) {
    writer.Null();
  } else {
    writer.String(store::AlertKindName(state.alert));
  }
}

}  // namespace estoque::api
