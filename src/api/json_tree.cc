#include "api/json_tree.h"

#include <simdjson.h>

#include "api/json_reading.h"
#include "common/limits.h"
#include "domain/quantity.h"

namespace estoque::api {
namespace {

namespace http = boost::beast::http;
namespace ondemand = simdjson::ondemand;

// Builds `value`, at nesting `depth` (the root is 1). Like json::ValidateValue, only containers
// count towards limits::kJsonDepthMax.
simdjson::error_code Build(ondemand::value value, std::size_t depth, JsonNode* out) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case ondemand::json_type::object: {
      if (depth > limits::kJsonDepthMax) return simdjson::DEPTH_ERROR;
      out->kind = JsonNode::Kind::kObject;
      ondemand::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field_result : object) {
        ondemand::field field;
        if (auto error = std::move(field_result).get(field)) return error;
        std::string_view key;
        if (auto error = json::ReadKey(field, &key)) return error;
        std::string name(key);
        if (out->Find(name) != nullptr) out->duplicate_keys.push_back(name);
        JsonNode child;
        if (auto error = Build(field.value(), depth + 1, &child)) return error;
        out->members.emplace_back(std::move(name), std::move(child));
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::array: {
      if (depth > limits::kJsonDepthMax) return simdjson::DEPTH_ERROR;
      out->kind = JsonNode::Kind::kArray;
      ondemand::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element : array) {
        ondemand::value child_value;
        if (auto error = std::move(element).get(child_value)) return error;
        JsonNode& child = out->items.emplace_back();
        if (auto error = Build(child_value, depth + 1, &child)) return error;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::number: {
      out->kind = JsonNode::Kind::kNumber;
      std::string_view text;
      if (auto error = json::ReadNumberText(value, &text)) return error;
      out->text.assign(text);
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::string: {
      out->kind = JsonNode::Kind::kString;
      std::string_view text;
      if (auto error = json::ReadString(value, &text)) return error;
      out->text.assign(text);
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::boolean: {
      out->kind = JsonNode::Kind::kBool;
      return value.get_bool().get(out->boolean);
    }
    case ondemand::json_type::null: {
      out->kind = JsonNode::Kind::kNull;
      bool is_null = false;
      if (auto error = value.is_null().get(is_null)) return error;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// `text` without the JSON whitespace around it.
std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  return json::TrimToken(text);
}

// A document whose root is a scalar (`body` is the whole document): simdjson reads it from the
// document itself (such a document is not a value, and get_value() refuses it). Includes the
// check that nothing follows the scalar.
simdjson::error_code BuildScalarRoot(ondemand::document& document, ondemand::json_type type,
                                     std::string_view body, JsonNode* out) {
  switch (type) {
    case ondemand::json_type::number: {
      // A root number is only consumed by converting it (which refuses numbers beyond a double or
      // a 64-bit integer), so its exact text must be all the body holds.
      out->kind = JsonNode::Kind::kNumber;
      std::string_view token;
      if (auto error = document.raw_json_token().get(token)) return error;
      out->text.assign(json::TrimToken(token));
      if (!json::IsJsonNumberText(out->text)) return simdjson::NUMBER_ERROR;
      return TrimWhitespace(body) == out->text ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
    }
    case ondemand::json_type::string: {
      out->kind = JsonNode::Kind::kString;
      std::string_view text;
      if (auto error = document.get_string().get(text)) return error;
      out->text.assign(text);
      return json::CheckDocumentEnd(document);
    }
    // The atoms by their text too: simdjson 3.0's document::get_bool() takes "false1" for false
    // and document::is_null() refuses "null" followed by whitespace.
    case ondemand::json_type::boolean: {
      out->kind = JsonNode::Kind::kBool;
      const std::string_view atom = TrimWhitespace(body);
      out->boolean = atom == "true";
      if (out->boolean || atom == "false") return simdjson::SUCCESS;
      return atom.starts_with('t') ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
    }
    case ondemand::json_type::null:
      out->kind = JsonNode::Kind::kNull;
      return TrimWhitespace(body) == "null" ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    case ondemand::json_type::object:
    case ondemand::json_type::array:
      break;
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

const JsonNode* JsonNode::Find(std::string_view name) const {
  for (const auto& [key, value] : members) {
    if (key == name) return &value;
  }
  return nullptr;
}

ApiResult<JsonNode> ParseJsonTree(std::string_view body) {
  const simdjson::padded_string padded(body);
  ondemand::document document;
  if (auto error = json::ThreadParser().iterate(padded).get(document)) return json::InvalidJson(error);
  JsonNode root;
  ondemand::json_type type;
  if (auto error = document.type().get(type)) return json::InvalidJson(error);
  if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
    ondemand::value value;
    if (auto error = document.get_value().get(value)) return json::InvalidJson(error);
    if (auto error = Build(value, 1, &root)) return json::InvalidJson(error);
    if (auto error = json::CheckDocumentEnd(document)) return json::InvalidJson(error);
  } else if (auto error = BuildScalarRoot(document, type, body, &root)) {
    return json::InvalidJson(error);
  }
  return root;
}

FieldReader::FieldReader(const JsonNode& object, std::vector<ErrorDetail>* details,
                         std::optional<std::size_t> index, std::string prefix)
    : object_(object), details_(details), index_(index), prefix_(std::move(prefix)) {}

void FieldReader::Fail(std::string_view name, std::string reason) {
  details_->push_back(ErrorDetail{index_, prefix_ + std::string(name), std::move(reason)});
}

void FieldReader::CheckDuplicates() {
  for (const std::string& key : object_.duplicate_keys) Fail(key, "duplicate key");
}

std::optional<std::string> FieldReader::String(std::string_view name, bool required) {
  const JsonNode* node = object_.Find(name);
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) {
    if (required) Fail(name, "required");
    return std::nullopt;
  }
  if (node->kind != JsonNode::Kind::kString) {
    Fail(name, "must be a string");
    return std::nullopt;
  }
  return node->text;
}

std::optional<int64_t> FieldReader::Quantity(std::string_view name, bool required) {
  const JsonNode* node = object_.Find(name);
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) {
    if (required) Fail(name, "required");
    return std::nullopt;
  }
  if (node->kind != JsonNode::Kind::kNumber) {
    Fail(name, "must be a number");
    return std::nullopt;
  }
  Result<int64_t> milli = domain::ParseQuantityMilli(node->text);
  if (!milli.ok()) {
    Fail(name, milli.status().message());
    return std::nullopt;
  }
  return *milli;
}

std::optional<bool> FieldReader::Bool(std::string_view name) {
  const JsonNode* node = object_.Find(name);
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) return std::nullopt;
  if (node->kind != JsonNode::Kind::kBool) {
    Fail(name, "must be a boolean");
    return std::nullopt;
  }
  return node->boolean;
}

std::optional<int64_t> FieldReader::Time(std::string_view name, bool required,
                                         const domain::TimeZone& zone) {
  std::optional<std::string> text = String(name, required);
  if (!text.has_value()) return std::nullopt;
  Result<int64_t> at = domain::ParseTimestampMicros(*text, zone);
  if (!at.ok()) {
    Fail(name, at.status().message());
    return std::nullopt;
  }
  return *at;
}

const JsonNode* FieldReader::Array(std::string_view name, bool required) {
  const JsonNode* node = object_.Find(name);
  if (node == nullptr || node->kind == JsonNode::Kind::kNull) {
    if (required) Fail(name, "required");
    return nullptr;
  }
  if (node->kind != JsonNode::Kind::kArray) {
    Fail(name, "must be an array");
    return nullptr;
  }
  return node;
}

bool FieldReader::IsNull(std::string_view name) const {
  const JsonNode* node = object_.Find(name);
  return node != nullptr && node->kind == JsonNode::Kind::kNull;
}

ApiError FieldsError(std::string code, std::vector<ErrorDetail> details) {
  std::string message = "the request has " + std::to_string(details.size()) + " invalid field";
  if (details.size() != 1) message += "s";
  if (!details.empty()) {
    message += "; first: " + details.front().field + " " + details.front().reason;
  }
  ApiError error = MakeApiError(http::status::bad_request, std::move(code), std::move(message));
  error.details = std::move(details);
  return error;
}

}  // namespace estoque::api
