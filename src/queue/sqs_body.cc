#include "queue/sqs_body.h"

#include <charconv>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/base64.h"
#include "queue/dead_letter_codec.h"

namespace estoque::queue {
namespace {

constexpr int64_t kVersion = 1;

std::string Body(uint64_t id, std::string_view key, std::string_view bytes) {
  boost::json::object body;
  body["v"] = kVersion;
  body["id"] = std::to_string(id);
  body[key] = Base64Encode(bytes);
  return boost::json::serialize(body);
}

Result<uint64_t> ParseId(const boost::json::value* value) {
  if (value == nullptr || !value->is_string()) return Status::Corruption("sqs body: no id");
  const boost::json::string& text = value->get_string();
  uint64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || id == 0) {
    return Status::Corruption("sqs body: malformed id");
  }
  return id;
}

Result<std::string> ParseBase64(const boost::json::value& value, std::string_view key) {
  if (!value.is_string()) return Status::Corruption("sqs body: " + std::string(key) + " is not a string");
  Result<std::string> bytes = Base64Decode(value.get_string());
  if (!bytes.ok()) return Status::Corruption("sqs body: " + std::string(key) + ": " + bytes.status().message());
  return bytes;
}

}  // namespace

std::string EncodeSqsBody(uint64_t id, std::string_view message_bytes) {
  return Body(id, "message", message_bytes);
}

std::string EncodeSqsDeadLetterBody(const DeadLetter& letter) {
  return Body(letter.id, "dead_letter", EncodeDeadLetter(letter));
}

Result<SqsBody> DecodeSqsBody(std::string_view body) {
  boost::system::error_code error;
  boost::json::value parsed = boost::json::parse(body, error);
  if (error || !parsed.is_object()) return Status::Corruption("sqs body: not a JSON object");
  const boost::json::object& object = parsed.get_object();
  const boost::json::value* version = object.if_contains("v");
  if (version == nullptr || !version->is_int64() || version->get_int64() != kVersion) {
    return Status::Corruption("sqs body: unknown version");
  }
  Result<uint64_t> id = ParseId(object.if_contains("id"));
  if (!id.ok()) return id.status();
  SqsBody decoded;
  decoded.id = *id;
  const boost::json::value* message = object.if_contains("message");
  const boost::json::value* dead_letter = object.if_contains("dead_letter");
  if ((message == nullptr) == (dead_letter == nullptr)) {
    return Status::Corruption("sqs body: needs exactly one of message and dead_letter");
  }
  if (message != nullptr) {
    Result<std::string> bytes = ParseBase64(*message, "message");
    if (!bytes.ok()) return bytes.status();
    decoded.message_bytes = std::move(*bytes);
    return decoded;
  }
  Result<std::string> bytes = ParseBase64(*dead_letter, "dead_letter");
  if (!bytes.ok()) return bytes.status();
  Result<DeadLetter> letter = DecodeDeadLetter(decoded.id, *bytes);
  if (!letter.ok()) return Status::Corruption("sqs body: dead_letter: " + letter.status().message());
  decoded.message_bytes = letter->message_bytes;
  decoded.dead_letter = std::move(*letter);
  return decoded;
}

uint64_t SqsFallbackId(std::string_view sqs_message_id) {
  uint64_t hash = 14695981039346656037ull;
  for (const char c : sqs_message_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return (hash & 0x7FFF'FFFF'FFFF'FFFFull) | 1;
}

}  // namespace estoque::queue
