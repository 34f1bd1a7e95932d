#include "domain/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "common/limits.h"

namespace estoque::domain {
namespace {

constexpr int64_t kMax = limits::kQuantityAbsMilliMax;

TEST(QuantityTest, ParsesExactJsonNumbers) {
  struct Case {
    const char* text;
    int64_t milli;
  };
  const Case cases[] = {
      {"0", 0},
      {"-0", 0},
      {"0.0", 0},
      {"-0.000", 0},
      {"0e0", 0},
      {"0E+5", 0},
      {"0.000e999999999999999999999", 0},
      {"3011", 3011000},
      {"-3011", -3011000},
      {"1", 1000},
      {"12.345", 12345},
      {"12.3450", 12345},
      {"12.345000000000000000000", 12345},
      {"-0.5", -500},
      {"0.001", 1},
      {"-0.001", -1},
      {"1.2e3", 1200000},
      {"1.2E3", 1200000},
      {"1.2e+3", 1200000},
      {"12345e-3", 12345},
      {"12345E-3", 12345},
      {"1e-3", 1},
      {"1000e-6", 1},
      {"1.5e-2", 15},
      {"0.0012e3", 1200},
      {"1e12", kMax},
      {"-1e12", -kMax},
      {"1000000000000", kMax},
      {"1000000000000.000", kMax},
      {"999999999999.999", kMax - 1},
      {"-999999999999.999", -(kMax - 1)},
      {"0.000000000000000000001e21", 1000},
      {"10000000000000000000000e-10", kMax},
      {"100", 100000},
      {"1e0", 1000},
      {"1e-0", 1000},
      {"1e00003", 1000000},
  };
  for (const Case& c : cases) {
    const Result<int64_t> result = ParseQuantityMilli(c.text);
    ASSERT_TRUE(result.ok()) << c.text << ": " << result.status().ToString();
    EXPECT_EQ(*result, c.milli) << c.text;
  }
}

TEST(QuantityTest, RejectsNonJsonNumbers) {
  const char* bad[] = {"",      "-",     "+1",   "01",    "-01",  "00",   "1.",    ".5",
                       "-.5",   "1.e3",  "1e",   "1e+",   "1e-",  "e3",   "1E",    "NaN",
                       "nan",   "Infinity", "-Infinity", "inf", "0x10", "1 ",   " 1",   "1,5",
                       "1_000", "--1",   "1-",   "1.2.3", "1e3.5", "1ee3", "\"1\"", "true",
                       "null",  "1e+-3", "0.1f", "١",    "1\n",  "½"};
  for (const char* text : bad) {
    const Result<int64_t> result = ParseQuantityMilli(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(result.status().message(), "not a JSON number") << text;
  }
  EXPECT_FALSE(ParseQuantityMilli(std::string("1\0", 2)).ok());
}

TEST(QuantityTest, RejectsMoreThanThreeDecimals) {
  for (const char* text : {"1.0001", "0.0001", "-0.0001", "12.3451", "1e-4", "0.00001",
                           "12345e-4", "1.5e-3", "1e-99999999999999999999999",
                           "0.0000000000000000000000001", "999999999999.9999"}) {
    const Result<int64_t> result = ParseQuantityMilli(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.status().message(), "more than 3 decimal places") << text;
  }
}

TEST(QuantityTest, RejectsOutOfRangeWithoutOverflow) {
  for (const char* text :
       {"1000000000000.001", "-1000000000000.001", "1000000000001", "1e13", "1.000000000001e12",
        "9223372036854775807", "-9223372036854775808", "18446744073709551616",
        "99999999999999999999999999999999999999999", "1e99999999999999999999999", "1e308",
        "1e309", "-1e400", "1e16", "1e15", "10e12", "0.1e14", "9223372036854775.807",
        "123456789012345678901234567890e-3"}) {
    const Result<int64_t> result = ParseQuantityMilli(text);
    ASSERT_FALSE(result.ok()) << text;
    EXPECT_EQ(result.status().message(), "out of range (|value| <= 10^12)") << text;
  }
  // A very long run of digits (well under the request body limit) still parses in linear time.
  std::string long_number = "1" + std::string(100000, '0') + "e-99988";
  const Result<int64_t> result = ParseQuantityMilli(long_number);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(*result, kMax);
  EXPECT_FALSE(ParseQuantityMilli("1" + std::string(100000, '0')).ok());
}

TEST(QuantityTest, FormatsShortestExact) {
  struct Case {
    int64_t milli;
    const char* text;
  };
  const Case cases[] = {
      {0, "0"},           {3011000, "3011"},   {12345, "12.345"},  {-500, "-0.5"},
      {1, "0.001"},       {-1, "-0.001"},      {10, "0.01"},       {100, "0.1"},
      {1000, "1"},        {1200, "1.2"},       {1230, "1.23"},     {-3011000, "-3011"},
      {kMax, "1000000000000"}, {-kMax, "-1000000000000"}, {kMax - 1, "999999999999.999"},
      {std::numeric_limits<int64_t>::max(), "9223372036854775.807"},
      {std::numeric_limits<int64_t>::min(), "-9223372036854775.808"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatQuantityMilli(c.milli), c.text) << c.milli;
}

TEST(QuantityTest, RoundTripsEveryValueInRange) {
  std::mt19937_64 random(12345);
  std::uniform_int_distribution<int64_t> any(-kMax, kMax);
  std::uniform_int_distribution<int64_t> small(-100000, 100000);
  for (int i = 0; i < 200000; ++i) {
    const int64_t milli = i % 2 ? any(random) : small(random);
    const std::string text = FormatQuantityMilli(milli);
    const Result<int64_t> parsed = ParseQuantityMilli(text);
    ASSERT_TRUE(parsed.ok()) << text;
    ASSERT_EQ(*parsed, milli) << text;
  }
  for (int64_t milli : {int64_t{0}, kMax, -kMax, int64_t{1}, int64_t{-1}}) {
    EXPECT_EQ(*ParseQuantityMilli(FormatQuantityMilli(milli)), milli);
  }
}

TEST(QuantityTest, EquivalentSpellingsParseToTheSameValue) {
  for (const char* text : {"12.345", "12.3450", "1.2345e1", "1234.5e-2", "0.012345e3",
                           "12345e-3", "12345000e-6", "1.2345E+1"}) {
    const Result<int64_t> result = ParseQuantityMilli(text);
    ASSERT_TRUE(result.ok()) << text;
    EXPECT_EQ(*result, 12345) << text;
  }
}

}  // namespace
}  // namespace estoque::domain
