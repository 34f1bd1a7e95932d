#include "domain/barcode.h"

#include <gtest/gtest.h>

#include <string>

namespace estoque::domain {
namespace {

TEST(BarcodeTest, AcceptsEightToFourteenDigitsWithoutCheckDigitRule) {
  for (const char* barcode : {"12345678", "123456789012", "5140642011605", "12345678901234",
                              "0423746182527", "00000000"}) {
    EXPECT_TRUE(ValidateBarcode(barcode, /*require_check_digit=*/false).ok()) << barcode;
  }
}

TEST(BarcodeTest, RejectsWrongLengthOrNonDigits) {
  const char* bad[] = {"",          "1234567",         "123456789012345", "1234567a",
                       " 12345678", "12345678 ",       "1234-5678",       "+12345678",
                       "-12345678", "１２３４５６７８", "1234567.",        "12345678\n"};
  for (const char* barcode : bad) {
    const Status status = ValidateBarcode(barcode, false);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << barcode;
    EXPECT_EQ(status.message(), "must be 8 to 14 digits") << barcode;
  }
  // An embedded NUL is not a digit either.
  EXPECT_FALSE(ValidateBarcode(std::string("1234\0" "5678", 9), false).ok());
}

TEST(BarcodeTest, LeadingZerosAreSignificantAndKept) {
  // 0699377035014 is one of the 95 catalog codes with a valid check digit.
  EXPECT_TRUE(ValidateBarcode("0699377035014", true).ok());
  EXPECT_TRUE(ValidateBarcode("0423746182527", false).ok());
  // Without the leading zero it is a different (12-digit) code, and still valid as GTIN-12
  // because zero padding does not change the mod-10 sum.
  EXPECT_TRUE(ValidateBarcode("699377035014", true).ok());
}

TEST(BarcodeTest, GtinCheckDigitTable) {
  struct Case {
    const char* digits;
    bool valid;
  };
  const Case cases[] = {
      {"7891000315507", true},   // GTIN-13 (Brazil, 789)
      {"7730777337407", true},   // from the seed catalog
      {"9026558206122", true},   // from the seed catalog
      {"7977370641429", true},   // from the seed catalog
      {"5140642011605", false},  // the seed's example code: check digit would be 8
      {"5140642011608", true},
      {"7891000315508", false},
      {"7891000315500", false},
      {"96385074", true},          // GTIN-8
      {"96385070", false},
      {"036000291452", true},      // GTIN-12 (UPC-A)
      {"036000291453", false},
      {"10012345678902", true},    // GTIN-14
      {"10012345678903", false},
      {"00000000", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HasValidGtinCheckDigit(c.digits), c.valid) << c.digits;
    const Status status = ValidateBarcode(c.digits, true);
    EXPECT_EQ(status.ok(), c.valid) << c.digits;
    if (!c.valid) {
      EXPECT_EQ(status.message(), "invalid GTIN check digit") << c.digits;
    }
    EXPECT_TRUE(ValidateBarcode(c.digits, false).ok()) << c.digits;
  }
  // Shortest input the function accepts: 4 * 3 = 12, check digit (10 - 12 % 10) % 10 = 8.
  EXPECT_TRUE(HasValidGtinCheckDigit("48"));
  EXPECT_FALSE(HasValidGtinCheckDigit("40"));
  EXPECT_TRUE(HasValidGtinCheckDigit("00"));
}

TEST(BarcodeTest, ExactlyOneCheckDigitIsValidForEveryPrefix) {
  for (const char* prefix : {"789100031550", "000000000000", "999999999999", "1234567"}) {
    int valid = 0;
    for (char d = '0'; d <= '9'; ++d) valid += HasValidGtinCheckDigit(std::string(prefix) + d);
    EXPECT_EQ(valid, 1) << prefix;
  }
}

TEST(BarcodeTest, LengthIsCheckedBeforeCheckDigit) {
  EXPECT_EQ(ValidateBarcode("1234567", true).message(), "must be 8 to 14 digits");
  EXPECT_EQ(ValidateBarcode("abcdefgh", true).message(), "must be 8 to 14 digits");
}

}  // namespace
}  // namespace estoque::domain
