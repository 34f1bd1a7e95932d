#include "api/cursor.h"

#include "api/json_writer.h"

#include <array>
#include <cstdint>

namespace estoque::api {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr std::array<int8_t, 256> kDecodeTable = MakeDecodeTable();

}  // namespace

std::string EncodeCursor(std::string_view raw_after) {
  std::string out;
  out.reserve((raw_after.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= raw_after.size(); i += 3) {
    const uint32_t group = (uint32_t{static_cast<unsigned char>(raw_after[i])} << 16) |
                           (uint32_t{static_cast<unsigned char>(raw_after[i + 1])} << 8) |
                           uint32_t{static_cast<unsigned char>(raw_after[i + 2])};
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  const std::size_t rest = raw_after.size() - i;
  if (rest == 1) {
    const uint32_t group = uint32_t{static_cast<unsigned char>(raw_after[i])} << 16;
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t group = (uint32_t{static_cast<unsigned char>(raw_after[i])} << 16) |
                           (uint32_t{static_cast<unsigned char>(raw_after[i + 1])} << 8);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
  }
  return out;
}

Result<std::string> DecodeCursor(std::string_view cursor) {
  if (cursor.size() > kCursorCharsMax) return Status::InvalidArgument("cursor is too long");
  if (cursor.size() % 4 == 1) return Status::InvalidArgument("malformed cursor");
  std::string out;
  out.reserve(cursor.size() * 3 / 4);
  uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : cursor) {
    const int8_t value = kDecodeTable[static_cast<unsigned char>(c)];
    if (value < 0) return Status::InvalidArgument("malformed cursor");
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xFF);
    }
  }
  // Leftover bits (2 or 4) must be zero, or two cursors would name the same key.
  if ((bits & ((1u << bit_count) - 1)) != 0) return Status::InvalidArgument("malformed cursor");
  return out;
}

void WriteNextCursor(JsonWriter& writer, const std::optional<std::string>& next_after) {
  writer.Key("proximo_cursor");
  if (next_after) {
    writer.String(EncodeCursor(*next_after));
  } else {
    writer.Null();
  }
}

}  // namespace estoque::api
