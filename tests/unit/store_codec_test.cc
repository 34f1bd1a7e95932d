// The on-disk codecs of the store (position values, counters) and the shared key encodings.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "store/position_codec.h"
#include "store/rocksdb_engine.h"

namespace estoque::store {
namespace {

domain::Position SamplePosition() {
  domain::Position position;
  position.barcode = "5140642011605";
  position.branch = "1001";
  position.product_name = "Caf\xC3\xA9 Torrado e Mo\xC3\xAD" "do 500g";
  position.quantity_milli = 3'011'000;
  position.updated_at_us = 1'716'844'591'000'000;
  return position;
}

TEST(PositionValueCodec, RoundTrip) {
  const domain::Position original = SamplePosition();
  const std::string encoded = EncodePositionValue(original);
  EXPECT_EQ(encoded.size(), 19 + original.product_name.size());
  EXPECT_EQ(encoded[0], '\x01');  // version

  domain::Position decoded;
  decoded.barcode = original.barcode;  // the key carries these
  decoded.branch = original.branch;
  ASSERT_TRUE(DecodePositionValue(encoded, &decoded).ok());
  EXPECT_EQ(decoded, original);
}

TEST(PositionValueCodec, ExtremeValuesRoundTrip) {
  domain::Position original;
  original.product_name = std::string(800, 'x');
  original.quantity_milli = std::numeric_limits<int64_t>::min();
  original.updated_at_us = std::numeric_limits<int64_t>::max();
  domain::Position decoded;
  ASSERT_TRUE(DecodePositionValue(EncodePositionValue(original), &decoded).ok());
  EXPECT_EQ(decoded, original);

  original.product_name.clear();
  original.quantity_milli = -1;
  original.updated_at_us = 0;
  ASSERT_TRUE(DecodePositionValue(EncodePositionValue(original), &decoded).ok());
  EXPECT_EQ(decoded, original);
}

TEST(PositionValueCodec, EncodeToReusesBufferAndMatches) {
  std::string buffer = "leftover bytes that must disappear";
  EncodePositionValueTo(SamplePosition(), &buffer);
  EXPECT_EQ(buffer, EncodePositionValue(SamplePosition()));
}

TEST(PositionValueCodec, TruncationAtEveryByteIsCorruption) {
  const std::string encoded = EncodePositionValue(SamplePosition());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    domain::Position decoded;
    Status status = DecodePositionValue(std::string_view(encoded).substr(0, size), &decoded);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << "size " << size;
  }
}

TEST(PositionValueCodec, TrailingBytesAndBadVersionAreCorruption) {
  const std::string encoded = EncodePositionValue(SamplePosition());
  domain::Position decoded;
  EXPECT_EQ(DecodePositionValue(encoded + "x", &decoded).code(), StatusCode::kCorruption);
  for (char version : {'\x00', '\x02', '\xff'}) {
    std::string bad = encoded;
    bad[0] = version;
    EXPECT_EQ(DecodePositionValue(bad, &decoded).code(), StatusCode::kCorruption);
  }
}

TEST(CountersCodec, RoundTrip) {
  ApplyCounters counters;
  counters.applied_messages_total = 1;
  counters.applied_items_total = std::numeric_limits<uint64_t>::max();
  counters.dropped_older_items_total = 1234567890123ull;
  const std::string encoded = EncodeCounters(counters);
  EXPECT_EQ(encoded.size(), 25u);
  Result<ApplyCounters> decoded = DecodeCounters(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->applied_messages_total, counters.applied_messages_total);
  EXPECT_EQ(decoded->applied_items_total, counters.applied_items_total);
  EXPECT_EQ(decoded->dropped_older_items_total, counters.dropped_older_items_total);
}

TEST(CountersCodec, TruncationTrailingBytesAndBadVersionAreCorruption) {
  const std::string encoded = EncodeCounters(ApplyCounters{3, 2, 1});
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(DecodeCounters(encoded.substr(0, size)).status().code(), StatusCode::kCorruption)
        << "size " << size;
  }
  EXPECT_EQ(DecodeCounters(encoded + '\0').status().code(), StatusCode::kCorruption);
  std::string bad = encoded;
  bad[0] = '\x02';
  EXPECT_EQ(DecodeCounters(bad).status().code(), StatusCode::kCorruption);
}

TEST(KeyEncoding, PositionAndBranchKeys) {
  EXPECT_EQ(PositionKey("0423746182527", "1001"), std::string("0423746182527\0" "1001", 18));
  EXPECT_EQ(BranchIndexKey("1001", "0423746182527"), std::string("1001\0" "0423746182527", 18));
  // A barcode that is a prefix of another sorts first, whatever the branch.
  EXPECT_LT(PositionKey("12345678", "zz"), PositionKey("123456789", "00"));
}

TEST(KeyEncoding, QueueKeysRoundTripAndSortInIdOrder) {
  const uint64_t ids[] = {0, 1, 255, 256, 65535, 1ull << 32, (1ull << 56) + 7,
                          std::numeric_limits<uint64_t>::max()};
  std::string previous;
  for (uint64_t id : ids) {
    const std::string key = QueueKey(id);
    ASSERT_EQ(key.size(), 8u);
    EXPECT_EQ(DecodeQueueKey(key), id);
    if (!previous.empty()) {
      EXPECT_LT(previous, key) << id;  // bytewise, like RocksDB
    }
    previous = key;
  }
}

}  // namespace
}  // namespace estoque::store
