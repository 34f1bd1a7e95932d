#include "load/json_text.h"

#include <charconv>
#include <cstring>

namespace estoque::load {

void AppendJsonString(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  // Copy runs of bytes that need no escape in one append: names almost never contain any.
  std::size_t run_begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out->append(text.data() + run_begin, i - run_begin);
    run_begin = i + 1;
    out->push_back('\\');
    switch (byte) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '\n': out->push_back('n'); break;
      case '\r': out->push_back('r'); break;
      case '\t': out->push_back('t'); break;
      case '\b': out->push_back('b'); break;
      case '\f': out->push_back('f'); break;
      default:
        out->append("u00");
        out->push_back(kHex[byte >> 4]);
        out->push_back(kHex[byte & 0xF]);
    }
  }
  out->append(text.data() + run_begin, text.size() - run_begin);
  out->push_back('"');
}

void AppendUint(std::string* out, uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, result.ptr);
}

char* PutText(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* PutUint(char* p, uint64_t value) {
  char digits[20];
  char* const end = digits + sizeof(digits);
  char* q = end;
  do {
    *--q = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return PutText(p, std::string_view(q, static_cast<std::size_t>(end - q)));
}

}  // namespace estoque::load
