// The on-disk codec of queue messages.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "queue/message_codec.h"

namespace estoque::queue {
namespace {

Message SampleMessage() {
  Message message;
  message.enqueued_at_us = 1'716'844'591'123'456;
  for (int i = 0; i < 3; ++i) {
    domain::Position item;
    item.barcode = "514064201160" + std::to_string(i);
    item.branch = i % 2 == 0 ? "1001" : "filial-sp_02";
    item.product_name = "Caf\xC3\xA9 " + std::to_string(i);
    item.quantity_milli = (i - 1) * 1'000'500;
    item.updated_at_us = 1'716'844'000'000'000 + i;
    message.items.push_back(item);
  }
  message.sales.push_back(domain::Sale{"v-1", "1001", {{"7891000100103", 2'000}, {"7891000100103", 500}},
                                       1'716'844'000'000'001, "pdv"});
  message.sales.push_back(domain::Sale{"v-2", "filial-sp_02", {}, 7, "key_abc"});
  message.cancels.push_back(domain::SaleCancel{"v-0", "1001", 1'716'844'000'000'002, "pdv"});
  return message;
}

void ExpectEqualMessages(const Message& a, const Message& b) {
  EXPECT_EQ(a.enqueued_at_us, b.enqueued_at_us);
  ASSERT_EQ(a.items.size(), b.items.size());
  for (std::size_t i = 0; i < a.items.size(); ++i) EXPECT_EQ(a.items[i], b.items[i]) << i;
  EXPECT_EQ(a.sales, b.sales);
  EXPECT_EQ(a.cancels, b.cancels);
}

TEST(MessageCodec, RoundTrip) {
  const Message original = SampleMessage();
  const std::string encoded = EncodeMessage(original);
  EXPECT_EQ(encoded[0], '\x02');
  Result<Message> decoded = DecodeMessage(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectEqualMessages(*decoded, original);
}

TEST(MessageCodec, VersionOneMessagesStillDecode) {
  // A v1 message (the core issue's layout, still in a queue after an upgrade) is a v2 message's
  // items part without the sale and cancel counts.
  Message positions_only = SampleMessage();
  positions_only.sales.clear();
  positions_only.cancels.clear();
  std::string v1 = EncodeMessage(positions_only);
  v1.resize(v1.size() - 8);  // two empty u32 counts
  v1[0] = '\x01';
  Result<Message> decoded = DecodeMessage(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectEqualMessages(*decoded, positions_only);
}

TEST(MessageCodec, EmptyAndExtremeMessagesRoundTrip) {
  Message empty;
  Result<Message> decoded = DecodeMessage(EncodeMessage(empty));
  ASSERT_TRUE(decoded.ok());
  ExpectEqualMessages(*decoded, empty);

  Message extreme;
  extreme.enqueued_at_us = std::numeric_limits<int64_t>::min();
  domain::Position item;
  item.barcode = std::string(255, '9');
  item.branch = std::string(255, 'b');
  item.product_name = std::string(65535, 'n');
  item.quantity_milli = std::numeric_limits<int64_t>::max();
  item.updated_at_us = std::numeric_limits<int64_t>::min();
  extreme.items.assign(2, item);
  decoded = DecodeMessage(EncodeMessage(extreme));
  ASSERT_TRUE(decoded.ok());
  ExpectEqualMessages(*decoded, extreme);
}

TEST(MessageCodec, TruncationAtEveryByteIsCorruption) {
  const std::string encoded = EncodeMessage(SampleMessage());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(DecodeMessage(encoded.substr(0, size)).status().code(), StatusCode::kCorruption)
        << "size " << size;
  }
}

TEST(MessageCodec, TrailingBytesAndBadVersionAreCorruption) {
  const std::string encoded = EncodeMessage(SampleMessage());
  EXPECT_EQ(DecodeMessage(encoded + "!").status().code(), StatusCode::kCorruption);
  for (char version : {'\x00', '\x03', '\x7f'}) {
    std::string bad = encoded;
    bad[0] = version;
    EXPECT_EQ(DecodeMessage(bad).status().code(), StatusCode::kCorruption);
  }
}

TEST(MessageCodec, HugeItemCountIsCorruptionWithoutAllocating) {
  std::string encoded = EncodeMessage(SampleMessage());
  const uint32_t huge = std::numeric_limits<uint32_t>::max();
  std::memcpy(&encoded[9], &huge, sizeof(huge));  // item_count follows version and enqueued_at
  EXPECT_EQ(DecodeMessage(encoded).status().code(), StatusCode::kCorruption);
}

TEST(MessageCodec, FewerItemsThanClaimedIsCorruption) {
  std::string encoded = EncodeMessage(SampleMessage());
  const uint32_t four = 4;
  std::memcpy(&encoded[9], &four, sizeof(four));
  EXPECT_EQ(DecodeMessage(encoded).status().code(), StatusCode::kCorruption);
  const uint32_t two = 2;
  std::memcpy(&encoded[9], &two, sizeof(two));  // now the third item is trailing garbage
  EXPECT_EQ(DecodeMessage(encoded).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::queue
