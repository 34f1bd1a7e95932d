// Hand-written JSON output for the load generator's hot path: no DOM, no allocation beyond the
// caller's (reused) string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace estoque::load {

// Appends `text` to `out` as a quoted JSON string: '"', '\\' and control characters (< 0x20) are
// escaped per RFC 8259; every other byte (UTF-8 included) passes through unchanged.
void AppendJsonString(std::string* out, std::string_view text);

// Appends the decimal digits of `value` to `out`.
void AppendUint(std::string* out, uint64_t value);

// The same through a raw pointer into a buffer the caller sized: each writes at `p` and returns
// the end. For bodies written into a string's existing capacity (no per-byte capacity checks).
char* PutText(char* p, std::string_view text);
char* PutUint(char* p, uint64_t value);  // at most 20 chars

}  // namespace estoque::load
