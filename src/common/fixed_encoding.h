// Fixed-width little-endian integers for the on-disk codecs (store/position_codec.cc,
// queue/message_codec.cc). One place, so every format agrees on byte order.
#pragma once

#include <bit>
#include <cstring>
#include <string>

namespace estoque {

static_assert(std::endian::native == std::endian::little,
              "the codecs copy integers as little-endian memory; port them for big-endian hosts");

// Appends the sizeof(T) bytes of `value`, little-endian.
template <typename T>
void AppendFixed(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Reads a T written by AppendFixed. REQUIRES: `in` has sizeof(T) readable bytes.
template <typename T>
T ReadFixed(const char* in) {
  T value;
  std::memcpy(&value, in, sizeof(T));
  return value;
}

}  // namespace estoque
