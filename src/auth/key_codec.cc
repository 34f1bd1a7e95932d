#include "auth/key_codec.h"

#include <cassert>
#include <limits>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

namespace estoque::auth {
namespace {

constexpr uint8_t kVersion = 1;

template <typename Length>
void AppendString(std::string* out, std::string_view text) {
  assert(text.size() <= std::numeric_limits<Length>::max());
  AppendFixed<Length>(out, static_cast<Length>(text.size()));
  out->append(text);
}

}  // namespace

std::string EncodeApiKey(const ApiKeyRecord& record) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  AppendFixed<uint8_t>(&out, static_cast<uint8_t>(record.role));
  AppendFixed<uint16_t>(&out, static_cast<uint16_t>(record.branches.size()));
  for (const std::string& branch : record.branches) AppendString<uint8_t>(&out, branch);
  AppendString<uint16_t>(&out, record.name);
  AppendString<uint8_t>(&out, record.token_hash);
  AppendFixed<int64_t>(&out, record.created_at_us);
  AppendFixed<int64_t>(&out, record.rotated_at_us);
  AppendFixed<int64_t>(&out, record.revoked_at_us);
  AppendString<uint8_t>(&out, record.created_by);
  AppendFixed<uint8_t>(&out, record.rate.has_value() ? 1 : 0);
  if (record.rate.has_value()) {
    AppendFixed<double>(&out, record.rate->per_second);
    AppendFixed<double>(&out, record.rate->burst);
  }
  return out;
}

Status DecodeApiKey(std::string_view value, ApiKeyRecord* out) {
  ByteReader reader(value);
  uint8_t version = 0, role = 0, has_rate = 0;
  uint16_t branch_count = 0;
  reader.Fixed(&version);
  reader.Fixed(&role);
  reader.Fixed(&branch_count);
  out->branches.clear();
  for (uint16_t i = 0; i < branch_count && !reader.failed(); ++i) {
    reader.String<uint8_t>(&out->branches.emplace_back());
  }
  reader.String<uint16_t>(&out->name);
  reader.String<uint8_t>(&out->token_hash);
  reader.Fixed(&out->created_at_us);
  reader.Fixed(&out->rotated_at_us);
  reader.Fixed(&out->revoked_at_us);
  reader.String<uint8_t>(&out->created_by);
  reader.Fixed(&has_rate);
  out->rate.reset();
  if (has_rate == 1) {
    RateOverride rate;
    reader.Fixed(&rate.per_second);
    reader.Fixed(&rate.burst);
    out->rate = rate;
  }
  if (reader.failed() || reader.remaining() != 0 || version != kVersion || role < 1 || role > 4 ||
      has_rate > 1 || out->token_hash.size() != 32) {
    return Status::Corruption("malformed API key record");
  }
  out->role = static_cast<Role>(role);
  return Status::Ok();
}

}  // namespace estoque::auth
