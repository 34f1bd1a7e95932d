// Value of an "api_keys" entry (key: the key's id):
//   u8 version=1 | u8 role | u16 branch_count | { u8 len | filial }* | u16 name_len | name |
//   u8 hash_len | token_hash | i64 created_at_us | i64 rotated_at_us | i64 revoked_at_us |
//   u8 created_by_len | created_by | u8 has_rate | [f64 per_second | f64 burst]   (little-endian)
#pragma once

#include <string>
#include <string_view>

#include "auth/api_key.h"
#include "common/result.h"

namespace estoque::auth {

std::string EncodeApiKey(const ApiKeyRecord& record);
// Every field but id (the entry's key). Corruption if malformed.
[[nodiscard]] Status DecodeApiKey(std::string_view value, ApiKeyRecord* out);

}  // namespace estoque::auth
