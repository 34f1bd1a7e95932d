#include "api/sale_json.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <simdjson.h>

#include "api/json_reading.h"
#include "api/json_tree.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/quantity.h"

namespace estoque::api {
namespace {

namespace ondemand = simdjson::ondemand;
namespace http = boost::beast::http;

// The wire names of a sale.
constexpr std::string_view kFieldId = "venda_id";
constexpr std::string_view kFieldBranch = "filial";
constexpr std::string_view kFieldItems = "itens";
constexpr std::string_view kFieldTime = "data";
constexpr std::string_view kFieldBarcode = "codigo_barra";
constexpr std::string_view kFieldQuantity = "quantidade";

// A scalar member as the body gave it. Texts are views into the document (or simdjson's
// unescaped copy), valid while the document lives.
struct ScalarMember {
  enum class Kind : uint8_t { kAbsent, kNull, kString, kNumber, kOther };
  Kind kind = Kind::kAbsent;
  std::string_view text;  // kString: the unescaped string; kNumber: its exact JSON text

  bool absent() const { return kind == Kind::kAbsent || kind == Kind::kNull; }
};

// Reads `value` (at nesting `depth`) into `*member`, validating all of it.
simdjson::error_code ReadScalar(ondemand::value& value, std::size_t depth, ScalarMember* member) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case ondemand::json_type::string:
      member->kind = ScalarMember::Kind::kString;
      return json::ReadString(value, &member->text);
    case ondemand::json_type::number:
      member->kind = ScalarMember::Kind::kNumber;
      return json::ReadNumberText(value, &member->text);
    case ondemand::json_type::null:
      member->kind = ScalarMember::Kind::kNull;
      return json::ValidateValue(value, depth);
    case ondemand::json_type::boolean:
    case ondemand::json_type::array:
    case ondemand::json_type::object:
      break;
  }
  member->kind = ScalarMember::Kind::kOther;
  return json::ValidateValue(value, depth);
}

// Finds the keys an object repeats: the members a decoder knows by one bit each, any other key in
// a set (allocated only if the object has unknown members).
class RepeatedKeys {
 public:
  // Records `key` (`bit`: its known member, 0 if unknown); true if the object had it before.
  bool Repeated(std::string_view key, unsigned bit) {
    if (bit == 0) return !unknown_.insert(key).second;
    const bool repeated = (seen_ & bit) != 0;
    seen_ |= bit;
    return repeated;
  }

 private:
  unsigned seen_ = 0;
  std::unordered_set<std::string_view> unknown_;
};

// Decodes one sale body in one pass. simdjson errors (broken JSON) end decoding at once; field
// problems are collected, then reported in DecodeSaleBody's order by Finish().
class SaleDecoder {
 public:
  SaleDecoder(const InventoryDecodeContext& context, std::size_t body_bytes) : context_(context) {
    // A line takes ~50 bytes of JSON.
    sale_.lines.reserve(std::min(limits::kItemsPerMessageMax, body_bytes / 48 + 1));
  }

  simdjson::error_code DecodeRoot(ondemand::object& root) {
    constexpr unsigned kId = 1, kBranch = 2, kItems = 4, kTime = 8;
    RepeatedKeys keys;
    return json::ForEachMember(root, [&](std::string_view key, ondemand::value value) {
      const unsigned bit = key == kFieldId       ? kId
                           : key == kFieldBranch ? kBranch
                           : key == kFieldItems  ? kItems
                           : key == kFieldTime   ? kTime
                                                 : 0;
      const bool repeated = keys.Repeated(key, bit);
      if (repeated) root_repeats_.emplace_back(key);
      if (repeated || bit == 0) {
        return json::ValidateValue(value, 2);
      }
      simdjson::error_code error = simdjson::SUCCESS;
      switch (bit) {
        case kId: error = ReadScalar(value, 2, &id_); break;
        case kBranch: error = ReadScalar(value, 2, &branch_); break;
        case kTime: error = ReadScalar(value, 2, &time_); break;
        case kItems: error = DecodeItems(value); break;
      }
      return error;
    });
  }

  ApiResult<domain::Sale> Finish() && {
    std::vector<ErrorDetail> details;
    for (const std::string& key : root_repeats_) {
      details.push_back({std::nullopt, key, "duplicate key"});
    }
    const auto fail = [&details](std::string_view field, std::string reason) {
      details.push_back({std::nullopt, std::string(field), std::move(reason)});
    };
    const std::optional<std::string_view> id = RootString(id_, kFieldId, fail);
    if (id.has_value() && !domain::IsValidId(*id)) {
      fail(kFieldId, std::string(domain::kInvalidIdReason));
    }
    std::optional<std::string_view> branch = RootString(branch_, kFieldBranch, fail);
    if (branch.has_value()) {
      const Status valid = domain::ValidateBranch(*branch);
      if (!valid.ok()) {
        fail(kFieldBranch, valid.message());
        branch.reset();
      }
    }
    if (items_ == ItemsState::kAbsent) {
      fail(kFieldItems, "required");
    } else if (items_ == ItemsState::kNotArray) {
      fail(kFieldItems, "must be an array");
    } else if (line_count_ == 0) {
      fail(kFieldItems, "must not be empty");
    } else if (line_count_ > limits::kItemsPerMessageMax) {
      fail(kFieldItems, "at most " + std::to_string(limits::kItemsPerMessageMax) + " items");
    } else {
      std::move(line_details_.begin(), line_details_.end(), std::back_inserter(details));
    }
    std::optional<int64_t> at;
    if (branch.has_value() && time_.kind == ScalarMember::Kind::kString) {
      Result<int64_t> parsed = domain::ParseTimestampMicros(time_.text, context_.zone_of(*branch));
      if (parsed.ok()) {
        at = *parsed;
      } else {
        fail(kFieldTime, parsed.status().message());
      }
    } else if (branch.has_value() && !time_.absent()) {
      fail(kFieldTime, "must be a string");
    }
    if (!details.empty()) return FieldsError("invalid_fields", std::move(details));
    sale_.id.assign(*id);
    sale_.branch.assign(*branch);
    sale_.event_at_us = at.value_or(context_.now_us);
    sale_.origin = "pdv";
    return std::move(sale_);
  }

 private:
  enum class ItemsState : uint8_t { kAbsent, kNotArray, kArray };

  // The string `member`, or nullopt after reporting it through `fail` as "required" or "must be a
  // string".
  template <typename Fail>
  static std::optional<std::string_view> RootString(const ScalarMember& member,
                                                    std::string_view name, const Fail& fail) {
    if (member.kind == ScalarMember::Kind::kString) return member.text;
    fail(name, member.absent() ? "required" : "must be a string");
    return std::nullopt;
  }

  // "itens" (at depth 2): null counts as absent; its lines are at depth 3.
  simdjson::error_code DecodeItems(ondemand::value& value) {
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return error;
    if (type != ondemand::json_type::array) {
      if (type != ondemand::json_type::null) items_ = ItemsState::kNotArray;
      return json::ValidateValue(value, 2);
    }
    items_ = ItemsState::kArray;
    ondemand::array items;
    if (auto error = value.get_array().get(items)) return error;
    for (auto element_result : items) {
      ondemand::value element;
      if (auto error = std::move(element_result).get(element)) return error;
      const std::size_t index = line_count_++;
      // Past the limit the sale is refused whole: the rest is only validated.
      auto error = line_count_ > limits::kItemsPerMessageMax ? json::ValidateValue(element, 3)
                                                              : DecodeLine(element, index);
      if (error) return error;
    }
    return simdjson::SUCCESS;
  }

  // The line at `index` (at depth 3), appended to sale_ if it is valid.
  static_assert(limits::kJsonDepthMax >= 3, "a sale's lines are objects at depth 3");
  simdjson::error_code DecodeLine(ondemand::value& item, std::size_t index) {
    constexpr unsigned kBarcode = 1, kQuantity = 2;
    const auto fail = [this, index](std::string_view field, std::string reason) {
      line_details_.push_back({index, std::string(field), std::move(reason)});
    };
    ondemand::json_type type;
    if (auto error = item.type().get(type)) return error;
    if (type != ondemand::json_type::object) {
      fail("", "must be an object");
      return json::ValidateValue(item, 3);
    }
    ondemand::object object;
    if (auto error = item.get_object().get(object)) return error;
    ScalarMember barcode_member;
    ScalarMember quantity_member;
    RepeatedKeys keys;
    if (auto error = json::ForEachMember(object, [&](std::string_view key, ondemand::value value) {
      const unsigned bit = key == kFieldBarcode ? kBarcode : key == kFieldQuantity ? kQuantity : 0;
      const bool repeated = keys.Repeated(key, bit);
      if (repeated) fail(key, "duplicate key");
      if (repeated || bit == 0) {
        return json::ValidateValue(value, 4);
      }
      return ReadScalar(value, 4, bit == kBarcode ? &barcode_member : &quantity_member);
    })) {
      return error;
    }

    std::optional<std::string_view> barcode;
    if (barcode_member.kind == ScalarMember::Kind::kString) {
      const Status valid = domain::ValidateBarcode(barcode_member.text,
                                                   context_.require_gtin_check_digit);
      if (valid.ok()) {
        barcode = barcode_member.text;
      } else {
        fail(kFieldBarcode, valid.message());
      }
    } else {
      fail(kFieldBarcode, barcode_member.absent() ? "required" : "must be a string");
    }
    std::optional<int64_t> quantity = LineQuantity(quantity_member, barcode, fail);
    if (barcode.has_value() && quantity.has_value()) {
      sale_.lines.push_back({std::string(*barcode), *quantity});
    }
    return simdjson::SUCCESS;
  }

  // A line's quantidade: a number > 0, valid for the product's unit when the catalog knows it.
  template <typename Fail>
  std::optional<int64_t> LineQuantity(const ScalarMember& member,
                                      std::optional<std::string_view> barcode, const Fail& fail) {
    if (member.kind != ScalarMember::Kind::kNumber) {
      fail(kFieldQuantity, member.absent() ? "required" : "must be a number");
      return std::nullopt;
    }
    Result<int64_t> milli = domain::ParseQuantityMilli(member.text);
    if (!milli.ok()) {
      fail(kFieldQuantity, milli.status().message());
      return std::nullopt;
    }
    if (*milli <= 0) {
      fail(kFieldQuantity, "must be positive");
      return std::nullopt;
    }
    if (barcode.has_value()) {
      if (std::optional<domain::Unit> unit = context_.unit_of(*barcode)) {
        const Status valid = domain::ValidateQuantityForUnit(*milli, *unit);
        if (!valid.ok()) {
          fail(kFieldQuantity, valid.message());
          return std::nullopt;
        }
      }
    }
    return *milli;
  }

  const InventoryDecodeContext& context_;
  domain::Sale sale_;
  ScalarMember id_;
  ScalarMember branch_;
  ScalarMember time_;
  ItemsState items_ = ItemsState::kAbsent;
  std::size_t line_count_ = 0;
  std::vector<std::string> root_repeats_;   // repeated keys of the sale, in body order
  std::vector<ErrorDetail> line_details_;  // the lines' problems, in body order
};

}  // namespace

ApiResult<domain::Sale> DecodeSaleBody(std::string_view body,
                                       const InventoryDecodeContext& context) {
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) {
    return json::InvalidJson(error);
  }
  ondemand::json_type root_type;
  if (auto error = document.type().get(root_type)) return json::InvalidJson(error);
  if (root_type != ondemand::json_type::object) {
    // Rare: parsed whole only to tell broken JSON from a valid non-object.
    ApiResult<JsonNode> tree = ParseJsonTree(body);
    if (!tree.ok()) return std::move(tree).error();
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a JSON object (a sale)");
  }
  ondemand::object root;
  if (auto error = document.get_object().get(root)) return json::InvalidJson(error);
  SaleDecoder decoder(context, body.size());
  if (auto error = decoder.DecodeRoot(root)) return json::InvalidJson(error);
  if (auto error = json::CheckDocumentEnd(document)) return json::InvalidJson(error);
  return std::move(decoder).Finish();
}

}  // namespace estoque::api
