// Building and reading DynamoDB AttributeValues ({"S": "..."}, {"N": "12"}, {"B": "<base64>"},
// {"BOOL": true}) in the JSON form dynamodb_requests.h keeps items in. One place for the wire
// form of each type, so the stores built on the client never spell it out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace estoque::aws::dynamodb {

boost::json::value StringValue(std::string_view text);
boost::json::value NumberValue(std::int64_t number);
// Binary: `bytes` as DynamoDB's JSON carries it, base64 (RFC 4648, with padding).
boost::json::value BinaryValue(std::string_view bytes);
boost::json::value BoolValue(bool value);

// The attribute `name` of `item` if it is present with the type asked for; nullopt otherwise (absent,
// another type, a number that is not an integer in int64 range, binary that is not valid base64).
std::optional<std::string> StringAttribute(const boost::json::object& item, std::string_view name);
std::optional<std::int64_t> NumberAttribute(const boost::json::object& item, std::string_view name);
std::optional<std::string> BinaryAttribute(const boost::json::object& item, std::string_view name);
std::optional<bool> BoolAttribute(const boost::json::object& item, std::string_view name);

// Base64 with padding, as DynamoDB's JSON protocol carries binary values. DecodeBase64: nullopt if
// `text` is not valid base64.
std::string EncodeBase64(std::string_view bytes);
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace estoque::aws::dynamodb
