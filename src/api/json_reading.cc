#include "api/json_reading.h"

#include "common/limits.h"

namespace estoque::api::json {

namespace ondemand = simdjson::ondemand;

ondemand::parser& ThreadParser() {
  thread_local ondemand::parser parser;
  return parser;
}

std::string ErrorReason(simdjson::error_code error) { return simdjson::error_message(error); }

ApiError InvalidJson(simdjson::error_code error) {
  return MakeApiError(boost::beast::http::status::bad_request, "invalid_json",
                      "request body is not valid JSON: " + ErrorReason(error));
}

std::string_view TrimToken(std::string_view token) {
  while (!token.empty()) {
    const char c = token.back();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    token.remove_suffix(1);
  }
  return token;
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the string body starting at `start` (just after its opening quote) if it has no
// escapes; npos if it has. Stage 1 already checked that every string is closed, is valid UTF-8
// and holds no raw control characters, so the scan stops inside the padded buffer.
std::size_t UnescapedLength(const char* start) {
  const char* end = start;
  while (*end != '"' && *end != '\\') ++end;
  return *end == '"' ? static_cast<std::size_t>(end - start) : std::string_view::npos;
}

}  // namespace

simdjson::error_code ReadString(ondemand::value& value, std::string_view* text) {
  const std::string_view token = value.raw_json_token();
  if (token.empty() || token.front() != '"') return simdjson::INCORRECT_TYPE;
  const std::size_t length = UnescapedLength(token.data() + 1);
  if (length == std::string_view::npos) return value.get_string().get(*text);
  // raw_json_token() only peeks: the string must still be consumed. A value left unread is
  // skipped by On-Demand, which takes a string followed by ':' for a key, so the broken
  // {"a":"b":{}},"c":1} would pass as valid JSON.
  ondemand::raw_json_string consumed;
  if (auto error = value.get_raw_json_string().get(consumed)) return error;
  *text = std::string_view(token.data() + 1, length);
  return simdjson::SUCCESS;
}

simdjson::error_code ReadKey(ondemand::field& field, std::string_view* key) {
  const char* start = field.key().raw();
  const std::size_t length = UnescapedLength(start);
  if (length != std::string_view::npos) {
    *key = std::string_view(start, length);
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(*key);
}

simdjson::error_code ReadNumberText(simdjson::ondemand::value& value, std::string_view* text) {
  *text = TrimToken(value.raw_json_token());
  return IsJsonNumberText(*text) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
}

bool IsJsonNumberText(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && text[i] == '-') ++i;
  if (i >= n) return false;
  if (text[i] == '0') {
    ++i;
  } else if (IsDigit(text[i])) {
    while (i < n && IsDigit(text[i])) ++i;
  } else {
    return false;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (i >= n || !IsDigit(text[i])) return false;
    while (i < n && IsDigit(text[i])) ++i;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= n || !IsDigit(text[i])) return false;
    while (i < n && IsDigit(text[i])) ++i;
  }
  return i == n;
}

simdjson::error_code ValidateValue(ondemand::value value, std::size_t depth) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case ondemand::json_type::array: {
      if (depth > limits::kJsonDepthMax) return simdjson::DEPTH_ERROR;
      ondemand::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element_result : array) {
        ondemand::value element;
        if (auto error = std::move(element_result).get(element)) return error;
        if (auto error = ValidateValue(element, depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::object: {
      if (depth > limits::kJsonDepthMax) return simdjson::DEPTH_ERROR;
      ondemand::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field_result : object) {
        ondemand::field field;
        if (auto error = std::move(field_result).get(field)) return error;
        std::string_view key;
        if (auto error = ReadKey(field, &key)) return error;
        if (auto error = ValidateValue(field.value(), depth + 1)) return error;
      }
      return simdjson::SUCCESS;
    }
    case ondemand::json_type::string: {
      std::string_view text;
      return ReadString(value, &text);
    }
    case ondemand::json_type::number: {
      std::string_view text;
      return ReadNumberText(value, &text);
    }
    case ondemand::json_type::boolean: {
      const std::string_view token = TrimToken(value.raw_json_token());
      if (token == "true") return simdjson::SUCCESS;
      if (token == "false") return simdjson::SUCCESS;
      return token.starts_with('t') ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
    }
    case ondemand::json_type::null:
      return TrimToken(value.raw_json_token()) == "null" ? simdjson::SUCCESS
                                                         : simdjson::N_ATOM_ERROR;
  }
  return simdjson::TAPE_ERROR;
}

simdjson::error_code CheckDocumentEnd(ondemand::document& document) {
  // current_location() is OUT_OF_BOUNDS exactly when every token was consumed.
  const char* location = nullptr;
  const simdjson::error_code error = document.current_location().get(location);
  if (error == simdjson::OUT_OF_BOUNDS) return simdjson::SUCCESS;
  return error ? error : simdjson::TRAILING_CONTENT;
}

}  // namespace estoque::api::json
