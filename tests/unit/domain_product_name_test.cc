#include "domain/product_name.h"

#include <gtest/gtest.h>

#include <string>

namespace estoque::domain {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ProductNameTest, AcceptsValidNames) {
  for (const std::string& name :
       {std::string("Café"), std::string("Pimentão"), std::string("Lustra-Móveis"),
        std::string("Esponja de Aço"), std::string("x"), std::string("日本茶"),
        std::string("\xF0\x9F\x8D\x8E maçã"),   // U+1F34E (4-byte)
        std::string("\xF4\x8F\xBF\xBF"),         // U+10FFFF, the last code point
        std::string("\xEF\xBF\xBF"),             // U+FFFF (noncharacter, but valid UTF-8)
        std::string("\xC2\x80"),                 // U+0080 (C1 control: allowed by the contract)
        std::string("\xED\x9F\xBF"),             // U+D7FF, just below the surrogates
        std::string("\xEE\x80\x80"),             // U+E000, just above the surrogates
        std::string("\xE0\xA0\x80"),             // U+0800, smallest 3-byte
        std::string("\xF0\x90\x80\x80"),         // U+10000, smallest 4-byte
        std::string("a~ !\"#$%&'()*+,-./\\")}) {
    EXPECT_TRUE(ValidateProductName(name).ok()) << name;
  }
}

TEST(ProductNameTest, RejectsInvalidUtf8) {
  const std::string bad[] = {
      "\x80",                  // lone continuation
      "\xBF",                  //
      "caf\xC3",               // truncated 2-byte
      "\xE2\x82",              // truncated 3-byte
      "\xF0\x9F\x8D",          // truncated 4-byte
      "\xC0\xAF",              // overlong '/'
      "\xC1\xBF",              // overlong
      "\xE0\x80\xAF",          // overlong 3-byte
      "\xE0\x9F\xBF",          // overlong U+07FF
      "\xF0\x80\x80\xAF",      // overlong 4-byte
      "\xF0\x8F\xBF\xBF",      // overlong U+FFFF
      "\xED\xA0\x80",          // U+D800 surrogate
      "\xED\xBF\xBF",          // U+DFFF surrogate
      "\xF4\x90\x80\x80",      // U+110000
      "\xF5\x80\x80\x80",      // lead F5
      "\xFE",                  //
      "\xFF",                  //
      "\xC3\x28",              // bad continuation
      "\xE2\x28\xA1",          //
      "\xE2\x82\x28",          //
      "\xF0\x9F\x8D\x28",      //
      "Caf\xE9",               // Latin-1 "Café"
  };
  for (const std::string& name : bad) {
    const Status status = ValidateProductName(name);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(status.message(), "not valid UTF-8") << name;
    EXPECT_EQ(CountUtf8CodePoints(name), -1) << name;
  }
}

TEST(ProductNameTest, RejectsControlCharacters) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string name = std::string("a") + static_cast<char>(c) + "b";
    const Status status = ValidateProductName(name);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c;
    EXPECT_EQ(status.message(), "must not contain control characters") << c;
  }
  EXPECT_FALSE(ValidateProductName("a\x7f").ok());
  EXPECT_FALSE(ValidateProductName(std::string("\0", 1)).ok());
  EXPECT_TRUE(ValidateProductName("a b").ok());  // space is not a control
}

TEST(ProductNameTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountUtf8CodePoints(""), 0);
  EXPECT_EQ(CountUtf8CodePoints("Café"), 4);
  EXPECT_EQ(CountUtf8CodePoints("日本茶"), 3);
  EXPECT_EQ(CountUtf8CodePoints("\xF0\x9F\x8D\x8E"), 1);

  EXPECT_TRUE(ValidateProductName(Repeat("é", 200)).ok());  // 400 bytes, 200 code points
  EXPECT_TRUE(ValidateProductName(Repeat("\xF0\x9F\x8D\x8E", 200)).ok());
  EXPECT_TRUE(ValidateProductName(std::string(200, 'a')).ok());
  EXPECT_EQ(ValidateProductName(std::string(201, 'a')).message(), "must have 1 to 200 characters");
  EXPECT_EQ(ValidateProductName(Repeat("é", 201)).message(), "must have 1 to 200 characters");
  EXPECT_EQ(ValidateProductName("").message(), "must have 1 to 200 characters");
}

TEST(ProductNameTest, EveryTwoByteLeadIsClassifiedCorrectly) {
  for (int lead = 0x80; lead < 0x100; ++lead) {
    const std::string name = {static_cast<char>(lead), '\x80'};
    EXPECT_EQ(ValidateProductName(name).ok(), lead >= 0xC2 && lead <= 0xDF) << lead;
  }
}

}  // namespace
}  // namespace estoque::domain
