// The "api_keys" value codec: round trips, and every truncation or corrupted byte is either
// Corruption or a canonical record (never a crash, never a silently different reading).
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "auth/key_codec.h"
#include "auth/token.h"

namespace estoque::auth {
namespace {

ApiKeyRecord FullRecord() {
  ApiKeyRecord record;
  record.id = "k_0123456789abcdef";
  record.role = Role::kPdv;
  record.branches = {"1001", "1002", "loja-centro_9"};
  record.name = "PDV 1001 caixa 3 — café";
  record.token_hash = HashToken("estq_some-token-for-the-codec-test-000000");
  record.created_at_us = 1'716'850'591'123'456;
  record.rotated_at_us = 1'716'850'600'000'001;
  record.revoked_at_us = 1'716'850'700'000'002;
  record.created_by = "k_fedcba9876543210";
  record.rate = RateOverride{2.5, 10};
  return record;
}

ApiKeyRecord MinimalRecord() {
  ApiKeyRecord record;
  record.id = "k_00000000000000ff";
  record.role = Role::kAdmin;
  record.name = "a";
  record.token_hash = std::string(32, '\0');
  return record;
}

void ExpectRoundTrip(const ApiKeyRecord& record) {
  const std::string encoded = EncodeApiKey(record);
  ApiKeyRecord decoded;
  decoded.id = record.id;  // the id is the entry's key, not part of the value
  ASSERT_TRUE(DecodeApiKey(encoded, &decoded).ok());
  EXPECT_EQ(decoded, record);
  EXPECT_EQ(EncodeApiKey(decoded), encoded);
}

TEST(AuthKeyCodecTest, RoundTrips) {
  ExpectRoundTrip(FullRecord());
  ExpectRoundTrip(MinimalRecord());
  for (Role role : {Role::kAdmin, Role::kPdv, Role::kLeitura, Role::kIntegracao}) {
    ApiKeyRecord record = FullRecord();
    record.role = role;
    record.rate.reset();
    ExpectRoundTrip(record);
  }
  ApiKeyRecord extremes = FullRecord();
  extremes.name = std::string(200, 'n');
  extremes.branches.assign(1000, std::string(32, 'b'));
  extremes.created_at_us = std::numeric_limits<int64_t>::max();
  extremes.rate = RateOverride{1e9, 1e9};
  ExpectRoundTrip(extremes);
}

TEST(AuthKeyCodecTest, DecodingResetsFieldsOfTheTarget) {
  // A reused output record must not keep branches or a rate of a previous decode.
  ApiKeyRecord out = FullRecord();
  ASSERT_TRUE(DecodeApiKey(EncodeApiKey(MinimalRecord()), &out).ok());
  EXPECT_TRUE(out.branches.empty());
  EXPECT_FALSE(out.rate.has_value());
  EXPECT_EQ(out.name, "a");
}

TEST(AuthKeyCodecTest, EveryTruncationIsCorruption) {
  for (const ApiKeyRecord& record : {FullRecord(), MinimalRecord()}) {
    const std::string encoded = EncodeApiKey(record);
    for (std::size_t size = 0; size < encoded.size(); ++size) {
      ApiKeyRecord out;
      const Status status = DecodeApiKey(std::string_view(encoded).substr(0, size), &out);
      EXPECT_EQ(status.code(), StatusCode::kCorruption) << "truncated to " << size << " bytes";
    }
    ApiKeyRecord out;
    EXPECT_EQ(DecodeApiKey(encoded + '\0', &out).code(), StatusCode::kCorruption) << "trailing byte";
  }
}

TEST(AuthKeyCodecTest, EveryCorruptedByteIsRejectedOrReadExactly) {
  for (const ApiKeyRecord& record : {FullRecord(), MinimalRecord()}) {
    const std::string encoded = EncodeApiKey(record);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      for (unsigned char mask : {0x01, 0x80, 0xff}) {
        std::string corrupted = encoded;
        corrupted[i] = static_cast<char>(corrupted[i] ^ mask);
        ApiKeyRecord out;
        const Status status = DecodeApiKey(corrupted, &out);
        if (status.ok()) {
          // Accepted only as a well-formed record, which then encodes to exactly these bytes.
          EXPECT_EQ(EncodeApiKey(out), corrupted) << "byte " << i << " mask " << int(mask);
          EXPECT_GE(static_cast<int>(out.role), 1);
          EXPECT_LE(static_cast<int>(out.role), 4);
          EXPECT_EQ(out.token_hash.size(), 32u);
        } else {
          EXPECT_EQ(status.code(), StatusCode::kCorruption) << "byte " << i;
        }
      }
    }
  }
}

TEST(AuthKeyCodecTest, StructuralChecks) {
  const std::string good = EncodeApiKey(MinimalRecord());
  ApiKeyRecord out;
  std::string bad_version = good;
  bad_version[0] = 2;
  EXPECT_EQ(DecodeApiKey(bad_version, &out).code(), StatusCode::kCorruption);
  for (int role : {0, 5, 255}) {
    std::string bad_role = good;
    bad_role[1] = static_cast<char>(role);
    EXPECT_EQ(DecodeApiKey(bad_role, &out).code(), StatusCode::kCorruption) << role;
  }
  ApiKeyRecord short_hash = MinimalRecord();
  short_hash.token_hash = std::string(31, 'h');
  EXPECT_EQ(DecodeApiKey(EncodeApiKey(short_hash), &out).code(), StatusCode::kCorruption);
  std::string bad_rate_flag = good;
  bad_rate_flag.back() = 2;  // has_rate is the last byte of a record without a rate
  EXPECT_EQ(DecodeApiKey(bad_rate_flag, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeApiKey("", &out).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::auth
