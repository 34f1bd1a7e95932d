// API key tokens and ids: format, prefix, uniqueness, the stored hash, constant-time comparison.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "auth/token.h"

namespace estoque::auth {
namespace {

bool IsBase64Url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

TEST(AuthTokenTest, TokenHasThePrefixAnd256RandomBitsInBase64Url) {
  Result<std::string> token = GenerateToken();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  ASSERT_EQ(token->rfind(kTokenPrefix, 0), 0u) << *token;
  // 32 bytes = 256 bits -> ceil(256 / 6) = 43 base64url characters, no padding.
  EXPECT_EQ(token->size(), kTokenPrefix.size() + 43) << *token;
  for (std::size_t i = kTokenPrefix.size(); i < token->size(); ++i) {
    EXPECT_TRUE(IsBase64Url((*token)[i])) << *token << " at " << i;
  }
  EXPECT_GE(token->size(), kTokenCharsMin);
  EXPECT_LE(token->size(), kTokenCharsMax);
}

TEST(AuthTokenTest, TokensAndIdsAreUnique) {
  std::set<std::string> tokens, ids;
  for (int i = 0; i < 2000; ++i) {
    Result<std::string> token = GenerateToken();
    Result<std::string> id = GenerateKeyId();
    ASSERT_TRUE(token.ok() && id.ok());
    EXPECT_TRUE(tokens.insert(*token).second) << "repeated token " << *token;
    EXPECT_TRUE(ids.insert(*id).second) << "repeated id " << *id;
  }
}

TEST(AuthTokenTest, KeyIdIsKUnderscoreAnd16HexDigits) {
  Result<std::string> id = GenerateKeyId();
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(id->size(), 18u) << *id;
  EXPECT_EQ(id->substr(0, 2), "k_");
  for (std::size_t i = 2; i < id->size(); ++i) {
    const char c = (*id)[i];
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << *id;
  }
}

TEST(AuthTokenTest, HashIsSha256) {
  EXPECT_EQ(HashToken("abc").size(), 32u);
  EXPECT_EQ(Hex(HashToken("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(HashToken("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Result<std::string> token = GenerateToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(HashToken(*token), HashToken(*token));  // deterministic
  EXPECT_EQ(HashToken(*token).size(), 32u);
  EXPECT_NE(HashToken(*token), HashToken(*token + "x"));
  EXPECT_EQ(HashToken(*token).find(*token), std::string::npos);
}

TEST(AuthTokenTest, SameBytes) {
  EXPECT_TRUE(SameBytes("", ""));
  EXPECT_TRUE(SameBytes("abc", "abc"));
  EXPECT_FALSE(SameBytes("abc", "abcd"));
  EXPECT_FALSE(SameBytes("abcd", "abc"));
  EXPECT_FALSE(SameBytes("", "a"));
  const std::string hash = HashToken("estq_token");
  EXPECT_TRUE(SameBytes(hash, std::string(hash)));
  for (std::size_t i = 0; i < hash.size(); ++i) {  // a difference at any position counts
    std::string other = hash;
    other[i] = static_cast<char>(other[i] ^ 0x01);
    EXPECT_FALSE(SameBytes(hash, other)) << "byte " << i;
  }
  // Embedded zero bytes are compared too (not C strings).
  EXPECT_FALSE(SameBytes(std::string("a\0b", 3), std::string("a\0c", 3)));
  EXPECT_TRUE(SameBytes(std::string("a\0b", 3), std::string("a\0b", 3)));
}

}  // namespace
}  // namespace estoque::auth
