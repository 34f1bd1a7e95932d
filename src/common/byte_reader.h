// ByteReader: reads the fixed-width little-endian integers (common/fixed_encoding.h) and
// length-prefixed strings of the on-disk codecs, refusing to read past the end of its buffer.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace estoque {

// After the first failed read every read fails, so a decoder may check once at the end.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  bool Fixed(T* value) {
    if (failed_ || bytes_.size() - offset_ < sizeof(T)) return Fail();
    std::memcpy(value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return true;
  }

  // A string preceded by its length as a `Length` integer.
  template <typename Length>
  bool String(std::string* value) {
    Length length = 0;
    if (!Fixed(&length)) return false;
    if (bytes_.size() - offset_ < length) return Fail();
    value->assign(bytes_.data() + offset_, length);
    offset_ += length;
    return true;
  }

  // The same, as a view into the buffer (no copy; valid as long as the buffer).
  template <typename Length>
  bool View(std::string_view* value) {
    Length length = 0;
    if (!Fixed(&length)) return false;
    if (bytes_.size() - offset_ < length) return Fail();
    *value = bytes_.substr(offset_, length);
    offset_ += length;
    return true;
  }

  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool failed() const { return failed_; }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }
  std::string_view bytes_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

}  // namespace estoque
