// Page cursors (api/cursor.h): base64url without padding, canonical, bounded.
#include "api/cursor.h"

#include <string>

#include <gtest/gtest.h>

namespace estoque::api {
namespace {

TEST(Cursor, KnownVectors) {
  // RFC 4648 test vectors, base64url alphabet, no padding.
  EXPECT_EQ(EncodeCursor(""), "");
  EXPECT_EQ(EncodeCursor("f"), "Zg");
  EXPECT_EQ(EncodeCursor("fo"), "Zm8");
  EXPECT_EQ(EncodeCursor("foo"), "Zm9v");
  EXPECT_EQ(EncodeCursor("foob"), "Zm9vYg");
  EXPECT_EQ(EncodeCursor("fooba"), "Zm9vYmE");
  EXPECT_EQ(EncodeCursor("foobar"), "Zm9vYmFy");
  EXPECT_EQ(EncodeCursor(std::string("\xfb\xff\xbf", 3)), "-_-_");  // '+' '/' become '-' '_'
}

TEST(Cursor, RoundTripsEveryByte) {
  std::string raw;
  for (int i = 0; i < 256; ++i) raw += static_cast<char>(i);
  for (std::size_t length = 0; length <= raw.size(); length += 1) {
    const std::string key = raw.substr(0, length);
    const std::string cursor = EncodeCursor(key);
    EXPECT_EQ(cursor.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    auto decoded = DecodeCursor(cursor);
    ASSERT_TRUE(decoded.ok()) << cursor;
    EXPECT_EQ(*decoded, key);
  }
  // Keys with a NUL separator (as store keys have) survive.
  const std::string store_key("5140642011605\0" "1001", 18);
  EXPECT_EQ(*DecodeCursor(EncodeCursor(store_key)), store_key);
}

TEST(Cursor, RejectsMalformed) {
  EXPECT_EQ(*DecodeCursor("Zm8"), "fo");
  // Padding, impossible lengths, foreign characters, and non-zero bits after the last byte
  // ("Zm9" would be a second spelling of "fo").
  for (const std::string bad : {"Zg==", "Z", "Zm9vY", "Zm+v", "Zm/v", "Zm9v!", "Zm 9v", "Zh",
                                "Zm9", "Zm-"}) {
    auto decoded = DecodeCursor(bad);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(Cursor, RejectsOverlong) {
  EXPECT_TRUE(DecodeCursor(std::string(kCursorCharsMax, 'A')).ok());
  EXPECT_FALSE(DecodeCursor(std::string(kCursorCharsMax + 4, 'A')).ok());
}

}  // namespace
}  // namespace estoque::api
