// JsonWriter: the one JSON serializer of the API. Appends compact JSON to a std::string, placing
// commas itself. Strings are escaped per RFC 8259 (", \ and control characters); other bytes,
// UTF-8 included, pass through unchanged, so callers must hand it valid UTF-8 (every string we
// write was validated on the way in). Numbers are written from their exact text or from integers,
// never through a double.
#pragma once

#include <array>
#include <cassert>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace estoque::api {

// Not thread-safe; one writer per output string. The output is valid JSON once every Begin* has
// its End*; misuse (End without Begin, a Key outside an object's member position) is a bug.
class JsonWriter {
 public:
  // Nesting this writer supports; our responses use at most 4.
  static constexpr int kDepthMax = 64;

  // `out` must outlive the writer; output is appended.
  explicit JsonWriter(std::string* out) : out_(*out) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // An object member's name; the next call writes its value.
  void Key(std::string_view key) {
    Separate();
    AppendQuoted(key);
    out_ += ':';
    after_key_ = true;
  }

  void String(std::string_view value) {
    Separate();
    AppendQuoted(value);
  }

  // REQUIRES: `json_number_text` is a valid JSON number (e.g. from FormatQuantityMilli).
  void RawNumber(std::string_view json_number_text) {
    assert(!json_number_text.empty());
    Separate();
    out_ += json_number_text;
  }

  void Int(int64_t value) {
    Separate();
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    assert(ec == std::errc());
    out_.append(buffer, end);
  }

  void Uint(uint64_t value) {
    Separate();
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    assert(ec == std::errc());
    out_.append(buffer, end);
  }

  void Bool(bool value) {
    Separate();
    out_ += value ? "true" : "false";
  }

  void Null() {
    Separate();
    out_ += "null";
  }

  // Appends `text` as a quoted, escaped JSON string to `out` (no separators).
  static void AppendQuotedTo(std::string& out, std::string_view text) {
    out += '"';
    const char* run = text.data();
    const char* const end = text.data() + text.size();
    for (const char* p = SkipPlain(run, end); p != end; p = SkipPlain(p + 1, end)) {
      const unsigned char c = static_cast<unsigned char>(*p);
      out.append(run, static_cast<std::size_t>(p - run));
      run = p + 1;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out.append(escaped, sizeof escaped);
        }
      }
    }
    out.append(run, static_cast<std::size_t>(end - run));
    out += '"';
  }

 private:
  // Bytes JSON strings must escape: '"', '\\' and the control characters U+0000..U+001F.
  static constexpr std::array<bool, 256> kNeedsEscape = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = true;
    table['"'] = true;
    table['\\'] = true;
    return table;
  }();

  // The first byte in [p, end) that needs escaping, or `end`. Checks 8 bytes at a time: names and
  // codes rarely need any escape.
  static const char* SkipPlain(const char* p, const char* end) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      // Standard SWAR tests: a byte < 0x20, a byte == '"', a byte == '\\' anywhere in the word.
      const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
      const uint64_t quote = word ^ (kOnes * '"');
      const uint64_t backslash = word ^ (kOnes * '\\');
      const uint64_t has_quote = (quote - kOnes) & ~quote & kHighs;
      const uint64_t has_backslash = (backslash - kOnes) & ~backslash & kHighs;
      if ((below_space | has_quote | has_backslash) != 0) break;
      p += 8;
    }
    while (p != end && !kNeedsEscape[static_cast<unsigned char>(*p)]) ++p;
    return p;
  }

  void Open(char bracket) {
    Separate();
    out_ += bracket;
    assert(depth_ < kDepthMax);
    ++depth_;
    has_member_ &= ~(uint64_t{1} << (depth_ - 1));
  }

  void Close(char bracket) {
    assert(depth_ > 0 && !after_key_);
    --depth_;
    out_ += bracket;
  }

  // Writes the comma before a value unless it is the first in its container or follows a key.
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    const uint64_t bit = uint64_t{1} << (depth_ - 1);
    if (has_member_ & bit) {
      out_ += ',';
    } else {
      has_member_ |= bit;
    }
  }

  void AppendQuoted(std::string_view text) { AppendQuotedTo(out_, text); }

  std::string& out_;
  int depth_ = 0;
  uint64_t has_member_ = 0;  // bit d-1: the container at depth d already has a member
  bool after_key_ = false;
};

}  // namespace estoque::api
