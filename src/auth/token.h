// API key tokens: 256 random bits (OpenSSL's CSPRNG) behind a recognisable prefix, so a leaked
// token is easy to spot in logs and code (secret scanners match the prefix). Only the SHA-256 of a
// token is stored; a token has so much entropy that a plain hash cannot be reversed by guessing.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace estoque::auth {

inline constexpr std::string_view kTokenPrefix = "estq_";
// Bounds of tokens accepted at all (a bootstrap token chosen by the operator must be at least
// this long; generated ones are prefix + 43 base64url characters).
inline constexpr std::size_t kTokenCharsMin = 32;
inline constexpr std::size_t kTokenCharsMax = 256;

// "estq_" + base64url(32 random bytes). Unavailable if the CSPRNG fails.
Result<std::string> GenerateToken();
// "k_" + 16 hex digits (64 random bits): a key's public id.
Result<std::string> GenerateKeyId();
// SHA-256 of the token (32 raw bytes).
std::string HashToken(std::string_view token);
// Constant-time equality of two equal-length byte strings (false if lengths differ).
bool SameBytes(std::string_view a, std::string_view b);

}  // namespace estoque::auth
