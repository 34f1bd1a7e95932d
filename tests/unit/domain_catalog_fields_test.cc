// The catalog's descriptive-field rules (domain/catalog_fields.h).
#include "domain/catalog_fields.h"

#include <string>

#include <gtest/gtest.h>

namespace estoque::domain {
namespace {

TEST(CatalogText, BoundsAndCharacters) {
  EXPECT_TRUE(ValidateCatalogText("", 10).ok());
  EXPECT_TRUE(ValidateCatalogText("Mercearia", 10).ok());
  EXPECT_TRUE(ValidateCatalogText("S\xC3\xA3o Paulo", 9).ok());  // 9 code points, 10 bytes
  EXPECT_EQ(ValidateCatalogText("S\xC3\xA3o Paulo", 8).message(), "must have at most 8 characters");
  EXPECT_EQ(ValidateCatalogText("a\tb", 10).message(), "must not contain control characters");
  EXPECT_EQ(ValidateCatalogText("a\x7f", 10).message(), "must not contain control characters");
  EXPECT_EQ(ValidateCatalogText("caf\xC3", 10).message(), "not valid UTF-8");
}

TEST(State, TwoUpperCaseLettersOrEmpty) {
  EXPECT_TRUE(ValidateState("").ok());
  EXPECT_TRUE(ValidateState("SP").ok());
  for (const char* bad : {"sp", "S", "SPX", "S1", "\xC3\x89S"}) {
    EXPECT_EQ(ValidateState(bad).message(), "must be two upper-case letters") << bad;
  }
}

TEST(MinStock, NonNegativeAndCountableInTheUnit) {
  EXPECT_TRUE(ValidateMinStock(0, Unit::kUnit).ok());
  EXPECT_TRUE(ValidateMinStock(12'000, Unit::kUnit).ok());
  EXPECT_TRUE(ValidateMinStock(12'345, Unit::kKilogram).ok());
  EXPECT_EQ(ValidateMinStock(12'345, Unit::kUnit).message(), "must be a whole number for unit UN");
  EXPECT_EQ(ValidateMinStock(-1'000, Unit::kLiter).message(), "must not be negative");
}

}  // namespace
}  // namespace estoque::domain
