#include "domain/product_name.h"

#include <cstdint>

#include "common/limits.h"

namespace estoque::domain {

namespace {

// Decodes one UTF-8 sequence starting at `utf8[*pos]`, advancing *pos past it. Returns the code
// point, or -1 for an invalid sequence (bad lead byte, truncated, bad continuation, overlong,
// surrogate, above U+10FFFF). Follows the Unicode "well-formed UTF-8" table (Unicode 15, §3.9
// Table 3-7), so every accepted sequence is the shortest encoding of a scalar value.
int32_t DecodeOne(std::string_view utf8, std::size_t* pos) {
  const auto byte = [&](std::size_t i) { return static_cast<uint8_t>(utf8[i]); };
  const std::size_t i = *pos;
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    *pos = i + 1;
    return b0;
  }
  int length;
  uint8_t second_min = 0x80, second_max = 0xBF;
  int32_t cp;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) second_min = 0xA0;  // overlong below U+0800
    if (b0 == 0xED) second_max = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) second_min = 0x90;  // overlong below U+10000
    if (b0 == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return -1;  // continuation byte as lead, C0/C1 (overlong ASCII), F5..FF
  }
  if (utf8.size() - i < static_cast<std::size_t>(length)) return -1;
  const uint8_t b1 = byte(i + 1);
  if (b1 < second_min || b1 > second_max) return -1;
  cp = (cp << 6) | (b1 & 0x3F);
  for (int k = 2; k < length; ++k) {
    const uint8_t b = byte(i + k);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos = i + length;
  return cp;
}

bool IsControl(int32_t cp) { return cp < 0x20 || cp == 0x7F; }

}  // namespace

std::ptrdiff_t CountUtf8CodePoints(std::string_view utf8) {
  std::ptrdiff_t count = 0;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    if (DecodeOne(utf8, &pos) < 0) return -1;
    ++count;
  }
  return count;
}

Status ValidateProductName(std::string_view name) {
  std::size_t count = 0;
  std::size_t pos = 0;
  bool has_control = false;
  while (pos < name.size()) {
    const int32_t cp = DecodeOne(name, &pos);
    if (cp < 0) return Status::InvalidArgument("not valid UTF-8");
    has_control = has_control || IsControl(cp);
    ++count;
  }
  if (count < limits::kProductNameCodePointsMin || count > limits::kProductNameCodePointsMax) {
    return Status::InvalidArgument("must have 1 to 200 characters");
  }
  if (has_control) return Status::InvalidArgument("must not contain control characters");
  return Status::Ok();
}

std::string Utf8OrMasked(std::string_view text) {
  std::string out(text);
  if (CountUtf8CodePoints(text) >= 0) return out;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

}  // namespace estoque::domain
