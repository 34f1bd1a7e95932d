#include "aws/dynamodb_capacity.h"

#include <string_view>

#include <boost/json/serialize.hpp>

namespace estoque::aws::dynamodb {
namespace {

// Significant digits of a DynamoDB number's text ("-0012.3400", "1.5E+3"): the digits of its
// mantissa without leading and trailing zeros.
std::size_t SignificantDigits(std::string_view number) {
  if (const std::size_t exponent = number.find_first_of("eE"); exponent != std::string_view::npos) {
    number = number.substr(0, exponent);
  }
  std::string digits;
  for (char c : number) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return 0;
  const std::size_t last = digits.find_last_not_of('0');
  return last - first + 1;
}

// ≈ 1 byte per two significant digits, plus 1.
std::size_t NumberSizeBytes(std::string_view number) {
  return (SignificantDigits(number) + 1) / 2 + 1;
}

// The decoded length of base64 text (with or without padding), without decoding it.
std::size_t Base64DecodedBytes(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  return text.size() * 3 / 4;
}

std::size_t JsonTextBytes(const boost::json::value& value) {
  return boost::json::serialize(value).size();
}

}  // namespace

std::size_t AttributeValueSizeBytes(const boost::json::value& attribute_value) {
  const boost::json::object* typed = attribute_value.if_object();
  if (typed == nullptr || typed->size() != 1) return JsonTextBytes(attribute_value);
  const auto& [type, value] = *typed->begin();
  if (type == "S" && value.is_string()) return value.get_string().size();
  if (type == "N" && value.is_string()) return NumberSizeBytes(value.get_string());
  if (type == "B" && value.is_string()) return Base64DecodedBytes(value.get_string());
  if (type == "BOOL" || type == "NULL") return 1;
  if (type == "L" && value.is_array()) {
    std::size_t bytes = 3;
    for (const boost::json::value& element : value.get_array()) {
      bytes += AttributeValueSizeBytes(element) + 1;
    }
    return bytes;
  }
  if (type == "M" && value.is_object()) {
    std::size_t bytes = 3;
    for (const auto& [name, element] : value.get_object()) {
      bytes += name.size() + AttributeValueSizeBytes(element) + 1;
    }
    return bytes;
  }
  if ((type == "SS" || type == "NS" || type == "BS") && value.is_array()) {
    std::size_t bytes = 0;
    for (const boost::json::value& element : value.get_array()) {
      if (!element.is_string()) {
        bytes += JsonTextBytes(element);
      } else if (type == "SS") {
        bytes += element.get_string().size();
      } else if (type == "NS") {
        bytes += NumberSizeBytes(element.get_string());
      } else {
        bytes += Base64DecodedBytes(element.get_string());
      }
    }
    return bytes;
  }
  return JsonTextBytes(attribute_value);
}

std::size_t ItemSizeBytes(const Item& item) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : item) bytes += name.size() + AttributeValueSizeBytes(value);
  return bytes;
}

double WriteUnits(std::size_t bytes) {
  const std::size_t units = (bytes + kWriteUnitBytes - 1) / kWriteUnitBytes;
  return static_cast<double>(units == 0 ? 1 : units);
}

double ReadUnits(std::size_t bytes, bool consistent) {
  std::size_t units = (bytes + kReadUnitBytes - 1) / kReadUnitBytes;
  if (units == 0) units = 1;
  return consistent ? static_cast<double>(units) : static_cast<double>(units) / 2;
}

TableIndexKeys IndexKeysOf(const std::vector<TableSpec>& specs) {
  TableIndexKeys keys;
  for (const TableSpec& spec : specs) {
    if (spec.indexes.empty()) continue;
    IndexKeys& table = keys[spec.name];
    for (const GlobalSecondaryIndex& index : spec.indexes) {
      std::vector<std::string> names{index.key.partition.name};
      if (index.key.sort) names.push_back(index.key.sort->name);
      table.push_back(std::move(names));
    }
  }
  return keys;
}

int IndexesWritten(const Item& item, const IndexKeys& indexes) {
  int written = 0;
  for (const std::vector<std::string>& keys : indexes) {
    bool all = true;
    for (const std::string& name : keys) all = all && item.contains(name);
    if (all) ++written;
  }
  return written;
}

double PutWriteUnits(const Item& item, const IndexKeys& indexes) {
  return WriteUnits(ItemSizeBytes(item)) * (1 + IndexesWritten(item, indexes));
}

}  // namespace estoque::aws::dynamodb
