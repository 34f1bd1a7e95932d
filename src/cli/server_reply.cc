#include "cli/server_reply.h"

#include <boost/json.hpp>

namespace estoque::cli {

namespace json = boost::json;

namespace {

const json::string* StringMember(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr ? value->if_string() : nullptr;
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return out;
}

std::string DescribeReply(const HttpReply& reply, std::string_view forbidden_hint) {
  std::string message = "the server answered HTTP " + std::to_string(reply.status);
  json::error_code ignored;
  const json::value body = json::parse(reply.body, ignored);
  const json::object* error = nullptr;
  if (const json::object* root = body.if_object(); root != nullptr) {
    if (const json::value* member = root->if_contains("error")) error = member->if_object();
  }
  if (error == nullptr) {
    message += ": " + Printable(reply.body.substr(0, kBodyCharsQuotedMax));
  } else {
    if (const json::string* text = StringMember(*error, "message")) message += ": " + Printable(*text);
    const json::value* details = error->if_contains("details");
    for (const json::value& detail : details != nullptr && details->is_array() ? details->as_array()
                                                                               : json::array()) {
      const json::object* fields = detail.if_object();
      if (fields == nullptr) continue;
      const json::string* field = StringMember(*fields, "field");
      const json::string* reason = StringMember(*fields, "reason");
      message += "\n  ";
      if (field != nullptr && !field->empty()) message += Printable(*field) + ": ";
      if (reason != nullptr) message += Printable(*reason);
    }
  }
  if (reply.status == 401) message += "\n(the key given with --key or ESTOQUE_API_KEY is unknown or revoked)";
  if (reply.status == 403) message += "\n(" + std::string(forbidden_hint) + ")";
  if (reply.status == 429 && !reply.retry_after.empty()) {
    message += "\n(throttled: retry in " + reply.retry_after + " s)";
  }
  return message;
}

}  // namespace estoque::cli
