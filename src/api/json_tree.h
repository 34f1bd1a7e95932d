// JsonTree: a whole request body parsed (by simdjson) into a small tree that keeps every number's
// exact text, for the inventory endpoints' decoders (sales, movements, transfers, reservations).
// The hot position decoder (position_json.h) streams instead. FieldReader reads one object's
// members and collects one ErrorDetail per problem, so a decoder reports every bad field at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_error.h"
#include "domain/timestamp.h"

namespace estoque::api {

struct JsonNode {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  // One member of an object. (Not a std::pair: a pair of a type still being defined is not
  // portable; clang with libstdc++ refuses it.)
  struct Member;

  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kString: the unescaped string; kNumber: the number's exact JSON text
  std::vector<JsonNode> items;              // kArray
  std::vector<Member> members;              // kObject, in body order
  std::vector<std::string> duplicate_keys;  // kObject: keys that appeared twice

  // The member named `name` (the first, if repeated), or nullptr.
  const JsonNode* Find(std::string_view name) const;
};

struct JsonNode::Member {
  Member(std::string member_key, JsonNode member_value)
      : key(std::move(member_key)), value(std::move(member_value)) {}
  std::string key;
  JsonNode value;
};

// Parses a whole body. 400 "invalid_json" (with simdjson's reason) if it is not one valid JSON
// value, nests deeper than limits::kJsonDepthMax, or has trailing content. Thread-safe.
ApiResult<JsonNode> ParseJsonTree(std::string_view body);

// Reads members of one object node, adding a detail {index, field, reason} to `details` for each
// problem (index = `index`, field = prefix + name). Each getter returns nullopt when the member is
// absent (and, if required, adds "required") or bad (and adds why).
class FieldReader {
 public:
  FieldReader(const JsonNode& object, std::vector<ErrorDetail>* details,
              std::optional<std::size_t> index = std::nullopt, std::string prefix = "");

  // Adds "duplicate key" for every repeated member. Call once per object.
  void CheckDuplicates();
  std::optional<std::string> String(std::string_view name, bool required);
  // A JSON number read exactly as milli-units (domain::ParseQuantityMilli).
  std::optional<int64_t> Quantity(std::string_view name, bool required);
  std::optional<bool> Bool(std::string_view name);
  // A time string (domain::ParseTimestampMicros, zone-less read in `zone`).
  std::optional<int64_t> Time(std::string_view name, bool required, const domain::TimeZone& zone);
  // A non-null array member, or nullptr (with "required" / "must be an array").
  const JsonNode* Array(std::string_view name, bool required);
  // True if the member exists and is JSON null.
  bool IsNull(std::string_view name) const;
  // Adds a detail about `name` with `reason`.
  void Fail(std::string_view name, std::string reason);

 private:
  const JsonNode& object_;
  std::vector<ErrorDetail>* details_;
  std::optional<std::size_t> index_;
  std::string prefix_;
};

// 400 with `code` (e.g. "invalid_fields"), a summary message and `details`.
ApiError FieldsError(std::string code, std::vector<ErrorDetail> details);

}  // namespace estoque::api
