// The on-disk codecs of catalog records (catalog/catalog_codec.h).
#include "catalog/catalog_codec.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace estoque::catalog {
namespace {

Product SampleProduct() {
  Product product;
  product.barcode = "5140642011605";
  product.name = "A\xC3\xA7\xC3\xBA" "car Refinado 1kg";  // Açúcar
  product.unit = domain::Unit::kKilogram;
  product.category = "Mercearia";
  product.min_stock_milli = 12'345;
  product.active = false;
  product.edited_by_api = true;
  product.created_at_us = 1'716'844'591'000'000;
  product.updated_at_us = 1'716'844'591'000'001;
  return product;
}

Branch SampleBranch() {
  Branch branch;
  branch.branch = "loja-centro_2";
  branch.name = "Loja Centro";
  branch.city = "S\xC3\xA3o Paulo";
  branch.state = "SP";
  branch.time_zone = "America/Sao_Paulo";
  branch.active = true;
  branch.allow_negative_stock = true;
  branch.created_at_us = 1;
  branch.updated_at_us = 2;
  return branch;
}

TEST(ProductValueCodec, RoundTrip) {
  const Product original = SampleProduct();
  const std::string encoded = EncodeProductValue(original);
  EXPECT_EQ(encoded.size(), 27 + 4 + original.name.size() + original.category.size());
  EXPECT_EQ(encoded[0], '\x01');  // version
  Product decoded;
  decoded.barcode = original.barcode;  // the key carries it
  ASSERT_TRUE(DecodeProductValue(encoded, &decoded).ok());
  EXPECT_EQ(decoded, original);
}

TEST(ProductValueCodec, EveryUnitFlagAndExtremeRoundTrips) {
  for (domain::Unit unit : {domain::Unit::kUnit, domain::Unit::kKilogram, domain::Unit::kLiter,
                            domain::Unit::kMeter}) {
    for (int flags = 0; flags < 4; ++flags) {
      Product original;
      original.unit = unit;
      original.active = (flags & 1) != 0;
      original.edited_by_api = (flags & 2) != 0;
      original.name = flags == 0 ? "" : std::string(800, 'x');  // registered by a sale: no name
      original.min_stock_milli = std::numeric_limits<int64_t>::max();
      original.created_at_us = std::numeric_limits<int64_t>::min();
      Product decoded;
      ASSERT_TRUE(DecodeProductValue(EncodeProductValue(original), &decoded).ok());
      EXPECT_EQ(decoded, original);
    }
  }
}

TEST(ProductValueCodec, TruncationAtEveryByteIsCorruption) {
  const std::string encoded = EncodeProductValue(SampleProduct());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    Product decoded;
    EXPECT_EQ(DecodeProductValue(std::string_view(encoded).substr(0, size), &decoded).code(),
              StatusCode::kCorruption)
        << "size " << size;
  }
}

TEST(ProductValueCodec, TrailingBytesBadVersionUnitAndFlagsAreCorruption) {
  const std::string encoded = EncodeProductValue(SampleProduct());
  Product decoded;
  EXPECT_EQ(DecodeProductValue(encoded + "x", &decoded).code(), StatusCode::kCorruption);
  for (char version : {'\x00', '\x02', '\xff'}) {
    std::string bad = encoded;
    bad[0] = version;
    EXPECT_EQ(DecodeProductValue(bad, &decoded).code(), StatusCode::kCorruption);
  }
  std::string bad_unit = encoded;
  bad_unit[1] = '\x04';
  EXPECT_EQ(DecodeProductValue(bad_unit, &decoded).code(), StatusCode::kCorruption);
  std::string bad_flags = encoded;
  bad_flags[2] = '\x04';
  EXPECT_EQ(DecodeProductValue(bad_flags, &decoded).code(), StatusCode::kCorruption);
  // A length that points past the end.
  std::string long_name = encoded;
  long_name[27] = '\x7f';
  EXPECT_EQ(DecodeProductValue(long_name, &decoded).code(), StatusCode::kCorruption);
}

TEST(BranchValueCodec, RoundTrip) {
  const Branch original = SampleBranch();
  const std::string encoded = EncodeBranchValue(original);
  EXPECT_EQ(encoded[0], '\x01');
  Branch decoded;
  decoded.branch = original.branch;
  ASSERT_TRUE(DecodeBranchValue(encoded, &decoded).ok());
  EXPECT_EQ(decoded, original);

  Branch empty;  // every text empty, the defaults
  Branch decoded_empty;
  ASSERT_TRUE(DecodeBranchValue(EncodeBranchValue(empty), &decoded_empty).ok());
  EXPECT_EQ(decoded_empty, empty);
}

TEST(BranchValueCodec, CorruptionIsDetected) {
  const std::string encoded = EncodeBranchValue(SampleBranch());
  Branch decoded;
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_EQ(DecodeBranchValue(std::string_view(encoded).substr(0, size), &decoded).code(),
              StatusCode::kCorruption)
        << "size " << size;
  }
  EXPECT_EQ(DecodeBranchValue(encoded + '\0', &decoded).code(), StatusCode::kCorruption);
  std::string bad = encoded;
  bad[0] = '\x02';
  EXPECT_EQ(DecodeBranchValue(bad, &decoded).code(), StatusCode::kCorruption);
  bad = encoded;
  bad[1] = '\x08';
  EXPECT_EQ(DecodeBranchValue(bad, &decoded).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace estoque::catalog
