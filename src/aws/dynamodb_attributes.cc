#include "aws/dynamodb_attributes.h"

#include <charconv>

#include <openssl/evp.h>

namespace estoque::aws::dynamodb {
namespace {

namespace json = boost::json;

// The string under `type` of the AttributeValue `name`, or null.
const json::string* Typed(const json::object& item, std::string_view name, std::string_view type) {
  const json::value* attribute = item.if_contains(name);
  if (attribute == nullptr || !attribute->is_object()) return nullptr;
  const json::value* value = attribute->get_object().if_contains(type);
  if (value == nullptr || !value->is_string()) return nullptr;
  return &value->get_string();
}

}  // namespace

json::value StringValue(std::string_view text) { return json::object{{"S", text}}; }

json::value NumberValue(std::int64_t number) {
  return json::object{{"N", std::to_string(number)}};
}

json::value BinaryValue(std::string_view bytes) { return json::object{{"B", EncodeBase64(bytes)}}; }

json::value BoolValue(bool value) { return json::object{{"BOOL", value}}; }

std::optional<std::string> StringAttribute(const json::object& item, std::string_view name) {
  const json::string* text = Typed(item, name, "S");
  if (text == nullptr) return std::nullopt;
  return std::string(text->data(), text->size());
}

std::optional<std::int64_t> NumberAttribute(const json::object& item, std::string_view name) {
  const json::string* text = Typed(item, name, "N");
  if (text == nullptr) return std::nullopt;
  std::int64_t number = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, number);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return number;
}

std::optional<std::string> BinaryAttribute(const json::object& item, std::string_view name) {
  const json::string* text = Typed(item, name, "B");
  if (text == nullptr) return std::nullopt;
  return DecodeBase64(std::string_view(text->data(), text->size()));
}

std::optional<bool> BoolAttribute(const json::object& item, std::string_view name) {
  const json::value* attribute = item.if_contains(name);
  if (attribute == nullptr || !attribute->is_object()) return std::nullopt;
  const json::value* value = attribute->get_object().if_contains("BOOL");
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->get_bool();
}

std::string EncodeBase64(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(written));
  return text;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string bytes(3 * (text.size() / 4), '\0');
  const int decoded = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (decoded < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop one per '='.
  std::size_t size = static_cast<std::size_t>(decoded);
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '=' && size > 0; --i) --size;
  bytes.resize(size);
  return bytes;
}

}  // namespace estoque::aws::dynamodb
