#include "api/position_json.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <utility>

#include <boost/beast/http/status.hpp>
#include <simdjson.h>

#include "api/json_reading.h"
#include "common/limits.h"
#include "domain/barcode.h"
#include "domain/branch.h"
#include "domain/product_name.h"
#include "domain/quantity.h"

namespace estoque::api {

namespace ondemand = simdjson::ondemand;
namespace http = boost::beast::http;

namespace {

// Members of an item the decoder knows; one bit each in ItemDecoder::seen_.
enum class Member : unsigned {
  kBarcode = 1u << 0,
  kProductName = 1u << 1,
  kBranch = 1u << 2,
  kQuantity = 1u << 3,
  kTimeSeed = 1u << 4,
  kTime = 1u << 5,
  kUnknown = 0,
};

Member LookupMember(std::string_view key) {
  if (key == kFieldBarcode) return Member::kBarcode;
  if (key == kFieldProductName) return Member::kProductName;
  if (key == kFieldBranch) return Member::kBranch;
  if (key == kFieldQuantity) return Member::kQuantity;
  if (key == kFieldTimeSeed) return Member::kTimeSeed;
  if (key == kFieldTime) return Member::kTime;
  return Member::kUnknown;
}

// An item's time as parsed, and how its text was written.
struct ItemTime {
  int64_t us;
  bool whole_seconds;  // no fractional digits
  bool zone_less;      // no UTC offset: a local time of the item's zone
};

// True if `text`, a time ParseTimestampMicros accepted, ends in a UTC offset ("Z", "+HH:MM",
// "-HH:MM"); false for a zone-less local time.
bool HasUtcOffset(std::string_view text) {
  if (text.ends_with('Z') || text.ends_with('z')) return true;
  return text.size() >= 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-');
}

// True if `whole` (a whole-second text) may name the instant `precise`: the same instant but for
// the sub-second digits `whole` lacks, or, when `whole` is a zone-less local time, any instant
// whose local time in `zone` is that second. (In a DST fold a local time names two instants;
// ParseTimestampMicros reads the earlier, but the seed key of our own answer for the later one is
// the same text.)
bool WholeSecondNames(const ItemTime& whole, const ItemTime& precise, const domain::TimeZone& zone) {
  constexpr int64_t kMicrosPerSecond = 1'000'000;
  // Times are >= 1970, so division truncates to the whole second.
  if (whole.us == precise.us / kMicrosPerSecond * kMicrosPerSecond) return true;
  return whole.zone_less &&
         domain::FormatSeedLocalTime(whole.us, zone) == domain::FormatSeedLocalTime(precise.us, zone);
}

// Both time keys of one item must name the same instant. The seed's format carries no fractional
// seconds (nor an offset), so a whole-second time also agrees with any instant within that second
// (our own responses carry both keys that way; WholeSecondNames); the more precise time is kept.
// nullopt if they disagree.
std::optional<ItemTime> MergeTimes(const ItemTime& first, const ItemTime& second,
                                   const domain::TimeZone& zone) {
  if (first.us == second.us) return first.whole_seconds ? second : first;
  if (first.whole_seconds && WholeSecondNames(first, second, zone)) return second;
  if (second.whole_seconds && WholeSecondNames(second, first, zone)) return first;
  return std::nullopt;
}

// Problems found in the items of one body, capped at kErrorDetailsMax listed.
class ItemProblems {
 public:
  void Add(std::size_t index, std::string_view field, std::string reason) {
    ++total_;
    if (details_.size() < kErrorDetailsMax) {
      details_.push_back(ErrorDetail{index, std::string(field), std::move(reason)});
    }
  }
  std::size_t total() const { return total_; }

  ApiError ToError() && {
    std::string message = std::to_string(total_) + " problem(s) in the items; nothing was accepted";
    if (total_ > details_.size()) {
      message += " (the first " + std::to_string(details_.size()) + " are listed)";
    }
    ApiError error = MakeApiError(http::status::bad_request, "invalid_items", std::move(message));
    error.details = std::move(details_);
    return error;
  }

 private:
  std::vector<ErrorDetail> details_;
  std::size_t total_ = 0;
};

// Decodes the items of one body. simdjson errors (broken JSON) end decoding at once; item problems
// are collected and decoding goes on, so one response lists them all.
class BodyDecoder {
 public:
  // `body_bytes` sizes the first allocation of the result (the seed's items take ~150 bytes).
  BodyDecoder(const PositionDecodeOptions& options, std::size_t body_bytes) : options_(options) {
    positions_.reserve(std::min(limits::kItemsPerMessageMax, body_bytes / 128 + 1));
  }

  // Decodes every element of `items` (an array at nesting `depth`).
  simdjson::error_code DecodeItems(ondemand::array& items, std::size_t depth) {
    for (auto element_result : items) {
      ondemand::value element;
      if (auto error = std::move(element_result).get(element)) return error;
      if (item_count_ == limits::kItemsPerMessageMax) {
        too_many_items_ = true;
        return simdjson::SUCCESS;
      }
      const std::size_t index = item_count_++;
      if (auto error = DecodeItem(element, index, depth + 1)) return error;
    }
    return simdjson::SUCCESS;
  }

  bool too_many_items() const { return too_many_items_; }
  std::size_t item_count() const { return item_count_; }
  ItemProblems& problems() { return problems_; }
  std::vector<domain::Position>& positions() { return positions_; }

 private:
  // Decodes the item at `index` (nesting `depth`), appending it to positions_ if it is valid.
  simdjson::error_code DecodeItem(ondemand::value item, std::size_t index, std::size_t depth) {
    ondemand::json_type type;
    if (auto error = item.type().get(type)) return error;
    if (type != ondemand::json_type::object) {
      problems_.Add(index, "", "must be an object");
      return json::ValidateValue(item, depth);
    }
    if (depth > limits::kJsonDepthMax) return simdjson::DEPTH_ERROR;
    ondemand::object object;
    if (auto error = item.get_object().get(object)) return error;

    const std::size_t problems_before = problems_.total();
    domain::Position position;
    unsigned seen = 0;
    std::optional<ItemTime> time;        // from the first time member that parsed
    std::string_view first_time_member;  // the member it came from
    std::unordered_set<std::string> unknown_keys;
    // The time members' texts (each member at most once: a repeat is a duplicate key).
    std::pair<Member, std::string_view> time_texts[2];
    std::size_t time_text_count = 0;

    if (auto error = json::ForEachMember(object, [&](std::string_view key, ondemand::value value) {
      const Member member = LookupMember(key);
      const unsigned bit = static_cast<unsigned>(member);
      const bool duplicate = member == Member::kUnknown ? !unknown_keys.emplace(key).second
                                                        : (seen & bit) != 0;
      seen |= bit;
      if (duplicate) problems_.Add(index, key, "duplicate key");
      if (duplicate || member == Member::kUnknown) {
        return json::ValidateValue(value, depth + 1);
      }
      if (member == Member::kQuantity) {
        return DecodeQuantity(value, index, depth + 1, &position);
      }
      std::string_view text;
      bool is_string = false;
      if (auto error = ReadStringField(value, index, key, depth + 1, &text, &is_string)) {
        return error;
      }
      if (!is_string) return simdjson::SUCCESS;
      switch (member) {
        case Member::kBarcode:
          CheckField(index, key, domain::ValidateBarcode(text, options_.require_gtin_check_digit));
          position.barcode.assign(text);
          break;
        case Member::kProductName:
          CheckField(index, key, domain::ValidateProductName(text));
          position.product_name.assign(text);
          break;
        case Member::kBranch:
          CheckField(index, key, domain::ValidateBranch(text));
          position.branch.assign(text);
          break;
        case Member::kTimeSeed:
        case Member::kTime:
          // Parsed after the loop: a zone-less time is read in the zone of the item's branch,
          // which may come later in the object.
          time_texts[time_text_count++] = {member, text};
          break;
        case Member::kQuantity:
        case Member::kUnknown:
          break;
      }
      return simdjson::SUCCESS;
    })) {
      return error;
    }

    const domain::TimeZone zone = options_.zone_of && domain::ValidateBranch(position.branch).ok()
                                      ? options_.zone_of(position.branch)
                                      : options_.time_zone;
    for (std::size_t t = 0; t < time_text_count; ++t) {
      const auto [member, text] = time_texts[t];
      const std::string_view key = member == Member::kTime ? kFieldTime : kFieldTimeSeed;
      Result<int64_t> parsed = domain::ParseTimestampMicros(text, zone);
      if (!parsed.ok()) {
        problems_.Add(index, key, parsed.status().message());
        continue;
      }
      const ItemTime this_time{*parsed, text.find('.') == std::string_view::npos,
                               !HasUtcOffset(text)};
      if (!time) {
        time = this_time;
        first_time_member = key;
      } else if (std::optional<ItemTime> merged = MergeTimes(*time, this_time, zone)) {
        time = merged;
      } else {
        problems_.Add(index, key, "names another instant than " + std::string(first_time_member));
      }
    }

    for (const auto& [member, name] :
         {std::pair{Member::kBarcode, kFieldBarcode}, std::pair{Member::kProductName, kFieldProductName},
          std::pair{Member::kBranch, kFieldBranch}, std::pair{Member::kQuantity, kFieldQuantity}}) {
      if ((seen & static_cast<unsigned>(member)) == 0) problems_.Add(index, name, "required");
    }
    const unsigned time_bits =
        static_cast<unsigned>(Member::kTimeSeed) | static_cast<unsigned>(Member::kTime);
    if ((seen & time_bits) == 0) problems_.Add(index, kFieldTimeSeed, "required");

    if (problems_.total() == problems_before) {
      assert(time);
      position.updated_at_us = time->us;
      positions_.push_back(std::move(position));
    }
    return simdjson::SUCCESS;
  }

  // Sets `*text` to the string `value`, or records "must be a string" and validates it.
  simdjson::error_code ReadStringField(ondemand::value& value, std::size_t index,
                                       std::string_view key, std::size_t depth, std::string_view* text, bool* is_string) {
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return error;
    *is_string = type == ondemand::json_type::string;
    if (!*is_string) {
      problems_.Add(index, key, "must be a string");
      return json::ValidateValue(value, depth);
    }
    return json::ReadString(value, text);
  }

  simdjson::error_code DecodeQuantity(ondemand::value& value, std::size_t index, std::size_t depth,
                                      domain::Position* position) {
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return error;
    if (type != ondemand::json_type::number) {
      problems_.Add(index, kFieldQuantity, "must be a number");
      return json::ValidateValue(value, depth);
    }
    std::string_view text;
    if (auto error = json::ReadNumberText(value, &text)) return error;
    Result<int64_t> milli = domain::ParseQuantityMilli(text);
    if (!milli.ok()) {
      problems_.Add(index, kFieldQuantity, milli.status().message());
    } else {
      position->quantity_milli = *milli;
    }
    return simdjson::SUCCESS;
  }

  void CheckField(std::size_t index, std::string_view key, const Status& status) {
    if (!status.ok()) problems_.Add(index, key, status.message());
  }

  const PositionDecodeOptions& options_;
  std::size_t item_count_ = 0;
  bool too_many_items_ = false;
  ItemProblems problems_;
  std::vector<domain::Position> positions_;
};

ApiError ItemsMemberError(std::string reason) {
  ApiError error = MakeApiError(http::status::bad_request, "invalid_items",
                                "\"itens\" " + reason + "; nothing was accepted");
  error.details.push_back(ErrorDetail{std::nullopt, std::string(kFieldItems), std::move(reason)});
  return error;
}

// Decodes the root object form {"itens":[...], ...}. Sets *found_items if "itens" was present.
// On a problem with "itens" itself, sets *items_error.
simdjson::error_code DecodeRootObject(ondemand::document& document, BodyDecoder& decoder,
                                      bool* found_items, std::optional<ApiError>* items_error) {
  ondemand::object root;
  if (auto error = document.get_object().get(root)) return error;
  for (auto field_result : root) {
    ondemand::field field;
    if (auto error = std::move(field_result).get(field)) return error;
    std::string_view key;
    if (auto error = json::ReadKey(field, &key)) return error;
    ondemand::value value = field.value();
    if (key != kFieldItems || *found_items || decoder.too_many_items()) {
      if (key == kFieldItems && *found_items && !items_error->has_value()) {
        *items_error = ItemsMemberError("duplicate key");
      }
      if (auto error = json::ValidateValue(value, 2)) return error;
      continue;
    }
    *found_items = true;
    ondemand::json_type type;
    if (auto error = value.type().get(type)) return error;
    if (type != ondemand::json_type::array) {
      *items_error = ItemsMemberError("must be an array");
      if (auto error = json::ValidateValue(value, 2)) return error;
      continue;
    }
    ondemand::array items;
    if (auto error = value.get_array().get(items)) return error;
    if (auto error = decoder.DecodeItems(items, 2)) return error;
    if (decoder.too_many_items()) return simdjson::SUCCESS;
  }
  return simdjson::SUCCESS;
}

}  // namespace

ApiResult<std::vector<domain::Position>> DecodePositionsBody(std::string_view body,
                                                             const PositionDecodeOptions& options) {
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) return json::InvalidJson(error);
  ondemand::json_type root_type;
  if (auto error = document.type().get(root_type)) return json::InvalidJson(error);

  BodyDecoder decoder(options, body.size());
  std::optional<ApiError> items_error;
  if (root_type == ondemand::json_type::array) {
    ondemand::array items;
    if (auto error = document.get_array().get(items)) return json::InvalidJson(error);
    if (auto error = decoder.DecodeItems(items, 1)) return json::InvalidJson(error);
  } else if (root_type == ondemand::json_type::object) {
    bool found_items = false;
    if (auto error = DecodeRootObject(document, decoder, &found_items, &items_error)) {
      return json::InvalidJson(error);
    }
    if (!found_items) items_error = ItemsMemberError("required");
  } else {
    return MakeApiError(http::status::bad_request, "invalid_json",
                        "request body must be a JSON array of items or an object with an "
                        "\"itens\" array");
  }

  if (decoder.too_many_items()) {
    return MakeApiError(http::status::bad_request, "too_many_items",
                        "a message carries at most " +
                            std::to_string(limits::kItemsPerMessageMax) + " items");
  }
  if (auto error = json::CheckDocumentEnd(document)) return json::InvalidJson(error);
  if (items_error) return std::move(*items_error);
  if (decoder.problems().total() > 0) return std::move(decoder.problems()).ToError();
  if (decoder.item_count() == 0) {
    return MakeApiError(http::status::bad_request, "empty", "the message has no items");
  }
  return std::move(decoder.positions());
}

void WritePosition(JsonWriter& writer, const domain::Position& position,
                   const domain::TimeZone& zone) {
  writer.BeginObject();
  WritePositionFields(writer, position, zone);
  writer.EndObject();
}

void WritePositionFields(JsonWriter& writer, const domain::Position& position,
                         const domain::TimeZone& zone) {
  writer.Key(kFieldBarcode);
  writer.String(position.barcode);
  writer.Key(kFieldBranch);
  writer.String(position.branch);
  writer.Key(kFieldProductName);
  writer.String(position.product_name);
  writer.Key(kFieldQuantity);
  writer.RawNumber(domain::FormatQuantityMilli(position.quantity_milli));
  writer.Key(kFieldTimeSeed);
  writer.String(domain::FormatSeedLocalTime(position.updated_at_us, zone));
  writer.Key(kFieldTime);
  writer.String(domain::FormatRfc3339(position.updated_at_us, zone));
}

void WriteSeedItem(JsonWriter& writer, const domain::Position& position,
                   const domain::TimeZone& zone) {
  writer.BeginObject();
  writer.Key(kFieldProductName);
  writer.String(position.product_name);
  writer.Key(kFieldBranch);
  writer.String(position.branch);
  writer.Key(kFieldTimeSeed);
  writer.String(domain::FormatSeedLocalTime(position.updated_at_us, zone));
  writer.Key(kFieldQuantity);
  writer.RawNumber(domain::FormatQuantityMilli(position.quantity_milli));
  writer.Key(kFieldBarcode);
  writer.String(position.barcode);
  writer.EndObject();
}

std::string FormatQuantityMilliTotal(__int128 milli) {
  const bool negative = milli < 0;
  unsigned __int128 magnitude =
      negative ? -static_cast<unsigned __int128>(milli) : static_cast<unsigned __int128>(milli);
  unsigned __int128 whole = magnitude / limits::kQuantityScale;
  unsigned fraction = static_cast<unsigned>(magnitude % limits::kQuantityScale);
  std::string digits;
  do {
    digits += static_cast<char>('0' + static_cast<int>(whole % 10));
    whole /= 10;
  } while (whole != 0);
  std::string out = negative ? "-" : "";
  out.append(digits.rbegin(), digits.rend());
  if (fraction != 0) {
    char decimals[] = {static_cast<char>('0' + fraction / 100),
                       static_cast<char>('0' + fraction / 10 % 10),
                       static_cast<char>('0' + fraction % 10)};
    std::size_t length = 3;
    while (decimals[length - 1] == '0') --length;
    out += '.';
    out.append(decimals, length);
  }
  return out;
}

std::string EncodePosition(const domain::Position& position, const domain::TimeZone& zone) {
  std::string out;
  out.reserve(256);
  JsonWriter writer(&out);
  WritePosition(writer, position, zone);
  return out;
}

}  // namespace estoque::api
