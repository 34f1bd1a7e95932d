// Fuzz target: the inventory endpoints' decoders (api/inventory_json.h) and the JSON tree they
// share (api/json_tree.h). Input: one selector byte, then a request body. The selector picks the
// decoder ('S' sale, 'E' event time, 'M' movements, 'T' transfer, 'R' transfer receipt,
// 'V' reservation, 'N' reorder point, 'J' the bare JSON tree; any other byte: byte % 8).
// Checks: errors are documented 400s; decoded values obey the rules the decoder promises; the
// JSON tree agrees with another parser (Boost.JSON) and survives re-encoding; the streaming sale
// decoder agrees with a reference that reads the same contract from the JSON tree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "api/inventory_json.h"
#include "api/json_tree.h"
#include "api/json_writer.h"
#include "api/sale_json.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/unit.h"
#include "fuzz_support.h"

namespace estoque::fuzz {
namespace {

constexpr int64_t kNowUs = 1'716'855'391'000'000;  // 2024-05-27T21:16:31-03:00

// The unit the fake catalog gives a barcode, by its last digit (nullopt: not in the catalog).
std::optional<domain::Unit> UnitOf(std::string_view barcode) {
  switch (barcode.empty() ? ' ' : barcode.back()) {
    case '0': case '1': case '2': return domain::Unit::kUnit;
    case '3': return domain::Unit::kKilogram;
    case '4': return domain::Unit::kLiter;
    case '5': return domain::Unit::kMeter;
    default: return std::nullopt;
  }
}

const api::InventoryDecodeContext& Context() {
  static const api::InventoryDecodeContext context{
      [](std::string_view branch) { return Zones::Get().Of(branch); }, UnitOf,
      /*require_gtin_check_digit=*/false, kNowUs};
  return context;
}

constexpr std::initializer_list<std::string_view> kFieldErrors = {"invalid_json", "invalid_fields"};

void CheckLine(std::string_view barcode, int64_t quantity_milli, bool positive) {
  FUZZ_CHECK(domain::ValidateBarcode(barcode, false).ok(), barcode);
  FUZZ_CHECK(!positive || quantity_milli > 0, std::to_string(quantity_milli));
  FUZZ_CHECK(std::abs(quantity_milli) <= limits::kQuantityAbsMilliMax, std::to_string(quantity_milli));
  if (std::optional<domain::Unit> unit = UnitOf(barcode)) {
    FUZZ_CHECK(domain::ValidateQuantityForUnit(quantity_milli, *unit).ok(),
               std::string(barcode) + " " + std::to_string(quantity_milli));
  }
}

// `lines` (anything with .barcode and .quantity_milli): 1..kItemsPerMessageMax valid lines,
// distinct barcodes when `distinct`.
template <typename Lines>
void CheckLines(const Lines& lines, bool distinct) {
  FUZZ_CHECK(!lines.empty() && lines.size() <= limits::kItemsPerMessageMax,
             std::to_string(lines.size()) + " lines");
  std::set<std::string> barcodes;
  for (const auto& line : lines) {
    CheckLine(line.barcode, line.quantity_milli, true);
    FUZZ_CHECK(barcodes.insert(line.barcode).second || !distinct, "repeated " + line.barcode);
  }
}

// The reference for the streaming sale decoder: its contract (api/sale_json.h) read from the JSON
// tree with FieldReader, as the other inventory decoders read theirs.
api::ApiResult<domain::Sale> ReferenceSale(std::string_view body) {
  api::ApiResult<api::JsonNode> root = api::ParseJsonTree(body);
  if (!root.ok()) return std::move(root).error();
  if (root.value().kind != api::JsonNode::Kind::kObject) {
    return api::MakeApiError(boost::beast::http::status::bad_request, "invalid_json",
                             "request body must be a JSON object (a sale)");
  }
  std::vector<api::ErrorDetail> details;
  api::FieldReader reader(root.value(), &details);
  reader.CheckDuplicates();
  std::optional<std::string> id = reader.String("venda_id", true);
  if (id.has_value() && !domain::IsValidId(*id)) {
    reader.Fail("venda_id", "must be 1 to 64 characters of A-Z a-z 0-9 _ - . :");
  }
  std::optional<std::string> branch = reader.String("filial", true);
  if (branch.has_value() && !domain::ValidateBranch(*branch).ok()) {
    reader.Fail("filial", domain::ValidateBranch(*branch).message());
    branch.reset();
  }
  std::vector<domain::SaleLine> lines;
  if (const api::JsonNode* items = reader.Array("itens", true)) {
    if (items->items.empty()) {
      reader.Fail("itens", "must not be empty");
    } else if (items->items.size() > limits::kItemsPerMessageMax) {
      reader.Fail("itens", "at most " + std::to_string(limits::kItemsPerMessageMax) + " items");
    } else {
      for (std::size_t i = 0; i < items->items.size(); ++i) {
        api::FieldReader line(items->items[i], &details, i);
        if (items->items[i].kind != api::JsonNode::Kind::kObject) {
          line.Fail("", "must be an object");
          continue;
        }
        line.CheckDuplicates();
        std::optional<std::string> barcode = line.String("codigo_barra", true);
        if (barcode.has_value() && !domain::ValidateBarcode(*barcode, false).ok()) {
          line.Fail("codigo_barra", domain::ValidateBarcode(*barcode, false).message());
          barcode.reset();
        }
        std::optional<int64_t> quantity = line.Quantity("quantidade", true);
        if (quantity.has_value() && *quantity <= 0) {
          line.Fail("quantidade", "must be positive");
          quantity.reset();
        }
        const std::optional<domain::Unit> unit = barcode ? UnitOf(*barcode) : std::nullopt;
        if (quantity.has_value() && unit.has_value() &&
            !domain::ValidateQuantityForUnit(*quantity, *unit).ok()) {
          line.Fail("quantidade", domain::ValidateQuantityForUnit(*quantity, *unit).message());
          quantity.reset();
        }
        if (barcode.has_value() && quantity.has_value()) lines.push_back({*barcode, *quantity});
      }
    }
  }
  std::optional<int64_t> at;
  if (branch.has_value()) at = reader.Time("data", false, Context().zone_of(*branch));
  if (!details.empty()) return api::FieldsError("invalid_fields", std::move(details));
  return domain::Sale{*id, *branch, std::move(lines), at.value_or(kNowUs), "pdv"};
}

void Sale(std::string_view body) {
  api::ApiResult<domain::Sale> sale = api::DecodeSaleBody(body, Context());
  const api::ApiResult<domain::Sale> reference = ReferenceSale(body);
  FUZZ_CHECK(sale.ok() == reference.ok(), "the streaming decoder and its reference disagree");
  if (!sale.ok()) {
    FUZZ_CHECK(sale.error().code == reference.error().code,
               sale.error().code + " but the reference says " + reference.error().code);
    // simdjson may name a syntax error differently when it reads the body in another order.
    FUZZ_CHECK(sale.error().code == "invalid_json" ||
                   (sale.error().message == reference.error().message &&
                    sale.error().details == reference.error().details),
               api::RenderApiError(sale.error()) + " but the reference says " +
                   api::RenderApiError(reference.error()));
  } else {
    FUZZ_CHECK(sale.value() == reference.value(), "decoded another sale than the reference");
  }
  if (!sale.ok()) return CheckBadRequest(sale.error(), kFieldErrors);
  FUZZ_CHECK(domain::IsValidId(sale.value().id), sale.value().id);
  FUZZ_CHECK(domain::ValidateBranch(sale.value().branch).ok(), sale.value().branch);
  FUZZ_CHECK(sale.value().origin == "pdv", sale.value().origin);
  FUZZ_CHECK(sale.value().event_at_us >= 0, std::to_string(sale.value().event_at_us));
  CheckLines(sale.value().lines, false);
}

void EventTime(std::string_view body) {
  api::ApiResult<int64_t> at = api::DecodeEventTimeBody(body, Zones::Get().sao_paulo, kNowUs);
  if (!at.ok()) return CheckBadRequest(at.error(), kFieldErrors);
  FUZZ_CHECK(at.value() >= 0, std::to_string(at.value()));
}

void Movements(std::string_view body) {
  api::ApiResult<std::vector<domain::Movement>> movements =
      api::DecodeMovementsBody(body, Context());
  if (!movements.ok()) {
    return CheckBadRequest(movements.error(),
                           {"invalid_json", "invalid_fields", "invalid_items", "empty",
                            "too_many_items"});
  }
  FUZZ_CHECK(!movements.value().empty() &&
                 movements.value().size() <= limits::kItemsPerMessageMax,
             std::to_string(movements.value().size()) + " movements");
  for (const domain::Movement& movement : movements.value()) {
    FUZZ_CHECK(domain::IsValidId(movement.id), movement.id);
    FUZZ_CHECK(domain::IsValidId(movement.origin), movement.origin);
    FUZZ_CHECK(domain::ValidateBranch(movement.branch).ok(), movement.branch);
    FUZZ_CHECK(domain::ValidateBarcode(movement.barcode, false).ok(), movement.barcode);
    FUZZ_CHECK(movement.reference.size() <= domain::kIdCharsMax, movement.reference);
    FUZZ_CHECK(movement.event_at_us >= -1, std::to_string(movement.event_at_us));
    FUZZ_CHECK((movement.kind == domain::MovementKind::kAdjustment) ==
                   (movement.reason != domain::AdjustReason::kNone),
               "motivo without ajuste or ajuste without motivo");
    FUZZ_CHECK(std::abs(movement.quantity_milli) <= limits::kQuantityAbsMilliMax,
               std::to_string(movement.quantity_milli));
  }
}

void Transfer(std::string_view body) {
  api::ApiResult<domain::Transfer> transfer = api::DecodeTransferBody(body, Context());
  if (!transfer.ok()) return CheckBadRequest(transfer.error(), kFieldErrors);
  FUZZ_CHECK(domain::IsValidId(transfer.value().id), transfer.value().id);
  FUZZ_CHECK(domain::ValidateBranch(transfer.value().source).ok(), transfer.value().source);
  FUZZ_CHECK(domain::ValidateBranch(transfer.value().destination).ok(),
             transfer.value().destination);
  FUZZ_CHECK(transfer.value().source != transfer.value().destination, transfer.value().source);
  CheckLines(transfer.value().lines, true);
}

void Receive(std::string_view body) {
  static const domain::Transfer transfer = [] {
    domain::Transfer shipped;
    shipped.id = "tr-77";
    shipped.source = "1001";
    shipped.destination = "M1002";
    shipped.lines = {{"7891000315500", 10'000, 0}, {"7891000315503", 2'500, 0}};
    shipped.status = domain::TransferStatus::kInTransit;
    return shipped;
  }();
  api::ApiResult<api::ReceiveRequest> receipt = api::DecodeReceiveBody(body, transfer, Context());
  if (!receipt.ok()) return CheckBadRequest(receipt.error(), kFieldErrors);
  FUZZ_CHECK(receipt.value().at_us >= 0, std::to_string(receipt.value().at_us));
  if (const auto& received = receipt.value().received) {
    FUZZ_CHECK(received->size() == transfer.lines.size(), "one quantity per line");
    for (std::size_t i = 0; i < received->size(); ++i) {
      FUZZ_CHECK((*received)[i] >= 0 && (*received)[i] <= transfer.lines[i].quantity_milli,
                 std::to_string((*received)[i]));
    }
  }
}

void Reservation(std::string_view body) {
  api::ApiResult<domain::Reservation> reservation = api::DecodeReservationBody(body, Context());
  if (!reservation.ok()) return CheckBadRequest(reservation.error(), kFieldErrors);
  FUZZ_CHECK(domain::IsValidId(reservation.value().id), reservation.value().id);
  FUZZ_CHECK(domain::ValidateBranch(reservation.value().branch).ok(), reservation.value().branch);
  FUZZ_CHECK(reservation.value().expires_at_us > kNowUs, "expired reservation accepted");
  CheckLines(reservation.value().lines, true);
}

void MinStock(std::string_view body) {
  for (std::optional<domain::Unit> unit :
       {std::optional<domain::Unit>(), std::optional(domain::Unit::kUnit),
        std::optional(domain::Unit::kKilogram)}) {
    api::ApiResult<std::optional<int64_t>> min_stock = api::DecodeMinStockBody(body, unit);
    if (!min_stock.ok()) {
      CheckBadRequest(min_stock.error(), kFieldErrors);
      continue;
    }
    if (const std::optional<int64_t>& milli = min_stock.value()) {
      FUZZ_CHECK(*milli >= 0, std::to_string(*milli));
      FUZZ_CHECK(!unit || domain::ValidateQuantityForUnit(*milli, *unit).ok(), std::to_string(*milli));
    }
  }
}

// Writes `node` back as JSON text.
void WriteNode(api::JsonWriter& writer, const api::JsonNode& node) {
  switch (node.kind) {
    case api::JsonNode::Kind::kNull: writer.Null(); return;
    case api::JsonNode::Kind::kBool: writer.Bool(node.boolean); return;
    case api::JsonNode::Kind::kNumber: writer.RawNumber(node.text); return;
    case api::JsonNode::Kind::kString: writer.String(node.text); return;
    case api::JsonNode::Kind::kArray:
      writer.BeginArray();
      for (const api::JsonNode& item : node.items) WriteNode(writer, item);
      writer.EndArray();
      return;
    case api::JsonNode::Kind::kObject:
      writer.BeginObject();
      for (const auto& [key, value] : node.members) {
        writer.Key(key);
        WriteNode(writer, value);
      }
      writer.EndObject();
      return;
  }
}

bool SameTree(const api::JsonNode& a, const api::JsonNode& b) {
  if (a.kind != b.kind || a.boolean != b.boolean || a.text != b.text ||
      a.items.size() != b.items.size() || a.members.size() != b.members.size() ||
      a.duplicate_keys != b.duplicate_keys) {
    return false;
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!SameTree(a.items[i], b.items[i])) return false;
  }
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].key != b.members[i].key) return false;
    if (!SameTree(a.members[i].value, b.members[i].value)) return false;
  }
  return true;
}

// Nesting depth of a Boost.JSON value (a scalar is 1).
std::size_t Depth(const boost::json::value& value) {
  std::size_t deepest = 0;
  if (const boost::json::array* array = value.if_array()) {
    for (const boost::json::value& item : *array) deepest = std::max(deepest, Depth(item));
  } else if (const boost::json::object* object = value.if_object()) {
    for (const auto& member : *object) deepest = std::max(deepest, Depth(member.value()));
  }
  return deepest + 1;
}

void Tree(std::string_view body) {
  api::ApiResult<api::JsonNode> tree = api::ParseJsonTree(body);
  boost::json::parse_options options;
  options.max_depth = 4 * limits::kJsonDepthMax;
  boost::system::error_code error;
  const boost::json::value other = boost::json::parse(body, error, {}, options);
  if (!tree.ok()) {
    CheckBadRequest(tree.error(), {"invalid_json"});
    // Boost.JSON reads numbers beyond a double's range as errors too; anything else it accepts
    // within our depth bound we must accept as well.
    FUZZ_CHECK(error || Depth(other) > limits::kJsonDepthMax,
               "valid JSON refused: " + api::RenderApiError(tree.error()));
    return;
  }
  FUZZ_CHECK(!error || error == boost::json::error::exponent_overflow,
             "accepted what Boost.JSON refuses: " + error.message());
  std::string text;
  api::JsonWriter writer(&text);
  WriteNode(writer, tree.value());
  FUZZ_CHECK(IsJson(text), "re-encoded tree is not JSON: " + text);
  api::ApiResult<api::JsonNode> again = api::ParseJsonTree(text);
  FUZZ_CHECK(again.ok() && SameTree(again.value(), tree.value()), "re-encoded tree differs: " + text);
}

}  // namespace
}  // namespace estoque::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace estoque::fuzz;
  if (size == 0) return 0;
  const std::string_view body = AsText(data + 1, size - 1);
  switch (data[0]) {
    case 'S': Sale(body); break;
    case 'E': EventTime(body); break;
    case 'M': Movements(body); break;
    case 'T': Transfer(body); break;
    case 'R': Receive(body); break;
    case 'V': Reservation(body); break;
    case 'N': MinStock(body); break;
    case 'J': Tree(body); break;
    default: {
      constexpr void (*kDecoders[])(std::string_view) = {Sale,    EventTime,   Movements, Transfer,
                                                          Receive, Reservation, MinStock,  Tree};
      kDecoders[data[0] % 8](body);
    }
  }
  return 0;
}
