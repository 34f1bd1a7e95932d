#include "domain/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>

namespace estoque::domain {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kHour = 3600 * kMicrosPerSecond;

class TimestampTest : public ::testing::Test {
 protected:
  TimestampTest()
      : sao_paulo_(*TimeZone::Locate("America/Sao_Paulo")), utc_(*TimeZone::Locate("UTC")) {}

  int64_t ParseOk(const std::string& text, const TimeZone& zone) {
    const Result<int64_t> result = ParseTimestampMicros(text, zone);
    EXPECT_TRUE(result.ok()) << text << ": " << result.status().ToString();
    return result.ok() ? *result : -1;
  }
  std::string ParseError(const std::string& text, const TimeZone& zone) {
    const Result<int64_t> result = ParseTimestampMicros(text, zone);
    EXPECT_FALSE(result.ok()) << text << " parsed as " << (result.ok() ? *result : 0);
    if (result.ok()) return "";
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << text;
    return result.status().message();
  }

  TimeZone sao_paulo_;
  TimeZone utc_;
};

// 2024-05-27T21:16:31-03:00 (the seed's example time, read in Sao Paulo).
constexpr int64_t kSeedExample = 1716855391000000;

TEST_F(TimestampTest, LocatesZones) {
  EXPECT_EQ(sao_paulo_.name(), "America/Sao_Paulo");
  EXPECT_EQ(utc_.name(), "UTC");
  const Result<TimeZone> missing = TimeZone::Locate("Mars/Olympus_Mons");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(TimeZone::Locate("").ok());
}

TEST_F(TimestampTest, SeedFormatIsReadInTheGivenZone) {
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31", utc_), kSeedExample - 3 * kHour);
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31.123456", sao_paulo_), kSeedExample + 123456);
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31.1", sao_paulo_), kSeedExample + 100000);
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31.000001", sao_paulo_), kSeedExample + 1);
  EXPECT_EQ(ParseOk("2024-05-27 21:16:31.12", sao_paulo_), kSeedExample + 120000);
  EXPECT_EQ(ParseOk("1970-01-01 00:00:00", utc_), 0);
  EXPECT_EQ(ParseOk("1970-01-01 00:00:00", sao_paulo_), 3 * kHour);
  EXPECT_EQ(ParseOk("9999-12-31 23:59:59.999999", utc_), 253402300799999999);
}

TEST_F(TimestampTest, Rfc3339WithOffsets) {
  EXPECT_EQ(ParseOk("2024-05-27T21:16:31-03:00", utc_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28T00:16:31Z", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28t00:16:31z", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28T00:16:31+00:00", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28T00:16:31-00:00", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28 00:16:31Z", sao_paulo_), kSeedExample);  // ' ' separator ok
  EXPECT_EQ(ParseOk("2024-05-28T05:46:31+05:30", sao_paulo_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-28T23:59:31+23:43", utc_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-27T00:33:31-23:43", utc_), kSeedExample);
  EXPECT_EQ(ParseOk("2024-05-27T21:16:31.123456-03:00", utc_), kSeedExample + 123456);
  EXPECT_EQ(ParseOk("2024-05-27T21:16:31.5-03:00", utc_), kSeedExample + 500000);
  EXPECT_EQ(ParseOk("2024-05-28T00:16:31.000000Z", utc_), kSeedExample);
  // The offset wins over the zone, even in a Sao Paulo DST gap.
  EXPECT_EQ(ParseOk("2018-11-04T00:30:00-03:00", sao_paulo_), 1541302200000000);
}

TEST_F(TimestampTest, SaoPauloDaylightSavingHistory) {
  // Summer 2018: DST (-02:00).
  EXPECT_EQ(ParseOk("2018-01-15 12:00:00", sao_paulo_), 1516024800000000);
  EXPECT_EQ(ParseOk("2018-01-15T14:00:00Z", sao_paulo_), 1516024800000000);
  // 2018-11-04 00:00 local jumped to 01:00: 00:00..00:59:59.999999 never happened.
  EXPECT_EQ(ParseOk("2018-11-03 23:59:59", sao_paulo_), 1541300399000000);
  EXPECT_EQ(ParseOk("2018-11-04 01:00:00", sao_paulo_), 1541300400000000);
  for (const char* gap : {"2018-11-04 00:00:00", "2018-11-04 00:30:00", "2018-11-04 00:59:59.999999"}) {
    EXPECT_EQ(ParseError(gap, sao_paulo_), "time does not exist in America/Sao_Paulo (DST gap)")
        << gap;
  }
  // 2019-02-17 00:00 local (-02) fell back to 2019-02-16 23:00 (-03): 23:xx happened twice.
  // Ambiguous times resolve to the earliest instant (the -02:00 reading).
  EXPECT_EQ(ParseOk("2019-02-16 23:30:00", sao_paulo_), ParseOk("2019-02-17T01:30:00Z", utc_));
  EXPECT_EQ(ParseOk("2019-02-16 23:00:00", sao_paulo_), ParseOk("2019-02-17T01:00:00Z", utc_));
  EXPECT_EQ(ParseOk("2019-02-16 23:59:59", sao_paulo_), ParseOk("2019-02-17T01:59:59Z", utc_));
  EXPECT_EQ(ParseOk("2019-02-16 22:59:59", sao_paulo_), 1550365199000000);
  EXPECT_EQ(ParseOk("2019-02-17 00:00:00", sao_paulo_), 1550372400000000);
  // Since 2019 there is no DST: a November local midnight exists.
  EXPECT_EQ(ParseOk("2023-11-05 00:30:00", sao_paulo_), ParseOk("2023-11-05T03:30:00Z", utc_));
}

TEST_F(TimestampTest, CacheDoesNotLeakAcrossPeriodsOrZones) {
  // Alternate between periods and zones so a per-thread cache that was too eager would show.
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(ParseOk("2018-11-03 23:59:59", sao_paulo_), 1541300399000000);
    EXPECT_EQ(ParseError("2018-11-04 00:30:00", sao_paulo_),
              "time does not exist in America/Sao_Paulo (DST gap)");
    EXPECT_EQ(ParseOk("2018-11-04 01:00:00", sao_paulo_), 1541300400000000);
    EXPECT_EQ(ParseOk("2018-11-04 01:00:00", utc_), 1541293200000000);
    EXPECT_EQ(ParseOk("2019-02-16 23:30:00", sao_paulo_), 1550367000000000);
    EXPECT_EQ(ParseOk("2019-02-16 22:59:59", sao_paulo_), 1550365199000000);
  }
}

TEST_F(TimestampTest, ValidatesCalendarDates) {
  EXPECT_EQ(ParseOk("2024-02-29 12:00:00", utc_), 1709208000000000);  // leap year
  EXPECT_EQ(ParseOk("2000-02-29 00:00:00", utc_), 951782400000000);   // divisible by 400
  EXPECT_EQ(ParseOk("2024-12-31 23:59:59", utc_) + kMicrosPerSecond,
            ParseOk("2025-01-01 00:00:00", utc_));
  for (const char* bad : {"2023-02-29 12:00:00", "2100-02-29 00:00:00",
                          "2024-02-30 00:00:00", "2024-04-31 00:00:00", "2024-06-31 00:00:00",
                          "2024-09-31 00:00:00", "2024-11-31 00:00:00", "2024-01-32 00:00:00",
                          "2024-00-10 00:00:00", "2024-13-01 00:00:00", "2024-01-00 00:00:00",
                          "2024-99-99T00:00:00Z"}) {
    EXPECT_EQ(ParseError(bad, utc_), "invalid date") << bad;
  }
  EXPECT_EQ(ParseError("1900-02-29 00:00:00", utc_), "year must be 1970 to 9999");
}

TEST_F(TimestampTest, ValidatesTimeOfDayOffsetsAndYears) {
  for (const char* bad : {"2024-05-27 24:00:00", "2024-05-27 23:60:00", "2024-05-27 23:59:60",
                          "2024-05-27T25:00:00Z", "2024-05-27 99:99:99"}) {
    EXPECT_EQ(ParseError(bad, utc_), "invalid time of day") << bad;
  }
  for (const char* bad : {"2024-05-27T21:16:31+24:00", "2024-05-27T21:16:31-24:00",
                          "2024-05-27T21:16:31+05:60", "2024-05-27T21:16:31+99:00"}) {
    EXPECT_EQ(ParseError(bad, utc_), "invalid UTC offset") << bad;
  }
  EXPECT_EQ(ParseOk("2024-05-27T21:16:31+23:59", utc_),
            kSeedExample - 3 * kHour - (23 * 60 + 59) * 60 * kMicrosPerSecond);
  for (const char* bad : {"1969-12-31 23:59:59", "0000-01-01 00:00:00", "1969-12-31T23:59:59Z"}) {
    EXPECT_EQ(ParseError(bad, utc_), "year must be 1970 to 9999") << bad;
  }
  EXPECT_EQ(ParseError("1970-01-01T00:30:00+01:00", utc_), "before 1970-01-01T00:00:00Z");
  EXPECT_EQ(ParseOk("1970-01-01T00:00:00-03:00", utc_), 3 * kHour);
}

// Regression (found by fuzz/request_text_fuzz.cc): the range is one of instants, so what the
// formatters write for the first hours of 1970 west of UTC and the last hours of 9999 east of it
// reads back, and a 9999 text naming an instant of year 10000 is refused.
TEST_F(TimestampTest, RangeEdgesRoundTripInEveryZone) {
  EXPECT_EQ(FormatRfc3339(0, sao_paulo_), "1969-12-31T21:00:00-03:00");
  EXPECT_EQ(ParseOk("1969-12-31T21:00:00-03:00", utc_), 0);
  EXPECT_EQ(ParseOk("1969-12-31 21:00:00", sao_paulo_), 0);
  EXPECT_EQ(ParseError("1969-12-31 20:59:59", sao_paulo_), "year must be 1970 to 9999");
  EXPECT_EQ(ParseError("9999-12-31T23:00:00-03:00", utc_), "year must be 1970 to 9999");
  EXPECT_EQ(ParseError("9999-12-31 23:00:00", sao_paulo_), "year must be 1970 to 9999");
  const TimeZone kolkata = *TimeZone::Locate("Asia/Kolkata");
  constexpr int64_t kLast = 253402300799999999;  // 9999-12-31T23:59:59.999999Z
  EXPECT_EQ(FormatRfc3339(kLast, kolkata), "9999-12-31T23:59:59.999999+00:00");
  EXPECT_EQ(FormatSeedLocalTime(kLast, kolkata), "9999-12-31 23:59:59");
  EXPECT_EQ(FormatRfc3339(kLast - 6 * kHour, kolkata), "9999-12-31T23:29:59.999999+05:30");
  for (const int64_t t : {int64_t{0}, int64_t{1}, 3 * kHour - 1, kLast, kLast - 5 * kHour}) {
    for (const TimeZone* zone : {&std::as_const(sao_paulo_), &std::as_const(utc_), &kolkata}) {
      const std::string text = FormatRfc3339(t, *zone);
      const Result<int64_t> parsed = ParseTimestampMicros(text, utc_);
      ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
      EXPECT_EQ(*parsed, t) << text;
    }
  }
}

TEST_F(TimestampTest, RejectsMoreThanMicrosecondPrecision) {
  for (const char* bad : {"2024-05-27 21:16:31.1234567", "2024-05-27T21:16:31.123456789Z",
                          "2024-05-27T21:16:31.0000000-03:00"}) {
    EXPECT_EQ(ParseError(bad, utc_), "more than 6 fractional second digits") << bad;
  }
}

TEST_F(TimestampTest, RejectsMalformedText) {
  const std::string reason = "expected YYYY-MM-DD HH:MM:SS or RFC 3339 with offset";
  const char* bad[] = {
      "",
      "2024-05-27",
      "2024-05-27 21:16",
      "2024-05-27T21:16:31",           // RFC 3339 needs an offset
      "2024-05-27t21:16:31",
      "24-05-27 21:16:31",
      "2024-5-27 21:16:31",            // strict widths
      "2024-05-7 21:16:31",
      "2024-05-27 1:16:31",
      "2024-05-27 21:6:31",
      "2024-05-27 21:16:1",
      "2024/05/27 21:16:31",
      "2024-05-27_21:16:31",
      "2024-05-27  21:16:31",
      " 2024-05-27 21:16:31",
      "2024-05-27 21:16:31 ",
      "2024-05-27 21:16:31.",          // fraction needs digits
      "2024-05-27 21:16:31.Z",
      "2024-05-27 21:16:31,5",
      "2024-05-27T21:16:31+0300",      // offset needs the colon
      "2024-05-27T21:16:31+03",
      "2024-05-27T21:16:31+3:00",
      "2024-05-27T21:16:31 -03:00",
      "2024-05-27T21:16:31-03:00Z",
      "2024-05-27T21:16:31ZZ",
      "2024-05-27T21:16:31UTC",
      "2024-05-27T21:16:31 America/Sao_Paulo",
      "+2024-05-27 21:16:31",
      "12024-05-27 21:16:31",
      "2024-05-27 21:16:31\n",
      "1716855391",
      "2024-05-27 21:16:31.12a",
      "２０２４-05-27 21:16:31",
  };
  for (const char* text : bad) EXPECT_EQ(ParseError(text, sao_paulo_), reason) << text;
  EXPECT_EQ(ParseError(std::string("2024-05-27 21:16:31\0", 20), sao_paulo_), reason);
}

TEST_F(TimestampTest, FormatsSeedLocalTime) {
  EXPECT_EQ(FormatSeedLocalTime(kSeedExample, sao_paulo_), "2024-05-27 21:16:31");
  EXPECT_EQ(FormatSeedLocalTime(kSeedExample + 999999, sao_paulo_), "2024-05-27 21:16:31");
  EXPECT_EQ(FormatSeedLocalTime(kSeedExample, utc_), "2024-05-28 00:16:31");
  EXPECT_EQ(FormatSeedLocalTime(0, utc_), "1970-01-01 00:00:00");
  EXPECT_EQ(FormatSeedLocalTime(0, sao_paulo_), "1969-12-31 21:00:00");
  EXPECT_EQ(FormatSeedLocalTime(1516024800000000, sao_paulo_), "2018-01-15 12:00:00");  // DST
  EXPECT_EQ(FormatSeedLocalTime(253402300799999999, utc_), "9999-12-31 23:59:59");
}

TEST_F(TimestampTest, FormatsRfc3339) {
  EXPECT_EQ(FormatRfc3339(kSeedExample, sao_paulo_), "2024-05-27T21:16:31-03:00");
  EXPECT_EQ(FormatRfc3339(kSeedExample + 123456, sao_paulo_), "2024-05-27T21:16:31.123456-03:00");
  EXPECT_EQ(FormatRfc3339(kSeedExample + 1, sao_paulo_), "2024-05-27T21:16:31.000001-03:00");
  EXPECT_EQ(FormatRfc3339(kSeedExample + 500000, utc_), "2024-05-28T00:16:31.500000+00:00");
  EXPECT_EQ(FormatRfc3339(kSeedExample, utc_), "2024-05-28T00:16:31+00:00");
  EXPECT_EQ(FormatRfc3339(1516024800000000, sao_paulo_), "2018-01-15T12:00:00-02:00");
  EXPECT_EQ(FormatRfc3339(0, utc_), "1970-01-01T00:00:00+00:00");
  const TimeZone kolkata = *TimeZone::Locate("Asia/Kolkata");
  EXPECT_EQ(FormatRfc3339(kSeedExample, kolkata), "2024-05-28T05:46:31+05:30");
  // Both instants of the ambiguous Sao Paulo hour format with their own offsets.
  EXPECT_EQ(FormatRfc3339(1550367000000000, sao_paulo_), "2019-02-16T23:30:00-02:00");
  EXPECT_EQ(FormatRfc3339(1550367000000000 + kHour, sao_paulo_), "2019-02-16T23:30:00-03:00");
}

TEST_F(TimestampTest, Rfc3339RoundTrips) {
  std::mt19937_64 random(42);
  std::uniform_int_distribution<int64_t> instant(0, 253402300799999999);
  std::uniform_int_distribution<int64_t> recent(1500000000000000, 1800000000000000);
  const TimeZone kolkata = *TimeZone::Locate("Asia/Kolkata");
  const TimeZone new_york = *TimeZone::Locate("America/New_York");
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = i % 2 ? instant(random) : recent(random);
    for (const TimeZone* zone : {&std::as_const(sao_paulo_), &std::as_const(utc_), &kolkata, &new_york}) {
      const std::string text = FormatRfc3339(t, *zone);
      const Result<int64_t> parsed = ParseTimestampMicros(text, utc_);
      ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().ToString();
      ASSERT_EQ(*parsed, t) << text;
    }
    // The seed format drops microseconds; outside ambiguous hours it reads back to the second.
    const int64_t whole_seconds = t / kMicrosPerSecond * kMicrosPerSecond;
    const Result<int64_t> seed = ParseTimestampMicros(FormatSeedLocalTime(t, utc_), utc_);
    ASSERT_TRUE(seed.ok());
    ASSERT_EQ(*seed, whole_seconds);
  }
}

TEST_F(TimestampTest, SeedLocalRoundTripsInSaoPauloExceptTheRepeatedHour) {
  // Every 10 minutes through 2018-2019 (two DST transitions): formatting then parsing the local
  // time gives the instant back, except during the second pass of the fall-back hour, which
  // resolves to the earlier instant by design.
  const int64_t begin = ParseOk("2018-10-01T00:00:00Z", utc_);
  const int64_t end = ParseOk("2019-03-01T00:00:00Z", utc_);
  const int64_t second_pass_begin = ParseOk("2019-02-17T02:00:00Z", utc_);
  const int64_t second_pass_end = ParseOk("2019-02-17T03:00:00Z", utc_);
  for (int64_t t = begin; t < end; t += 600 * kMicrosPerSecond) {
    const int64_t parsed = ParseOk(FormatSeedLocalTime(t, sao_paulo_), sao_paulo_);
    if (t >= second_pass_begin && t < second_pass_end) {
      EXPECT_EQ(parsed, t - kHour);
    } else {
      EXPECT_EQ(parsed, t);
    }
  }
}

}  // namespace
}  // namespace estoque::domain
