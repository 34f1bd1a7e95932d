// ByteReader: fixed-width integers and length-prefixed strings, copied or viewed, never read past
// the end of the buffer; after a failed read every read fails.
#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/byte_reader.h"
#include "common/fixed_encoding.h"

namespace estoque {
namespace {

std::string TwoStrings() {
  std::string bytes;
  AppendFixed<uint32_t>(&bytes, 5);
  bytes.append("ledge");
  AppendFixed<uint32_t>(&bytes, 0);
  return bytes;
}

TEST(ByteReader, ViewsPointIntoTheBufferAndCopiesAreEqual) {
  const std::string bytes = TwoStrings();
  ByteReader viewer(bytes);
  std::string_view first;
  std::string_view second = "not empty";
  ASSERT_TRUE(viewer.View<uint32_t>(&first));
  ASSERT_TRUE(viewer.View<uint32_t>(&second));
  EXPECT_EQ(first, "ledge");
  EXPECT_EQ(first.data(), bytes.data() + 4);  // no copy
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(viewer.remaining(), 0u);
  EXPECT_FALSE(viewer.failed());

  ByteReader copier(bytes);
  std::string copied;
  ASSERT_TRUE(copier.String<uint32_t>(&copied));
  EXPECT_EQ(copied, first);
}

TEST(ByteReader, ALengthPastTheEndFailsAndSoDoesEveryLaterRead) {
  std::string bytes;
  AppendFixed<uint32_t>(&bytes, 6);
  bytes.append("short");  // 5 bytes, not 6
  ByteReader reader(bytes);
  std::string_view view = "untouched";
  EXPECT_FALSE(reader.View<uint32_t>(&view));
  EXPECT_EQ(view, "untouched");
  EXPECT_TRUE(reader.failed());
  uint8_t byte = 0;
  EXPECT_FALSE(reader.Fixed(&byte));

  ByteReader truncated(std::string_view(bytes).substr(0, 3));  // not even the length
  EXPECT_FALSE(truncated.View<uint32_t>(&view));
}

}  // namespace
}  // namespace estoque
